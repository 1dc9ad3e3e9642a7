"""MCP servers as toolsets: `MCPServerStdio` (a subprocess) and `MCPServerHTTP` (Streamable HTTP), and their tools.

A server is a `Toolset[object]`: give it to `Agent(tools=...)` beside function
tools. It is also an async context manager that owns the connection: enter it
once (`async with server:`) around the runs that use it, many and concurrent
ones alike. Using a server that is not running raises `MCPServerError`: Runlet
does not start servers behind your back, since nothing would then say when to
stop them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING

import httpx2
from mcp import StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from typing_extensions import Self

from runlet.core.context import RunContext
from runlet.core.errors import ToolError, ValidationError, ValidationIssue
from runlet.core.json import JsonObject, JsonValue
from runlet.core.tools import ToolContent
from runlet.mcp._connection import Connection
from runlet.mcp._content import tool_content

if TYPE_CHECKING:
    from mcp.client._transport import TransportStreams

_DEFAULT_CONNECT_TIMEOUT = 30.0


class MCPTool:
    """A tool an MCP server lists: its name, description and input schema; `call` sends `tools/call`.

    Text comes back as text, images and audio as `ImagePart` and `AudioPart`,
    structured content as JSON text when there is no text; a result the server
    marks `isError`, or a JSON-RPC error in its place, is a tool error the
    model sees. A server's `tools(ctx)`
    makes them; they call through the server, so they keep working after a
    `restart()`.
    """

    def __init__(self, connection: Connection, definition: types.Tool, timeout: float | None) -> None:
        self._connection = connection
        self._name = definition.name
        self._description = definition.description or definition.title or ""
        self._parameters: JsonObject = definition.input_schema
        self.timeout = timeout
        """Seconds a call may take (the server's `tool_timeouts` or `timeout`); `None`: `Runtime(tool_timeout=...)` decides."""

    @property
    def name(self) -> str:
        """The tool's name on its server."""
        return self._name

    @property
    def description(self) -> str:
        """The server's description of the tool (its title when it has none)."""
        return self._description

    @property
    def parameters(self) -> JsonObject:
        """The tool's `inputSchema`."""
        return self._parameters

    @property
    def server(self) -> str:
        """The name of the server the tool belongs to."""
        return self._connection.name

    async def call(self, ctx: RunContext[object], arguments: JsonValue) -> ToolContent:
        """Send `tools/call` with the model's arguments and return what the server answered."""
        if not isinstance(arguments, Mapping):
            raise ValidationError([ValidationIssue("", f"the arguments must be a JSON object, not {type(arguments).__name__}")])
        connection = self._connection
        session = connection.session()
        sent = dict(arguments)
        try:
            result = await connection.request(session, lambda: session.call_tool(self._name, sent), self.timeout, f"call {self._name!r}")
        except MCPError as error:  # a JSON-RPC error instead of a result: the server's message, for the model
            raise ToolError(f"the MCP server {connection.name!r} refused the call: {error.message} (error {error.code})") from error
        return tool_content(connection.name, self._name, result)

    def __repr__(self) -> str:
        return f"MCPTool({self._name!r}, server={self._connection.name!r})"


class _MCPServer:
    """What both transports share: the connection's lifecycle, and the tools as a toolset."""

    def __init__(self, connection: Connection, timeout: float | None, tool_timeouts: Mapping[str, float] | None) -> None:
        self._connection = connection
        self._timeout = timeout
        self._tool_timeouts = dict(tool_timeouts or {})
        self._made: tuple[tuple[types.Tool, ...], tuple[MCPTool, ...]] | None = None

    @property
    def name(self) -> str:
        """The name errors and tools use for the server."""
        return self._connection.name

    @property
    def timeout(self) -> float | None:
        """Seconds each tool call may take unless `tool_timeouts` says otherwise; `None`: `Runtime(tool_timeout=...)` decides."""
        return self._timeout

    async def tools(self, ctx: RunContext[object]) -> Sequence[MCPTool]:
        """The server's tools, listed once and again only after the server says its list changed.

        Raises `MCPServerError` when the server is not running (enter it with
        `async with server:`) or stopped working (`await server.restart()`).
        """
        listed = await self._connection.tools()
        made = self._made
        if made is not None and made[0] is listed:
            return made[1]
        timeouts = self._tool_timeouts
        tools = tuple(MCPTool(self._connection, d, timeouts.get(d.name, self._timeout)) for d in listed)
        self._made = (listed, tools)
        return tools

    async def restart(self) -> None:
        """Stop the server's connection (and process) and start it again, as after a crash; inside `async with` only."""
        await self._connection.restart()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._connection.name!r})"

    async def __aenter__(self) -> Self:
        await self._connection.enter()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._connection.exit()


class MCPServerStdio(_MCPServer):
    """An MCP server run as a subprocess, spoken to over its stdin and stdout.

    `env` is added to the few variables the SDK passes on (`PATH`, `HOME`,
    ...); the server's stderr is the program's. `timeout` bounds each tool
    call, `tool_timeouts` the calls of the tools it names (by their names on
    the server); with neither, `Runtime(tool_timeout=...)` does.
    `connect_timeout` bounds starting the server and listing its tools.
    `name` (by default the command line) names the server in errors.
    """

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        name: str | None = None,
        timeout: float | None = None,
        tool_timeouts: Mapping[str, float] | None = None,
        connect_timeout: float | None = _DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        _check_timeouts(timeout, connect_timeout, tool_timeouts)
        if isinstance(args, str):
            raise ValueError(f"args must be a list of strings, not one string: MCPServerStdio({command!r}, [{args!r}])")
        parameters = StdioServerParameters(
            command=command, args=list(args), env=dict(env) if env is not None else None, cwd=os.fspath(cwd) if cwd is not None else None
        )
        label = name or " ".join((command, *args))
        super().__init__(Connection(label, lambda: stdio_client(parameters), connect_timeout), timeout, tool_timeouts)


class MCPServerHTTP(_MCPServer):
    """An MCP server reached over Streamable HTTP at `url` (`http://127.0.0.1:8000/mcp`, say).

    `headers` go with every request (an `Authorization` header, say).
    `timeout` bounds each tool call, `tool_timeouts` the calls of the tools it
    names; with neither, `Runtime(tool_timeout=...)` does. `connect_timeout`
    bounds connecting and listing the tools. `name` (by default the URL)
    names the server in errors.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        timeout: float | None = None,
        tool_timeouts: Mapping[str, float] | None = None,
        connect_timeout: float | None = _DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        _check_timeouts(timeout, connect_timeout, tool_timeouts)
        sent = dict(headers or {})
        connection = Connection(name or url, lambda: _http_transport(url, sent), connect_timeout)
        super().__init__(connection, timeout, tool_timeouts)


@asynccontextmanager
async def _http_transport(url: str, headers: dict[str, str]) -> AsyncGenerator[TransportStreams, None]:
    # The SDK's own client settings (30 s per operation, 5 min to read a stream), with the headers.
    client = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=300.0))
    async with client, streamable_http_client(url, http_client=client) as streams:
        yield streams


def _check_timeouts(timeout: float | None, connect_timeout: float | None, tool_timeouts: Mapping[str, float] | None) -> None:
    given = {f"tool_timeouts[{name!r}]": value for name, value in (tool_timeouts or {}).items()}
    for label, value in (("timeout", timeout), ("connect_timeout", connect_timeout), *given.items()):
        if value is not None and not value > 0:
            raise ValueError(f"{label} must be a positive number of seconds or None, got {value!r}")
