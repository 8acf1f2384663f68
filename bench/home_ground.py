"""Where the generated benchmark data and the resolver share knowledge: said in the report.

The generator (`streams/simulate/name_data.py`) renders Arabic-script names in curated Latin
spellings; the resolver (`transforms/names.py`) folds known spellings to one head through its
variant table. Where the two lists overlap, Interlink recognises a variant by lookup where Splink
must rely on fuzzy comparison: home ground, measured here so the report says how much.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.simulate import name_data as generator
from transforms import names as resolver


@dataclass(frozen=True)
class SpellingOverlap:
    words: int
    """Name words the generator writes in several curated Latin spellings."""
    in_table: int
    """…of which at least one spelling is in the resolver's variant table."""
    folded: int
    """…of which every spelling folds to one head of that table (recognised by lookup alone)."""


def spelling_overlap() -> SpellingOverlap:
    """Count the generator's curated spellings the resolver's variant table already knows."""
    pools = [
        pool
        for pool in vars(generator).values()
        if isinstance(pool, tuple)
        and pool
        and all(isinstance(t, generator.NameToken) for t in pool)
    ]
    curated = {t.native: t.latin for pool in pools for t in pool if len(t.latin) > 1}

    def heads(spelling: str) -> tuple[str, ...]:
        return tuple(resolver.canonical(tok) for tok in resolver.tokens(spelling))

    def known(latin: tuple[str, ...]) -> bool:
        return any(tok in resolver.VARIANTS for s in latin for tok in resolver.tokens(s))

    in_table = [latin for latin in curated.values() if known(latin)]
    folded = sum(1 for latin in in_table if len({heads(s) for s in latin}) == 1)
    return SpellingOverlap(len(curated), len(in_table), folded)


def home_ground_note() -> str:
    """The sentence the ER quality table carries about shared knowledge."""
    o = spelling_overlap()
    return (
        "Home ground: the generator and the resolver share knowledge. Of the "
        f"{o.words} Arabic-script name words the generator (`streams/simulate/name_data.py`) "
        "writes in several curated Latin spellings, "
        f"{o.in_table} have a spelling in the resolver's variant table (`transforms/names.py`) "
        f"and for {o.folded} every spelling folds to one "
        "head there, so Interlink recognises those variants by lookup while Splink must compare "
        "them fuzzily. The generated rows therefore favour Interlink; public data such as FEBRL "
        "shares none of this knowledge."
    )
