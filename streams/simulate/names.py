"""Names as people carry them and as clerks in other countries write them down.

A true person has one name in their own script (Latin, Cyrillic, Arabic or Greek). A report
renders it: copied from the passport (the issuing state's transliteration), transliterated by the
reporting country's own habits (German `Iwan Petrow`, French `Ivan Petrov`, Polish `Iwan Pietrow`),
or kept in the original script. The pools are weighted so that common names really are common:
different people called Mohammed Ali or Nguyen Van Nam are the matcher's hardest negatives.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii


@dataclass(frozen=True, slots=True)
class NameToken:
    """One name word in its owner's script, with the Latin spellings it is known to take."""

    native: str
    script: str = "Latn"
    latin: tuple[str, ...] = ()  # curated spellings (Arabic); empty = derived from `native`
    lang: str = ""  # ru | uk | bg for Cyrillic tokens
    article: bool = False  # Arabic family names written with or without al-/el-


@dataclass(frozen=True, slots=True)
class TrueName:
    """A person's real name: given names, an optional middle element (patronymic, father's
    name, Vietnamese Văn/Thị), family names, and the nicknames friends use."""

    given: tuple[NameToken, ...]
    middle: NameToken | None
    family: tuple[NameToken, ...]
    script: str
    family_first: bool = False  # Vietnamese order: family, middle, given
    nicknames: tuple[str, ...] = ()


# -- transliteration of Cyrillic ----------------------------------------------------------------
_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i",
    "ї": "i", "є": "ie", "ґ": "g",
}  # fmt: skip
# ICAO Doc 9303 (what current Russian passports print), BGN/PCGN (English-language press and
# many police forces), German Duden, French, Polish, the Ukrainian national system (Ukrainian
# passports since 2010) and the Bulgarian streamlined system.
_SYSTEMS: dict[str, dict[str, str]] = {
    "icao": dict(_COMMON),
    "bgn": {**_COMMON, "ё": "yo", "й": "y", "ъ": "", "ю": "yu", "я": "ya", "є": "ye", "ї": "yi"},
    "de": {**_COMMON, "в": "w", "ж": "sch", "з": "s", "й": "j", "х": "ch", "ц": "z", "ч": "tsch",
           "ш": "sch", "щ": "schtsch", "ъ": "", "ю": "ju", "я": "ja", "ё": "jo", "є": "je"},
    "fr": {**_COMMON, "ж": "j", "у": "ou", "ч": "tch", "ш": "ch", "щ": "chtch", "ъ": "",
           "ю": "iou", "я": "ia", "ё": "io", "х": "kh"},
    "pl": {**_COMMON, "в": "w", "ж": "ż", "й": "j", "х": "ch", "ц": "c", "ч": "cz", "ш": "sz",
           "щ": "szcz", "ъ": "", "ю": "ju", "я": "ja", "ё": "io", "е": "ie", "є": "je"},
    "uk": {**_COMMON, "г": "h", "и": "y", "й": "i", "ъ": "", "є": "ie", "ї": "i"},
    "bg": {**_COMMON, "ъ": "a", "щ": "sht", "х": "h", "й": "y", "ю": "yu", "я": "ya"},
}  # fmt: skip
_WORD_INITIAL: dict[str, dict[str, str]] = {
    "bgn": {"е": "ye"},
    "de": {"е": "je"},
    "pl": {"е": "je"},
    "uk": {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
}
_ENDINGS: dict[str, tuple[tuple[str, str], ...]] = {
    # German and Polish clerks write -ow, -ew; French older style -off; everybody shortens -ий.
    "de": (("ов", "ow"), ("ев", "ew"), ("ий", "i"), ("ый", "y")),
    "pl": (("ов", "ow"), ("ев", "ew"), ("ий", "ij"), ("ый", "y")),
    "fr": (("ий", "i"),),
    "bgn": (("ий", "iy"),),
}
CYRILLIC_SYSTEMS: tuple[str, ...] = tuple(_SYSTEMS)


@lru_cache(maxsize=65536)
def transliterate(word: str, system: str) -> str:
    """Latin spelling of a Cyrillic word under one transliteration system, capitalised."""
    table = _SYSTEMS[system]
    lower = word.lower()
    head = ""
    for ending, latin in _ENDINGS.get(system, ()):
        if lower.endswith(ending) and len(lower) > len(ending) + 1:
            lower, head = lower[: -len(ending)], latin
            break
    out = []
    initial = _WORD_INITIAL.get(system, {})
    for i, ch in enumerate(lower):
        if i == 0 or lower[i - 1] in "- ":
            out.append(initial.get(ch, table.get(ch, ch)))
        else:
            out.append(table.get(ch, ch))
    text = "".join(out) + head
    return "-".join(part[:1].upper() + part[1:] for part in text.split("-"))


def passport_system(nationality: str) -> str:
    """The Cyrillic transliteration a nationality's passports print."""
    return {"UKR": "uk", "BGR": "bg"}.get(nationality, "icao")


def clerk_system(country: str) -> str:
    """The transliteration a reporting country's clerks use when they do not copy a passport."""
    if country in ("DEU", "AUT", "CHE"):
        return "de"
    if country in ("FRA", "BEL", "LUX"):
        return "fr"
    if country in ("POL", "CZE"):
        return "pl"
    return "bgn"


_ARTICLES = ("Al-", "Al ", "El-", "El ", "Al", "")


def arabic_spellings(token: NameToken) -> tuple[str, ...]:
    """Every Latin spelling of an Arabic-script token, the article forms included."""
    if not token.article:
        return token.latin
    return tuple(
        a + (base if a.endswith(("-", " ")) or not a else base.lower())
        for base, a in itertools.product(token.latin, _ARTICLES)
    )


def spell(token: NameToken, system: str, choice: int) -> str:
    """Latin spelling of a token: `system` for Cyrillic, the `choice`-th curated spelling for
    Arabic (wrapping), the written form for Latin (diacritics kept) and Greek (romanised)."""
    if token.script == "Cyrl":
        return transliterate(token.native, system)
    if token.script == "Arab":
        options = arabic_spellings(token)
        return options[choice % len(options)]
    if token.script == "Grek":
        return anyascii(token.native)
    return token.native


def ascii_fold(text: str) -> str:
    """The text without diacritics (Nguyễn → Nguyen, Ștefan → Stefan), as many systems store it."""
    return anyascii(text) if not text.isascii() else text


# -- pools ------------------------------------------------------------------------------------
def _latn(*names: str) -> tuple[NameToken, ...]:
    return tuple(NameToken(n) for n in names)


def _cyrl(lang: str, *names: str) -> tuple[NameToken, ...]:
    return tuple(NameToken(n, "Cyrl", lang=lang) for n in names)


def _arab(
    *items: tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], bool],
) -> tuple[NameToken, ...]:
    out = []
    for item in items:
        article = len(item) == 3 and bool(item[2])
        out.append(NameToken(item[0], "Arab", latin=item[1], article=article))
    return tuple(out)


