"""A real MCP server for the tests, written with the `mcp` SDK: `python tests/mcp_servers.py stdio | http PORT`.

Its tools cover what a client meets: plain and structured results, an image
and audio, a result marked as an error, a slow tool, one that kills the
server, one that adds a tool and says the list changed, and one that reports
the HTTP headers it was sent.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00"

PDF = b"%PDF-1.4\n%%EOF\n"

server = MCPServer("toolbox")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
def picture() -> CallToolResult:
    """A one-pixel picture, with a caption."""
    data = __import__("base64").b64encode(PNG).decode()
    return CallToolResult(content=[TextContent(type="text", text="a pixel"), ImageContent(type="image", data=data, mime_type="image/png")])


@server.tool()
def tone() -> CallToolResult:
    """A silent recording."""
    data = __import__("base64").b64encode(WAV).decode()
    return CallToolResult(content=[AudioContent(type="audio", data=data, mime_type="audio/wav")])


@server.tool()
def attachments() -> CallToolResult:
    """Resources: a text, a PDF's bytes, a link."""
    pdf = __import__("base64").b64encode(PDF).decode()
    return CallToolResult(
        content=[
            EmbeddedResource(type="resource", resource=TextResourceContents(uri="file:///notes.txt", text="the notes")),
            EmbeddedResource(type="resource", resource=BlobResourceContents(uri="file:///docs/invoice.pdf", blob=pdf, mime_type="application/pdf")),
            ResourceLink(type="resource_link", uri="file:///big.csv", name="big.csv", description="every order"),
        ]
    )


@server.tool()
def forecast(city: str) -> CallToolResult:
    """Structured content only: no text block."""
    return CallToolResult(content=[], structured_content={"city": city, "celsius": 21})


@server.tool()
def refuse(reason: str) -> str:
    """Always fails, with the reason: a result marked isError."""
    raise ToolError(f"refused: {reason}")


@server.tool()
def jsonrpc_error() -> str:
    """Fails with a JSON-RPC error instead of a result."""
    raise MCPError(code=-32602, message="no such order")


@server.tool()
async def slow(seconds: float) -> str:
    """Answer after `seconds`."""
    await asyncio.sleep(seconds)
    return "finally"


@server.tool()
def crash() -> str:
    """Kill the server process at once."""
    os._exit(3)


@server.tool()
async def grow(ctx: Context[Any, Any]) -> str:
    """Add the tool `fresh` and tell the client the tool list changed."""
    server.add_tool(lambda: "fresh and new", name="fresh", description="A tool added while the server runs.")
    await ctx.request_context.session.send_tool_list_changed()
    return "grown"


@server.tool()
def header(ctx: Context[Any, Any], name: str) -> str:
    """The value of an HTTP request header (empty over stdio)."""
    request: Any = ctx.request_context.request
    headers: Any = getattr(request, "headers", None) or {}
    return str(headers.get(name, ""))


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        asyncio.run(server.run_streamable_http_async(host="127.0.0.1", port=int(sys.argv[2])))
