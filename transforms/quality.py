"""Great Expectations on landed bronze batches: the feed's suite, anomaly checks against the
previous batches of the same country and feed, and the results as JSON and Data Docs HTML.

The suite comes from `contracts.expectations` (built from the same definitions as the pydantic
models). This module only adds what the Spark engine must compute: helper columns parsed from the
payload JSON with Spark functions, the batch profile, and the anomaly rules. The caller decides
what a failing batch means (the pipeline quarantines it).
"""

from __future__ import annotations

import json
import logging
import re
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark.sql import functions as F

from contracts.bounds import CONTROL_CHARACTER, CONTROL_IN_JSON, LINE_CONTROL_CHARACTER
from contracts.expectations import (
    ENVELOPE_REQUIRED,
    MRZ_VALID_COLUMN,
    NULL_CEILINGS,
    PAYLOAD_COLUMNS,
    suite_for,
    suite_name,
)
from contracts.registry import check_feed
from transforms.data_docs_offline import localize_data_docs
from transforms.mrz_sql import mrz_valid_sql

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)

DATA_DOCS_SITE = "lake"
HISTORY_FILE = "history.jsonl"
RESULTS_DIR = "results"

MIN_HISTORY = 3
"""Previous batches needed before anomalies are judged; fewer say nothing about normal."""
HISTORY_WINDOW = 20
"""Anomalies compare with at most this many most recent passing batches."""
ROW_COUNT_FACTOR = 5.0
"""A batch over 5x the median size (and beyond 3 sigma) is a flood or a duplicated replay."""
SIGMAS = 3.0
NULL_RATE_MIN_DELTA = 0.10
"""A null rate must also rise 10 points: with steady sources sigma is ~0 and noise is not news."""
MIN_ROWS_FOR_FLOOD = 100
"""Batches smaller than this are never called a flood: streams of a few records vary by 10x."""
MIN_ROWS_FOR_RATES = 20
"""Null rates of smaller batches are too noisy to call anomalous."""


@dataclass
class QualityResult:
    """What the checkpoint concluded for one batch, and where its evidence was written."""

    success: bool
    batch_id: str
    statistics: dict[str, Any]
    failed_expectations: list[str]
    result_json_path: str
    data_docs_index: str | None
    anomalies: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- helper columns ---------------------------------------------------------------------------
def _printable() -> Column:
    """True unless a text column or the payload JSON holds a control character (see
    `contracts.expectations.DERIVED_COLUMNS`); null columns are printable."""
    clean = ~F.coalesce(F.col("payload").rlike(CONTROL_IN_JSON), F.lit(False))
    for column in ("source_agency", "record_id", "operation_code"):
        clean = clean & ~F.coalesce(F.col(column).rlike(CONTROL_CHARACTER.pattern), F.lit(False))
    note = F.col("handling_note").rlike(LINE_CONTROL_CHARACTER.pattern)
    return clean & ~F.coalesce(note, F.lit(False))


def add_helper_columns(df: DataFrame, feed: str) -> DataFrame:
    """The bronze DataFrame plus the helper columns the feed's suite reads (see
    `contracts.expectations`): payload fields parsed with Spark's JSON functions and the
    derived rule columns. Pure: no I/O."""
    check_feed(feed)
    upsert = F.col("operation") == "upsert"
    out = df
    for name, path in PAYLOAD_COLUMNS[feed].items():
        value: Column = F.get_json_object(F.col("payload"), path)
        out = out.withColumn(name, F.when(upsert, value))
    if feed == "case":
        out = out.withColumn("victims_count", F.col("victims_count").cast("long"))
    complete = F.lit(True)
    for column in ENVELOPE_REQUIRED:
        complete = complete & F.col(column).isNotNull()
    out = out.withColumn("envelope_complete", complete)
    out = out.withColumn(
        "payload_consistent",
        F.coalesce(
            F.when(upsert, F.col("payload").isNotNull())
            .when(F.col("operation") == "delete", F.col("payload").isNull())
            .otherwise(F.lit(False)),
            F.lit(False),
        ),
    )
    out = out.withColumn(
        "handling_note_ok",
        F.coalesce(
            (F.col("handling_code") != "H3")
            | (F.length(F.trim(F.coalesce(F.col("handling_note"), F.lit("")))) > 0),
            F.lit(False),
        ),
    )
    out = out.withColumn(
        "review_after_report",
        F.coalesce(F.col("review_by") >= F.to_date(F.col("reported_at")), F.lit(False)),
    )
    out = out.withColumn("text_printable", _printable())
    if feed == "travel_document":
        out = out.withColumn("_mrz_lines", F.from_json(F.col("mrz"), "array<string>"))
        out = out.withColumn(MRZ_VALID_COLUMN, F.expr(mrz_valid_sql("_mrz_lines"))).drop(
            "_mrz_lines"
        )
    return out


