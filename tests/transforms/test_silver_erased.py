"""An erased record never reaches silver (so neither gold nor a warehouse rebuilt from the lake),
whatever bronze holds: the lake's tombstones are honoured up to the erased version."""

from __future__ import annotations

import pytest
from transforms_testkit import message, person, write_bronze

from contracts.lake import TOMBSTONE_SCHEMA
from infra.audit import write_tombstones
from infra.lake import Lake
from transforms import lake_io as io
from transforms.jobs import build_silver

pytestmark = pytest.mark.spark


def test_silver_skips_records_erased_in_the_lake_up_to_their_version(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = tmp_path / "lake"
    write_bronze(
        lake,
        [
            # Bronze restored from a backup, or replayed before the tombstone existed.
            message("person", "NLD", "NLD-P-1", person("Erased", "Person"), version=1),
            message("person", "NLD", "NLD-P-2", person("Kept", "Person"), version=1),
            message("person", "BEL", "BEL-P-1", person("Old", "Version"), version=1),
            message("person", "BEL", "BEL-P-1", person("Newer", "Version"), version=3),
        ],
    )
    assert TOMBSTONE_SCHEMA.names[:4] == ["source_country", "feed", "record_id", "record_version"]
    write_tombstones(
        Lake(str(lake)),
        [
            (("NLD", "person", "NLD-P-1"), 1, "retention_purge"),
            # Erased up to version 2: version 3 (a later, legitimate version) stays.
            (("BEL", "person", "BEL-P-1"), 2, "source_delete"),
        ],
    )
    build_silver(spark, str(lake))
    rows = {
        r["record_id"]: r.asDict()
        for r in io.read_table(spark, str(lake), "silver", "person").collect()
    }
    assert sorted(rows) == ["BEL-P-1", "NLD-P-2"]
    assert rows["BEL-P-1"]["record_version"] == 3
