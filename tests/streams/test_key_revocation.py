"""Keys an operator registers and revokes: one country's key is never registered for another, a
revoked key is audited, kept aside, never registered again, and its messages are dead-lettered as
`signature.revoked_key` (in the ingest process and in check workers alike)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts import canonical_bytes, envelope_for
from infra.audit import read_audit
from infra.lake import Lake
from interlink.cli_streams import app
from streams.brokers import BrokerTraits
from streams.checking import Checker
from streams.dlq import list_dlq
from streams.ingest import ingest
from streams.keys import KeyRegistry, sign
from streams.publisher import FeedPublisher
from tests.streams.conftest import bronze_ids, feed_pattern, group, person

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INTERLINK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INTERLINK_LAKE__ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("INTERLINK_KEYS__PRIVATE_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("INTERLINK_BROKER__BOOTSTRAP_SERVERS", raising=False)
    return tmp_path


def _key_id(output: str, country: str) -> str:
    (line,) = [x for x in output.splitlines() if x.startswith(f"{country} ") and "revoked" not in x]
    return line.split()[1]


def test_a_key_bound_to_one_country_cannot_be_registered_for_another(env: Path) -> None:
    assert runner.invoke(app, ["keys", "create", "--country", "FIN", "--register"]).exit_code == 0
    stolen = runner.invoke(
        app, ["keys", "register", str(env / "keys" / "FIN.pub"), "--country", "SWE"]
    )
    assert stolen.exit_code == 2
    assert "already registered for FIN, not SWE" in stolen.output
    assert "no option overrides this" in stolen.output and "Traceback" not in stolen.output
    # The registry is unchanged: SWE is still not trusted.
    listed = runner.invoke(app, ["keys", "list"]).output
    assert [x.split()[0] for x in listed.splitlines()] == ["FIN"]
    # Registering FIN's own key again (a no-op rotation) is fine.
    again = runner.invoke(
        app, ["keys", "register", str(env / "keys" / "FIN.pub"), "--country", "FIN"]
    )
    assert again.exit_code == 0, again.output


def test_revoke_is_audited_and_a_revoked_key_is_never_registered_again(env: Path) -> None:
    assert runner.invoke(app, ["keys", "create", "--country", "DNK", "--register"]).exit_code == 0
    kid = _key_id(runner.invoke(app, ["keys", "list"]).output, "DNK")
    wrong = runner.invoke(app, ["keys", "revoke", "DNK", "0000000000000000", "--reason", "x"])
    assert wrong.exit_code == 2 and f"(that is {kid})" in wrong.output
    done = runner.invoke(app, ["keys", "revoke", "DNK", kid, "--reason", "laptop stolen"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["keys", "list"]).output
    assert f"DNK {kid} revoked" in listed and "laptop stolen" in listed
    (row,) = read_audit(Lake(str(env / "lake")), "key_revoke")
    assert (row["source_country"], row["reason"], row["details"]["key_id"]) == (
        "DNK",
        "laptop stolen",
        kid,
    )
    back = runner.invoke(
        app, ["keys", "register", str(env / "keys" / "DNK.pub"), "--country", "DNK"]
    )
    assert back.exit_code == 2 and "was revoked for DNK" in back.output


def _signed(country: str, key: Any, i: int) -> bytes:
    rec = person(i, country)
    data = envelope_for("person", country, rec["record_id"], 1, rec["payload"]).to_wire_dict()
    data.pop("signature", None)
    data["signature"] = sign(key, canonical_bytes(data))
    return json.dumps(data).encode()


def test_a_revoked_key_is_named_by_the_checks_after_a_registry_round_trip(
    keys: Callable[[str], Any],
) -> None:
    reg = KeyRegistry()
    kid = reg.register("EST", keys("EST").public_key())
    reg.revoke("EST", kid, "compromised")
    # Check workers get the registry as JSON: the revocation must survive it.
    checker = Checker(KeyRegistry.from_json(reg.to_json()))
    verdict = checker.verdict("feeds.person.EST", _signed("EST", keys("EST"), 1))
    assert verdict.error_class == "signature.revoked_key" and kid in verdict.reason
    # After a new key is registered, the old one stays revoked (not merely "invalid").
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    new = Ed25519PrivateKey.generate()
    reg.register("EST", new.public_key())
    checker = Checker(KeyRegistry.from_json(reg.to_json()))
    assert checker.verdict("feeds.person.EST", _signed("EST", keys("EST"), 2)).error_class == (
        "signature.revoked_key"
    )
    assert checker.verdict("feeds.person.EST", _signed("EST", new, 3)).columns is not None


@pytest.mark.kafka
def test_messages_signed_with_a_revoked_key_are_dead_lettered_as_revoked(
    broker: str,
    broker_traits: BrokerTraits,
    lake: Lake,
    publisher: Callable[..., FeedPublisher],
    registry: Any,
) -> None:
    reg = registry("HRV")
    with publisher("HRV") as pub:
        ok = pub.publish("person", person(1, "HRV"))
    gid = group()
    kw: dict[str, Any] = {
        "key_registry": reg,
        "until_idle": 1.5,
        "topic_pattern": feed_pattern("HRV"),
        "broker": broker_traits,
        "workers": 0,
    }
    assert ingest(broker, lake, group_id=gid, **kw).accepted == 1
    reg.revoke("HRV", reg.key_id("HRV") or "", "key leaked")
    with publisher("HRV") as pub:
        late = pub.publish("person", person(2, "HRV"))
    report = ingest(broker, lake, group_id=gid, **kw)
    assert report.per_reason == {"signature.revoked_key": 1}
    assert bronze_ids(lake) == [ok] and late not in bronze_ids(lake)
    (letter,) = list_dlq(broker, broker=broker_traits, country="HRV")
    assert letter.error_class == "signature.revoked_key"
