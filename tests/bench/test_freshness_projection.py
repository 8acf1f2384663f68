"""The freshness benchmark's 1M projection: the line through the two largest measured worlds."""

from __future__ import annotations

from bench.freshness import LOADS, STAGES, _projection
from bench.report import Table


def test_a_stage_that_follows_the_delta_projects_flat_and_one_that_grows_projects_linearly() -> (
    None
):
    flat = dict.fromkeys((*STAGES, *LOADS), 5.0)
    small = flat | {"resolve": 10.0}
    large = flat | {"resolve": 30.0, "load DuckDB": 4.0}  # load fell: projects flat, not down
    table = Table(title="t", description="d", columns=["data", "stage", "inc", "full", "ratio"])
    _projection(table, {2_000: flat, 20_000: small, 100_000: large})
    rows = {r[1]: float(r[2]) for r in table.rows}
    assert rows["publish"] == 5.0
    assert rows["load DuckDB"] == 4.0
    # 10 s at 20k, 30 s at 100k: 0.25 ms per person, 30 + 900k * 0.00025 = 255 s at 1M.
    assert rows["resolve"] == 255.0
    assert all(r[0] == "1M persons, projected" for r in table.rows)
    assert "not measured" in table.notes[0]


def test_one_measured_world_projects_nothing() -> None:
    table = Table(title="t", description="d", columns=["data", "stage", "inc", "full", "ratio"])
    _projection(table, {100_000: dict.fromkeys((*STAGES, *LOADS), 1.0)})
    assert table.rows == [] and table.notes == []
