"""The Python blocks of the README and of docs/*.md: found, run and type-checked the same way.

A block runs as written, with top-level `await` as in `python -m asyncio` or a
notebook. A block that cannot run says why, in a marker on the line before its
fence, which readers of the Markdown source see:

    <!-- not run: the shape of the protocol, not code to run -->
    ```python

Blocks that use `OpenAIResponsesProvider` reach a local Responses-compatible
server through `OPENAI_BASE_URL`, as a user's environment would configure it;
blocks that use `PostgresStore` reach the test PostgreSQL server through
`DATABASE_URL`, in a schema of their own that is dropped afterwards.
"""

from __future__ import annotations

import ast
import asyncio
import sys
import textwrap
import uuid
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from openai_server import EventScript, FakeResponsesServer, JsonReply, Reply, SseReply, text_response  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
NOT_RUN = "<!-- not run: "
FENCE = "```python\n"


@dataclass(frozen=True)
class Block:
    """One ```python block: where it is, its code, and the reason it is not run (None: it runs)."""

    path: Path
    line: int
    code: str
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index] != FENCE:
            index += 1
            continue
        end = next((i for i in range(index + 1, len(lines)) if lines[i].rstrip("\n") == "```"), None)
        assert end is not None, f"{path.name}:{index + 1}: a ```python block is never closed"
        before = lines[index - 1].strip() if index > 0 else ""
        reason = before[len(NOT_RUN):-len("-->")].strip() if before.startswith(NOT_RUN) and before.endswith("-->") else None
        found.append(Block(path, index + 1, "".join(lines[index + 1 : end]), reason))
        index = end + 1
    return found


def doc_pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def readme_blocks() -> list[Block]:
    return blocks_of(README)


# -- running ------------------------------------------------------------------------------


def compile_block(block: Block) -> CodeType:
    compiled: CodeType = compile(block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return compiled


async def run_block(block: Block, namespace: dict[str, object], server: FakeResponsesServer) -> None:
    """Run one block in `namespace`, answering its OpenAI calls from the local server; it makes exactly those."""
    replies = replies_for(block.code)
    server.add(*replies)
    asked = len(server.requests)
    result = eval(compile_block(block), namespace)  # noqa: S307 - the docs are ours
    if result is not None:
        await result
    assert server.pending == 0, f"{block.where}: the block made fewer OpenAI calls than expected"
    assert len(server.requests) - asked == len(replies), f"{block.where}: the block made more OpenAI calls than expected"


def replies_for(code: str) -> list[Reply]:
    """What the local server answers for the OpenAI calls a block makes."""
    if "OpenAIResponsesProvider(" not in code or "your-endpoint.example" in code or not ("await " in code or "async for " in code):
        return []
    if "Runtime().stream" in code and "tools=" in code:
        call = EventScript(response_id="resp_1").created().function_call("call_1", "lookup_order", ['{"order_id":', ' "123"}']).completed()
        answer = EventScript(response_id="resp_2").created().text(["Order 123 ", "has shipped."]).completed()
        return [SseReply(call.events), SseReply(answer.events)]
    if "Runtime().stream" in code:
        return [SseReply(EventScript().created().text(["Recursion is ", "a function calling itself."]).completed().events)]
    return [JsonReply(text_response("Hello! Nice to meet you."))]


@contextmanager
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Generator[FakeResponsesServer, None, None]:
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    with FakeResponsesServer() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-docs-test")
        yield fake


@contextmanager
def database(url: str, monkeypatch: pytest.MonkeyPatch) -> Generator[None, None, None]:
    """DATABASE_URL of a fresh schema on the test server, dropped afterwards."""
    schema = f"docs_{uuid.uuid4().hex[:12]}"
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


# -- type-checking ------------------------------------------------------------------------

HEADER = (
    "# pyright: strict, reportUnusedVariable=false, reportUnusedFunction=false, reportUnusedImport=false,"
    " reportDuplicateImport=false, reportRedeclaration=false\nfrom __future__ import annotations\n"
)
"""Blocks show a name being defined or imported without always using it; everything else is strict."""


def _split_imports(code: str) -> tuple[list[str], list[str]]:
    """The top-level imports of a block, and the rest of its lines."""
    lines = code.splitlines()
    taken: set[int] = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert node.end_lineno is not None
            taken.update(range(node.lineno - 1, node.end_lineno))
    imports = [line for number, line in enumerate(lines) if number in taken]
    return imports, [line for number, line in enumerate(lines) if number not in taken]


def module_for(blocks: Sequence[Block], prelude: str = "") -> str:
    """A module the type checkers read as user code: the imports at the top, then the prelude and the
    blocks' code in order as the body of one `async def` (blocks use top-level `await`)."""
    imports, body = _split_imports(textwrap.dedent(prelude))
    for block in blocks:
        block_imports, rest = _split_imports(block.code)
        imports += block_imports
        body += [f"# {block.where}", *rest]
    return (
        HEADER + "\n".join(imports)
        + "\n\n\nasync def blocks() -> None:\n" + textwrap.indent("\n".join(body), "    ") + "\n    return None\n"
    )
