"""`RedisStore`: sessions in Redis, shared by any number of hosts (redis-py's asyncio client).

Each session is two keys: a list of its messages and a hash of its key-value
state. An append is one Lua script, so one round trip and atomic: it checks
the list's length against `expected_length` and pushes every message, or
does nothing. Redis runs one script at a time, so two appends that extend the
same history cannot both pass the check (`SessionConflict`), and a client
killed or cut off mid-append leaves all of it or none.

Keys, for the default prefix `runlet:` (the braces keep a session's keys in
one Redis Cluster slot):

    runlet:{<session>}:messages   list of UTF-8 JSON messages, oldest first
    runlet:{<session>}:state      hash: key -> UTF-8 JSON value

With `ttl`, both keys of a session expire `ttl` seconds after its last write.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar, cast

try:
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import NoScriptError, RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as _missing:  # the extra is not installed
    raise ImportError('RedisStore needs redis: pip install "runlet[redis]"', name=_missing.name) from _missing

from runlet.core.json import JsonValue
from runlet.core.messages import Message
from runlet.core.state import SessionConflict, StateError, StateFormatError, StoreUnavailable
from runlet.stores._remote import (
    PerLoop,
    closed_error,
    message_bytes,
    message_from_bytes,
    settled,
    stored_bytes,
    value_bytes,
    value_from_bytes,
    without_password,
)

__all__ = ["RedisStore"]

T = TypeVar("T")

_UNAVAILABLE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
"""What redis-py raises when the server cannot be reached, is still loading, or the connection breaks."""

_APPEND = """
local length = redis.call('LLEN', KEYS[1])
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= length then
    return {0, length}
