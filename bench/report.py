"""Benchmark tables and the BENCHMARKS.md they are written into.

A benchmark module returns one or more `Table`s. Every comparison cell shows Interlink's figure,
the yardstick's figure and their ratio (Interlink / yardstick) side by side, so a reader sees both
the absolute numbers and who wins without arithmetic. BENCHMARKS.md is assembled from one
section per module between HTML comment markers, so `--only NAME` refreshes one section and keeps
the others as they were last measured.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil


@dataclass
class Table:
    """One benchmark's results: a title, what was measured, rows of cells, notes."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    description: str = ""
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(
                f"row {cells!r} has {len(cells)} cells but table {self.title!r} has "
                f"{len(self.columns)} columns"
            )
        self.rows.append([str(c) for c in cells])

    def to_markdown(self) -> str:
        out = [f"### {self.title}", ""]
        if self.description:
            out += [self.description, ""]
        out.append("| " + " | ".join(self.columns) + " |")
        out.append("|" + "|".join(" --- " for _ in self.columns) + "|")
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in self.rows]
        if not self.rows:
            out.append("| " + " | ".join(["(no rows)"] + [""] * (len(self.columns) - 1)) + " |")
        if self.notes:
            out.append("")
            out += [f"- {n}" for n in self.notes]
        out.append("")
        return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def ratio(interlink: float | None, yardstick: float | None) -> str:
    if interlink is None or yardstick is None:
        return "n/a"
    if yardstick == 0:
        return "n/a" if interlink == 0 else "∞"
    return f"×{interlink / yardstick:.2f}"


def versus(interlink: float | None, yardstick: float | None, fmt: str = "{:.3f}") -> str:
    """`Interlink vs yardstick (×ratio)`; a missing side reads `n/a`."""

    def show(v: float | None) -> str:
        return "n/a" if v is None else fmt.format(v)

    return f"{show(interlink)} vs {show(yardstick)} ({ratio(interlink, yardstick)})"


# -- machine ---------------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _java() -> str:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
        first = (out.stderr or out.stdout).splitlines()[0]
        return first.strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        return "not found"


def _commit(repo: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_lines(repo: Path) -> list[str]:
    """What the numbers were measured on; the header of BENCHMARKS.md."""
    vm = psutil.virtual_memory()
    return [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {psutil.cpu_count(logical=True)} logical cores "
        f"({psutil.cpu_count(logical=False)} physical), {_cpu_model()}, "
        f"{vm.total / 2**30:.1f} GiB memory, load average (1/5/15 min) when written "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        f"- software: Python {platform.python_version()}, {_java()}, "
        f"pyspark {_version('pyspark')}, duckdb {_version('duckdb')}, "
        f"splink {_version('splink')}, {platform.system()} {platform.release()}",
        f"- code: commit {_commit(repo)} (plus uncommitted changes, if any)",
    ]


# -- BENCHMARKS.md ---------------------------------------------------------------------------
_SECTION = re.compile(
    r"<!-- bench:(?P<name>[\w-]+) -->\n(?P<body>.*?)<!-- /bench:(?P=name) -->\n", re.S
)


def where_measured(repo: Path) -> str:
    """Cores, CPU and commit, for a section's footer.

    BENCHMARKS.md keeps sections from earlier runs beside fresh ones, possibly from another
    machine, so the header's machine describes only the latest run; each section says its own.
    """
    return (
        f"{psutil.cpu_count(logical=True)} cores, {_cpu_model()}, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, commit {_commit(repo)}"
    )


def render_section(
    name: str, tables: list[Table], *, seconds: float, mode: str, where: str = ""
) -> str:
    body = "\n".join(t.to_markdown() for t in tables)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    on = f" on {where}" if where else ""
    footer = f"_`{name}`: {mode} run, {seconds:.0f} s, measured {stamp}{on}._\n"
    return f"<!-- bench:{name} -->\n{body}\n{footer}<!-- /bench:{name} -->\n"


def existing_sections(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {m["name"]: m.group(0) for m in _SECTION.finditer(path.read_text(encoding="utf-8"))}


def write_report(
    path: Path, repo: Path, sections: dict[str, str], *, order: list[str], command: str
) -> None:
    """Write BENCHMARKS.md: header, machine, then the sections (fresh ones replace old ones)."""
    kept = existing_sections(path)
    kept.update(sections)
    names = [n for n in order if n in kept] + sorted(n for n in kept if n not in order)
    head = [
        "# Benchmarks",
        "",
        "Generated by `" + command + "` (see docs/benchmarks.md for the method). Each comparison "
        "cell reads `Interlink vs yardstick (×ratio)`, ratio = Interlink / yardstick, both "
        "measured in the same run on the same data. Do not edit by hand: rerun the suite.",
        "",
        "## Machine",
        "",
        "Of the latest run; each section's last line names the machine and commit it was "
        "measured on.",
        "",
        *machine_lines(repo),
        "",
        "## Results",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(head) + "\n".join(kept[n] for n in names), encoding="utf-8")
