"""Static reference tables of the simulated world: routes, document and plate formats.

The routes follow the corridors Europol's and UNODC's threat assessments describe (central and
western Mediterranean, eastern Mediterranean and Balkans, eastern land borders, the Vietnamese
overland route, the Atlantic route to the Canaries, direct flights from Latin America). The
numbers are plausible, not statistics: the aim is data that *behaves* like real feeds.
The places (cities, reporting agencies) are in `streams.simulate.places`.
"""

from __future__ import annotations

from dataclasses import dataclass


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
