"""A lake written from tests/data/warehouse/world.json (silver, gold, bronze) as the pipeline
would have written it; its entity E1 joins FRA's victim record and DEU's suspect record."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.lake import Lake

REPO = Path(__file__).resolve().parents[2]


def _world_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "warehouse_world", REPO / "tests" / "data" / "warehouse" / "world.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("warehouse_world", mod)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def world_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    _world_module().write_lake(Lake(str(root)))
    return root