ARABIC_MALE = _arab(
    ("محمد", ("Mohammed", "Mohamed", "Muhammad", "Mohammad", "Mohamad", "Mouhamed")),
    ("أحمد", ("Ahmed", "Ahmad", "Ahmet")),
    ("علي", ("Ali", "Aly")),
    ("حسن", ("Hassan", "Hasan")),
    ("حسين", ("Hussein", "Hussain", "Husein", "Houssein")),
    ("عمر", ("Omar", "Umar", "Omer")),
    ("خالد", ("Khaled", "Khalid", "Khaleed")),
    ("يوسف", ("Youssef", "Yousef", "Yusuf", "Youssouf", "Yussuf")),
    ("إبراهيم", ("Ibrahim", "Ebrahim", "Brahim")),
    ("عبد الله", ("Abdullah", "Abdallah", "Abdulla", "Abd Allah")),
    ("مصطفى", ("Mustafa", "Moustafa", "Mostafa", "Mustapha")),
    ("محمود", ("Mahmoud", "Mahmud", "Mahmood")),
    ("سعيد", ("Said", "Saeed", "Saied")),
    ("كريم", ("Karim", "Kareem")),
    ("عبد الرحمن", ("Abdelrahman", "Abdul Rahman", "Abderrahmane", "Abdulrahman")),
    ("طارق", ("Tarek", "Tariq", "Tarik")),
    ("جمال", ("Jamal", "Gamal", "Djamel")),
    ("ياسين", ("Yassin", "Yasin", "Yacine")),
    ("حمزة", ("Hamza", "Hamzah")),
    ("بلال", ("Bilal", "Belal")),
    ("عثمان", ("Othman", "Osman", "Usman", "Outhmane")),
    ("صالح", ("Saleh", "Salih", "Salah")),
    ("ناصر", ("Nasser", "Nasir", "Naser")),
    ("وليد", ("Walid", "Waleed")),
)
ARABIC_FEMALE = _arab(
    ("فاطمة", ("Fatima", "Fatma", "Fatimah", "Fatema")),
    ("عائشة", ("Aisha", "Aicha", "Aysha", "Aischa")),
    ("مريم", ("Mariam", "Maryam", "Meryem")),
    ("زينب", ("Zainab", "Zeinab", "Zaynab")),
    ("نور", ("Nour", "Noor", "Nur")),
    ("ليلى", ("Layla", "Leila", "Laila", "Leyla")),
    ("سارة", ("Sara", "Sarah")),
    ("هدى", ("Huda", "Houda", "Hoda")),
    ("أمينة", ("Amina", "Aminah", "Amena")),
    ("رنا", ("Rana",)),
    ("خديجة", ("Khadija", "Khadidja", "Khadijah")),
    ("ياسمين", ("Yasmin", "Yasmine", "Jasmin")),
    ("سلمى", ("Salma", "Selma")),
)
ARABIC_FAMILY = _arab(
    ("الأحمد", ("Ahmad", "Ahmed"), True),
    ("الخطيب", ("Khatib", "Khateeb"), True),
    ("حداد", ("Haddad", "Hadad")),
    ("المصري", ("Masri", "Masry"), True),
    ("العلي", ("Ali",), True),
    ("الشامي", ("Shami", "Chami"), True),
    ("حمدان", ("Hamdan", "Hamden")),
    ("سليمان", ("Suleiman", "Sulaiman", "Soliman", "Slimane")),
    ("الحلبي", ("Halabi", "Halaby"), True),
    ("قاسم", ("Kassem", "Qasim", "Kasem", "Qassem")),
    ("درويش", ("Darwish", "Darwich", "Derwisch")),
    ("منصور", ("Mansour", "Mansur", "Mansoor")),
    ("الجبوري", ("Jubouri", "Jaburi", "Jbouri"), True),
    ("العمري", ("Omari", "Umari"), True),
    ("عبد الله", ("Abdullah", "Abdallah")),
    ("حسن", ("Hassan", "Hasan")),
    ("إبراهيم", ("Ibrahim", "Brahim")),
    ("الزين", ("Zein", "Zain"), True),
    ("بن علي", ("Ben Ali", "Benali", "Bin Ali")),
    ("العبد الله", ("Abdullah", "Abdallah"), True),
    ("نصر", ("Nasr", "Nassr")),
    ("الإدريسي", ("Idrissi", "Idrisi"), True),
)
PERSIAN_MALE = _arab(
    ("محمد", ("Mohammad", "Mohammed", "Muhammad", "Mohamad")),
    ("احمد", ("Ahmad", "Ahmed")),
    ("علی", ("Ali",)),
    ("رضا", ("Reza", "Riza", "Raza")),
    ("جواد", ("Jawad", "Javad")),
    ("مهدی", ("Mahdi", "Mehdi")),
    ("حمید", ("Hamid", "Hameed")),
    ("سید", ("Sayed", "Sayyed", "Said", "Seyed")),
    ("عبدالله", ("Abdullah", "Abdollah")),
    ("نوید", ("Navid", "Naweed")),
)
PERSIAN_FEMALE = _arab(
    ("زهرا", ("Zahra", "Zohra")),
    ("مریم", ("Maryam", "Mariam")),
    ("فاطمه", ("Fatima", "Fatemeh", "Fatema")),
    ("معصومه", ("Masooma", "Masoumeh", "Masuma")),
    ("شکیلا", ("Shakila", "Shakeela")),
)
PERSIAN_FAMILY = _arab(
    ("احمدی", ("Ahmadi", "Ahmady")),
    ("حیدری", ("Haidari", "Heidari", "Haydari")),
    ("رحیمی", ("Rahimi", "Rahimy")),
    ("کریمی", ("Karimi", "Karimy")),
    ("حسینی", ("Hussaini", "Hosseini", "Husseini")),
    ("نوری", ("Noori", "Nouri", "Nuri")),
    ("سلطانی", ("Sultani", "Soltani")),
    ("امیری", ("Amiri", "Ameeri")),
)
URDU_MALE = _arab(
    ("محمد", ("Muhammad", "Mohammad", "Mohammed")),
    ("عمران", ("Imran", "Emran")),
    ("بلال", ("Bilal", "Belal")),
    ("عثمان", ("Usman", "Osman")),
    ("آصف", ("Asif", "Asaf")),
    ("علی", ("Ali",)),
    ("شاہد", ("Shahid", "Shahed")),
)
URDU_FEMALE = _arab(("عائشہ", ("Ayesha", "Aisha")), ("صائمہ", ("Saima", "Saimah")))
URDU_FAMILY = _arab(
    ("خان", ("Khan",)),
    ("ملک", ("Malik", "Malick")),
    ("اقبال", ("Iqbal", "Ikbal")),
    ("بٹ", ("Butt", "Bhatt")),
    ("چودھری", ("Chaudhry", "Chaudhary", "Choudhry")),
    ("حسین", ("Hussain", "Hussein")),
)

