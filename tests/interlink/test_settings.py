"""Typed settings reach every knob an operator may turn, person resolution's included."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from interlink.settings import Settings
from transforms.config import BlockingConfig, ResolutionConfig


def test_resolution_defaults_are_the_transforms_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("INTERLINK_RESOLUTION")]:
        monkeypatch.delenv(name)
    assert Settings().resolution == ResolutionConfig()


def test_resolution_knobs_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLINK_RESOLUTION__THRESHOLD", "0.97")
    monkeypatch.setenv("INTERLINK_RESOLUTION__BLOCKING__MAX_BLOCK_SIZE", "80")
    config = Settings().resolution
    assert isinstance(config, ResolutionConfig)
    assert config.threshold == 0.97
    assert config.blocking == BlockingConfig(max_block_size=80)


def test_reading_settings_imports_no_spark() -> None:
    """Settings are read while Airflow parses DAG files: the resolution knobs must stay light."""
    out = subprocess.run(
        [sys.executable, "-c", "import sys, interlink.settings; print('pyspark' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_settings_repr_shows_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLINK_WAREHOUSE__URL", "postgresql://loader:Sup3r-S3cret@db:5432/il")
    monkeypatch.setenv("INTERLINK_BROKER__SASL_PASSWORD", "Kafka-S3cret")
    s = Settings()
    for text in (repr(s), str(s), repr(s.warehouse), str(s.broker)):
        assert "Sup3r-S3cret" not in text and "Kafka-S3cret" not in text
    assert "url='postgresql://loader:***@db:5432/il'" in repr(s.warehouse)
    # The code that connects still gets the real URL.
    assert s.warehouse.url == "postgresql://loader:Sup3r-S3cret@db:5432/il"
