"""An ingest process for crash tests: `python tests/streams/ingest_worker.py CONFIG_JSON`.

The config names the broker and its kind (`streams.brokers`), the lake, the key registry file,
the group, the topic pattern, the batch bounds and optionally the check workers; the process
prints its report as JSON when it stops by itself.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from infra.lake import Lake
from streams.brokers import broker_traits
from streams.ingest import ingest
from streams.keys import KeyRegistry


def main() -> None:
    config = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    lake = Lake(config["lake"], s3_endpoint_url=config.get("s3_endpoint_url"))
    report = ingest(
        config["bootstrap"],
        lake,
        key_registry=KeyRegistry.load(config["registry"]),
        group_id=config["group"],
        until_idle=config.get("until_idle"),
        batch_max_messages=config.get("batch_max_messages", 5000),
        batch_max_seconds=config.get("batch_max_seconds", 5.0),
        topic_pattern=config["pattern"],
        workers=config.get("workers"),
        broker=broker_traits(config.get("broker_kind", "tansu")),
    )
    print(json.dumps(report.as_dict()))


if __name__ == "__main__":
    main()
