"""MCP server options the type checkers must reject."""

from __future__ import annotations

from runlet.mcp import MCPServerHTTP, MCPServerStdio

MCPServerStdio("python", ["server.py"], timeout="5")  # expect-error
MCPServerStdio("python", ["server.py"], env=[("KEY", "value")])  # expect-error
MCPServerHTTP("http://127.0.0.1:8000/mcp", headers="Authorization: Bearer token")  # expect-error
MCPServerHTTP(url=8000)  # expect-error
MCPServerHTTP("http://127.0.0.1:8000/mcp", tool_timeouts={"build": "600"})  # expect-error
