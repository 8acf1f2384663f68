"""Comparisons for person matching: one class per field, each a list of levels, best first.

A comparison is declarative: it names the record columns it reads, optionally adds helper columns
to the pair frame (`prepare`, e.g. a name similarity computed with rapidfuzz), and lists its
levels as Spark conditions over the pair frame (columns `l_<col>` and `r_<col>`). `gamma()`
compiles the levels to one integer column: -1 when the field is missing on either side (no
evidence either way), then the index of the first level that holds, counted from the worst ("else"
= 0) upwards, so a higher gamma means stronger agreement. Fellegi–Sunter then learns one m and
one u probability per level (`transforms.fellegi_sunter`).

The framework lives in `transforms.comparison_base`, the comparisons of who a person is (name,
birth date, sex, nationality, country of birth) in `transforms.identity_comparisons`, those of
what a person holds (documents, forensic references, phones, e-mail, address) in
`transforms.identifier_comparisons`; this module assembles the person model from them and
re-exports their public names, so `from transforms.comparisons import ...` keeps working.
"""

from __future__ import annotations

from transforms.comparison_base import NEUTRAL, Comparison, L, Level, R
from transforms.identifier_comparisons import (
    ADDRESS_HALF,
    ADDRESS_MOST,
    ADDRESS_NONE,
    ADDRESS_SOME,
    AddressComparison,
    DocumentComparison,
    EmailComparison,
    ForensicComparison,
    PhoneComparison,
    address_code,
    one_keying_error,
)
from transforms.identity_comparisons import (
    FUZZY_HIGH,
    FUZZY_MID,
    FUZZY_NONE,
    FUZZY_SUBSET,
    FUZZY_TOKEN,
    BirthCountryComparison,
    BirthDateComparison,
    NameComparison,
    NationalityComparison,
    SexComparison,
    fuzzy_name_code,
    name_set_similarity,
    names_alike,
    token_set_similarity,
)

__all__ = [
    "ADDRESS_HALF",
    "ADDRESS_MOST",
    "ADDRESS_NONE",
    "ADDRESS_SOME",
    "FUZZY_HIGH",
    "FUZZY_MID",
    "FUZZY_NONE",
    "FUZZY_SUBSET",
    "FUZZY_TOKEN",
    "NEUTRAL",
    "AddressComparison",
    "BirthCountryComparison",
    "BirthDateComparison",
    "Comparison",
    "DocumentComparison",
    "EmailComparison",
    "ForensicComparison",
    "L",
    "Level",
    "NameComparison",
    "NationalityComparison",
    "PhoneComparison",
    "R",
    "SexComparison",
    "address_code",
    "default_comparisons",
    "fuzzy_name_code",
    "name_set_similarity",
    "names_alike",
    "one_keying_error",
    "record_columns",
    "token_set_similarity",
]


def default_comparisons() -> list[Comparison]:
    """The person model: the fields an analyst would check, each with its levels."""
    return [
        NameComparison(),
        BirthDateComparison(),
        SexComparison(),
        NationalityComparison(),
        BirthCountryComparison(),
        DocumentComparison(),
        ForensicComparison(),
        PhoneComparison(),
        EmailComparison(),
        AddressComparison(),
    ]


def record_columns(comparisons: list[Comparison]) -> list[str]:
    cols: list[str] = []
    for c in comparisons:
        cols += [x for x in c.columns if x not in cols]
    return cols
