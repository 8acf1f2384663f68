"""The name pools the generator draws from: one weighted list of given and family names per
culture (most common first), the patronymics, and the nicknames friends use.

Pure data plus the `NameToken` each entry is made of; the drawing and the spelling of a name are
in `streams.simulate.names`. Kept apart so the logic module stays short and the lists can grow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NameToken:
    """One name word in its owner's script, with the Latin spellings it is known to take."""

    native: str
    script: str = "Latn"
    latin: tuple[str, ...] = ()  # curated spellings (Arabic); empty = derived from `native`
    lang: str = ""  # ru | uk | bg for Cyrillic tokens
    article: bool = False  # Arabic family names written with or without al-/el-


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
