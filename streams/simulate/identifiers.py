"""Phone numbers, document numbers, ICAO 9303 MRZs, vehicle plates and e-mail addresses.

Every phone is a valid number in its country's plan (E.164), every MRZ carries correct check
digits: the pipeline must be tested on what real feeds carry, not on strings that a validator
would reject before matching ever sees them.
"""

from __future__ import annotations

import random
from datetime import date
from functools import lru_cache

import phonenumbers
import pycountry
from phonenumbers import PhoneNumberType

from streams.simulate.names import ascii_fold, mrz_name
from streams.simulate.reference import DOC_FORMATS, PLATE_FORMATS

_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWXYZ"
_DE_PASSPORT = "CFGHJKLMNPRTVWXYZ0123456789"  # the alphabet of German passport numbers
_DIGITS = "0123456789"


@lru_cache(maxsize=512)
def _alpha2(iso3: str) -> str:
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        raise KeyError(iso3)
    return country.alpha_2


@lru_cache(maxsize=512)
def phone_plan(iso3: str, kind: str = "mobile") -> tuple[str, int] | None:
    """(fixed E.164 prefix, number of free trailing digits) for valid numbers of a country.

    The prefix comes from libphonenumber's example number; the free length is the longest
    (at most 6) for which probed completions all validate, so generation needs no per-number
    validation. The probe uses its own fixed seed and never touches the world's random stream.
    """
    try:
        region = _alpha2(iso3)
    except KeyError:
        return None
    kind_type = PhoneNumberType.MOBILE if kind == "mobile" else PhoneNumberType.FIXED_LINE
    example = phonenumbers.example_number_for_type(region, kind_type)
    if example is None:
        return None
    national = str(example.national_number)
    probe = random.Random(f"phone-plan:{iso3}:{kind}")
    for free in range(min(6, len(national) - 2), 2, -1):
        prefix = f"+{example.country_code}{national[:-free]}"
        if all(
            phonenumbers.is_valid_number(
                phonenumbers.parse(prefix + "".join(probe.choices("0123456789", k=free)))
            )
            for _ in range(40)
        ):
            return prefix, free
    return None


def phone(rng: random.Random, iso3: str, kind: str = "mobile") -> str | None:
    """A random valid E.164 number of `iso3` (None if the country has no usable plan)."""
    plan = phone_plan(iso3, kind)
    if plan is None:
        return None
    prefix, free = plan
    return prefix + str(int(rng.random() * 10**free)).zfill(free)


def hotline(iso3: str) -> str | None:
    """The one support hotline of a country (same number every run): a placeholder contact that
    clerks enter for victims who have no phone of their own."""
    rng = random.Random(f"hotline:{iso3}")
    return phone(rng, iso3, "fixed") or phone(rng, iso3, "mobile")


def document_number(rng: random.Random, iso3: str) -> str:
    """A document number shaped like those `iso3` issues (at most 9 characters, MRZ-ready)."""
    shape = DOC_FORMATS.get(iso3, "LDDDDDDDD")
    out = []
    for ch in shape:
        # int(random() * n) rather than randrange: a third of the cost, on the hottest path.
        if ch == "L":
            out.append(_LETTERS[int(rng.random() * 25)])
        elif ch == "D":
            out.append(_DIGITS[int(rng.random() * 10)])
        elif ch == "X":
            out.append(_DE_PASSPORT[int(rng.random() * 27)])
        else:
            out.append(ch)
    return "".join(out)


def plate(rng: random.Random, iso3: str) -> str:
    """A vehicle registration plate shaped like `iso3`'s."""
    shape = PLATE_FORMATS.get(iso3, "LL DDDD")
    return "".join(
        rng.choice(_LETTERS) if ch == "L" else str(rng.randrange(10)) if ch == "D" else ch
        for ch in shape
    )


def email(rng: random.Random, given: str, family: str) -> str:
    """A plausible personal e-mail address built from the owner's Latin name."""
    g = "".join(ch for ch in ascii_fold(given).lower() if ch.isalnum()) or "user"
    f = "".join(ch for ch in ascii_fold(family).lower() if ch.isalnum()) or "mail"
    domain = rng.choice(
        (
            "gmail.com",
            "yahoo.com",
            "outlook.com",
            "hotmail.com",
            "mail.ru",
            "proton.me",
            "yandex.ru",
            "gmx.de",
        )
    )
    style = rng.randrange(4)
    local = (
        f"{g}.{f}",
        f"{g}{f}{rng.randrange(100)}",
        f"{f}{g[:1]}",
        f"{g}{rng.randrange(1970, 2010)}",
    )[style]
    return f"{local}@{domain}"


# -- ICAO 9303 ----------------------------------------------------------------------------------
def check_digit(field: str) -> int:
    """ICAO 9303 check digit: weights 7, 3, 1 repeating, A-Z = 10-35, `<` = 0, modulo 10."""
    total = 0
    for i, ch in enumerate(field):
        if ch.isdigit():
            value = ord(ch) - 48
        elif ch == "<":
            value = 0
        else:
            value = ord(ch) - 55
        total += value * (7, 3, 1)[i % 3]
    return total % 10


def _mrz_state(iso3: str) -> str:
    # ICAO prints Germany as D<< in the MRZ; every other state as its alpha-3 code.
    return "D<<" if iso3 == "DEU" else iso3


def td3_mrz(
    *,
    number: str,
    issuing: str,
    nationality: str,
    surname: str,
    given: str,
    birth: date,
    sex: str,
    expiry: date,
) -> list[str]:
    """The two 44-character lines of a passport's machine-readable zone (ICAO 9303 part 4)."""
    names = f"{mrz_name(surname)}<<{mrz_name(given)}"
    line1 = f"P<{_mrz_state(issuing)}{names}"[:44].ljust(44, "<")
    doc = number.ljust(9, "<")[:9]
    birth_s = birth.strftime("%y%m%d")
    expiry_s = expiry.strftime("%y%m%d")
    personal = "<" * 14
    body = (
        f"{doc}{check_digit(doc)}{_mrz_state(nationality)}{birth_s}{check_digit(birth_s)}"
        f"{sex if sex in 'MF' else '<'}{expiry_s}{check_digit(expiry_s)}{personal}<"
    )
    composite = body[0:10] + body[13:20] + body[21:43]
    return [line1, body + str(check_digit(composite))]
