"""The README's code type-checks: mypy --strict and pyright strict accept every Python block.

Each block is a module of its own (doc_blocks.module_for: imports at the top,
the code in an `async def`, since blocks use top-level `await`);
`my_model_provider`, the README's placeholder for "any provider", is a scripted one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_blocks import module_for, readme_blocks
from type_checkers import mypy_accepts, pyright_accepts

pytestmark = pytest.mark.typing

PLACEHOLDER = "from runlet.testing import ScriptedProvider\nmy_model_provider = ScriptedProvider([])\n"


@pytest.fixture(scope="module")
def block_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("readme_blocks")
    files = []
    for block in readme_blocks():
        path = folder / f"readme_line_{block.line}.py"
        path.write_text(module_for([block], PLACEHOLDER if "my_model_provider" in block.code else ""), encoding="utf-8")
        files.append(path)
    return files


def test_mypy_strict_accepts_the_readme(block_files: list[Path], tmp_path: Path) -> None:
    mypy_accepts(block_files, tmp_path)


def test_pyright_strict_accepts_the_readme(block_files: list[Path]) -> None:
    pyright_accepts(block_files)
