"""The benchmark harness runs end to end: tiny repeat counts, no peers, no timing asserts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Server

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_run_quick(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--no-peers",
         "--only", "http,loop,stream,imports", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    sections = {row["section"] for row in results["rows"]}
    assert {"http", "http (streamed)", "loop (1 steps)", "loop (10 steps)", "stream (20 deltas)", "imports"} <= sections
    cases = {(row["section"], row["case"]) for row in results["rows"]}
    assert ("http", "runlet") in cases and ("http", "openai SDK (bare)") in cases
    assert ("loop (10 steps)", "runlet") in cases
    assert ("imports", "import runlet") in cases
    assert all(row["value"] > 0 for row in results["rows"])
    assert results["machine"]["nproc"] >= 1


def test_benchmark_server_payloads_match_the_openai_types() -> None:
    pytest.importorskip("openai")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import responses_server
        from openai_server import check_event, check_response
    finally:
        del sys.path[:2]
    check_response(responses_server.call_response())
    check_response(responses_server.final_response())
    for event in [*responses_server.call_events(), *responses_server.final_events()]:
        check_event(event)


def test_concurrent_runs_benchmark_quick(tmp_path: Path) -> None:
    out = tmp_path / "concurrent.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "concurrent_runs.py"), "--quick", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    rows = [row for row in results["rows"] if "cpu_us_per_step" in row]
    assert {(row["case"], row["runs"]) for row in rows} == {
        (case, runs) for case in ("hand-written loop", "runlet") for runs in results["config"]["runs"]
    }
    for row in rows:
        assert row["wall_s"] > 0 and row["cpu_us_per_step"] > 0 and row["traced_kib_per_run"] > 0, row
        assert row["wall_s"] >= row["ideal_wall_s"], row  # every run waited for its four model calls
    assert any("scaling_cpu_per_step" in row for row in results["rows"])
    assert "CPU µs/step" in done.stdout


@pytest.mark.parametrize("case", ["hand-written loop", "runlet", "runlet (ScriptedProvider)"])
def test_instruction_count_children_run(case: str) -> None:
    """What `benchmarks/instructions.py` runs under valgrind works (valgrind itself is not needed here)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "instructions.py"), "--child", case, "2", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_store_benchmark_runs_quick(tmp_path: Path, postgres: Server, redis: Server) -> None:
    out = tmp_path / "stores.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "stores.py"), "--quick", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    measured = {(row["store"], row["sessions"]) for row in results["rows"]}
    stores = ("memory", "sqlite (FULL)", "sqlite (NORMAL)", "postgres", "redis")
    assert measured == {(store, sessions) for store in stores for sessions in (1, 8)}, results["notes"]
    assert all(row["appends_per_second"] > 0 and row["append_p99_ms"] >= row["append_p50_ms"] for row in results["rows"])


def test_the_mcp_benchmark_runs_quick(tmp_path: Path) -> None:
    out = tmp_path / "mcp.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "mcp_tools.py"), "--quick", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert {(row["measure"], row["tool"]) for row in rows} == {
        (measure, tool) for measure in ("call", "run") for tool in ("function", "MCP (stdio)")
    }
    assert all(row["median_us"] > 0 for row in rows)
