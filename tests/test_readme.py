"""Every Python block of the README runs as written, so the README cannot rot.

Each block stands alone (a reader copies one), so each runs in a module of its
own; `my_model_provider`, the README's placeholder for "any provider", is a
scripted one. How blocks are found and run: doc_blocks.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from doc_blocks import Block, database, openai_server, readme_blocks, run_block

from runlet.testing import ScriptedProvider


def test_every_readme_block_runs() -> None:
    assert len(readme_blocks()) >= 2
    assert all(block.not_run is None for block in readme_blocks()), "every README block runs: nothing is marked"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For a block that uses PostgresStore: DATABASE_URL of a fresh schema on the test server."""
    block: Block = request.node.callspec.params["block"]
    if "PostgresStore" not in block.code:
        yield
        return
    with database(request.getfixturevalue("postgres").url, monkeypatch):
        yield


@pytest.mark.parametrize("block", readme_blocks(), ids=lambda block: f"line {block.line}")
async def test_readme_block_runs(block: Block, database_url: None, monkeypatch: pytest.MonkeyPatch) -> None:
    module = ModuleType(f"readme_line_{block.line}")
    module.my_model_provider = ScriptedProvider(["order 123 has shipped"])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look their module up
    with openai_server(monkeypatch) as server:
        await run_block(block, module.__dict__, server)
