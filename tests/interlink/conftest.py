"""A lake written from tests/data/warehouse/world.json (silver, gold, bronze) as the pipeline
would have written it; its entity E1 joins FRA's victim record and DEU's suspect record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.lake import Lake

REPO = Path(__file__).resolve().parents[2]


def _world_module() -> Any:
    # tests/data/warehouse is on pytest's pythonpath (pyproject.toml).
    import warehouse_world

    return warehouse_world


@pytest.fixture(scope="module")
def world_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    _world_module().write_lake(Lake(str(root)))
    return root
