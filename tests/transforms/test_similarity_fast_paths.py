"""The name and address similarities run for millions of candidate pairs, so their code takes
shortcuts (one token, two against two, fragments skipped once every token matched, cheap length
rejections). Each shortcut must give what the plain definition gives: the plain definitions are
written out here and compared on generated tokens, ties included (a tiny alphabet makes equal
Jaro-Winkler scores common)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import JaroWinkler, Levenshtein

from transforms.comparisons import address_code, fuzzy_name_code
from transforms.identity_comparisons import (
    FUZZY_HIGH,
    FUZZY_MID,
    FUZZY_NONE,
    FUZZY_SUBSET,
    FUZZY_TOKEN,
    _assigned_similarities,
)

TOKENS = st.sampled_from(
    ["anna", "anita", "ana", "nina", "ivan", "iva", "ab", "ba", "bb"]
) | st.text(alphabet="abn1", min_size=1, max_size=6)


def plain_assignment(short: list[str], long_: list[str]) -> list[float]:
    """Greedy assignment by definition: every (similarity, i, j), best first."""
    scored = sorted(
        (
            (JaroWinkler.normalized_similarity(s, t), i, j)
            for i, s in enumerate(short)
            for j, t in enumerate(long_)
        ),
        reverse=True,
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    out: list[float] = []
    for sim, i, j in scored:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append(sim)
    return out[: len(short)]


def plain_token_match(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 4:
        return False
    return Levenshtein.distance(a, b) <= 1 or (
        len(a) == len(b) and JaroWinkler.normalized_similarity(a, b) >= 0.93
    )


def plain_address_code(a: list[str], b: list[str]) -> int:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if not short:
        return 0
    free = list(long_)
    matched = 0
    for t in short:
        hit = next((i for i, o in enumerate(free) if plain_token_match(t, o)), None)
        if hit is not None:
            matched += 1
            free.pop(hit)

    def fragments(tokens: list[str], other: list[str]) -> set[str]:
        hits: set[str] = set()
        for i in range(len(tokens) - 1):
            if any(plain_token_match(tokens[i] + tokens[i + 1], o) for o in other):
                hits.update((tokens[i], tokens[i + 1]))
        return hits

    frags = fragments(short, long_) | fragments(long_, short)
    matched = max(matched, matched + sum(1 for t in short if t in frags) // 2)
    share = min(matched, len(short)) / len(short)
    return 3 if share >= 0.8 else 2 if share >= 0.5 else 1 if matched else 0


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=3), st.lists(TOKENS, min_size=1, max_size=3))
def test_assignment_shortcuts_match_the_greedy_definition(x: list[str], y: list[str]) -> None:
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    assert sorted(_assigned_similarities(short, long_)) == sorted(plain_assignment(short, long_))


def test_two_against_two_is_the_greedy_pick_ties_included() -> None:
    # "ab" is as close to "ab" as "ba" is to "ba": both diagonals tie at the top.
    # "anna"/"anna" is the best pair, so "anita" takes "ivan" (0.0), although the crossed
    # pairs would score more in sum: greedy, not the best total.
    assert sorted(_assigned_similarities(["anna", "anita"], ["anna", "ivan"])) == [0.0, 1.0]
    for short, long_ in ((["ab", "ba"], ["ab", "ba"]), (["ab", "ab"], ["ab", "bb"])):
        assert sorted(_assigned_similarities(short, long_)) == sorted(
            plain_assignment(short, long_)
        )


ADDRESS_TOKENS = st.text(alphabet="abcd12", min_size=1, max_size=7)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(ADDRESS_TOKENS, min_size=0, max_size=5),
    st.lists(ADDRESS_TOKENS, min_size=0, max_size=5),
)
def test_address_shortcuts_match_the_definition(a: list[str], b: list[str]) -> None:
    assert address_code(a, b) == plain_address_code(a, b)


def test_glued_fragments_still_count_when_some_token_is_unmatched() -> None:
    a = ["toowoomba", "sweetwaters", "7"]
    b = ["toowoomba", "sweet", "w", "atdrs", "9"]
    assert address_code(a, b) == plain_address_code(a, b)


def test_name_codes_of_shortcut_shapes() -> None:
    # one token against two (discounted x 0.9), two against two in either order, two people
    # sharing a given name, a shared spelling, nothing alike
    assert fuzzy_name_code(["ivan"], ["ivan petrov"], 0.92, 0.85) == FUZZY_MID
    assert fuzzy_name_code(["ivan petrov"], ["petrow ivan"], 0.92, 0.85) == FUZZY_HIGH
    assert fuzzy_name_code(["maryam rahimi"], ["maryam nuri"], 0.92, 0.85) == FUZZY_TOKEN
    assert fuzzy_name_code(["li xiaolong"], ["ivan petrov", "li xiaolong"], 0.92, 0.85) == (
        FUZZY_SUBSET
    )
    assert fuzzy_name_code(["ana lopez"], ["oleg brin"], 0.92, 0.85) == FUZZY_NONE
