"""A small MCP server for examples/mcp_tools.py: a shop's stock, written with the official `mcp` SDK.

    python examples/mcp_server.py          # speaks MCP over stdin and stdout

Any MCP client can use it; examples/mcp_tools.py starts it as a subprocess.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

STOCK = {"tea": 12, "coffee": 0, "cocoa": 3}

shop = MCPServer("shop")


@shop.tool()
def stock(item: str) -> int:
    """How many of an item the shop has."""
    if item not in STOCK:
        raise ToolError(f"the shop does not sell {item!r}; it sells {', '.join(sorted(STOCK))}")
    return STOCK[item]


@shop.tool()
def reserve(item: str, count: int) -> str:
    """Put items aside for a customer."""
    have = STOCK.get(item, 0)
    if count > have:
        raise ToolError(f"only {have} {item} left")
    STOCK[item] = have - count
    return f"reserved {count} {item}; {STOCK[item]} left"


if __name__ == "__main__":
    shop.run("stdio")
