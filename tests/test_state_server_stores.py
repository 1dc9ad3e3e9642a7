"""What PostgresStore and RedisStore do beyond the conformance suite: options, tables, TTLs, errors, lifetimes."""

from __future__ import annotations

import asyncio
import threading
import uuid

import asyncpg
import pytest
import redis.asyncio as aioredis

from conftest import Server
from runlet import Message, SessionConflict, StateError, StoreUnavailable, UnsupportedStateVersion
from runlet.stores import PostgresStore, RedisStore


def texts(tag: str, count: int) -> list[Message]:
    return [Message.user(f"{tag}/{index}") for index in range(count)]


def session() -> str:
    return f"s-{uuid.uuid4().hex}"


# Construction


def test_the_stores_refuse_bad_options_clearly() -> None:
    with pytest.raises(ValueError, match="a URL or pool=, not both"):
        PostgresStore()
    with pytest.raises(ValueError, match="table_prefix must be"):
        PostgresStore("postgresql://x/y", table_prefix="runlet-")
    with pytest.raises(ValueError, match="schema must be"):
        PostgresStore("postgresql://x/y", schema='a"; DROP TABLE x; --')
    with pytest.raises(ValueError, match="min_size"):
        PostgresStore("postgresql://x/y", min_size=3, max_size=2)
    with pytest.raises(ValueError, match="a URL or client=, not both"):
        RedisStore()
    with pytest.raises(ValueError, match="ttl must be"):
        RedisStore("redis://x", ttl=0)
    with pytest.raises(ValueError, match="decode_responses=False"):
        RedisStore(client=aioredis.Redis(decode_responses=True))
    assert "secret" not in repr(PostgresStore("postgresql://app:secret@db/app"))
    assert "secret" not in repr(RedisStore("redis://:secret@cache:6379/0"))


# Unreachable servers


async def test_an_unreachable_server_is_store_unavailable_saying_nothing_was_done() -> None:
    async with PostgresStore("postgresql://postgres@127.0.0.1:1/test", timeout=5) as postgres:
        with pytest.raises(StoreUnavailable, match="could not reach PostgreSQL.*nothing was done") as caught:
            await postgres.append("s", texts("m", 1))
        assert (caught.value.operation, caught.value.session) == ("append", "s")
    async with RedisStore("redis://127.0.0.1:1/0", timeout=5) as cache:
        with pytest.raises(StoreUnavailable, match="Redis at redis://127.0.0.1:1/0 did not answer the load") as caught:
            await cache.load("s")
        assert caught.value.operation == "load"


# PostgreSQL


async def test_postgres_tables_by_setup_in_a_schema_and_refused_when_missing(postgres: Server) -> None:
    schema = f"runlet_{uuid.uuid4().hex[:10]}"
    try:
        async with PostgresStore(postgres.url, schema=schema, create_tables=False) as store:
            with pytest.raises(StateError, match=r"missing or older.*await store\.setup\(\)"):
                await store.load("s")
            assert await asyncio.gather(*(store.setup() for _ in range(4))) == [1, 1, 1, 1]  # hosts starting at once
            assert await store.append("s", texts("m", 2), expected_length=0) == 2
        admin = await asyncpg.connect(postgres.url)
        try:
            tables = await admin.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema)
            assert [row[0] for row in tables] == ["runlet_messages", "runlet_schema", "runlet_state"]
        finally:
            await admin.close()
    finally:
        admin = await asyncpg.connect(postgres.url)
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def test_postgres_refuses_tables_of_a_newer_version(postgres: Server) -> None:
    prefix = f"{postgres.prefix}v_"
    async with PostgresStore(postgres.url, table_prefix=prefix) as store:
        await store.setup()
        admin = await asyncpg.connect(postgres.url)
        try:
            await admin.execute(f'UPDATE "{prefix}schema" SET version = 99')
            async with PostgresStore(postgres.url, table_prefix=prefix) as newer:
                with pytest.raises(UnsupportedStateVersion, match="version 99.*upgrade runlet"):
                    await newer.load("s")
        finally:
            for table in ("schema", "messages", "state"):
                await admin.execute(f'DROP TABLE IF EXISTS "{prefix}{table}"')
            await admin.close()


