"""One MCP server's connection: started and stopped by `async with`, shared by every run that uses it.

The transport and the `ClientSession` live in a task of their own, started by
the first `async with` and stopped by the last. Runs send their requests from
their own tasks; a failure of the connection is recorded for the next request
instead of cancelling the task that entered the server, and a request never
waits for a dead server: it gets `MCPServerError`.

The server's tools are listed once and kept until the server sends
`notifications/tools/list_changed`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from mcp import ClientSession, types
from mcp.client import IncomingMessage, Transport
from mcp.shared.exceptions import MCPError

from runlet.core.errors import MCPServerError, ToolTimeout

T = TypeVar("T")

_HOW_TO_RESTART = "call `await server.restart()` (or leave `async with server:` and enter it again) once it can run"


class Connection:
    """The connection to one MCP server, and the tools it lists."""

    def __init__(self, name: str, open_transport: Callable[[], Transport], connect_timeout: float | None) -> None:
        self.name = name
        self._open_transport = open_transport
        self._connect_timeout = connect_timeout
        self._users = 0
        self._lifecycle = asyncio.Lock()
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failure: str | None = None
        """What broke the running session, once something did."""
        self._changes = 0
        """How many times the server said its tool list changed: a listing is fresh while this has not moved."""
        self._listing: tuple[ClientSession, int, tuple[types.Tool, ...]] | None = None
        self._listing_lock = asyncio.Lock()

    # Lifecycle

    async def enter(self) -> None:
        """Start the connection, or count one more user of a running one."""
        async with self._lifecycle:
            if self._task is None:
                await self._start()
            self._users += 1

    async def exit(self) -> None:
        """One user less; the last one stops the connection."""
        async with self._lifecycle:
            self._users -= 1
            if self._users == 0:
                await self._shut()

    async def restart(self) -> None:
        """Stop the connection and start it again: after the server died, or to pick up a new server."""
        async with self._lifecycle:
            if self._users == 0:
                raise MCPServerError(
                    f"MCP server {self.name!r} cannot restart: it is not running; start it with `async with server:`",
                    server=self.name,
                )
            await self._shut()
            await self._start()

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[ClientSession] = loop.create_future()
        stop = asyncio.Event()
        task = loop.create_task(self._serve(ready, stop), name=f"runlet.mcp {self.name}")
        self._task, self._stop, self._loop, self._failure = task, stop, loop, None
        try:
            self._session = await asyncio.wait_for(asyncio.shield(ready), self._connect_timeout)
        except asyncio.TimeoutError:
            await self._shut()
            raise MCPServerError(
                f"MCP server {self.name!r} did not start within {self._connect_timeout:g} s (connect_timeout): "
                "check its command or URL, or give it more time",
                server=self.name,
            ) from None
        except Exception as error:
            await self._shut()
            raise MCPServerError(
                f"MCP server {self.name!r} failed to start ({_describe(error)}): check its command or URL, "
                "then enter it again",
                server=self.name,
            ) from error
        except BaseException:
            await self._shut()
            raise

    async def _shut(self) -> None:
        task, stop, started = self._task, self._stop, self._session is not None
        self._task = self._stop = self._session = self._loop = None
        self._listing = None
        if task is None or stop is None:
            return
        stop.set()
        if not started:  # still starting (a timeout, a cancellation): stop waiting for it
            task.cancel()
        await asyncio.wait([task])

    async def _serve(self, ready: asyncio.Future[ClientSession], stop: asyncio.Event) -> None:
        """The connection's own task: open the transport and the session, and hold them until told to stop."""
        session: ClientSession | None = None
        try:
            async with self._open_transport() as (read, write):
                async with ClientSession(read, write, message_handler=self._on_message) as session:
                    await session.initialize()
                    ready.set_result(session)
                    await stop.wait()
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)
            elif session is not None:
                self._failed(session, f"its connection broke ({_describe(error)})")
        if not ready.done():  # the transport ended before the session started
            ready.set_exception(ConnectionError("the server closed the connection before it started"))

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._changes += 1

    def _failed(self, session: ClientSession, what: str) -> None:
        if session is self._session and self._failure is None:  # not a session a restart replaced
            self._failure = what

    # Requests

    def session(self) -> ClientSession:
        """The running session, or `MCPServerError` saying why there is none and what to do."""
        session = self._session
        if session is None:
            raise MCPServerError(
                f"MCP server {self.name!r} is not running: enter it with `async with server:` around the runs "
                "that use it (one `async with` serves many runs, concurrent ones too)",
                server=self.name,
            )
        if self._failure is not None:
            raise MCPServerError(f"MCP server {self.name!r} stopped working: {self._failure}; {_HOW_TO_RESTART}", server=self.name)
        if asyncio.get_running_loop() is not self._loop:
            raise MCPServerError(
                f"MCP server {self.name!r} was started in another event loop: enter it with `async with server:` in "
                "the loop of the runs that use it (Runtime.run_sync starts a loop of its own: use `await Runtime().run(...)`)",
                server=self.name,
            )
        return session

    async def tools(self) -> tuple[types.Tool, ...]:
        """The server's tools: listed once, listed again after the server says they changed."""
        session = self.session()
        listing = self._listing
        if listing is not None and listing[0] is session and listing[1] == self._changes:
            return listing[2]
        async with self._listing_lock:
            listing = self._listing
            if listing is not None and listing[0] is session and listing[1] == self._changes:
                return listing[2]
            changes = self._changes  # a change announced while listing makes this listing stale at once
            tools: list[types.Tool] = []
            cursor: str | None = None
            while True:
                params = None if cursor is None else types.PaginatedRequestParams(cursor=cursor)
                try:
                    page = await self.request(session, lambda: session.list_tools(params=params), self._connect_timeout, "list its tools")
                except ToolTimeout as timeout:
                    raise MCPServerError(
                        f"MCP server {self.name!r} did not list its tools within {timeout.timeout:g} s (connect_timeout)",
                        server=self.name,
                    ) from None
                except MCPError as error:
                    raise MCPServerError(
                        f"MCP server {self.name!r} refused to list its tools: {error.message} (error {error.code}); "
                        "does it serve tools?",
                        server=self.name,
                    ) from error
                tools.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
            listed = tuple(tools)
            self._listing = (session, changes, listed)
            return listed

    async def request(self, session: ClientSession, send: Callable[[], Awaitable[T]], timeout: float | None, what: str) -> T:
        """Send a request on `session` within `timeout`: a dead server is `MCPServerError`, a timeout `ToolTimeout`."""
        if timeout is None:
            return await self._answer(session, send(), what)
        try:
            return await asyncio.wait_for(self._answer(session, send(), what), timeout)
        except asyncio.TimeoutError:
            raise ToolTimeout(timeout) from None

    async def _answer(self, session: ClientSession, answer: Awaitable[T], what: str) -> T:
        try:
            return await answer
        except MCPError as error:
            if error.code != types.CONNECTION_CLOSED:
                raise
            self._failed(session, f"the connection closed while it was asked to {what} (did the server exit?)")
            raise MCPServerError(
                f"MCP server {self.name!r} closed the connection while it was asked to {what}: the server exited or "
                f"went away; {_HOW_TO_RESTART}",
                server=self.name,
            ) from error

def _describe(error: BaseException) -> str:
    """An error, and the errors grouped in it (anyio raises groups), as one line."""
    if sys.version_info >= (3, 11) and isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
