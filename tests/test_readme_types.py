"""The README's and the docs' code type-checks: mypy --strict and pyright strict accept every Python block.

One run of each checker over all of it (doc_blocks.module_for: imports at the
top, the code in an `async def`, since blocks use top-level `await`):

- each README block is a module of its own, as a reader copies one;
  `my_model_provider`, the README's placeholder for "any provider", is a
  scripted one;
- each docs page is one module, its blocks in order after its prelude
  (test_docs.PRELUDES), as they run: a name may be bound again with another
  type further down a page (`--allow-redefinition-new`), as in a session; a
  class or a function is defined once per page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_blocks import module_for, readme_blocks
from test_docs import PAGES_WITH_CODE, PRELUDES, runnable
from type_checkers import mypy_accepts, pyright_accepts

pytestmark = pytest.mark.typing

PLACEHOLDER = "from runlet.testing import ScriptedProvider\nmy_model_provider = ScriptedProvider([])\n"


@pytest.fixture(scope="module")
def block_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("doc_blocks")
    modules: dict[str, str] = {}
    for block in readme_blocks():
        modules[f"readme_line_{block.line}"] = module_for([block], PLACEHOLDER if "my_model_provider" in block.code else "")
    for page in PAGES_WITH_CODE:
        modules[f"docs_{page.stem.replace('-', '_')}"] = module_for(runnable(page), PRELUDES.get(page.name, ""))
    files: list[Path] = []
    for name, code in modules.items():
        path = folder / f"{name}.py"
        path.write_text(code, encoding="utf-8")
        files.append(path)
    return files


def test_mypy_strict_accepts_the_readme_and_the_docs(block_files: list[Path], tmp_path: Path) -> None:
    mypy_accepts(block_files, tmp_path, "--allow-redefinition-new", "--local-partial-types")


def test_pyright_strict_accepts_the_readme_and_the_docs(block_files: list[Path]) -> None:
    pyright_accepts(block_files)
