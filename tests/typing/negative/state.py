"""Misuses of sessions and stores that the type checkers must reject."""

from __future__ import annotations

from collections.abc import Sequence

from runlet import Agent, Message, Runtime
from runlet.stores import MemoryStore, PostgresStore, RedisStore, SQLiteStore, StateStore
from runlet.testing import ScriptedProvider, check_store

agent: Agent[None, str] = Agent(name="chat", model=ScriptedProvider(["hi"]))


class NoAppend:
    async def load(self, session: str) -> tuple[Message, ...]:
        return ()

    async def get_state(self, session: str, key: str) -> None:
        return None

    async def set_state(self, session: str, key: str, value: object) -> None:
        return None


class SyncLoad:
    def load(self, session: str) -> tuple[Message, ...]:
        return ()

    async def append(self, session: str, messages: Sequence[Message], *, expected_length: int | None = None) -> int:
        return 0

    async def get_state(self, session: str, key: str) -> None:
        return None

    async def set_state(self, session: str, key: str, value: object) -> None:
        return None


missing: StateStore = NoAppend()  # expect-error
not_async: StateStore = SyncLoad()  # expect-error
Runtime(store="chat.db")  # expect-error


async def misuse(store: MemoryStore) -> None:
    runtime = Runtime(store=store)
    await runtime.run(agent, "hi", session=42)  # expect-error
    runtime.stream(agent, "hi", session=b"abc")  # expect-error
    runtime.run_sync(agent, "hi", sesion="abc")  # expect-error
    await store.append("s", ["just text"])  # expect-error
    await store.append("s", [Message.user("x")], 3)  # expect-error
    await store.set_state("s", "k", object())  # expect-error
    await store.set_state("s", "k", {1: "int keys"})  # expect-error
    SQLiteStore("chat.db", synchronous="OFF")  # expect-error
    PostgresStore("postgresql://app@db/app", pool="a pool")  # expect-error
    PostgresStore("postgresql://app@db/app", table_prefix=None)  # expect-error
    RedisStore("redis://cache", client="a client")  # expect-error
    RedisStore("redis://cache", ttl="1 day")  # expect-error
    await check_store("not a store")  # expect-error
    with PostgresStore("postgresql://app@db/app"):  # expect-error
        pass
