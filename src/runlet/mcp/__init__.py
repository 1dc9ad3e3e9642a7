"""MCP servers as toolsets (`pip install "runlet[mcp]"`, the official `mcp` SDK, 2.x).

    from runlet.mcp import MCPServerStdio

    server = MCPServerStdio("python", ["my_server.py"], timeout=30)
    agent = Agent(name="assistant", model=provider, tools=(server,))
    async with server:                       # starts the server; one `async with` serves many runs
        result = await Runtime().run(agent, "...")

`MCPServerStdio` runs a server as a subprocess, `MCPServerHTTP` reaches one
over Streamable HTTP. Each is a `Toolset[object]`: its tools (`MCPTool`) are
listed once and again only when the server says they changed, and they go
through the same hooks, events, approvals and limits as function tools. A
server that is not running, or that died, raises `MCPServerError` (from
`runlet`); `await server.restart()` starts it again. Prefixes and filters are
the `runlet.toolsets` combinators. See docs/tools.md.
"""

from __future__ import annotations

from importlib import metadata

try:
    import mcp  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError:
    raise ImportError('runlet.mcp needs the MCP SDK: pip install "runlet[mcp]"') from None
if int(metadata.version("mcp").split(".", 1)[0]) < 2:
    raise ImportError(f'runlet.mcp needs the MCP SDK 2.x, not mcp {metadata.version("mcp")}: pip install "runlet[mcp]"')

from runlet.mcp.servers import MCPServerHTTP, MCPServerStdio, MCPTool  # noqa: E402

__all__ = ["MCPServerHTTP", "MCPServerStdio", "MCPTool"]
