"""Name standardisation (pure Python): scripts, titles, particles, skeletons, variants."""

from __future__ import annotations

import pytest

from transforms.comparisons import name_set_similarity
from transforms.names import canonical, skeleton, standardize_name, tokens


def test_cyrillic_name_is_transliterated_and_original_kept() -> None:
    std = standardize_name(None, None, "Иван ПЕТРОВ", "Cyrl")
    assert std["original"] == "Иван ПЕТРОВ"
    assert std["tokens"] == ["ivan", "petrov"]


def test_greek_and_latin_diacritics_fold_to_plain_latin() -> None:
    assert tokens("Γεώργιος Παπαδόπουλος") == ("georgios", "papadopoylos")
    assert tokens("Łukasz Żółć") == ("lukasz", "zolc")
    assert skeleton("papadopoylos") == skeleton("papadopoulos")


def test_titles_dropped_and_particles_glued() -> None:
    assert tokens("Dr. Jan van der Berg") == ("jan", "vanderberg")
    assert tokens("Mme Anne DE LA ROCHE") == ("anne", "delaroche")


@pytest.mark.parametrize("latin", ["Muhammad", "Mohammed", "Mohamed", "MUHAMMAD"])
def test_arabic_without_vowels_meets_latin_spellings_by_skeleton(latin: str) -> None:
    arabic = tokens("محمد")
    assert arabic == ("mhmd",)
    assert skeleton(arabic[0]) == skeleton(tokens(latin)[0]) == "mhmd"


def test_variant_table_catches_what_skeletons_cannot() -> None:
    # Mehmet and Muhammad differ in consonants (t/d), the variant table joins them.
    assert skeleton("mehmet") != skeleton("muhammad")
    assert canonical("mehmet") == canonical("mohammed") == canonical("mhmd") == "muhammad"


def test_arabic_full_name_matches_latin_in_any_order() -> None:
    arabic = standardize_name(None, None, "محمد علي", "Arab")
    latin = standardize_name("Ali", "Mohammed", None, "Latn")  # family "Mohammed", given "Ali"
    assert sorted(arabic["skeleton"]) == sorted(latin["skeleton"])
    assert sorted(arabic["canonical"]) == sorted(latin["canonical"])


def test_name_similarity_ignores_token_order_and_concatenation() -> None:
    assert name_set_similarity(["ivan petrov"], ["petrov ivan"]) == 1.0
    assert name_set_similarity(["li xiaolong"], ["lixiaolong"]) == 1.0
    assert name_set_similarity(["ivan petrov"], ["ivan petrow"]) > 0.92
    assert name_set_similarity(["ivan petrov"], ["maria garcia"]) < 0.7