RU_MALE = _cyrl(
    "ru",
    "Иван",
    "Сергей",
    "Алексей",
    "Дмитрий",
    "Андрей",
    "Николай",
    "Михаил",
    "Владимир",
    "Александр",
    "Юрий",
    "Евгений",
    "Максим",
    "Артём",
    "Игорь",
)
RU_FEMALE = _cyrl(
    "ru",
    "Анна",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Юлия",
    "Екатерина",
    "Мария",
    "Ксения",
    "Дарья",
)
RU_FAMILY = (
    "Петров",
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Жуков",
    "Щербаков",
    "Орлов",
    "Зайцев",
    "Фёдоров",
)
UK_MALE = _cyrl(
    "uk",
    "Олександр",
    "Андрій",
    "Сергій",
    "Дмитро",
    "Микола",
    "Юрій",
    "Іван",
    "Василь",
    "Богдан",
    "Олег",
    "Віктор",
    "Тарас",
)
UK_FEMALE = _cyrl(
    "uk",
    "Олена",
    "Оксана",
    "Наталія",
    "Тетяна",
    "Ірина",
    "Юлія",
    "Марія",
    "Галина",
    "Катерина",
    "Анастасія",
)
UK_FAMILY = (
    "Шевченко",
    "Бондаренко",
    "Коваленко",
    "Ткаченко",
    "Кравченко",
    "Мельник",
    "Олійник",
    "Ковальчук",
    "Бойко",
    "Поліщук",
    "Лисенко",
    "Гончаренко",
    "Петренко",
)
BG_MALE = _cyrl("bg", "Георги", "Димитър", "Иван", "Стоян", "Николай", "Петър", "Христо", "Асен")
BG_FEMALE = _cyrl("bg", "Мария", "Петя", "Десислава", "Галина", "Йорданка", "Радка")
BG_FAMILY = ("Иванов", "Георгиев", "Димитров", "Петров", "Стоянов", "Христов", "Асенов", "Ангелов")
# Patronymics of the male given names above (male form; the female form swaps -ич for -на).
PATRONYMIC = {
    "Иван": "Иванович", "Сергей": "Сергеевич", "Алексей": "Алексеевич", "Дмитрий": "Дмитриевич",
    "Андрей": "Андреевич", "Николай": "Николаевич", "Михаил": "Михайлович",
    "Владимир": "Владимирович", "Александр": "Александрович", "Юрий": "Юрьевич",
    "Евгений": "Евгеньевич", "Игорь": "Игоревич", "Олександр": "Олександрович",
    "Андрій": "Андрійович", "Сергій": "Сергійович", "Микола": "Миколайович",
    "Василь": "Васильович", "Олег": "Олегович", "Віктор": "Вікторович", "Тарас": "Тарасович",
}  # fmt: skip

