"""mypy --strict and pyright strict over files of user-style code (the README's and the docs' blocks)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def mypy_accepts(files: Sequence[Path], cache: Path, *options: str) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is a dev dependency: pip install -e '.[dev]'")
    done = run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache / "cache"), *options, *map(str, files)])
    assert done.returncode == 0, done.stdout + done.stderr


def pyright_accepts(files: Sequence[Path]) -> None:
    if importlib.util.find_spec("pyright") is None:
        pytest.skip("pyright is a dev dependency: pip install -e '.[dev]'")
    done = run([sys.executable, "-m", "pyright", "--pythonpath", sys.executable, *map(str, files)])
    assert done.returncode == 0, done.stdout + done.stderr
