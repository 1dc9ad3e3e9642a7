"""The docs' code type-checks: mypy --strict and pyright strict accept the Python blocks of each page.

A page's blocks run in order as one session (test_docs.py), so each page is one
module for the checkers: its imports at the top, its prelude, then its blocks
in order as the body of one `async def`. A name may be bound again with
another type further down a page (`--allow-redefinition-new`), as in a
session; a class or a function is defined once per page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_blocks import module_for
from test_docs import PAGES_WITH_CODE, PRELUDES, runnable
from type_checkers import mypy_accepts, pyright_accepts

pytestmark = pytest.mark.typing


@pytest.fixture(scope="module")
def page_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("docs_blocks")
    files = []
    for page in PAGES_WITH_CODE:
        path = folder / f"docs_{page.stem.replace('-', '_')}.py"
        path.write_text(module_for(runnable(page), PRELUDES.get(page.name, "")), encoding="utf-8")
        files.append(path)
    return files


def test_mypy_strict_accepts_the_docs(page_files: list[Path], tmp_path: Path) -> None:
    mypy_accepts(page_files, tmp_path, "--allow-redefinition-new", "--local-partial-types")


def test_pyright_strict_accepts_the_docs(page_files: list[Path]) -> None:
    pyright_accepts(page_files)
