"""Worker for the end-to-end benchmark: `python -m bench.e2e_worker --feeds DIR --home DIR`.

Runs the pipeline's own step functions (the ones the DAGs call) on generated feed files, in
order, timing each: publish (signed envelopes onto the embedded broker), ingest (to bronze),
validate (Great Expectations per batch), resolve (silver + gold on Spark), load (warehouse).
Settings are the demo's (embedded broker, local lake, DuckDB warehouse) rooted at --home.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any


def _count(summary: Any, *keys: str) -> int | None:
    for k in keys:
        if isinstance(summary, dict) and isinstance(summary.get(k), int):
            return int(summary[k])
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e_worker")
    parser.add_argument("--feeds", type=Path, required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)

    home = args.home.resolve()
    os.environ.setdefault("INTERLINK_SPARK__MASTER", "local[2]")
    from infra.broker import EmbeddedBroker
    from interlink.demo import demo_settings, publish_world, reset_world
    from interlink.pipeline import ingest_step, load_step, resolve_step, validate_step
    from interlink.settings import Settings

    s = demo_settings(home)
    reset_world(s)
    stages: dict[str, float] = {}
    summaries: dict[str, Any] = {}
    broker = EmbeddedBroker(state_dir=s.state_dir, storage="memory://tansu/")
    bootstrap = broker.start()
    os.environ["INTERLINK_BROKER__BOOTSTRAP_SERVERS"] = bootstrap
    s = Settings()
    try:
        t0 = time.perf_counter()
        published = publish_world(s, bootstrap, args.feeds)
        stages["publish"] = time.perf_counter() - t0
        summaries["publish"] = published
        # until_idle: ingest stops after this long without a message; subtract it below so the
        # stage's time is the work, not the wait that ends it.
        idle = 3.0
        t0 = time.perf_counter()
        summaries["ingest"] = ingest_step(s, until_idle=idle)
        stages["ingest"] = max(0.0, time.perf_counter() - t0 - idle)
        for name, step in (
            ("validate", validate_step),
            ("resolve", resolve_step),
            ("load", load_step),
        ):
            t0 = time.perf_counter()
            summaries[name] = step(s)
            stages[name] = time.perf_counter() - t0
    finally:
        broker.stop()
    messages = sum((summaries["publish"].get("sent") or {}).values())
    args.result.write_text(
        json.dumps(
            {"stages": stages, "messages": messages, "summaries": summaries},
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