# -- profile and anomalies --------------------------------------------------------------------
def profile_aggregates(feed: str) -> list[Column]:
    """The Spark aggregates `profile_from_row` reads: rows, upserts, nulls among upserts."""
    upsert = F.col("operation") == "upsert"
    aggs = [F.count(F.lit(1)).alias("rows"), F.sum(upsert.cast("long")).alias("upserts")]
    aggs += [F.sum((upsert & F.col(c).isNull()).cast("long")).alias(c) for c in NULL_CEILINGS[feed]]
    return aggs


def profile_from_row(row: dict[str, Any], feed: str) -> dict[str, Any]:
    """A batch profile (row count, upsert count, null rates among upserts) from the aggregates."""
    upserts = int(row["upserts"] or 0)
    rates = {c: (int(row.get(c) or 0) / upserts if upserts else 0.0) for c in NULL_CEILINGS[feed]}
    return {"row_count": int(row["rows"]), "upsert_count": upserts, "null_rates": rates}


def batch_profile(df: DataFrame, feed: str) -> dict[str, Any]:
    """Row count, upsert count and per-field null rates among upserts, in one Spark pass."""
    return profile_from_row(df.agg(*profile_aggregates(feed)).collect()[0].asDict(), feed)


def detect_anomalies(
    profile: dict[str, Any], history: list[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """(anomalies that fail the batch, warnings) versus earlier passing batches.

    Fails: a row count of 100 or more beyond both 5x the median and 3 sigma above the mean (a
    flood or a duplicated replay), and a null rate beyond 3 sigma *and* 10 points above its mean (a
    publisher that stopped sending a field). Warns only: an unusually small batch, because a
    stream's last batch before the feed goes idle is small by nature.
    """
    previous = [h for h in history if h.get("success", True)][-HISTORY_WINDOW:]
    if len(previous) < MIN_HISTORY:
        return [], []
    anomalies: list[str] = []
    warnings: list[str] = []
    counts = [float(h["row_count"]) for h in previous]
    median, mean = statistics.median(counts), statistics.fmean(counts)
    sigma = statistics.pstdev(counts)
    rows = float(profile["row_count"])
    flood = rows > ROW_COUNT_FACTOR * median and rows > mean + SIGMAS * sigma
    if flood and rows >= MIN_ROWS_FOR_FLOOD:
        anomalies.append(
            f"anomaly.row_count: {int(rows)} rows vs median {median:g} of the last "
            f"{len(previous)} batches (over {ROW_COUNT_FACTOR:g}x and {SIGMAS:g} sigma)"
        )
    elif median > 0 and rows < median / ROW_COUNT_FACTOR:
        warnings.append(f"small batch: {int(rows)} rows vs median {median:g}")
    if profile.get("upsert_count", 0) >= MIN_ROWS_FOR_RATES:
        for column, rate in profile["null_rates"].items():
            past = [h["null_rates"][column] for h in previous if column in h.get("null_rates", {})]
            if len(past) < MIN_HISTORY:
                continue
            mu, sd = statistics.fmean(past), statistics.pstdev(past)
            if rate > mu + SIGMAS * sd and rate - mu >= NULL_RATE_MIN_DELTA:
                anomalies.append(
                    f"anomaly.null_rate.{column}: {rate:.0%} missing vs {mu:.0%} "
                    f"(sigma {sd:.1%}) in the last {len(past)} batches"
                )
    return anomalies, warnings


def read_history(reports_dir: str | Path, feed: str, country: str) -> list[dict[str, Any]]:
    """Earlier profiles of the same feed and country, oldest first."""
    path = Path(reports_dir) / HISTORY_FILE
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("feed") == feed and row.get("country") == country:
                rows.append(row)
    return rows


def _append_history(reports_dir: Path, entry: dict[str, Any]) -> None:
    with (reports_dir / HISTORY_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")


# -- Great Expectations -----------------------------------------------------------------------
def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _context(reports_dir: Path) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.store.store import DataDocsSiteConfigTypedDict
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(reports_dir))
    bars = context.variables.progress_bars
    shown = bars is None or (
        bars.get("globally", True) if isinstance(bars, dict) else bars.globally
    )
    if shown:
        # Progress bars are noise in pipeline logs.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    site: DataDocsSiteConfigTypedDict = {
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(reports_dir / "data_docs"),
        },
    }
    sites = context.list_data_docs_sites()
    if DATA_DOCS_SITE not in sites:
        context.add_data_docs_site(site_name=DATA_DOCS_SITE, site_config=site)
    elif sites[DATA_DOCS_SITE] != site:  # the reports directory moved: follow it
        context.update_data_docs_site(site_name=DATA_DOCS_SITE, site_config=site)
    return context


def _describe(result: Any) -> str:
    config = result.expectation_config
    kwargs = config.kwargs
    target = kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or "table"
    return f"{config.type}({target})"


