"""Machine-readable zone checks after ICAO Doc 9303 (TD3 passports 2x44, TD1 cards 3x30).

A check digit is the weighted sum (weights 7, 3, 1 repeating; digits as themselves, A–Z as
10–35, the filler `<` as 0) modulo 10. Because 7, 3 and 1 are coprime with 10, any single
changed digit changes the sum, which is why one flipped digit in a copied MRZ is always caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycountry

WEIGHTS = (7, 3, 1)
_MRZ_CHARS = re.compile(r"^[A-Z0-9<]+$")
# Codes that only ICAO uses in MRZs (besides ISO 3166-1 alpha-3): D for Germany, the
# stateless/refugee/unspecified codes, UN and EU bodies, Interpol (XPO), Kosovo (RKS), the
# British subcategories, and UTO, the specimen state of Doc 9303's examples.
ICAO_ONLY_CODES: frozenset[str] = frozenset(
    {
        "D", "XXA", "XXB", "XXC", "XXX", "UTO", "EUE", "UNO", "UNA", "UNK", "XPO", "XOM",
        "XCC", "XES", "XMP", "XDC", "XBA", "XIM", "RKS", "GBD", "GBN", "GBO", "GBP", "GBS",
    }
)  # fmt: skip
_ISO3: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.countries)


def char_value(char: str) -> int:
    """Numeric value of one MRZ character: 0–9, A–Z = 10–35, `<` = 0."""
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"{char!r} is not an MRZ character (A-Z, 0-9, <)")


def check_digit(field: str) -> int:
    """ICAO 9303 check digit of `field` (weights 7-3-1, modulo 10)."""
    return sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(field)) % 10


@dataclass(frozen=True)
class MrzProblem:
    """One broken MRZ rule, with the rule code used in contract failures."""

    rule: str
    message: str


@dataclass(frozen=True)
class MrzData:
    """The fields read from a well-formed MRZ (values with fillers removed)."""

    format: str  # "TD1" or "TD3"
    document_code: str
    issuing_state: str
    document_number: str
    birth_date: str  # YYMMDD as printed
    sex: str
    expiry_date: str  # YYMMDD as printed
    nationality: str
    surname: str
    given_names: str


def _check(field_name: str, field: str, digit: str, problems: list[MrzProblem]) -> None:
    if not digit.isdigit():
        problems.append(
            MrzProblem("mrz.check_digit", f"{field_name} check digit {digit!r} is not a digit")
        )
        return
    expected = check_digit(field)
    if int(digit) != expected:
        problems.append(
            MrzProblem(
                "mrz.check_digit",
                f"{field_name} check digit is {digit}, expected {expected} for {field!r}",
            )
        )


def _check_optional(field_name: str, field: str, digit: str, problems: list[MrzProblem]) -> None:
    # Doc 9303: the optional-data check digit may be the filler when the field is all filler.
    if digit == "<" and set(field) <= {"<"}:
        return
    _check(field_name, field, digit, problems)


def _names(zone: str) -> tuple[str, str]:
    surname, _, given = zone.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _state_problem(label: str, code: str) -> MrzProblem | None:
    if code in _ISO3 or code in ICAO_ONLY_CODES:
        return None
    return MrzProblem("mrz.state", f"{label} {code!r} is not an ISO 3166-1 or ICAO code")


def _format_problem(lines: list[str]) -> MrzProblem | None:
    shape = tuple(len(line) for line in lines)
    if shape not in ((44, 44), (30, 30, 30)):
        return MrzProblem(
            "mrz.format",
            f"an MRZ is 2 lines of 44 characters (TD3) or 3 lines of 30 (TD1); got {shape}",
        )
    for number, line in enumerate(lines, start=1):
        if not _MRZ_CHARS.fullmatch(line):
            return MrzProblem(
                "mrz.format", f"line {number} has characters other than A-Z, 0-9 and <"
            )
    return None


def _parse_td3(l1: str, l2: str, problems: list[MrzProblem]) -> MrzData:
    if l1[0] != "P":
        problems.append(MrzProblem("mrz.format", "a TD3 MRZ is a passport: line 1 starts with P"))
    _check("document number", l2[0:9], l2[9], problems)
    _check("birth date", l2[13:19], l2[19], problems)
    _check("expiry date", l2[21:27], l2[27], problems)
    _check_optional("personal number", l2[28:42], l2[42], problems)
    _check("composite", l2[0:10] + l2[13:20] + l2[21:43], l2[43], problems)
    surname, given = _names(l1[5:])
    return MrzData(
        format="TD3",
        document_code=l1[0:2].rstrip("<"),
        issuing_state=l1[2:5].rstrip("<"),
        document_number=l2[0:9].rstrip("<"),
        birth_date=l2[13:19],
        sex=l2[20],
        expiry_date=l2[21:27],
        nationality=l2[10:13].rstrip("<"),
        surname=surname,
        given_names=given,
    )


def _parse_td1(l1: str, l2: str, l3: str, problems: list[MrzProblem]) -> MrzData:
    if l1[0] not in "IAC":
        problems.append(
            MrzProblem("mrz.format", "a TD1 MRZ is an identity card: line 1 starts with I, A or C")
        )
    number = l1[5:14]
    if l1[14] == "<" and l1[15] != "<":
        # Numbers longer than 9 characters continue in the optional data, followed by their
        # check digit; position 15 then holds the filler.
        tail = l1[15:30].split("<", 1)[0]
        number, digit = number + tail[:-1], tail[-1]
        _check("document number", number, digit, problems)
    else:
        _check("document number", number, l1[14], problems)
    _check("birth date", l2[0:6], l2[6], problems)
    _check("expiry date", l2[8:14], l2[14], problems)
    _check("composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29], problems)
    surname, given = _names(l3)
    return MrzData(
        format="TD1",
        document_code=l1[0:2].rstrip("<"),
        issuing_state=l1[2:5].rstrip("<"),
        document_number=number.rstrip("<"),
        birth_date=l2[0:6],
        sex=l2[7],
        expiry_date=l2[8:14],
        nationality=l2[15:18].rstrip("<"),
        surname=surname,
        given_names=given,
    )


def parse_mrz(lines: list[str]) -> tuple[MrzData | None, list[MrzProblem]]:
    """Read a TD3 or TD1 MRZ; returns the data (None if malformed) and every broken rule."""
    problem = _format_problem(lines)
    if problem is not None:
        return None, [problem]
    problems: list[MrzProblem] = []
    if len(lines) == 2:
        data = _parse_td3(lines[0], lines[1], problems)
    else:
        data = _parse_td1(lines[0], lines[1], lines[2], problems)
    for label, code in (("issuing state", data.issuing_state), ("nationality", data.nationality)):
        state_problem = _state_problem(label, code)
        if state_problem is not None:
            problems.append(state_problem)
    return data, problems


def mrz_is_valid(lines: list[str]) -> bool:
    """True when the MRZ is well formed and every check digit holds."""
    _, problems = parse_mrz(lines)
    return not problems
