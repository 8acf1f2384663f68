"""ICAO 9303 machine-readable zones checked in Spark SQL (the quality suite's `mrz_valid` column).

The same rules as `contracts.mrz` (which checks one envelope at ingest), written as one SQL
expression so Great Expectations can count the failing rows of a whole batch in Spark.
"""

from __future__ import annotations

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
# Only the sum modulo 10 matters, so each character can count as its value modulo 10
# (A=10 -> 0, B=11 -> 1, ..., Z=35 -> 5, < -> 0): one translate() turns a field into digits and
# keeps the Spark expression small enough to analyse and compile quickly.
_UNITS = "012345678901234567890123450"


def _check_digit(s: str) -> str:
    """Spark SQL for the ICAO 9303 check digit of string expression `s` (weights 7-3-1)."""
    digits = f"translate({s}, '{_LETTERS}', '{_UNITS}')"
    return (
        f"(aggregate(sequence(1, greatest(length({s}), 1)), 0, (acc, i) -> acc + "
        f"coalesce(try_cast(substr({digits}, i, 1) AS INT), 0) * "
        f"(CASE i % 3 WHEN 1 THEN 7 WHEN 2 THEN 3 ELSE 1 END)) % 10)"
    )


def _digit_holds(field_sql: str, digit_sql: str) -> str:
    expected = _check_digit(field_sql)
    return f"({digit_sql} RLIKE '^[0-9]$' AND try_cast({digit_sql} AS INT) = {expected})"


def mrz_valid_sql(mrz: str) -> str:
    """Spark SQL: is the MRZ array `mrz` a well-formed TD3/TD1 whose check digits all hold?
    Mirrors `contracts.mrz` (format and check digits; state codes are checked at ingest)."""
    l1, l2, l3 = (f"try_element_at({mrz}, {i})" for i in (1, 2, 3))
    chars = "'^[A-Z0-9<]+$'"
    td3 = " AND ".join(
        [
            f"size({mrz}) = 2",
            f"length({l1}) = 44",
            f"length({l2}) = 44",
            f"{l1} RLIKE {chars}",
            f"{l2} RLIKE {chars}",
            f"substr({l1}, 1, 1) = 'P'",
            _digit_holds(f"substr({l2}, 1, 9)", f"substr({l2}, 10, 1)"),
            _digit_holds(f"substr({l2}, 14, 6)", f"substr({l2}, 20, 1)"),
            _digit_holds(f"substr({l2}, 22, 6)", f"substr({l2}, 28, 1)"),
            f"((substr({l2}, 43, 1) = '<' AND substr({l2}, 29, 14) RLIKE '^<*$') OR "
            + _digit_holds(f"substr({l2}, 29, 14)", f"substr({l2}, 43, 1)")
            + ")",
            _digit_holds(
                f"concat(substr({l2}, 1, 10), substr({l2}, 14, 7), substr({l2}, 22, 22))",
                f"substr({l2}, 44, 1)",
            ),
        ]
    )
    tail = f"substring_index(substr({l1}, 16, 15), '<', 1)"
    long_number = _digit_holds(
        f"concat(substr({l1}, 6, 9), substr({tail}, 1, length({tail}) - 1))",
        f"substr({tail}, length({tail}), 1)",
    )
    td1 = " AND ".join(
        [
            f"size({mrz}) = 3",
            f"length({l1}) = 30",
            f"length({l2}) = 30",
            f"length({l3}) = 30",
            f"{l1} RLIKE {chars}",
            f"{l2} RLIKE {chars}",
            f"{l3} RLIKE {chars}",
            f"substr({l1}, 1, 1) IN ('I', 'A', 'C')",
            f"(CASE WHEN substr({l1}, 15, 1) = '<' AND substr({l1}, 16, 1) != '<' "
            f"THEN {long_number} "
            f"ELSE {_digit_holds(f'substr({l1}, 6, 9)', f'substr({l1}, 15, 1)')} END)",
            _digit_holds(f"substr({l2}, 1, 6)", f"substr({l2}, 7, 1)"),
            _digit_holds(f"substr({l2}, 9, 6)", f"substr({l2}, 15, 1)"),
            _digit_holds(
                f"concat(substr({l1}, 6, 25), substr({l2}, 1, 7), substr({l2}, 9, 7), "
                f"substr({l2}, 19, 11))",
                f"substr({l2}, 30, 1)",
            ),
        ]
    )
    return f"CASE WHEN {mrz} IS NULL THEN NULL ELSE coalesce(({td3}) OR ({td1}), false) END"
