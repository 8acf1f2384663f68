"""The scenario generator: deterministic, varied like real reports, truthful, valid, streaming."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from streams.simulate import (
    FEEDS,
    PERSON_TRUTH_COLUMNS,
    VARIATIONS,
    InvalidSize,
    OutputNotEmpty,
    UnknownCountry,
    iter_messages,
    resolve_input,
    write_feeds,
)
from streams.simulate.identifiers import check_digit, hotline
from streams.simulate.world import World

COUNTRIES = ["FRA", "DEU", "ITA", "ESP", "GRC"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 800-person world shared by the read-only tests of this module."""
    out = tmp_path_factory.mktemp("world")
    write_feeds(out, seed=7, persons=800, countries=COUNTRIES)
    resolve_input(out)
    return out


def read_feed(out: Path, feed: str) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for path in sorted((out / feed).glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows += [(path.stem, json.loads(line)) for line in handle]
    return rows


def read_truth(out: Path) -> list[dict[str, str]]:
    with (out / "truth" / "persons.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def tree_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# -- determinism --------------------------------------------------------------------------------
def test_same_seed_writes_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    write_feeds(tmp_path / "a", seed=11, persons=300, countries=COUNTRIES)
    write_feeds(tmp_path / "b", seed=11, persons=300, countries=COUNTRIES)
    write_feeds(tmp_path / "c", seed=12, persons=300, countries=COUNTRIES)
    a, b, c = (tree_bytes(tmp_path / x) for x in "abc")
    assert a == b
    assert a["person/FRA.jsonl"] != c["person/FRA.jsonl"]


def test_iter_messages_yields_exactly_the_feed_file_lines(world: Path) -> None:
    streamed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for feed, country, record in iter_messages(7, 800, COUNTRIES):
        streamed[(feed, country)].append(
            json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        )
    for feed in FEEDS:
        for country in COUNTRIES:
            lines = (world / feed / f"{country}.jsonl").read_text(encoding="utf-8").splitlines()
            assert lines == streamed[(feed, country)], (feed, country)


def test_requested_number_of_true_persons_is_exact(world: Path) -> None:
    # The world itself: exactly 800 distinct true persons, whatever the chunk sizes drawn.
    chunks = list(World(7, 800, COUNTRIES).chunks())
    pids = [p.pid for chunk in chunks for p in chunk.persons]
    assert len(pids) == len(set(pids)) == 800
    # The truth file names every one of them except the travellers nobody reported (their lost
    # passport is their only trace), and nobody else.
    unreported = {p.pid for c in chunks for p in c.persons if not c.reporters.get(p.pid)}
    assert unreported and {c.kind for c in chunks if unreported & {p.pid for p in c.persons}} == {
        "travellers"
    }
    assert {row["true_person_id"] for row in read_truth(world)} == set(pids) - unreported


# -- ground truth -------------------------------------------------------------------------------
def test_truth_lists_every_person_record_and_nothing_else(world: Path) -> None:
    truth = read_truth(world)
    assert tuple(truth[0]) == PERSON_TRUTH_COLUMNS
    truth_keys = [(r["source_country"], r["record_id"]) for r in truth]
    assert len(truth_keys) == len(set(truth_keys))
    reported = {(country, rec["record_id"]) for country, rec in read_feed(world, "person")}
    assert set(truth_keys) == reported


def test_some_true_persons_are_reported_by_several_countries(world: Path) -> None:
    countries_of: dict[str, set[str]] = defaultdict(set)
    for row in read_truth(world):
        countries_of[row["true_person_id"]].add(row["source_country"])
    spread = [len(c) for c in countries_of.values()]
    assert max(spread) >= 3
    assert sum(1 for n in spread if n >= 2) >= 0.15 * len(spread)


def test_every_variation_type_appears(world: Path) -> None:
    seen = {tag for row in read_truth(world) for tag in row["variations"].split(";") if tag}
    assert seen == set(VARIATIONS)


def test_case_links_point_at_case_records_of_the_same_network(world: Path) -> None:
    truth = {(r["source_country"], r["record_id"]): r["true_person_id"] for r in read_truth(world)}
    cases: dict[tuple[str, str], dict[str, Any]] = {}
    for country, rec in read_feed(world, "case"):
        cases.setdefault((country, rec["record_id"]), rec)  # first version: deletes carry nothing
    with (world / "truth" / "case_links.csv").open(encoding="utf-8") as handle:
        links = list(csv.DictReader(handle))
    by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
    for link in links:
        by_kind[link["link"]].append(link)
    assert set(by_kind) == {"same_case", "same_network"}

    def key(link: dict[str, str], side: str) -> tuple[str, str]:
        return link[f"source_country_{side}"], link[f"record_id_{side}"]

    # One true case = the records same_case joins (union-find over those links).
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(k: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for link in by_kind["same_case"]:
        a, b = cases[key(link, "a")], cases[key(link, "b")]
        assert link["source_country_a"] != link["source_country_b"]
        assert a["payload"]["offence_type"] == b["payload"]["offence_type"]
        assert a["payload"]["route"] == b["payload"]["route"]
        assert a["payload"]["start_date"] == b["payload"]["start_date"]
        parent[find(key(link, "a"))] = find(key(link, "b"))

    def people(rec: dict[str, Any], country: str) -> set[str]:
        return {truth[(country, m["record_id"])] for m in rec["payload"]["persons"]}

    sharing = 0
    for link in by_kind["same_network"]:
        (ca, ia), (cb, ib) = key(link, "a"), key(link, "b")
        a, b = cases[(ca, ia)], cases[(cb, ib)]
        # Another case of the network: not the same investigation, but the same corridor…
        assert find((ca, ia)) != find((cb, ib)), link
        assert a["payload"]["route"]["origin"] == b["payload"]["route"]["origin"]
        # …and usually the same organisers or phones (each case draws its own subset of them).
        if people(a, ca) & people(b, cb) or set(a["payload"].get("phones", [])) & set(
            b["payload"].get("phones", [])
        ):
            sharing += 1
    assert sharing >= 0.8 * len(by_kind["same_network"]) > 0


def test_case_records_name_persons_of_their_own_country(world: Path) -> None:
    persons: dict[tuple[str, str], dict[str, Any]] = {}
    for country, rec in read_feed(world, "person"):
        persons.setdefault((country, rec["record_id"]), rec)
    checked = 0
    for country, case in read_feed(world, "case"):
        if case["operation"] == "delete":
            continue
        for member in case["payload"]["persons"]:
            person = persons[(country, member["record_id"])]
            assert case["record_id"] in person["payload"]["case_refs"]
            checked += 1
    assert checked >= 100  # an 800-person world names hundreds of case members


# -- realism ------------------------------------------------------------------------------------
def _names(rec: dict[str, Any]) -> list[dict[str, Any]]:
    payload = rec["payload"] or {}
    return [payload["primary_name"], *payload.get("aliases", [])] if payload else []


def test_names_come_in_several_scripts_and_spellings(world: Path) -> None:
    scripts = {n["script"] for _, rec in read_feed(world, "person") for n in _names(rec)}
    assert {"Latn", "Cyrl", "Arab"} <= scripts
    # One true person, several Latin spellings of the same family name across countries.
    truth = {(r["source_country"], r["record_id"]): r["true_person_id"] for r in read_truth(world)}
    spellings: dict[str, set[str]] = defaultdict(set)
    for country, rec in read_feed(world, "person"):
        name = rec["payload"] and rec["payload"]["primary_name"]
        if name and name["script"] == "Latn" and name["family"]:
            spellings[truth[(country, rec["record_id"])]].add(name["family"].lower())
    assert sum(1 for s in spellings.values() if len(s) >= 2) >= 20


def test_without_cross_script_every_name_is_latin(tmp_path: Path) -> None:
    write_feeds(tmp_path, seed=7, persons=400, countries=COUNTRIES, cross_script=False)
    checked: dict[str, int] = defaultdict(int)
    for feed in ("person", "notice"):
        for _, rec in read_feed(tmp_path, feed):
            payload = rec["payload"] or {}
            names = (
                _names(rec)
                if feed == "person"
                else [payload.get("subject", {}).get("primary_name")]
            )
            for name in names:
                if name:
                    assert name["script"] == "Latn", name
                    checked[feed] += 1
    # Both feeds had names to check (a world whose names the loop never saw proves nothing).
    assert checked["person"] >= 400 and checked["notice"] > 0, dict(checked)


def test_different_people_share_common_names(world: Path) -> None:
    truth = {(r["source_country"], r["record_id"]): r["true_person_id"] for r in read_truth(world)}
    people_by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    for country, rec in read_feed(world, "person"):
        name = rec["payload"] and rec["payload"]["primary_name"]
        if name and name["family"] and name["given"]:
            people_by_name[(name["family"].lower(), name["given"].lower())].add(
                truth[(country, rec["record_id"])]
            )
    assert sum(1 for people in people_by_name.values() if len(people) >= 2) >= 5


def test_phones_are_valid_e164_and_shared_where_real_feeds_share_them(world: Path) -> None:
    truth = {(r["source_country"], r["record_id"]): r["true_person_id"] for r in read_truth(world)}
    holders: dict[str, set[str]] = defaultdict(set)
    all_phones = []
    for country, rec in read_feed(world, "person"):
        for number in (rec["payload"] or {}).get("phones", []):
            holders[number].add(truth[(country, rec["record_id"])])
            all_phones.append(number)
    for _, rec in read_feed(world, "case"):
        all_phones += (rec["payload"] or {}).get("phones", [])
    assert all_phones
    for number in set(all_phones):
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    # Network phones link suspects; the hotline is entered for strangers.
    assert sum(1 for people in holders.values() if len(people) >= 2) >= 10
    hotlines = {hotline(c) for c in COUNTRIES}
    assert any(len(holders[h]) >= 3 for h in hotlines if h in holders)


def test_placeholder_document_numbers_are_reused_by_unrelated_people(world: Path) -> None:
    truth = {(r["source_country"], r["record_id"]): r["true_person_id"] for r in read_truth(world)}
    holders: dict[str, set[str]] = defaultdict(set)
    for country, rec in read_feed(world, "person"):
        for doc in (rec["payload"] or {}).get("documents", []):
            holders[doc["number"]].add(truth[(country, rec["record_id"])])
    placeholders = {"000000000", "XX0000000", "123456789", "UNKNOWN"}
    assert sum(len(holders[p]) for p in placeholders) >= 5


def _mrz_ok(lines: list[str]) -> bool:
    """Independent ICAO 9303 TD3 check (not the generator's own function)."""

    def digit(field: str) -> int:
        values = [int(c) if c.isdigit() else 0 if c == "<" else ord(c) - 55 for c in field]
        return sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10

    l1, l2 = lines
    return (
        len(l1) == len(l2) == 44
        and l1.startswith("P<")
        and digit(l2[0:9]) == int(l2[9])
        and digit(l2[13:19]) == int(l2[19])
        and digit(l2[21:27]) == int(l2[27])
        and digit(l2[0:10] + l2[13:20] + l2[21:43]) == int(l2[43])
    )


def test_travel_documents_carry_valid_td3_mrz_and_stolen_blanks_reappear(world: Path) -> None:
    docs = [rec["payload"] for _, rec in read_feed(world, "travel_document") if rec["payload"]]
    with_mrz = [d for d in docs if d.get("mrz")]
    assert len(with_mrz) >= 3
    for doc in with_mrz:
        assert _mrz_ok(doc["mrz"]), doc["mrz"]
        assert doc["mrz"][1][:9].rstrip("<") == doc["number"]
    statuses = {d["status"] for d in docs}
    assert {"stolen_blank", "lost"} <= statuses
    blanks = {d["number"] for d in docs if d["status"] == "stolen_blank"}
    carried = {
        doc["number"]
        for _, rec in read_feed(world, "person")
        for doc in (rec["payload"] or {}).get("documents", [])
    }
    assert blanks & carried


def test_check_digit_matches_icao_specimen() -> None:
    # ICAO Doc 9303 part 4 specimen: document number L898902C3 has check digit 6.
    assert check_digit("L898902C3") == 6
    assert check_digit("740812") == 2


def test_notices_and_operations(world: Path) -> None:
    notices = [rec for _, rec in read_feed(world, "notice")]
    kinds = {rec["payload"]["notice_type"] for rec in notices if rec["payload"]}
    assert kinds == {"red", "yellow"}
    assert any(rec["payload"]["status"] == "cancelled" for rec in notices if rec["payload"])
    codes = {rec.get("operation_code") for _, rec in read_feed(world, "case")} - {None}
    assert codes and all(code.rsplit("-", 1)[1].isdigit() for code in codes)


# -- versions and deletions ---------------------------------------------------------------------
def test_records_get_later_versions_and_deletions_in_order(world: Path) -> None:
    for feed in ("person", "case"):
        history: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for country, rec in read_feed(world, feed):
            history[(country, rec["record_id"])].append(rec)
        updated = [h for h in history.values() if len(h) > 1]
        deleted = [h for h in history.values() if h[-1]["operation"] == "delete"]
        assert 0.02 * len(history) <= len(updated) <= 0.2 * len(history), feed
        assert deleted, feed
        for versions in history.values():
            numbers = [v["record_version"] for v in versions]
            assert numbers == list(range(1, len(numbers) + 1))
            stamps = [v["reported_at"] for v in versions]
            assert stamps == sorted(stamps)
            for v in versions:
                assert (v["payload"] is None) == (v["operation"] == "delete")


def test_resolve_input_has_latest_versions_and_no_deletions(world: Path) -> None:
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for country, rec in read_feed(world, "person"):
        latest[(country, rec["record_id"])] = rec
    expected = {k: r["payload"] for k, r in latest.items() if r["operation"] != "delete"}
    rows = [json.loads(line) for line in (world / "persons_resolve.jsonl").read_text().splitlines()]
    got = {}
    for row in rows:
        key = (row.pop("source_country"), row.pop("record_id"))
        assert key not in got
        got[key] = row
    assert got == expected
    assert len(expected) < len(latest)  # some were deleted


# -- streaming ----------------------------------------------------------------------------------
def _peak_bytes(persons: int) -> int:
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_messages(5, persons, COUNTRIES))
        assert count > persons
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_memory_does_not_grow_with_size() -> None:
    # Warm the name, phone-plan and Faker locale caches untraced (they are bounded, and
    # importing under tracemalloc is slow).
    sum(1 for _ in iter_messages(5, 300, COUNTRIES))
    small = _peak_bytes(500)
    large = _peak_bytes(5_000)
    # Ten times the persons, about the same peak: nothing is materialised beyond one chunk and
    # the queue of pending later versions (a list of every message would add ~15 MB here).
    assert large < small * 1.5 + 1_000_000, (small, large)


@pytest.mark.slow
def test_two_hundred_thousand_persons_stream_in_bounded_memory() -> None:
    """At realistic scale, in a fresh interpreter: peak resident memory stays small."""
    import subprocess
    import sys

    script = (
        "import re\n"
        "from streams.simulate import iter_messages\n"
        "n = sum(1 for _ in iter_messages(3, 200_000, 'FRA,DEU,ITA,ESP,GRC'))\n"
        # VmHWM belongs to this process image; ru_maxrss survives exec and would report the
        # parent's size at fork (a pytest process holding a Spark driver).
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print(n, hwm)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600
    )
    messages, peak_kib = map(int, done.stdout.split())
    assert messages > 250_000
    # Measured ~90 MB (the interpreter with Faker, phonenumbers and pycountry loaded, the same
    # at 50k persons); the 350k messages themselves, if materialised, would need over a gigabyte.
    assert peak_kib < 250 * 1024, peak_kib


@pytest.mark.parametrize(("persons", "countries"), [(1, "FRA"), (5, "USA,CAN"), (13, "MLT,CYP")])
def test_tiny_worlds_and_countries_without_reference_data_still_work(
    tmp_path: Path, persons: int, countries: str
) -> None:
    summary = write_feeds(tmp_path, seed=3, persons=persons, countries=countries)
    truth = read_truth(tmp_path)
    assert 1 <= len({r["true_person_id"] for r in truth}) <= persons
    assert summary.person_records == len(truth)


# -- user errors --------------------------------------------------------------------------------
def test_unknown_country_and_bad_size_are_refused_with_the_value(tmp_path: Path) -> None:
    with pytest.raises(UnknownCountry, match="'XYZ'"):
        write_feeds(tmp_path, seed=1, persons=10, countries="FRA,XYZ")
    with pytest.raises(InvalidSize, match="0"):
        write_feeds(tmp_path, seed=1, persons=0, countries="FRA")
    # Alpha-2 codes are accepted and normalised.
    summary = write_feeds(tmp_path / "a2", seed=1, persons=20, countries="fr,DE")
    assert summary.countries == ["FRA", "DEU"]


def test_existing_output_is_not_mixed_unless_overwritten(tmp_path: Path) -> None:
    write_feeds(tmp_path, seed=1, persons=30, countries="FRA,DEU")
    with pytest.raises(OutputNotEmpty, match="overwrite"):
        write_feeds(tmp_path, seed=2, persons=30, countries="FRA")
    write_feeds(tmp_path, seed=2, persons=30, countries="ITA", overwrite=True)
    assert sorted(p.name for p in (tmp_path / "person").iterdir()) == ["ITA.jsonl"]


def test_output_does_not_depend_on_the_interpreters_hash_seed(tmp_path: Path) -> None:
    """Set and dict orders must not leak into the output: two processes, two hash seeds."""
    import os
    import subprocess
    import sys

    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        script = (
            "import sys\n"
            "from streams.simulate import write_feeds\n"
            "write_feeds(sys.argv[1], seed=9, persons=150, countries='FRA,DEU,ITA,ESP,GRC')\n"
        )
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(out)], env=env, check=True, timeout=300)
        digests.append(tree_bytes(out))
    assert digests[0] == digests[1]