end
for first = 3, #ARGV, 1000 do
    redis.call('RPUSH', KEYS[1], unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
if ARGV[2] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {1, length + #ARGV - 2}
"""
"""KEYS: messages, state; ARGV: expected length or '', TTL in ms or '', the messages. Returns {stored?, length}."""

_SET_STATE = """
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
"""
"""KEYS: messages, state; ARGV: key, value, TTL in ms or ''."""


class _Scripts:
    """The store's Lua scripts, sent once per server (again after a restart forgets them)."""

    def __init__(self) -> None:
        self._sha: dict[str, str] = {}

    async def run(self, client: Redis, script: str, keys: Sequence[bytes], args: Sequence[bytes | str]) -> object:
        sha = self._sha.get(script)
        if sha is not None:
            try:
                return cast(object, await client.evalsha(sha, len(keys), *keys, *args))
            except NoScriptError:
                pass
        self._sha[script] = sha = str(await client.script_load(script))
        return cast(object, await client.evalsha(sha, len(keys), *keys, *args))


class RedisStore:
    """Sessions in Redis: any number of processes and hosts share them safely.

    `RedisStore("redis://host:6379/0")` makes a client on first use, with a
    pool of at most `max_connections` connections per process that waits for
    a free one; or pass `client=` a `redis.asyncio.Redis` of your own (made
    with `decode_responses=False`; the store leaves closing it to you).
    `prefix` starts every key; `ttl` (seconds) makes a session's keys expire
    that long after its last write; `timeout` bounds, in seconds, connecting
    and each command.

    An append is one Lua script: atomic, checked against `expected_length`
    across hosts (`SessionConflict`). It is as durable as the server is told
    to be: with Redis's default snapshots a crash loses recent writes; with
    `appendonly yes` and `appendfsync always` none. A lost connection raises
    `StoreUnavailable`; the client reconnects by itself once the server is
    back. Close the store (`await store.close()`, or
    `async with RedisStore(url) as store:`) when done.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        prefix: str = "runlet:",
        ttl: float | None = None,
        max_connections: int = 10,
        timeout: float = 30.0,
    ) -> None:
        source: str | Redis
        if client is not None and url is None:
            if client.connection_pool.connection_kwargs.get("decode_responses"):
                raise ValueError(
                    "RedisStore needs a client made with decode_responses=False: it stores bytes "
                    "(UTF-8 JSON, which may hold unpaired surrogates that a decoding client would refuse)"
                )
            source = client
        elif url is not None and client is None:
            source = url
        else:
            raise ValueError("give RedisStore a URL or client=, not both and not neither")
        if ttl is not None and not (math.isfinite(ttl) and ttl > 0):
            raise ValueError(f"ttl must be a positive number of seconds, or None to keep sessions, not {ttl!r}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        self.url = url
        self.prefix = prefix
        self.ttl = ttl
        self.max_connections = max_connections
        self.timeout = timeout
        self._source = source
        self._clients: PerLoop[Redis] = PerLoop(self._open_client)
        self._scripts = _Scripts()
        self._ttl_ms = "" if ttl is None else str(max(1, round(ttl * 1000)))
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisStore({self._where()}, prefix={self.prefix!r})"

    # The protocol

    async def load(self, session: str) -> tuple[Message, ...]:
        """The session's messages, oldest first."""
        items = await self._run("load", session, lambda client: client.lrange(self._key(session, "messages"), 0, -1))
        return tuple(message_from_bytes(stored_bytes(item, "Redis")) for item in items)

    async def append(
        self, session: str, messages: Sequence[Message], *, expected_length: int | None = None
    ) -> int:
        """Store `messages` at the end of the session in one script; `SessionConflict` if its length is not `expected_length`."""
        data = [message_bytes(message) for message in messages]
        expected = "" if expected_length is None else str(expected_length)
        keys = (self._key(session, "messages"), self._key(session, "state"))

        async def append(client: Redis) -> object:
            return await self._scripts.run(client, _APPEND, keys, (expected, self._ttl_ms, *data))

        reply = await settled(self._run("append", session, append, retry=False))
        stored, length = _pair(reply)
        if not stored and expected_length is not None:
            raise SessionConflict(session, expected=expected_length, actual=length)
        return length

    async def get_state(self, session: str, key: str) -> JsonValue:
        """The value under `key`; `None` when there is none."""
        field = key.encode("utf-8", "surrogatepass")
        data = await self._run("get_state", session, lambda client: client.hget(self._key(session, "state"), field))
        return None if data is None else value_from_bytes(stored_bytes(data, "Redis"))

    async def set_state(self, session: str, key: str, value: JsonValue) -> None:
        """Store a JSON value under `key` (`TypeError`/`ValueError` when it is not JSON)."""
        data = value_bytes(value)
        keys = (self._key(session, "messages"), self._key(session, "state"))
        field = key.encode("utf-8", "surrogatepass")

        async def set_state(client: Redis) -> object:
            return await self._scripts.run(client, _SET_STATE, keys, (field, data, self._ttl_ms))

        await self._run("set_state", session, set_state)

    # Extras

    async def sessions(self) -> tuple[str, ...]:
        """The sessions with messages or state, sorted (a SCAN over the prefix: slow on a large database)."""
        head = self.prefix.encode("utf-8", "surrogatepass") + b"{"
        pattern = _glob_escape(head) + b"*"

        async def scan(client: Redis) -> set[str]:
            found: set[str] = set()
            keys = cast("AsyncIterator[object]", client.scan_iter(match=pattern, count=1000))  # pyright: ignore[reportUnknownMemberType]
            async for key in keys:
                name = stored_bytes(key, "Redis")[len(head) :]
                for tail in (b"}:messages", b"}:state"):
                    if name.endswith(tail):
                        found.add(name[: -len(tail)].decode("utf-8", "surrogatepass"))
            return found

        return tuple(sorted(await self._run("sessions", None, scan)))

    async def delete_session(self, session: str) -> None:
        """Forget a session's messages and state (one command: an append lands wholly before or after it)."""
        keys = (self._key(session, "messages"), self._key(session, "state"))
        await self._run("delete_session", session, lambda client: client.delete(*keys))

    async def close(self) -> None:
        """Close the store's client (not one given as `client=`); later calls raise `StateError`."""
        self._closed = True
        await self._clients.discard(self._close_client)

    async def __aenter__(self) -> RedisStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # Commands

    def _key(self, session: str, kind: str) -> bytes:
        return f"{self.prefix}{{{session}}}:{kind}".encode("utf-8", "surrogatepass")

    async def _open_client(self) -> Redis:
        if isinstance(self._source, Redis):
            return self._source
        pool = BlockingConnectionPool.from_url(  # pyright: ignore[reportUnknownMemberType]
            self._source,
            max_connections=self.max_connections,
            timeout=self.timeout,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            # An append must never be sent twice: a reply lost after the script ran would store it twice.
            retry=Retry(NoBackoff(), 0),
        )
        return Redis.from_pool(pool)

    async def _close_client(self, client: Redis) -> None:
        if client is not self._source:
            await client.aclose()

    async def _run(
        self, operation: str, session: str | None, work: Callable[[Redis], Awaitable[T]], *, retry: bool = True
    ) -> T:
        """Do `work` with the client, mapping redis-py's errors to Runlet's.

        A command that fails on a broken connection and can be repeated safely
        (`retry`) is tried once more (the pool checks a connection before
        using it, so this is rare); an append is never repeated.
        """
        if self._closed:
            raise closed_error(self)
        client = await self._clients.get()
        try:
            return await work(client)
        except _UNAVAILABLE as error:
            if not retry:
                raise self._unavailable(operation, session, error) from error
        except RedisError as error:
            what = operation if session is None else f"{operation} of session {session!r}"
            raise StateError(f"{self._where()}: the {what} failed: {error}") from error
        return await self._run(operation, session, work, retry=False)

    def _unavailable(self, operation: str, session: str | None, error: BaseException) -> StoreUnavailable:
        problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        what = operation if session is None else f"{operation} of session {session!r}"
        if operation == "append":
            advice = (
                "if the script reached the server it ran whole, otherwise not at all: "
                "load the session to find out before appending again"
            )
        else:
            advice = "it can be tried again once the server is back"
        return StoreUnavailable(
            f"Redis at {self._where()} did not answer the {what} ({problem}); {advice}",
            operation=operation, session=session,
        )

    def _where(self) -> str:
        if self.url is None:
            return "a given client"
        return without_password(self.url)


def _pair(reply: object) -> tuple[bool, int]:
    if isinstance(reply, list) and len(reply) == 2:  # pyright: ignore[reportUnknownArgumentType]
        stored, length = cast("list[object]", reply)
        if isinstance(stored, int) and isinstance(length, int):
            return bool(stored), length
    raise StateFormatError(f"the append script answered {reply!r}, not [stored, length]")


def _glob_escape(text: bytes) -> bytes:
    """`text` matched literally in a Redis glob pattern."""
    out = bytearray()
    for byte in text:
        if byte in b"*?[]\\":
            out += b"\\"
        out.append(byte)
    return bytes(out)