def run_checkpoint(
    df: DataFrame,
    *,
    suite: Any,
    asset: str,
    batch_id: str,
    reports_dir: Path,
    build_docs: bool = True,
    detail_on_failure: bool = True,
) -> tuple[Any, str | None]:
    """Run `suite` on `df` as GX asset `asset`; return (validation result, Data Docs index).

    With `detail_on_failure`, a failing run is run again with unexpected counts and samples."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(reports_dir)
    source = context.data_sources.add_or_update_spark(name="bronze")
    asset_name = _safe(asset)
    try:
        gx_asset = source.get_asset(asset_name)
    except LookupError:
        gx_asset = source.add_dataframe_asset(name=asset_name)
    try:
        batch_definition = gx_asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch_definition = gx_asset.add_batch_definition_whole_dataframe("whole")
    stored_suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=asset_name, data=batch_definition, suite=stored_suite)
    )
    # Pass/fail needs only booleans (about half the Spark jobs); a failing batch is run again
    # with unexpected counts and sample values, which is what a person inspecting the
    # quarantine needs in the result and the Data Docs.
    for result_format in ("BOOLEAN_ONLY", "SUMMARY"):
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=asset_name,
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="data_docs", site_names=[DATA_DOCS_SITE])]
                if build_docs
                else [],
                result_format={"result_format": result_format, "partial_unexpected_count": 10},
            )
        )
        run = checkpoint.run(
            batch_parameters={"dataframe": df},
            run_id=RunIdentifier(
                run_name=_safe(batch_id) + ("" if result_format == "BOOLEAN_ONLY" else ".detail"),
                run_time=datetime.now(UTC),
            ),
        )
        (validation,) = run.run_results.values()
        if validation.success or not detail_on_failure:
            break
    index = reports_dir / "data_docs" / "index.html"
    if build_docs:
        localize_data_docs(index.parent)
    return validation, str(index) if index.exists() else None


def build_data_docs(reports_dir: str | Path) -> str:
    """(Re)build the Data Docs site of every validation kept under `reports_dir`, readable
    offline (transforms.data_docs_offline); returns the path of its index.html."""
    root = Path(reports_dir).resolve()
    context = _context(root)
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    localize_data_docs(root / "data_docs")
    return str(root / "data_docs" / "index.html")


def validate_batch(
    spark: SparkSession,
    df: DataFrame,
    *,
    feed: str,
    country: str,
    batch_id: str,
    reports_dir: str,
    history: list[dict[str, Any]] | None = None,
    build_docs: bool = True,
) -> QualityResult:
    """Validate one landed bronze batch of `feed` from `country`.

    Runs the feed's GX suite (via a file Data Context under `reports_dir/gx`, Data Docs under
    `reports_dir/data_docs`) and the anomaly checks against `history` (default: the earlier
    batches recorded in `reports_dir/history.jsonl`); writes the result to
    `reports_dir/results/<batch_id>.json` and appends this batch's profile to the history.
    With `build_docs=False` the Data Docs are left for one `build_data_docs` call after many
    batches (each update re-renders the site index).
    """
    del spark  # the DataFrame carries its session; kept in the signature for callers' symmetry
    root = Path(reports_dir).resolve()
    (root / RESULTS_DIR).mkdir(parents=True, exist_ok=True)
    prepared = add_helper_columns(df, feed).cache()
    try:
        profile = batch_profile(prepared, feed)
        previous = read_history(root, feed, country) if history is None else history
        anomalies, warnings = detect_anomalies(profile, previous)
        validation, docs_index = run_checkpoint(
            prepared,
            suite=suite_for(feed, country=country),
            asset=f"{feed}.{country}",
            batch_id=batch_id,
            reports_dir=root,
            build_docs=build_docs,
        )
    finally:
        prepared.unpersist()
    return record_result(
        root,
        feed=feed,
        country=country,
        batch_id=batch_id,
        validation=validation,
        profile=profile,
        anomalies=anomalies,
        warnings=warnings,
        docs_index=docs_index,
    )


def record_result(
    root: Path,
    *,
    feed: str,
    country: str,
    batch_id: str,
    validation: Any,
    profile: dict[str, Any],
    anomalies: list[str],
    warnings: list[str],
    docs_index: str | None = None,
    suite: str | None = None,
) -> QualityResult:
    """One batch's verdict from its GX validation and anomalies: written to
    `results/<batch_id>.json`, its profile appended to the (feed, country) history."""
    failed = [_describe(r) for r in validation.results if not r.success]
    success = bool(validation.success) and not anomalies
    stats = dict(validation.statistics) | {"profile": profile}
    result_path = root / RESULTS_DIR / f"{batch_id}.json"
    outcome = QualityResult(
        success=success,
        batch_id=batch_id,
        statistics=stats,
        failed_expectations=failed + anomalies,
        result_json_path=str(result_path),
        data_docs_index=docs_index,
        anomalies=anomalies,
        warnings=warnings,
    )
    document = {
        "feed": feed,
        "country": country,
        "suite": suite or suite_name(feed, country=country),
        "validated_at": datetime.now(UTC).isoformat(),
        **asdict(outcome),
        "gx_validation_result": validation.to_json_dict(),
    }
    result_path.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
    _append_history(
        root,
        {
            "feed": feed,
            "country": country,
            "batch_id": batch_id,
            "success": success,
            "validated_at": document["validated_at"],
            **profile,
        },
    )
    log.info(
        "quality %s %s %s: %s (%d failed)", feed, country, batch_id,
        "pass" if success else "FAIL", len(outcome.failed_expectations),
    )  # fmt: skip
    return outcome
