"""The examples run offline, as the README says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quickstart_prints_events_and_the_typed_result() -> None:
    out = run_example("quickstart.py")
    lines = out.splitlines()
    assert "support: Where is order 123?" in lines[0]
    assert any("lookup" in line and "shipped" in line for line in lines)  # the tool's result, traced
    assert "output: Answer(status='shipped', eta_days=2)" in out


def test_mcp_tools_runs_an_mcp_server_and_resumes_after_approval() -> None:
    out = run_example("mcp_tools.py")
    assert "approval asked: reserve {'item': 'tea', 'count': 2}" in out
    assert "output: Two teas are put aside for you; 10 are left." in out
    assert "the server answered stock: 12" in out
    assert "the server answered reserve: reserved 2 tea; 10 left" in out
