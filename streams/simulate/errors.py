"""Errors a user of the scenario generator can meet, each naming the bad value and the fix."""

from __future__ import annotations

from contracts.errors import InterlinkError


class SimulationError(InterlinkError, ValueError):
    """Base of the generator's user errors (bad parameters or output location)."""


class UnknownCountry(SimulationError):
    """A requested reporting country is not an ISO 3166-1 code."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"{value!r} is not an ISO 3166-1 country code: pass alpha-3 codes such as "
            "FRA,DEU,ITA,ESP,GRC (alpha-2 like FR is accepted too)"
        )


class InvalidSize(SimulationError):
    """The requested number of true persons is not a positive integer."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"persons must be a positive integer, got {value!r}")


class OutputNotEmpty(SimulationError):
    """The output directory already holds generated feeds that would be mixed with new ones."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} already contains feed files: choose an empty directory or pass "
            "overwrite=True (--overwrite) to replace them"
        )


class FeedsNotFound(SimulationError):
    """`resolve_input` was pointed at a directory without generated person feeds."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"no person feed files under {path}/person/: "
            f"run `interlink simulate --out {path}` first"
        )
