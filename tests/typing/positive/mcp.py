"""MCP servers as toolsets: usable by an agent with any deps, typed tools, async context managers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from typing_extensions import assert_type

from runlet import Agent, MCPServerError, RunContext, Runtime
from runlet.mcp import MCPServerHTTP, MCPServerStdio, MCPTool
from runlet.testing import ScriptedProvider


@dataclass(frozen=True)
class Deps:
    user: str


files = MCPServerStdio("python", ["files_server.py"], env={"ROOT": "/srv"}, cwd="/srv", timeout=5, tool_timeouts={"index": 600})
tickets = MCPServerHTTP("http://127.0.0.1:8000/mcp", headers={"Authorization": "Bearer token"}, name="tickets")
agent: Agent[Deps, str] = Agent(name="assistant", model=ScriptedProvider(["ok"]), tools=(files, tickets))


async def use(ctx: RunContext[Deps]) -> None:
    async with files as entered, tickets:
        assert_type(entered, MCPServerStdio)
        tools = await files.tools(ctx)
        assert_type(tools, Sequence[MCPTool])
        assert_type(tools[0].timeout, "float | None")
        assert_type(files.name, str)
        await files.restart()
        result = await Runtime().run(agent, "hi", deps=Deps("ada"))
        assert_type(result.output, str)
    try:
        await tickets.tools(ctx)
    except MCPServerError as error:
        assert_type(error.server, str)
