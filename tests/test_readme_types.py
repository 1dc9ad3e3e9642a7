"""The README's code type-checks: mypy --strict and pyright strict accept every Python block.

Each block becomes the body of an `async def` (its imports stay at the top),
since README blocks use top-level `await`. `my_model_provider`, the README's
placeholder for "any provider", is defined as a scripted one.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from test_readme import readme_blocks

pytestmark = pytest.mark.typing

PLACEHOLDER = "from runlet.testing import ScriptedProvider\nmy_model_provider = ScriptedProvider([])\n"


def as_module(code: str) -> str:
    lines = code.splitlines()
    imports = [line for line in lines if line.startswith(("import ", "from "))]
    body = [line for line in lines if not line.startswith(("import ", "from "))]
    header = "# pyright: strict, reportUnusedVariable=false\nfrom __future__ import annotations\n"
    placeholder = PLACEHOLDER if "my_model_provider" in code else ""
    return (
        header + "\n".join(imports) + "\n" + placeholder
        + "\n\nasync def block() -> None:\n" + textwrap.indent("\n".join(body), "    ") + "\n"
    )


@pytest.fixture(scope="module")
def block_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("readme_blocks")
    files = []
    for line, code in readme_blocks():
        path = folder / f"readme_line_{line}.py"
        path.write_text(as_module(code), encoding="utf-8")
        files.append(path)
    return files


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is a dev dependency")
def test_mypy_strict_accepts_the_readme(block_files: list[Path], tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), *map(str, block_files)])
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(importlib.util.find_spec("pyright") is None, reason="pyright is a dev dependency")
def test_pyright_strict_accepts_the_readme(block_files: list[Path]) -> None:
    done = run([sys.executable, "-m", "pyright", "--pythonpath", sys.executable, *map(str, block_files)])
    assert done.returncode == 0, done.stdout + done.stderr
