"""The durable-execution examples and benchmark run offline: Temporal on servers they start, DBOS on SQLite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.durable

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_temporal_example_waits_for_the_approval_then_completes() -> None:
    out = run_example("durable_temporal.py")
    assert "waiting for a manager: refund" in out
    assert "output: Answer(reply='refunded 250 on order 9', refunded=250.0)" in out


def test_the_dbos_example_completes_the_run_in_a_second_process() -> None:
    out = run_example("durable_dbos.py")
    start, approve = out.split("$ durable_dbos.py approve ...")
    assert "(tool) order_total" in start and "waiting for a manager: refund" in start
    assert "(tool) order_total" not in approve  # recovered: the completed step's result came from the database
    assert "(tool) refund 250" in approve
    assert "output: Answer(reply='refunded 250 on order 9', refunded=250.0)" in approve


def test_the_durable_benchmark_runs_quick() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES.parent / "benchmarks" / "durable.py"), "--quick"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.endswith("ms/step")]
    assert [row.split("  ")[0] for row in rows] == [
        "plain Runtime", "Temporal (time-skipping test server)", "DBOS (SQLite)", "DBOS (SQLite), with a sink"
    ]

