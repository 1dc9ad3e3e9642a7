"""What the stores that talk to a server share: stored bytes, settled operations, one client per event loop."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from runlet.core.json import JsonValue
from runlet.core.messages import Message
from runlet.core.serialize import dumps_message, loads_message
from runlet.core.state import StateError, StateFormatError

T = TypeVar("T")


# Stored bytes. UTF-8 with surrogates passed through: a Python string may hold
# unpaired surrogates, which strict UTF-8 cannot, and escaping them would not
# round-trip (JSON reads an escaped pair back as one character).


def message_bytes(message: Message) -> bytes:
    """A message as the bytes a store keeps."""
    return dumps_message(message).encode("utf-8", "surrogatepass")


def message_from_bytes(data: bytes) -> Message:
    """A message back from `message_bytes`; `StateFormatError` when it is not one."""
    return loads_message(data.decode("utf-8", "surrogatepass"))


def value_bytes(value: JsonValue) -> bytes:
    """A JSON value as the bytes a store keeps (`TypeError`/`ValueError` when it is not JSON)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")


def value_from_bytes(data: bytes) -> JsonValue:
    """A JSON value back from `value_bytes`."""
    try:
        value: JsonValue = json.loads(data.decode("utf-8", "surrogatepass"))
    except ValueError as error:
        raise StateFormatError(f"a stored value is not valid JSON: {error}") from None
    return value


async def settled(operation: Coroutine[Any, Any, T]) -> T:
    """Await `operation`; if the caller is cancelled meanwhile, let it finish before the cancellation goes on.

    So a cancelled append is decided (stored whole or not at all) by the time
    the cancellation reaches the caller, and a load made after it sees which.
    A second cancellation stops the waiting, not the operation.
    """
    task = asyncio.ensure_future(operation)
    task.add_done_callback(_retrieve)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait((task,))
        raise


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's exception as seen: its caller was cancelled and reports the cancellation instead."""
    if not task.cancelled():
        task.exception()


class PerLoop(Generic[T]):
    """A client made on first use in each process and event loop.

    Connection pools belong to the event loop that made them and must not be
    used by a forked child, so a store that is used from another loop (two
    `asyncio.run` calls) or after a fork makes a new one. A failed attempt is
    not kept: the next call tries again.
    """

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make
        self._made: asyncio.Task[T] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    async def get(self) -> T:
        """This loop's client, made now if there is none yet."""
        loop = asyncio.get_running_loop()
        made = self._made
        if made is None or self._loop is not loop or self._pid != os.getpid() or _failed(made):
            made = self._made = loop.create_task(_call(self._make))
            made.add_done_callback(_retrieve)
            self._loop, self._pid = loop, os.getpid()
        return await asyncio.shield(made)

    async def discard(self, close: Callable[[T], Awaitable[None]]) -> None:
        """Forget the client and close it, if it belongs to the running loop and process (waiting for one being made)."""
        made, self._made = self._made, None
        if made is None or self._loop is not asyncio.get_running_loop() or self._pid != os.getpid():
            return
        try:
            client = await made
        except Exception:  # it was never made: nothing to close
            return
        await close(client)


def _failed(task: asyncio.Task[Any]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


async def _call(make: Callable[[], Awaitable[T]]) -> T:
    return await make()


def closed_error(store: object) -> StateError:
    """The error for a call on a closed store."""
    return StateError(f"{store!r} is closed; make a new store to go on")


def stored_bytes(data: object, server: str) -> bytes:
    """A stored message or value as the driver returned it, which must be bytes."""
    if not isinstance(data, bytes):
        raise StateFormatError(f"{server} returned {type(data).__name__} where stored bytes were expected")
    return data


def without_password(url: str) -> str:
    """A server's URL as an error message may show it: the password masked."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
