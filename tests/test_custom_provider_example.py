"""examples/custom_provider.py runs offline, and its provider fits `Provider` for both type checkers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "custom_provider.py"


def test_custom_provider_example_runs() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "run: Answer(status='shipped', eta_days=2)"
    assert "stream: tool lookup -> 'unknown'" in lines
    assert 'stream: {"status": "unknown", "eta_days": -1}' in lines
    assert lines[-1].startswith("error: BadRequest (retryable=False)")


def test_custom_provider_example_imports_no_base_class() -> None:
    source = EXAMPLE.read_text()
    assert "class KeywordModel:" in source, "the provider inherits from nothing"
    assert "import openai" not in source and "import anthropic" not in source


@pytest.mark.typing
@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_custom_provider_example_type_checks(checker: str, tmp_path: Path) -> None:
    if checker == "mypy":
        command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), str(EXAMPLE)]
    else:
        command = [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, str(EXAMPLE)]
    env = dict(os.environ, NO_COLOR="1", PYRIGHT_PYTHON_IGNORE_WARNINGS="1")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