NG_MALE = _latn(
    "Chinedu",
    "Emeka",
    "Osaro",
    "Efosa",
    "Oluwaseun",
    "Tunde",
    "Ikechukwu",
    "Uche",
    "Godwin",
    "Sunday",
    "Friday",
    "Peter",
    "John",
    "Kingsley",
    "Emmanuel",
    "Osasere",
)
NG_FEMALE = _latn(
    "Blessing",
    "Joy",
    "Precious",
    "Gift",
    "Esohe",
    "Osasere",
    "Ifeoma",
    "Ngozi",
    "Favour",
    "Faith",
    "Mercy",
    "Happiness",
    "Omoye",
    "Princess",
    "Glory",
)
NG_FAMILY = _latn(
    "Okafor",
    "Osagie",
    "Igbinedion",
    "Omoregie",
    "Eze",
    "Obi",
    "Nwosu",
    "Okonkwo",
    "Adeyemi",
    "Ogbonna",
    "Ehigiator",
    "Uwaifo",
    "Aigbe",
    "Osayande",
    "Edosomwan",
    "Okoro",
    "Iyamu",
    "Obasogie",
)
ER_MALE = _latn(
    "Yonas", "Filmon", "Mehari", "Semere", "Tekle", "Robel", "Dawit", "Habtom", "Merhawi"
)
ER_FEMALE = _latn("Senait", "Helen", "Selam", "Saba", "Almaz", "Freweini", "Luwam")
ER_FAMILY = _latn(
    "Tesfamariam",
    "Ghebremedhin",
    "Gebremedhin",
    "Haile",
    "Kidane",
    "Berhane",
    "Tekle",
    "Woldu",
    "Habte",
    "Tewelde",
    "Ghebreyesus",
    "Gebreyesus",
)
WA_MALE = _latn(
    "Mamadou",
    "Moussa",
    "Ousmane",
    "Ibrahima",
    "Abdoulaye",
    "Cheikh",
    "Lamine",
    "Alpha",
    "Modou",
    "Bakary",
)
WA_FEMALE = _latn("Aminata", "Fatou", "Awa", "Mariama", "Kadiatou", "Binta", "Isatou")
WA_FAMILY = _latn(
    "Diallo",
    "Ndiaye",
    "Diop",
    "Sow",
    "Fall",
    "Traoré",
    "Camara",
    "Keita",
    "Coulibaly",
    "Sylla",
    "Ba",
    "Jallow",
    "Ceesay",
    "Touré",
)
VN_FAMILY = _latn(
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"
)
VN_MALE = _latn(
    "Nam",
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hùng",
    "Long",
    "Phong",
    "Quang",
    "Tuấn",
    "Hải",
    "Thành",
    "Minh",
)
VN_FEMALE = _latn("Lan", "Hoa", "Hương", "Linh", "Mai", "Thảo", "Trang", "Ngọc", "Hạnh", "Thủy")
AL_MALE = _latn(
    "Arben",
    "Besnik",
    "Ilir",
    "Gentian",
    "Arjan",
    "Dritan",
    "Erion",
    "Klodian",
    "Ardit",
    "Endrit",
    "Fatjon",
)
AL_FEMALE = _latn("Elona", "Anisa", "Blerina", "Ermira", "Jonida", "Klea", "Fjolla")
AL_FAMILY = _latn(
    "Hoxha",
    "Shehu",
    "Dervishi",
    "Leka",
    "Krasniqi",
    "Berisha",
    "Gashi",
    "Çela",
    "Kola",
    "Marku",
    "Muça",
    "Hysa",
)
RO_MALE = _latn(
    "Ion",
    "Gheorghe",
    "Constantin",
    "Marian",
    "Florin",
    "Adrian",
    "Ionuț",
    "Vasile",
    "Mihai",
    "Cristian",
    "Nicolae",
)
RO_FEMALE = _latn(
    "Maria", "Elena", "Ioana", "Andreea", "Florentina", "Mihaela", "Cristina", "Alina", "Daniela"
)
RO_FAMILY = _latn(
    "Popescu",
    "Ionescu",
    "Stan",
    "Dumitru",
    "Munteanu",
    "Stoica",
    "Rusu",
    "Ciobanu",
    "Lungu",
    "Ștefan",
    "Stănescu",
    "Căldăraru",
    "Moldovan",
)
ES_MALE = _latn(
    "Juan", "José", "Luis", "Carlos", "Andrés", "Jorge", "Diego", "Alejandro", "Miguel", "Jhon"
)
ES_FEMALE = _latn(
    "María", "Luisa", "Daniela", "Valentina", "Paola", "Carolina", "Andrea", "Yuliana", "Natalia"
)
ES_FAMILY = _latn(
    "Rodríguez",
    "Gómez",
    "Martínez",
    "López",
    "García",
    "Pérez",
    "Hernández",
    "Ramírez",
    "Torres",
    "Castro",
    "Moreno",
    "Vargas",
    "Muñoz",
    "Ríos",
)
TR_MALE = _latn(
    "Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Emre", "Murat", "Hasan", "İbrahim", "Yusuf"
)
TR_FEMALE = _latn("Ayşe", "Fatma", "Emine", "Zeynep", "Elif", "Hatice")
TR_FAMILY = _latn(
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Aydın",
    "Öztürk",
    "Arslan",
    "Doğan",
    "Kılıç",
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "محمد": ("Mo", "Hamoudi", "Hamada"), "مصطفى": ("Moussa",), "عبد الله": ("Abdo", "Abu Abdo"),
    "إبراهيم": ("Bob",), "يوسف": ("Joe",), "خالد": ("Abu Khaled",), "علی": ("Ali Kabuli",),
    "Иван": ("Vanya", "Ваня"), "Александр": ("Sasha", "Саша"), "Олександр": ("Sasha", "Сашко"),
    "Дмитрий": ("Dima", "Дима"), "Дмитро": ("Dima",), "Юрий": ("Yura",), "Сергей": ("Seryozha",),
    "Екатерина": ("Katya", "Катя"), "Наталья": ("Natasha", "Наташа"), "Мария": ("Masha",),
    "Oluwaseun": ("Seun",), "Osasere": ("Osas",), "Chinedu": ("Nedu",), "Ikechukwu": ("Ike",),
    "Emmanuel": ("Emma", "Manu"), "Precious": ("Presh",), "Esohe": ("Eso",),
    "José": ("Pepe",), "Alejandro": ("Alex",), "Mamadou": ("Madou",), "Ibrahima": ("Iba",),
    "Gentian": ("Genti",), "Arben": ("Beni",), "Mehmet": ("Memo",), "Hüseyin": ("Hüso",),
    "Gheorghe": ("Gigi",), "Ionuț": ("Ionel",), "Constantin": ("Costel",),
}  # fmt: skip


