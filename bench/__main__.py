"""`python -m bench [--small] [--only NAME]…`: run the benchmarks, write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bench.config import REPO, Options, set_options
from bench.runner import UnknownBenchmark, discover, run_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--small",
        action="store_true",
        help="reduced sizes (a few minutes on 2 cores); what CI runs; asserts no timing",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this benchmark (repeatable); `--list` shows the names",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the report (default: BENCHMARKS.md; var/bench/BENCHMARKS-small.md "
        "with --small, so CI never overwrites the committed full-size results)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=REPO / "var" / "bench",
        help="scratch space for generated data and outputs",
    )
    parser.add_argument(
        "--max-persons",
        type=int,
        help="skip full-mode sizes above this many persons (a quicker full run)",
    )
    parser.add_argument(
        "--persons", type=int, help="replace every dataset size by this many persons (smoke tests)"
    )
    parser.add_argument(
        "--messages",
        type=int,
        help="replace the ingest benchmark's message count by this many (smoke tests)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("py4j", "splink"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.list:
        print("\n".join(discover()))
        return 0
    set_options(
        Options(
            workdir=args.workdir.resolve(),
            max_persons=args.max_persons,
            persons_override=args.persons,
            messages_override=args.messages,
        )
    )
    default = (
        REPO / "var" / "bench" / "BENCHMARKS-small.md" if args.small else REPO / "BENCHMARKS.md"
    )
    output = args.output or default
    command = "python -m bench" + (" --small" if args.small else "")
    if args.max_persons:
        command += f" --max-persons {args.max_persons}"
    if args.persons:
        command += f" --persons {args.persons}"
    if args.messages:
        command += f" --messages {args.messages}"
    try:
        outcome = run_all(small=args.small, only=args.only, output=output, command=command)
    except UnknownBenchmark as exc:
        parser.error(str(exc))
    failed = [n for n, err in outcome.items() if err]
    print(f"wrote {output}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
