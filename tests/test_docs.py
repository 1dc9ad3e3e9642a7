"""Every Python block of docs/*.md runs as written, or says why not (doc_blocks.py).

A page reads top to bottom, so its blocks run in order in one module: a later
block uses what an earlier one defined. A page whose blocks name things the
reader brings (their provider, their tools) gets them from PRELUDES, which the
type checks use too (test_readme_types.py).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from doc_blocks import DOCS, ROOT, Block, blocks_of, database, doc_pages, openai_server, replies_for, run_block

PRELUDES: dict[str, str] = {
    "budgeting.md": """
        from runlet.testing import ScriptedProvider

        provider = ScriptedProvider(["A summary of the older turns."])
    """,
    "messages.md": """
        from pathlib import Path

        Path("invoice.pdf").write_bytes(b"%PDF-1.7\\n1 0 obj << /Type /Page >> endobj\\n%%EOF\\n")
        Path("receipt.jpg").write_bytes(b"\\xff\\xd8\\xff\\xe0" + bytes(16) + b"\\xff\\xd9")
        Path("memo.wav").write_bytes(b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + bytes(28))
    """,
    "providers.md": """
        from runlet.testing import ScriptedProvider

        provider = ScriptedProvider(["ok"])
    """,
    "hooks.md": """
        from runlet import ToolCallPart, tool
        from runlet.testing import ScriptedProvider

        @tool
        def check_stock(sku: str) -> int:
            \"\"\"Units in stock.\"\"\"
            return 3

        provider = ScriptedProvider(["ok"])
        tools = (check_stock,)

        def ask_operator(call: ToolCallPart) -> bool:
            return True
    """,
}
"""What a page's blocks take as given, by page: Python run before its first block."""


def runnable(page: Path) -> list[Block]:
    return [block for block in blocks_of(page) if block.not_run is None]


def test_a_block_that_is_not_run_says_why() -> None:
    for page in doc_pages():
        for block in blocks_of(page):
            assert block.not_run is None or len(block.not_run) >= 10, f"{block.where}: say why it is not run"


def test_the_openai_examples_of_the_0_2_readme_run_here() -> None:
    """The 0.2.0a1 README's OpenAI examples, kept as written in providers.md: four reach the local server."""
    blocks = runnable(DOCS / "providers.md")
    assert sum(bool(replies_for(block.code)) for block in blocks) == 4
    assert any('base_url="https://your-endpoint.example/v1"' in block.code for block in blocks)


def test_the_preludes_are_for_pages_that_exist() -> None:
    assert set(PRELUDES) <= {page.name for page in doc_pages()}


@pytest.fixture
def page_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For a page with PostgresStore: DATABASE_URL of a fresh schema on the test server."""
    page: Path = request.node.callspec.params["page"]
    if not any("PostgresStore" in block.code for block in runnable(page)):
        yield
        return
    with database(request.getfixturevalue("postgres").url, monkeypatch):
        yield


PAGES_WITH_CODE = [page for page in doc_pages() if runnable(page)]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda page: page.name)
async def test_the_blocks_of_a_page_run_in_order(
    page: Path, page_database: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # files a block writes (chat.db, ...) land here
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # as in a clone: blocks start examples/mcp_server.py
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-docs-test")  # as a user's environment has it; nothing is sent
    module = ModuleType(f"docs_{page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look their module up
    exec(compile(textwrap.dedent(PRELUDES.get(page.name, "")), f"prelude of {page.name}", "exec"), module.__dict__)  # noqa: S102
    with openai_server(monkeypatch) as server:
        for block in runnable(page):
            await run_block(block, module.__dict__, server)
