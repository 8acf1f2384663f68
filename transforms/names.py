"""Name standardisation in plain Python: one place, used by Spark UDFs and by the tests.

A name arrives as the source wrote it (family/given or full, in any script). Matching needs a form
where "Иван ПЕТРОВ", "Ivan Petrov" and "Dr. Ivan Petrov" meet, and where the vowel-less Arabic
spelling محمد (anyascii: "mhmd") meets "Muhammad" and "Mohammed". Three forms are derived:

- ``tokens``: NFKC, case-folded, transliterated to Latin (anyascii), titles dropped, particles
  (van, de, al-, ...) glued to the following token so "van der Berg" and "Vanderberg" agree;
- ``skeleton``: per token, the consonants only (vowels and the semi-vowels w/y dropped, doubled
  letters collapsed, a few spelling classes merged: ph=f, q=c=k, ...). Arabic script writes no
  short vowels, so comparing skeletons is what makes a transliterated Arabic name comparable with
  its Latin spellings. Polish and German transliterate Cyrillic в as "w" (Iwanow), where Arabic
  و is a vowel-like "w" (mhmwd): each token also gets the skeleton that reads "w" as "v" when that
  differs, and a name matches on either;
- ``canonical``: a token replaced by the head of its variant class when it is in the small
  variant table below (Mehmet/Mohamed/Muhammad → muhammad), for variants no rule captures;
- ``bare``: the canonical tokens without particles and without the Arabic article (ال), the core
  of the name: "El-Ahmad", "Ahmad" and "الأحمد" meet, and so do "Nguyen Van Hung" and "Hung
  Nguyen" (Vietnamese "Van" is a middle name, not the Dutch particle it is glued as in ``tokens``).

The original spelling is never changed: silver keeps it beside the derived forms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

# Honorifics and ranks that say nothing about identity.
TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "lord",
        "lady",
        "herr",
        "frau",
        "m",
        "mme",
        "mlle",
        "sr",
        "sra",
        "srta",
        "don",
        "dona",
        "sheikh",
        "shaikh",
        "sayyid",
        "hajji",
        "haji",
        "hadji",
        "gospodin",
        "gospozha",
    ]
)
# Particles glued to the next token: "van der berg" -> "vanderberg", "al rashid" -> "alrashid".
PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "ter",
        "ten",
        "al",
        "el",
        "bin",
        "ben",
        "ibn",
        "bint",
        "abu",
    ]
)

# Variant classes for frequent given names whose spellings differ by more than vowels.
_VARIANT_CLASSES: dict[str, list[str]] = {
    "muhammad": [
        "mohammed",
        "mohamed",
        "mohammad",
        "muhammed",
        "muhamed",
        "mohamad",
        "mohamud",
        "mehmet",
        "mehmed",
        "muhamad",
        "mouhamed",
        "mhmd",
        "mohd",
        "md",
    ],
    "ahmad": ["ahmed", "ahmet", "achmed", "ahmat", "hmd"],
    "yusuf": [
        "youssef",
        "yousef",
        "yusef",
        "yousuf",
        "joseph",
        "josef",
        "jusuf",
        "iosif",
        "osip",
        "ysf",
    ],
    "ibrahim": ["ebrahim", "ibrahima", "abraham", "avraham", "brahim"],
    "mustafa": ["mostafa", "moustafa", "mustapha", "mostapha", "mstf"],
    "aleksandr": ["alexander", "aleksander", "alexandre", "alexandr", "oleksandr", "aleksandar"],
    "sergei": ["sergey", "serhiy", "serhii", "sergiy", "sergej", "sergio"],
    "mikhail": ["michael", "michel", "mykhailo", "mihail", "michal", "mikhael"],
    "ivan": ["ioannis", "jovan", "juan", "johann", "john", "jan", "iwan"],
    "dmitri": ["dmitry", "dmytro", "dimitri", "dmitriy", "dimitrios"],
    "yuri": ["yury", "yuriy", "iurii", "jurij", "yurii"],
    "hussein": ["husain", "hussain", "hossein", "husein"],
    "abdullah": ["abdallah", "abdulla", "abdollah"],
    "khaled": ["khalid", "halid", "chaled", "khld"],
    "ali": ["aly", "alee", "ly"],
    "omar": ["umar", "omer", "mr"],
    "hassan": ["hasan", "hsn"],
    "fatima": ["fatma", "fatemeh", "ftm", "ftma"],
    "aisha": ["ayesha", "aysha", "aishah", "ash"],
}
VARIANTS: dict[str, str] = {v: head for head, vs in _VARIANT_CLASSES.items() for v in vs}

_NON_LETTER = re.compile(r"[^0-9a-z]+")
_SPELLING_CLASSES = (
    ("sch", "sh"),
    ("tch", "ch"),
    ("ph", "f"),
    ("ck", "k"),
    ("kh", "h"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("dzh", "j"),
    ("zh", "j"),
    ("q", "k"),
    ("c", "k"),
    ("x", "ks"),
    ("v", "f"),
    ("z", "s"),
)
_DROPPED = set("aeiouyw")


def transliterate(text: str) -> str:
    """Latin transliteration of any script (anyascii), after NFKC; Latin text keeps its letters."""
    return anyascii(unicodedata.normalize("NFKC", text))


def _raw_tokens(text: str) -> list[str]:
    latin = transliterate(text).casefold()
    # Apostrophes and Arabic ayn/hamza transliterations (`, ') are not letters of the name.
    latin = latin.replace("'", "").replace("`", "")
    return [t for t in _NON_LETTER.split(latin) if t]


@lru_cache(maxsize=200_000)
def tokens(text: str | None) -> tuple[str, ...]:
    """Normalised Latin tokens of a name string: titles dropped, particles joined to the next."""
    if not text:
        return ()
    out: list[str] = []
    pending = ""
    for tok in _raw_tokens(text):
        if tok in TITLES:
            continue
        if tok in PARTICLES:
            pending += tok
            continue
        out.append(pending + tok)
        pending = ""
    if pending:  # a particle alone at the end is still part of the name
        out.append(pending)
    return tuple(out)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton of one token ("muhammad", "mohammed", "mhmd" → "mhmd")."""
    t = token
    for a, b in _SPELLING_CLASSES:
        t = t.replace(a, b)
    cons = [ch for ch in t if ch not in _DROPPED]
    collapsed: list[str] = []
    for ch in cons:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    return "".join(collapsed) or t[:1]