async def test_postgres_extras_and_a_pool_of_your_own(postgres: Server) -> None:
    pool = await asyncpg.create_pool(postgres.url, min_size=1, max_size=2)
    try:
        async with PostgresStore(pool=pool, table_prefix=postgres.prefix) as store:
            first, second = session(), session()
            await store.append(first, texts("m", 2))
            await store.set_state(second, "k", 1)
            assert {first, second} <= set(await store.sessions())
            await store.delete_session(first)
            await store.delete_session(second)
            assert await store.load(first) == () and await store.get_state(second, "k") is None
            assert not {first, second} & set(await store.sessions())
        assert not pool.is_closing()  # the store leaves a given pool open
        with pytest.raises(StateError, match="is closed"):
            await store.load(first)
    finally:
        await pool.close()


async def test_postgres_delete_racing_appends_leaves_whole_sessions(postgres: Server) -> None:
    async with PostgresStore(postgres.url, table_prefix=postgres.prefix) as store:
        name = session()

        async def appender(tag: str) -> None:
            for number in range(15):
                await store.append(name, texts(f"{tag}{number}", 4))

        async def deleter() -> None:
            for _ in range(10):
                await store.delete_session(name)
                await asyncio.sleep(0)

        await asyncio.gather(appender("a"), appender("b"), deleter())
        loaded = [message.text for message in await store.load(name)]
        # Whatever survived is whole batches, and the session can be extended at its length.
        assert len(loaded) % 4 == 0
        for start in range(0, len(loaded), 4):
            tag = loaded[start].split("/")[0]
            assert loaded[start : start + 4] == [f"{tag}/{index}" for index in range(4)]
        assert await store.append(name, texts("end", 1), expected_length=len(loaded)) == len(loaded) + 1


def test_a_store_serves_one_event_loop_after_another(postgres: Server, redis: Server) -> None:
    """`asyncio.run` twice (or `run_sync` twice): each loop gets its own pool or client."""
    stores = (PostgresStore(postgres.url, table_prefix=postgres.prefix), RedisStore(redis.url, prefix=redis.prefix))
    name = session()
    for store in stores:
        assert asyncio.run(store.append(name, texts("one", 1))) == 1
        assert asyncio.run(store.append(name, texts("two", 1), expected_length=1)) == 2
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(len(asyncio.run(store.load(name)))))
        thread.start()
        thread.join()
        assert result == [2]
        asyncio.run(store.close())


# Redis


async def test_redis_ttl_applies_to_both_keys_of_a_session_on_every_write(redis: Server) -> None:
    async with RedisStore(redis.url, prefix=redis.prefix, ttl=3600) as store:
        name = session()
        await store.append(name, texts("m", 1))
        await store.set_state(name, "k", "v")
        admin = aioredis.Redis.from_url(redis.url)
        try:
            keys = [f"{redis.prefix}{{{name}}}:{kind}".encode() for kind in ("messages", "state")]
            ttls = [await admin.pttl(key) for key in keys]
            assert all(0 < ttl <= 3_600_000 for ttl in ttls), ttls
            await admin.persist(keys[0])
            await store.set_state(name, "k", "w")  # any write renews both
            assert 0 < await admin.pttl(keys[0]) <= 3_600_000
        finally:
            await admin.aclose()
    async with RedisStore(redis.url, prefix=redis.prefix) as keeps:
        name = session()
        await keeps.append(name, texts("m", 1))
        admin = aioredis.Redis.from_url(redis.url)
        try:
            assert await admin.pttl(f"{redis.prefix}{{{name}}}:messages".encode()) == -1  # no TTL: kept
        finally:
            await admin.aclose()


async def test_redis_extras_and_a_client_of_your_own(redis: Server) -> None:
    client = aioredis.Redis.from_url(redis.url)
    try:
        async with RedisStore(client=client, prefix=redis.prefix + "own*[x]:") as store:
            first, second = session(), session() + "}:messages"
            await store.append(first, texts("m", 2))
            await store.set_state(second, "k", 1)
            assert await store.sessions() == tuple(sorted((first, second)))
            await store.delete_session(first)
            assert await store.sessions() == (second,)
            with pytest.raises(SessionConflict):
                await store.append(second, texts("m", 1), expected_length=1)
        assert await client.ping()  # the store leaves a given client open
    finally:
        await client.aclose()


async def test_a_damaged_redis_key_is_a_state_error(redis: Server) -> None:
    async with RedisStore(redis.url, prefix=redis.prefix) as store:
        name = session()
        admin = aioredis.Redis.from_url(redis.url)
        try:
            await admin.set(f"{redis.prefix}{{{name}}}:messages".encode(), b"not a list")
            with pytest.raises(StateError, match="WRONGTYPE"):
                await store.append(name, texts("m", 1))
        finally:
            await admin.aclose()
