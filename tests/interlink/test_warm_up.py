"""A runner warms up what later tasks need in a thread while the first ones run; a failure
there is logged, never raised: the task that needs it meets the error as its own."""

from __future__ import annotations

import logging
import threading

import pytest

from interlink.airflow_runner import _start


def test_the_warm_up_runs_on_another_thread_and_is_done_once_joined() -> None:
    ran_on: list[str] = []
    thread = _start(lambda: ran_on.append(threading.current_thread().name))
    assert thread is not None
    thread.join(timeout=10)
    assert ran_on == ["warm-up"]
    assert _start(None) is None


def test_a_failing_warm_up_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def no_java() -> None:
        raise RuntimeError("no java")

    with caplog.at_level(logging.WARNING, logger="interlink.airflow_runner"):
        thread = _start(no_java)
        assert thread is not None
        thread.join(timeout=10)
    assert [r.getMessage() for r in caplog.records] == ["warm-up failed"]
    assert "no java" in caplog.text


def test_a_step_asking_for_spark_while_the_warm_up_builds_it_gets_that_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The session factory is slowed down so the second caller arrives while the first builds:
    # what is under test is the pipeline's once-only guard, not Spark (tests/interlink's
    # session tests start the real one).
    import interlink.pipeline as pipeline
    import interlink.spark as spark_module

    built: list[object] = []
    started = threading.Event()

    def slow_session(settings: object) -> object:
        started.set()
        threading.Event().wait(0.5)
        built.append(object())
        return built[-1]

    monkeypatch.setattr(pipeline, "_SPARK", None)
    monkeypatch.setattr(spark_module, "session_for", slow_session)
    got: list[object] = []
    warm = threading.Thread(target=lambda: got.append(pipeline.spark_session(object())))
    warm.start()
    assert started.wait(10)
    got.append(pipeline.spark_session(object()))
    warm.join(timeout=10)
    assert len(built) == 1
    assert got == [built[0], built[0]]
