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

from streams.simulate.name_data import (
    AL_FAMILY,
    AL_FEMALE,
    AL_MALE,
    ARABIC_FAMILY,
    ARABIC_FEMALE,
    ARABIC_MALE,
    BG_FAMILY,
    BG_FEMALE,
    BG_MALE,
    ER_FAMILY,
    ER_FEMALE,
    ER_MALE,
    ES_FAMILY,
    ES_FEMALE,
    ES_MALE,
    NG_FAMILY,
    NG_FEMALE,
    NG_MALE,
    NICKNAMES,
    PATRONYMIC,
    PERSIAN_FAMILY,
    PERSIAN_FEMALE,
    PERSIAN_MALE,
    RO_FAMILY,
    RO_FEMALE,
    RO_MALE,
    RU_FAMILY,
    RU_FEMALE,
    RU_MALE,
    TR_FAMILY,
    TR_FEMALE,
    TR_MALE,
    UK_FAMILY,
    UK_FEMALE,
    UK_MALE,
    URDU_FAMILY,
    URDU_FEMALE,
    URDU_MALE,
    VN_FAMILY,
    VN_FEMALE,
    VN_MALE,
    WA_FAMILY,
    WA_FEMALE,
    WA_MALE,
    NameToken,
    _cyrl,
)


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