@lru_cache(maxsize=200_000)
def skeleton_w_as_v(token: str) -> str:
    """Skeleton reading "w" as the consonant v (Polish/German transliteration of в)."""
    return skeleton(token.replace("w", "v"))


# Word-initial Arabic article: الخطيب is "al-Khatib"; anyascii would glue it as "lkhtyb".
_ARABIC_ARTICLE = re.compile(r"(?<![^\s\-])\u0627\u0644(?=[^\s\-]{2,})")


@lru_cache(maxsize=200_000)
def bare_tokens(text: str | None) -> tuple[str, ...]:
    """Canonical tokens of a name without titles, particles or the Arabic article."""
    if not text:
        return ()
    text = _ARABIC_ARTICLE.sub("", text)
    return tuple(canonical(t) for t in _raw_tokens(text) if t not in TITLES and t not in PARTICLES)


def canonical(token: str) -> str:
    """Head of the token's variant class (see VARIANTS), else the token itself."""
    return VARIANTS.get(token, token)


def name_text(family: str | None, given: str | None, full: str | None) -> str:
    """One display string for a name: given then family, or the full form."""
    if full and not (family or given):
        return full
    return " ".join(p for p in (given, family) if p)


def standardize_name(
    family: str | None, given: str | None, full: str | None, script: str | None
) -> dict[str, object]:
    """Original, Latin form, tokens, canonical tokens, bare tokens and skeletons of one name.

    `skeleton_v` is the skeleton with "w" read as "v", `bare_skeleton` the skeleton of the bare
    tokens: alternative whole-name forms a matching name may share.
    """
    original = name_text(family, given, full)
    toks = tokens(original)
    bare = bare_tokens(original)
    return {
        "original": original,
        "script": script,
        "latin": " ".join(toks),
        "tokens": list(toks),
        "canonical": [canonical(t) for t in toks],
        "skeleton": [skeleton(t) for t in toks],
        "skeleton_v": [skeleton_w_as_v(t) for t in toks],
        "bare": list(bare),
        "bare_skeleton": [skeleton(t) for t in bare],
        "family_tokens": list(tokens(family)) if family else [],
    }
