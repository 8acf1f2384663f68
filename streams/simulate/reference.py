"""Static reference tables of the simulated world: places, routes, document and plate formats.

The routes follow the corridors Europol's and UNODC's threat assessments describe (central and
western Mediterranean, eastern Mediterranean and Balkans, eastern land borders, the Vietnamese
overland route, the Atlantic route to the Canaries, direct flights from Latin America). The
numbers are plausible, not statistics: the aim is data that *behaves* like real feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- places -----------------------------------------------------------------------------------
# (place name as the country writes it, latitude, longitude); the first places weigh more.
CITIES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "FRA": (
        ("Paris", 48.8566, 2.3522),
        ("Marseille", 43.2965, 5.3698),
        ("Lyon", 45.764, 4.8357),
        ("Lille", 50.6292, 3.0573),
        ("Calais", 50.9513, 1.8587),
        ("Nice", 43.7102, 7.262),
        ("Toulouse", 43.6047, 1.4442),
        ("Bordeaux", 44.8378, -0.5792),
    ),
    "DEU": (
        ("Berlin", 52.52, 13.405),
        ("Hamburg", 53.5511, 9.9937),
        ("München", 48.1351, 11.582),
        ("Frankfurt am Main", 50.1109, 8.6821),
        ("Köln", 50.9375, 6.9603),
        ("Düsseldorf", 51.2277, 6.7735),
        ("Leipzig", 51.3397, 12.3731),
        ("Stuttgart", 48.7758, 9.1829),
    ),
    "ITA": (
        ("Roma", 41.9028, 12.4964),
        ("Milano", 45.4642, 9.19),
        ("Napoli", 40.8518, 14.2681),
        ("Torino", 45.0703, 7.6869),
        ("Palermo", 38.1157, 13.3615),
        ("Castel Volturno", 41.0327, 13.9146),
        ("Catania", 37.5079, 15.083),
        ("Lampedusa", 35.5078, 12.6067),
        ("Bari", 41.1171, 16.8719),
    ),
    "ESP": (
        ("Madrid", 40.4168, -3.7038),
        ("Barcelona", 41.3874, 2.1686),
        ("Valencia", 39.4699, -0.3763),
        ("Sevilla", 37.3891, -5.9845),
        ("Almería", 36.834, -2.4637),
        ("Algeciras", 36.1408, -5.4562),
        ("Las Palmas de Gran Canaria", 28.1235, -15.4363),
        ("Málaga", 36.7213, -4.4214),
    ),
    "GRC": (
        ("Athína", 37.9838, 23.7275),
        ("Thessaloníki", 40.6401, 22.9444),
        ("Mytilíni", 39.1047, 26.5552),
        ("Pátra", 38.2466, 21.7346),
        ("Alexandroúpoli", 40.8457, 25.8738),
        ("Sámos", 37.7548, 26.9777),
        ("Igoumenítsa", 39.5031, 20.2656),
    ),
    "GBR": (
        ("London", 51.5072, -0.1276),
        ("Birmingham", 52.4862, -1.8904),
        ("Manchester", 53.4808, -2.2426),
        ("Dover", 51.1279, 1.3134),
        ("Glasgow", 55.8642, -4.2518),
    ),
    "NLD": (
        ("Amsterdam", 52.3676, 4.9041),
        ("Rotterdam", 51.9244, 4.4777),
        ("Den Haag", 52.0705, 4.3007),
        ("Utrecht", 52.0907, 5.1214),
    ),
    "BEL": (
        ("Bruxelles", 50.8503, 4.3517),
        ("Antwerpen", 51.2194, 4.4025),
        ("Liège", 50.6326, 5.5797),
        ("Zeebrugge", 51.3286, 3.2036),
    ),
    "AUT": (
        ("Wien", 48.2082, 16.3738),
        ("Graz", 47.0707, 15.4395),
        ("Linz", 48.3069, 14.2858),
        ("Nickelsdorf", 47.9394, 17.0683),
    ),
    "POL": (
        ("Warszawa", 52.2297, 21.0122),
        ("Kraków", 50.0647, 19.945),
        ("Łódź", 51.7592, 19.456),
        ("Wrocław", 51.1079, 17.0385),
        ("Przemyśl", 49.7838, 22.7678),
    ),
    "HUN": (
        ("Budapest", 47.4979, 19.0402),
        ("Szeged", 46.253, 20.1414),
        ("Győr", 47.6875, 17.6504),
    ),
    "ROU": (
        ("București", 44.4268, 26.1025),
        ("Constanța", 44.1598, 28.6348),
        ("Craiova", 44.3302, 23.7949),
        ("Iași", 47.1585, 27.6014),
        ("Brăila", 45.2692, 27.9575),
    ),
    "BGR": (
        ("Sofia", 42.6977, 23.3219),
        ("Plovdiv", 42.1354, 24.7453),
        ("Varna", 43.2141, 27.9147),
        ("Sliven", 42.6824, 26.3291),
    ),
    "PRT": (("Lisboa", 38.7223, -9.1393), ("Porto", 41.1579, -8.6291), ("Faro", 37.0194, -7.9304)),
    "CZE": (("Praha", 50.0755, 14.4378), ("Brno", 49.1951, 16.6068), ("Cheb", 50.0796, 12.3739)),
    "SWE": (
        ("Stockholm", 59.3293, 18.0686),
        ("Göteborg", 57.7089, 11.9746),
        ("Malmö", 55.605, 13.0038),
    ),
    "CHE": (("Zürich", 47.3769, 8.5417), ("Genève", 46.2044, 6.1432), ("Chiasso", 45.832, 9.0312)),
    "HRV": (("Zagreb", 45.815, 15.9819), ("Split", 43.5081, 16.4402)),
    "SRB": (("Beograd", 44.7866, 20.4489), ("Subotica", 46.1, 19.6658)),
    "NGA": (
        ("Benin City", 6.335, 5.6037),
        ("Lagos", 6.5244, 3.3792),
        ("Enugu", 6.4584, 7.5464),
        ("Onitsha", 6.1413, 6.8029),
        ("Abuja", 9.0765, 7.3986),
    ),
    "UKR": (
        ("Kyiv", 50.4501, 30.5234),
        ("Odesa", 46.4825, 30.7233),
        ("Kharkiv", 49.9935, 36.2304),
        ("Lviv", 49.8397, 24.0297),
        ("Dnipro", 48.4647, 35.0462),
    ),
    "RUS": (
        ("Moskva", 55.7558, 37.6173),
        ("Sankt-Peterburg", 59.9311, 30.3609),
        ("Rostov-na-Donu", 47.2357, 39.7015),
    ),
    "BLR": (("Minsk", 53.9006, 27.559), ("Brest", 52.0976, 23.7341), ("Hrodna", 53.6694, 23.8131)),
    "MDA": (
        ("Chișinău", 47.0105, 28.8638),
        ("Bălți", 47.7615, 27.9291),
        ("Cahul", 45.9075, 28.1944),
    ),
    "SYR": (
        ("Halab", 36.2021, 37.1343),
        ("Dimashq", 33.5138, 36.2765),
        ("Homs", 34.7324, 36.7137),
        ("Idlib", 35.9306, 36.6339),
        ("Deir ez-Zor", 35.3359, 40.1408),
    ),
    "IRQ": (
        ("Baghdad", 33.3152, 44.3661),
        ("Mosul", 36.3566, 43.1640),
        ("Erbil", 36.1911, 44.0092),
        ("Basra", 30.5085, 47.7804),
    ),
    "AFG": (
        ("Kabul", 34.5553, 69.2075),
        ("Herat", 34.3529, 62.204),
        ("Mazar-i-Sharif", 36.7069, 67.1128),
        ("Kandahar", 31.6289, 65.7372),
    ),
    "PAK": (
        ("Lahore", 31.5204, 74.3587),
        ("Gujrat", 32.5731, 74.0789),
        ("Karachi", 24.8607, 67.0011),
        ("Peshawar", 34.0151, 71.5249),
    ),
    "VNM": (
        ("Nghệ An", 18.6796, 105.6813),
        ("Hà Tĩnh", 18.3559, 105.8877),
        ("Hà Nội", 21.0278, 105.8342),
        ("Hải Phòng", 20.8449, 106.6881),
        ("Quảng Bình", 17.4687, 106.6223),
    ),
    "ERI": (
        ("Asmara", 15.3229, 38.9251),
        ("Keren", 15.7778, 38.4511),
        ("Mendefera", 14.886, 38.8156),
    ),
    "SDN": (
        ("Khartoum", 15.5007, 32.5599),
        ("Nyala", 12.0489, 24.8807),
        ("El Fasher", 13.6279, 25.3494),
    ),
    "EGY": (
        ("Al-Qahira", 30.0444, 31.2357),
        ("Al-Iskandariya", 31.2001, 29.9187),
        ("Kafr El Sheikh", 31.1107, 30.9388),
    ),
    "MAR": (
        ("Casablanca", 33.5731, -7.5898),
        ("Tanger", 35.7595, -5.834),
        ("Nador", 35.1681, -2.9335),
        ("Béni Mellal", 32.3373, -6.3498),
    ),
    "ALB": (
        ("Tiranë", 41.3275, 19.8187),
        ("Durrës", 41.3246, 19.4565),
        ("Shkodër", 42.0693, 19.5033),
        ("Elbasan", 41.1125, 20.0822),
        ("Vlorë", 40.4661, 19.4914),
    ),
    "SEN": (("Dakar", 14.7167, -17.4677), ("Thiès", 14.791, -16.9359), ("Kolda", 12.8983, -14.941)),
    "GMB": (("Serekunda", 13.4382, -16.6781), ("Banjul", 13.4549, -16.579)),
    "GIN": (("Conakry", 9.6412, -13.5784), ("Kankan", 10.3854, -9.3057)),
    "MLI": (("Bamako", 12.6392, -8.0029), ("Kayes", 14.4469, -11.4445)),
    "COL": (
        ("Bogotá", 4.711, -74.0721),
        ("Medellín", 6.2442, -75.5812),
        ("Cali", 3.4516, -76.532),
        ("Pereira", 4.8133, -75.6961),
    ),
    "VEN": (("Caracas", 10.4806, -66.9036), ("Maracaibo", 10.6427, -71.6125)),
    "TUR": (
        ("İstanbul", 41.0082, 28.9784),
        ("İzmir", 38.4237, 27.1428),
        ("Edirne", 41.6771, 26.5557),
        ("Van", 38.5012, 43.373),
    ),
    "LBY": (
        ("Tarabulus", 32.8872, 13.1913),
        ("Zuwara", 32.9312, 12.082),
        ("Sabratha", 32.7933, 12.4885),
        ("Bani Walid", 31.7566, 13.99),
    ),
    "NER": (("Agadez", 16.9742, 7.9865), ("Niamey", 13.5116, 2.1254)),
}

# Agencies that report to the platform, by country (`source_agency` for publishers).
AGENCIES: dict[str, str] = {
    "FRA": "OCRTEH",
    "DEU": "BKA",
    "ITA": "SCO",
    "ESP": "UCRIF",
    "GRC": "HP-ATHU",
    "GBR": "NCA",
    "NLD": "KMAR",
    "BEL": "FGP-THB",
    "AUT": "BK-AT",
    "POL": "KGP",
}


# -- routes -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteTemplate:
    """A corridor: origin countries (weighted), transit countries, destination options, the
    offences committed along it, and the nationalities of the organisers."""

    name: str
    origins: tuple[tuple[str, float], ...]
    transit: tuple[str, ...]
    destinations: tuple[str, ...]
    offences: tuple[tuple[str, float], ...]
    organisers: tuple[str, ...]
    weight: float = 1.0
    minors_share: float = 0.1


ROUTES: tuple[RouteTemplate, ...] = (
    RouteTemplate(
        "central-med-nigeria",
        (("NGA", 1.0),),
        ("NER", "LBY"),
        ("ITA", "FRA", "DEU", "ESP"),
        (("thb_sexual_exploitation", 0.6), ("som_sea", 0.3), ("thb_forced_criminality", 0.1)),
        ("NGA",),
        weight=1.6,
        minors_share=0.15,
    ),
    RouteTemplate(
        "central-med-horn",
        (("ERI", 0.6), ("SDN", 0.4)),
        ("SDN", "LBY"),
        ("ITA", "DEU", "FRA"),
        (("som_sea", 0.85), ("thb_forced_labour", 0.15)),
        ("ERI", "SDN", "LBY"),
        weight=1.0,
    ),
    RouteTemplate(
        "central-med-egypt",
        (("EGY", 0.7), ("SYR", 0.3)),
        ("LBY",),
        ("ITA", "FRA"),
        (("som_sea", 1.0),),
        ("EGY", "LBY"),
        weight=0.6,
    ),
    RouteTemplate(
        "east-med-syria",
        (("SYR", 0.7), ("IRQ", 0.3)),
        ("TUR",),
        ("GRC", "DEU", "AUT"),
        (("som_sea", 0.6), ("som_land", 0.4)),
        ("SYR", "TUR"),
        weight=1.4,
    ),
    RouteTemplate(
        "balkan-afghanistan",
        (("AFG", 0.7), ("PAK", 0.3)),
        ("IRN", "TUR", "BGR", "SRB", "HUN"),
        ("AUT", "DEU", "FRA", "ITA"),
        (("som_land", 0.9), ("thb_forced_labour", 0.1)),
        ("AFG", "PAK", "TUR"),
        weight=1.2,
        minors_share=0.2,
    ),
    RouteTemplate(
        "balkan-iraq",
        (("IRQ", 1.0),),
        ("TUR", "GRC", "MKD", "SRB"),
        ("DEU", "FRA", "GBR"),
        (("som_land", 0.8), ("document_fraud", 0.2)),
        ("IRQ", "TUR"),
        weight=0.8,
    ),
    RouteTemplate(
        "eastern-ukraine",
        (("UKR", 0.8), ("BLR", 0.2)),
        ("POL",),
        ("DEU", "CZE", "NLD", "ITA"),
        (
            ("thb_forced_labour", 0.5),
            ("thb_sexual_exploitation", 0.4),
            ("thb_forced_marriage", 0.1),
        ),
        ("UKR", "RUS"),
        weight=1.2,
    ),
    RouteTemplate(
        "eastern-moldova",
        (("MDA", 1.0),),
        ("ROU",),
        ("ITA", "ESP", "DEU"),
        (("thb_forced_labour", 0.7), ("thb_sexual_exploitation", 0.3)),
        ("MDA", "ROU"),
        weight=0.6,
    ),
    RouteTemplate(
        "vietnam-overland",
        (("VNM", 1.0),),
        ("RUS", "BLR", "POL"),
        ("DEU", "FRA", "GBR"),
        (("thb_forced_labour", 0.5), ("thb_forced_criminality", 0.3), ("som_land", 0.2)),
        ("VNM",),
        weight=1.0,
        minors_share=0.25,
    ),
    RouteTemplate(
        "intra-eu-romania",
        (("ROU", 0.7), ("BGR", 0.3)),
        ("HUN", "AUT"),
        ("DEU", "FRA", "ITA", "ESP"),
        (
            ("thb_sexual_exploitation", 0.4),
            ("thb_forced_begging", 0.3),
            ("thb_forced_criminality", 0.2),
            ("thb_child_trafficking", 0.1),
        ),
        ("ROU", "BGR"),
        weight=1.0,
        minors_share=0.3,
    ),
    RouteTemplate(
        "bulgaria-greece",
        (("BGR", 1.0),),
        (),
        ("GRC", "DEU"),
        (("thb_sexual_exploitation", 0.8), ("thb_forced_labour", 0.2)),
        ("BGR",),
        weight=0.5,
    ),
    RouteTemplate(
        "albania-channel",
        (("ALB", 1.0),),
        ("GRC", "ITA", "FRA"),
        ("GBR", "FRA", "ITA"),
        (("som_land", 0.5), ("thb_forced_criminality", 0.5)),
        ("ALB",),
        weight=0.7,
    ),
    RouteTemplate(
        "western-med-morocco",
        (("MAR", 1.0),),
        (),
        ("ESP", "FRA"),
        (("som_sea", 0.8), ("thb_forced_labour", 0.2)),
        ("MAR",),
        weight=0.8,
        minors_share=0.2,
    ),
    RouteTemplate(
        "atlantic-canaries",
        (("SEN", 0.4), ("GMB", 0.2), ("GIN", 0.2), ("MLI", 0.2)),
        ("MRT", "MAR"),
        ("ESP", "FRA", "ITA"),
        (("som_sea", 1.0),),
        ("SEN", "MAR"),
        weight=0.8,
    ),
    RouteTemplate(
        "latam-air",
        (("COL", 0.6), ("VEN", 0.4)),
        (),
        ("ESP", "ITA", "FRA"),
        (("thb_sexual_exploitation", 0.6), ("som_air", 0.3), ("thb_organ_removal", 0.1)),
        ("COL", "ESP"),
        weight=0.6,
    ),
)

# The modus operandi a source writes in its case record, per offence type.
MODUS_OPERANDI: dict[str, tuple[str, ...]] = {
    "thb_sexual_exploitation": (
        "Victims recruited with false job offers as hairdressers; debt bondage of 30 000 EUR.",
        "Recruitment through a 'lover boy'; exploitation in apartments advertised online.",
        "Juju oath taken before departure; victims forced into street prostitution.",
    ),
    "thb_forced_labour": (
        "Workers housed in containers on farms; passports withheld by the gangmaster.",
        "Recruited through an agency for construction work; wages confiscated as debt.",
        "Nail bar workers with no contract, working 12 hours a day for accommodation.",
    ),
    "thb_forced_criminality": (
        "Minors forced to tend cannabis grow houses under threat to their families.",
        "Victims forced to commit pickpocketing and shoplifting; daily quota enforced.",
    ),
    "thb_forced_begging": (
        "Disabled and elderly victims placed at church doors; daily takings collected.",
    ),
    "thb_forced_marriage": (
        "Young women sold into marriage abroad through an intermediary family.",
    ),
    "thb_organ_removal": (
        "Donors recruited with promises of payment; kidney removal in a private clinic.",
    ),
    "thb_child_trafficking": ("Children moved between countries by adults posing as parents.",),
    "som_land": (
        "Migrants hidden in lorries crossing the border at night; 3 000 EUR per person.",
        "Walking route across the border guided by a local driver; payment via hawala.",
    ),
    "som_sea": (
        "Overcrowded rubber boat departing at night; one migrant designated as the boat driver.",
        "Fishing vessel with 300 persons on board; smugglers coordinate by satellite phone.",
    ),
    "som_air": ("Passengers travel on look-alike passports; documents collected after landing.",),
    "document_fraud": ("Counterfeit residence permits and genuine passports used by look-alikes.",),
}

# Named operations a record may be reported under, by year (codes as in `operation_code`).
OPERATIONS: tuple[str, ...] = (
    "LIBERTERRA",
    "GLOBAL-CHAIN",
    "BLUE-AMBER",
    "NORTHERN-CROSSING",
    "TRIDENT",
)

# Document number shapes by issuing country: L letter, D digit, C German passport alphabet.
DOC_FORMATS: dict[str, str] = {
    "UKR": "LLDDDDDD",
    "RUS": "DDDDDDDDD",
    "BLR": "LLDDDDDDD",
    "NGA": "LDDDDDDDD",
    "SYR": "NDDDDDDDD",
    "IRQ": "LDDDDDDDD",
    "VNM": "CDDDDDDD",
    "ERI": "LDDDDDDD",
    "AFG": "PDDDDDDDD",
    "ALB": "BLDDDDDDD",
    "ROU": "DDDDDDDD",
    "MDA": "LLDDDDDDD",
    "DEU": "CXXXXXXXX",
    "FRA": "DDLLDDDDD",
    "ITA": "LLDDDDDDD",
    "ESP": "LLLDDDDDD",
    "GRC": "LLDDDDDDD",
    "GBR": "DDDDDDDDD",
    "POL": "LLDDDDDDD",
    "BGR": "DDDDDDDDD",
}

# Vehicle plate shapes by registration country (L letter, D digit, literal otherwise).
PLATE_FORMATS: dict[str, str] = {
    "FRA": "LL-DDD-LL",
    "DEU": "L LL DDDD",
    "ITA": "LLDDDLL",
    "ESP": "DDDD LLL",
    "GRC": "LLL-DDDD",
    "POL": "LL DDDDD",
    "ROU": "LL DD LLL",
    "BGR": "L DDDD LL",
    "NLD": "LL-DDD-L",
    "AUT": "L DDDD L",
    "TUR": "DD L DDDD",
    "GBR": "LLDD LLL",
    "HUN": "LLL-DDD",
    "SRB": "LL DDD-LL",
    "UKR": "LL DDDD LL",
}

# Placeholder values clerks type when the real one is unknown: shared by unrelated people, so a
# matcher that trusts them merges strangers.
PLACEHOLDER_DOC_NUMBERS: tuple[str, ...] = ("000000000", "XX0000000", "123456789", "UNKNOWN")

# Member-country nationals recruited as drivers, landlords and front men: Faker locales.
FAKER_LOCALES: dict[str, str] = {
    "FRA": "fr_FR",
    "DEU": "de_DE",
    "ITA": "it_IT",
    "ESP": "es_ES",
    "GRC": "el_GR",
    "GBR": "en_GB",
    "NLD": "nl_NL",
    "BEL": "nl_BE",
    "AUT": "de_AT",
    "POL": "pl_PL",
    "PRT": "pt_PT",
    "CZE": "cs_CZ",
    "SWE": "sv_SE",
    "HUN": "hu_HU",
    "CHE": "de_CH",
    "HRV": "hr_HR",
}
