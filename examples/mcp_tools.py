"""An agent using the tools of an MCP server (examples/mcp_server.py), run offline.

    pip install "runlet[mcp]" && python examples/mcp_tools.py

The server runs as a subprocess, spoken to over stdio; `async with shop:`
starts it once for every run inside. Its tools go through the same hooks,
events and approvals as function tools: here a hook asks a human before
anything is reserved, and the run resumes once the request is approved.
The model is scripted (`runlet.testing`), so no API key is needed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from runlet import Agent, RunInterrupted, Runtime
from runlet.hooks import RequireApproval
from runlet.mcp import MCPServerStdio
from runlet.sinks import ConsoleSink
from runlet.stores import MemoryStore
from runlet.testing import ScriptedProvider, call

SERVER = Path(__file__).with_name("mcp_server.py")

shop = MCPServerStdio(sys.executable, [str(SERVER)], name="shop", timeout=10)

agent = Agent(
    name="clerk",
    instructions="Answer questions about the shop's stock; reserve items when asked.",
    model=ScriptedProvider(
        [
            call("stock", item="tea"),
            call("reserve", item="tea", count=2),
            "Two teas are put aside for you; 10 are left.",
        ]
    ),
    tools=(shop,),
    hooks=(RequireApproval(tools={"reserve"}, reason="reservations need a clerk's yes"),),
)


async def main() -> None:
    runtime = Runtime(sinks=(ConsoleSink(),), store=MemoryStore())
    async with shop:
        try:
            await runtime.run(agent, "Do you have tea? Keep two for me.")
        except RunInterrupted as stopped:
            [request] = stopped.pending
            print(f"approval asked: {request.tool} {request.arguments}")
            result = await runtime.resume(agent, stopped.checkpoint, [request.approve()])
            for message in result.messages:
                for answer in message.tool_results:
                    print(f"the server answered {answer.name}: {answer.content}")
            print("output:", result.output)


if __name__ == "__main__":
    asyncio.run(main())