def _cum(n: int, s: float = 0.9) -> list[float]:
    """Cumulative Zipf weights: the first names of a pool are the common ones."""
    return list(itertools.accumulate(1.0 / (rank + 1) ** s for rank in range(n)))


@dataclass(frozen=True)
class Culture:
    """How people of one nationality are named."""

    male: tuple[NameToken, ...]
    female: tuple[NameToken, ...]
    family: tuple[NameToken, ...]
    kind: str  # arabic | slavic | vietnamese | spanish | plain

    def cum(self, pool: tuple[NameToken, ...]) -> list[float]:
        return _cum_cached(pool)


_CUM: dict[int, tuple[tuple[NameToken, ...], list[float]]] = {}


def _cum_cached(pool: tuple[NameToken, ...]) -> list[float]:
    # Keyed by identity: the pools are module constants, and hashing a tuple of tokens on every
    # draw cost more than the draw itself.
    hit = _CUM.get(id(pool))
    if hit is None or hit[0] is not pool:
        hit = (pool, _cum(len(pool)))
        _CUM[id(pool)] = hit
    return hit[1]


def _slavic_family(lang: str, names: tuple[str, ...]) -> tuple[NameToken, ...]:
    return _cyrl(lang, *names)


ARABIC = Culture(ARABIC_MALE, ARABIC_FEMALE, ARABIC_FAMILY, "arabic")
CULTURES: dict[str, Culture] = {
    **{c: ARABIC for c in ("SYR", "IRQ", "EGY", "LBY", "SDN", "MAR")},
    "AFG": Culture(PERSIAN_MALE, PERSIAN_FEMALE, PERSIAN_FAMILY, "arabic"),
    "PAK": Culture(URDU_MALE, URDU_FEMALE, URDU_FAMILY, "arabic"),
    "RUS": Culture(RU_MALE, RU_FEMALE, _slavic_family("ru", RU_FAMILY), "slavic"),
    "BLR": Culture(RU_MALE, RU_FEMALE, _slavic_family("ru", RU_FAMILY), "slavic"),
    "UKR": Culture(UK_MALE, UK_FEMALE, _slavic_family("uk", UK_FAMILY), "slavic"),
    "BGR": Culture(BG_MALE, BG_FEMALE, _slavic_family("bg", BG_FAMILY), "slavic"),
    "NGA": Culture(NG_MALE, NG_FEMALE, NG_FAMILY, "plain"),
    "ERI": Culture(ER_MALE, ER_FEMALE, ER_FAMILY, "plain"),
    **{c: Culture(WA_MALE, WA_FEMALE, WA_FAMILY, "plain") for c in ("SEN", "GMB", "GIN", "MLI")},
    "VNM": Culture(VN_MALE, VN_FEMALE, VN_FAMILY, "vietnamese"),
    "ALB": Culture(AL_MALE, AL_FEMALE, AL_FAMILY, "plain"),
    **{c: Culture(RO_MALE, RO_FEMALE, RO_FAMILY, "plain") for c in ("ROU", "MDA")},
    **{c: Culture(ES_MALE, ES_FEMALE, ES_FAMILY, "spanish") for c in ("COL", "VEN")},
    "TUR": Culture(TR_MALE, TR_FEMALE, TR_FAMILY, "plain"),
}


