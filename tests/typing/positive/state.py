"""Sessions and state stores, as users write them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from typing_extensions import assert_type

import asyncpg
import redis.asyncio

from runlet import (
    Agent,
    InvalidSessionId,
    JsonValue,
    Message,
    RunContext,
    RunResult,
    Runtime,
    SessionConflict,
    StateError,
    StoreUnavailable,
    tool,
)
from runlet.events import StateSaved
from runlet.stores import (
    MAX_SESSION_ID_LENGTH,
    MemoryStore,
    PostgresStore,
    RedisStore,
    SQLiteStore,
    StateStore,
    dumps_messages,
    loads_messages,
    message_from_json,
    message_to_json,
    validate_session_id,
)
from runlet.testing import ScriptedProvider, StoreCheck, check_store, store_checks

agent: Agent[None, str] = Agent(name="chat", model=ScriptedProvider(["hi"]))


class MyStore:
    """A store of the user's own: fits `StateStore` by shape, no inheritance."""

    def __init__(self) -> None:
        self.inner = MemoryStore()

    async def load(self, session: str) -> tuple[Message, ...]:
        return await self.inner.load(validate_session_id(session))  # the rule every store shares

    async def append(self, session: str, messages: Sequence[Message], *, expected_length: int | None = None) -> int:
        return await self.inner.append(session, messages, expected_length=expected_length)

    async def get_state(self, session: str, key: str) -> JsonValue:
        return await self.inner.get_state(session, key)

    async def set_state(self, session: str, key: str, value: JsonValue) -> None:
        await self.inner.set_state(session, key, value)


stores: list[StateStore] = [
    MemoryStore(),
    SQLiteStore("chat.db"),
    PostgresStore("postgresql://app@db/app"),
    RedisStore("redis://cache:6379/0"),
    MyStore(),
]
longest: int = MAX_SESSION_ID_LENGTH
assert_type(validate_session_id("abc"), str)
bad_id: StateError = InvalidSessionId("empty")


async def many_hosts(pool: asyncpg.Pool[asyncpg.Record], client: redis.asyncio.Redis) -> None:
    async with PostgresStore("postgresql://app@db/app", schema="chat", table_prefix="app_", max_size=20) as postgres:
        assert_type(await postgres.setup(), int)
        assert_type(await postgres.sessions(), tuple[str, ...])
        await postgres.delete_session("abc")
    shared = PostgresStore(pool=pool, create_tables=False)
    cache = RedisStore(client=client, prefix="chat:", ttl=86_400)
    try:
        await Runtime(store=cache).run(agent, "hi", session="abc")
    except StoreUnavailable as error:
        assert_type(error.operation, str)
        assert_type(error.session, str | None)
    await shared.close()
    await cache.close()


async def conformance(store: StateStore) -> None:
    checks = store_checks()
    assert_type(checks, tuple[StoreCheck, ...])
    for check in checks:
        assert_type(check.name, str)
        await check(store)
        await check(store, MyStore())
    await check_store(MyStore())


async def chat(store: StateStore) -> None:
    runtime = Runtime(store=store)
    result = await runtime.run(agent, "hello", session="abc")
    assert_type(result, RunResult[str])
    assert_type(await store.load("abc"), tuple[Message, ...])
    assert_type(await store.append("abc", [Message.user("x")], expected_length=2), int)
    await store.set_state("abc", "prefs", {"lang": "fr", "tags": ["a"], "n": 1, "ok": None})
    assert_type(await store.get_state("abc", "prefs"), JsonValue)
    async for event in runtime.stream(agent, "again", session="abc"):
        if isinstance(event, StateSaved):
            assert_type(event.messages, int)
    try:
        await runtime.run(agent, "more", session="abc")
    except SessionConflict as conflict:
        assert_type(conflict.expected, int)


def script() -> str:
    with SQLiteStore("chat.db", synchronous="NORMAL") as store:
        return Runtime(store=store).run_sync(agent, "hi", session="abc").output


@dataclass(frozen=True)
class Deps:
    store: StateStore
    session: str


@tool
async def remember(ctx: RunContext[Deps], fact: str) -> str:
    """Remember a fact for this session."""
    await ctx.deps.store.set_state(ctx.deps.session, "fact", fact)
    return "ok"


text = dumps_messages([Message.user("hi")])
assert_type(loads_messages(text), tuple[Message, ...])
assert_type(message_from_json(message_to_json(Message.user("hi"))), Message)
