"""ICAO Doc 9303 check digits on the specimen MRZs, and that any flipped digit is caught."""

from __future__ import annotations

import pytest

from contracts.mrz import char_value, check_digit, mrz_is_valid, parse_mrz

TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]


def test_character_values_and_weights() -> None:
    assert [char_value(c) for c in "09AZ<"] == [0, 9, 10, 35, 0]
    assert check_digit("L898902C3") == 6
    assert check_digit("740812") == 2
    assert check_digit("120415") == 9
    with pytest.raises(ValueError):
        char_value("a")


def test_td3_specimen_passes_and_is_read() -> None:
    data, problems = parse_mrz(TD3)
    assert problems == []
    assert data is not None
    assert (data.format, data.document_number, data.issuing_state) == ("TD3", "L898902C3", "UTO")
    assert (data.surname, data.given_names, data.birth_date, data.sex) == (
        "ERIKSSON", "ANNA MARIA", "740812", "F",
    )  # fmt: skip


def test_td1_specimen_passes() -> None:
    data, problems = parse_mrz(TD1)
    assert problems == []
    assert data is not None and data.document_number == "D23145890"


def _flips(lines: list[str]) -> list[tuple[int, int, str]]:
    out = []
    for row, line in enumerate(lines):
        for col, char in enumerate(line):
            if char.isdigit():
                out.extend((row, col, other) for other in "0123456789" if other != char)
    return out


@pytest.mark.parametrize("specimen", [TD3, TD1], ids=["TD3", "TD1"])
def test_flipping_any_digit_fails(specimen: list[str]) -> None:
    flips = _flips(specimen)
    assert len(flips) > 100  # every digit, every other value
    for row, col, other in flips:
        lines = list(specimen)
        lines[row] = lines[row][:col] + other + lines[row][col + 1 :]
        _, problems = parse_mrz(lines)
        assert problems, f"line {row + 1} column {col + 1} -> {other} was not caught"
        assert {p.rule for p in problems} == {"mrz.check_digit"}


def test_flipped_letter_in_document_number_fails() -> None:
    lines = [TD3[0], "L898902D3" + TD3[1][9:]]
    assert not mrz_is_valid(lines)


@pytest.mark.parametrize(
    "lines",
    [
        [TD3[0]],
        [TD3[0], TD3[1][:-1]],
        [TD3[0], TD3[1], TD3[1]],
        [TD3[0].lower(), TD3[1]],
        [TD3[0].replace("<", " ", 1), TD3[1]],
    ],
)
def test_malformed_mrz_refused(lines: list[str]) -> None:
    _, problems = parse_mrz(lines)
    assert [p.rule for p in problems] == ["mrz.format"]


def test_td3_must_be_a_passport() -> None:
    lines = ["V" + TD3[0][1:], TD3[1]]
    _, problems = parse_mrz(lines)
    assert [p.rule for p in problems] == ["mrz.format"]


def test_unknown_issuing_state_refused() -> None:
    lines = [TD3[0].replace("UTO", "ZZZ"), TD3[1]]
    _, problems = parse_mrz(lines)
    assert [p.rule for p in problems] == ["mrz.state"]


def test_td1_long_document_number_continues_in_optional_data() -> None:
    number = "D23145890123"  # 12 characters: 9 in place, 3 + check digit in optional data
    digit = str(check_digit(number))
    line1 = f"I<UTO{number[:9]}<{number[9:]}{digit}".ljust(30, "<")
    line2 = "7408122F1204159UTO<<<<<<<<<<<"
    composite = check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    lines = [line1, line2 + str(composite), TD1[2]]
    data, problems = parse_mrz(lines)
    assert problems == []
    assert data is not None and data.document_number == number


def test_personal_number_check_digit_may_be_filler_when_empty() -> None:
    line2 = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<"
    composite = check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    assert mrz_is_valid([TD3[0], line2 + str(composite)])
