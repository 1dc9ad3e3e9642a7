"""What an MCP tool call over stdio costs against a function tool: wall time per call, median of many, interleaved.

    python benchmarks/mcp_tools.py            # 500 calls of each kind, twice: the bare call and a whole run
    python benchmarks/mcp_tools.py --quick    # a few, for the smoke test

The same tool, `add(a, b)`, is a `@tool` function and a tool of a real MCP
server (`mcp.server.mcpserver.MCPServer`, the SDK's FastMCP) run as a
subprocess and spoken to over stdio by `runlet.mcp.MCPServerStdio`. Two
measures, each call of one kind followed by one of the other so that both
meet the same machine:

- **call**: `await tool.call(ctx, arguments)`: the tool alone. For MCP: a
  `tools/call` request written to the server's stdin, the server's work,
  the answer read from its stdout and turned into Runlet content.
- **run**: `Runtime().run(agent, ...)` of a scripted model that calls the
  tool once and then answers: two steps, as a user sees them. The MCP
  agent's server is `filtered` to `add`, so both requests offer one tool.

Figures are wall-time medians (and 90th percentiles) in microseconds, and
the median CPU time of this process (the client: Runlet and the SDK) per
call; the server's process does its work on another core, and waking it is
part of the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from runlet import Agent, RunContext, Runtime, Tool, Usage, tool
from runlet.mcp import MCPServerStdio
from runlet.testing import ScriptedProvider, call
from runlet.toolsets import filtered

SERVER = Path(__file__).resolve().parent.parent / "tests" / "mcp_servers.py"
CTX: RunContext[object] = RunContext(deps=None, run_id="bench", agent_name="bench", step=1, usage=Usage(), messages=())


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def agent_with(tools: object) -> Agent[None, str]:
    model = ScriptedProvider([call("add", a=2, b=3), "5"] * 100_000)
    return Agent(name="bench", model=model, tools=tools)  # type: ignore[arg-type]


async def interleaved(
    first: Callable[[], Awaitable[object]], second: Callable[[], Awaitable[object]], count: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Wall time (median, p90) and this process's CPU time (median) in µs of `count` calls of each, alternating, after a warm-up."""
    for _ in range(max(3, count // 20)):
        await first()
        await second()
    walls: tuple[list[float], list[float]] = ([], [])
    cpus: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for measure, wall, cpu in ((first, walls[0], cpus[0]), (second, walls[1], cpus[1])):
            started, cpu_started = time.perf_counter(), time.process_time()
            await measure()
            cpu.append((time.process_time() - cpu_started) * 1e6)
            wall.append((time.perf_counter() - started) * 1e6)
    return summary(walls[0], cpus[0]), summary(walls[1], cpus[1])


def summary(walls: list[float], cpus: list[float]) -> dict[str, float]:
    ordered = sorted(walls)
    return {"median_us": statistics.median(ordered), "p90_us": ordered[int(len(ordered) * 0.9)], "cpu_us": statistics.median(cpus)}


async def main(count: int) -> dict[str, object]:
    server = MCPServerStdio(sys.executable, [str(SERVER), "stdio"], name="bench")
    rows: list[dict[str, object]] = []
    async with server:
        mcp_add: Tool[object] = next(t for t in await server.tools(CTX) if t.name == "add")
        function_add: Tool[object] = add
        arguments = {"a": 2, "b": 3}
        assert await mcp_add.call(CTX, arguments) == await function_add.call(CTX, arguments) == "5"
        fn, mcp = await interleaved(lambda: function_add.call(CTX, arguments), lambda: mcp_add.call(CTX, arguments), count)
        rows += [{"measure": "call", "tool": "function", **fn}, {"measure": "call", "tool": "MCP (stdio)", **mcp}]
        runtime = Runtime()
        only_add = filtered(server, lambda ctx, tool: tool.name == "add")  # the same one tool in both requests
        with_function, with_mcp = agent_with((add,)), agent_with((only_add,))
        fn, mcp = await interleaved(lambda: runtime.run(with_function, "2 + 3?"), lambda: runtime.run(with_mcp, "2 + 3?"), count)
        rows += [{"measure": "run", "tool": "function", **fn}, {"measure": "run", "tool": "MCP (stdio)", **mcp}]
    return {"rows": rows, "count": count, "python": platform.python_version(), "machine": platform.machine()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few calls, for the smoke test")
    parser.add_argument("--count", type=int, default=500, help="calls of each kind per measure")
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    results = asyncio.run(main(5 if options.quick else options.count))
    print(f"{'measure':<8} {'tool':<12} {'median µs':>10} {'p90 µs':>10} {'CPU µs':>10}")
    for row in results["rows"]:  # type: ignore[attr-defined]
        print(f"{row['measure']:<8} {row['tool']:<12} {row['median_us']:>10.1f} {row['p90_us']:>10.1f} {row['cpu_us']:>10.1f}")
    if options.json is not None:
        options.json.write_text(json.dumps(results, indent=2))
