"""Every Python block of the README runs as written, so the README cannot rot.

Blocks use top-level `await`, as in `python -m asyncio` or a notebook. The ones
that use `OpenAIResponsesProvider` reach a local Responses-compatible server
through `OPENAI_BASE_URL`, as a user's environment would configure it. The ones
that use `PostgresStore` reach the test PostgreSQL server (servers.py) through
`DATABASE_URL`, in a schema of their own that is dropped afterwards.
"""

from __future__ import annotations

import ast
import asyncio
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import CodeType, ModuleType

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from openai_server import EventScript, FakeResponsesServer, JsonReply, Reply, SseReply, text_response  # noqa: E402

from runlet.testing import ScriptedProvider  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_blocks() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(1)) for match in BLOCK.finditer(text)]


def replies_for(code: str) -> list[Reply]:
    """What the local server answers for the OpenAI calls a block makes."""
    if "OpenAIResponsesProvider" not in code or "your-endpoint.example" in code:
        return []
    if "Runtime().stream" in code and "tools=" in code:
        call = EventScript(response_id="resp_1").created().function_call("call_1", "lookup_order", ['{"order_id":', ' "123"}']).completed()
        answer = EventScript(response_id="resp_2").created().text(["Order 123 ", "has shipped."]).completed()
        return [SseReply(call.events), SseReply(answer.events)]
    if "Runtime().stream" in code:
        return [SseReply(EventScript().created().text(["Recursion is ", "a function calling itself."]).completed().events)]
    return [JsonReply(text_response("Hello! Nice to meet you."))]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResponsesServer]:
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    with FakeResponsesServer() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-readme-test")
        yield fake


@pytest.fixture
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For a block that uses PostgresStore: DATABASE_URL of a fresh schema on the test server."""
    if "PostgresStore" not in request.node.callspec.params["code"]:
        yield
        return
    url: str = request.getfixturevalue("postgres").url
    schema = f"readme_{uuid.uuid4().hex[:12]}"
    asyncio.run(run_sql(url, f'CREATE SCHEMA "{schema}"'))
    monkeypatch.setenv("DATABASE_URL", f"{url}{'&' if '?' in url else '?'}search_path={schema}")
    try:
        yield
    finally:
        asyncio.run(run_sql(url, f'DROP SCHEMA "{schema}" CASCADE'))


async def run_sql(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def compile_block(code: str, line: int) -> CodeType:
    return compile(code, f"README.md:{line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_the_readme_has_the_blocks_we_promise() -> None:
    codes = [code for _, code in readme_blocks()]
    assert len(codes) >= 10
    assert sum("OpenAIResponsesProvider" in code for code in codes) == 5


@pytest.mark.parametrize(("line", "code"), readme_blocks(), ids=[f"line {line}" for line, _ in readme_blocks()])
async def test_readme_block_runs(
    line: int, code: str, server: FakeResponsesServer, database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = replies_for(code)
    server.add(*replies)
    module = ModuleType(f"readme_line_{line}")
    module.my_model_provider = ScriptedProvider(["order 123 has shipped"])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look their module up
    result = eval(compile_block(code, line), module.__dict__)  # noqa: S307 - the README is ours
    if result is not None:
        await result
    assert server.pending == 0, "the block made fewer OpenAI calls than expected"
    assert len(server.requests) == len(replies), "the block made more OpenAI calls than expected"