def _female_family(token: NameToken) -> NameToken:
    # Russian and Bulgarian surnames in -ов/-ев/-ин take -а for women; Ukrainian -енко/-ук do not.
    if token.script == "Cyrl" and token.native.endswith(("ов", "ев", "ин", "ёв")):
        return NameToken(token.native + "а", "Cyrl", lang=token.lang)
    return token


def _patronymic(father: NameToken, sex: str) -> NameToken | None:
    male = PATRONYMIC.get(father.native)
    if male is None:
        return None
    form = male if sex == "M" else male[:-2] + ("на" if male.endswith("ич") else "а")
    return NameToken(form, "Cyrl", lang=father.lang)


def _pick(rng: random.Random, pool: tuple[NameToken, ...]) -> NameToken:
    # What rng.choices(pool, cum_weights=...) does, without its per-call overhead.
    cum = _cum_cached(pool)
    return pool[bisect.bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


def make_name(
    rng: random.Random, nationality: str, sex: str, faker_name: tuple[str, str] | None
) -> TrueName:
    """A true name for a person of `nationality`; `faker_name` (given, family) is used for
    member-country nationals, whose names come from Faker's locale data."""
    culture = CULTURES.get(nationality)
    if culture is None:
        given_text, family_text = faker_name or ("Alex", "Smith")
        greek = any("\u0370" <= ch <= "\u03ff" for ch in given_text + family_text)
        script = "Grek" if greek else "Latn"
        return TrueName(
            given=tuple(NameToken(g, script) for g in given_text.split()),
            middle=None,
            family=tuple(NameToken(f, script) for f in family_text.split()),
            script=script,
        )
    pool = culture.male if sex == "M" else culture.female
    first = _pick(rng, pool)
    given: tuple[NameToken, ...] = (first,)
    middle: NameToken | None = None
    family: tuple[NameToken, ...] = (_pick(rng, culture.family),)
    if culture.kind == "slavic":
        middle = _patronymic(_pick(rng, culture.male), sex)
        if sex == "F":
            family = (_female_family(family[0]),)
    elif culture.kind == "arabic":
        # Father's given name between one's own and the family name, as Arab civil records do.
        if rng.random() < 0.5:
            middle = _pick(rng, culture.male)
    elif culture.kind == "vietnamese":
        middle = NameToken("Văn" if sex == "M" else "Thị") if rng.random() < 0.8 else None
    elif culture.kind == "spanish":
        family = (family[0], _pick(rng, culture.family))
        if rng.random() < 0.35:
            given = (first, _pick(rng, pool))
    elif rng.random() < 0.25:
        second = _pick(rng, pool)
        if second != first:
            given = (first, second)
    nicknames = NICKNAMES.get(first.native, ())
    return TrueName(
        given=given,
        middle=middle,
        family=family,
        script=first.script,
        family_first=culture.kind == "vietnamese",
        nicknames=nicknames,
    )


def mrz_name(text: str) -> str:
    """A name as an MRZ prints it: A-Z only, everything else the filler `<`."""
    folded = ascii_fold(text).upper()
    return "".join(ch if "A" <= ch <= "Z" else "<" for ch in folded)
