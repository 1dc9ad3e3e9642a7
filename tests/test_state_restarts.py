"""A server restarted while a store is in the middle of an append: `StoreUnavailable`, nothing committed lost, then it works again.

These restart the machine's own servers (see servers.py): they hold the
servers' lock exclusively, and start the servers again whatever happens.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest
import redis.asyncio as aioredis

from conftest import Server
from runlet import Message, StoreUnavailable
from runlet.stores import PostgresStore, RedisStore
from servers import RedisServer, ensure_postgres, postgres_cluster, restart_postgres, server_lock


def batch(tag: str, size: int) -> list[Message]:
    return [Message.user(f"{tag}/{index}") for index in range(size)]


async def test_postgres_restart_mid_append_raises_store_unavailable_and_the_store_recovers(postgres_server: Server) -> None:
    cluster = postgres_cluster()
    session = f"restart-{uuid.uuid4().hex}"
    with server_lock(exclusive=True):
        try:
            async with PostgresStore(postgres_server.url, table_prefix=postgres_server.prefix) as store:
                await store.append(session, batch("kept", 3), expected_length=0)
                # Another client holds position 3 in an open transaction, so the store's append waits for it.
                blocker = await asyncpg.connect(postgres_server.url)
                await blocker.execute("BEGIN")
                await blocker.execute(
                    f'INSERT INTO "{postgres_server.prefix}messages" (session, position, message) VALUES ($1, 3, $2)',
                    session, b"{}",
                )
                append = asyncio.ensure_future(store.append(session, batch("lost", 2), expected_length=3))
                await wait_for_lock_wait(postgres_server.url, postgres_server.prefix)
                await asyncio.to_thread(restart_postgres, cluster)
                # The shutdown ends every backend. When the blocker's ends first, its transaction rolls back and
                # the waiting append may commit in the moment before its own connection goes: then it is stored
                # whole. Otherwise it fails with StoreUnavailable and nothing of it is stored. Never a part of it,
                # never a committed message lost.
                try:
                    length = await append
                except StoreUnavailable as error:
                    assert "may or may not have been stored" in str(error)
                    assert (error.operation, error.session) == ("append", session)
                    expected = tuple(batch("kept", 3))
                else:
                    assert length == 5
                    expected = (*batch("kept", 3), *batch("lost", 2))
                blocker.terminate()
                assert await store.load(session) == expected
                assert await store.append(session, batch("after", 2), expected_length=len(expected)) == len(expected) + 2
                await store.set_state(session, "k", "v")
                assert await store.get_state(session, "k") == "v"
        finally:
            await asyncio.to_thread(ensure_postgres, cluster)


async def wait_for_lock_wait(url: str, prefix: str) -> None:
    admin = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + 60
        while not await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
            f"%{prefix}messages%",
        ):
            assert time.monotonic() < deadline, "the append never waited for the blocker"
            await asyncio.sleep(0.02)
    finally:
        await admin.close()


async def test_redis_restart_mid_append_raises_store_unavailable_and_the_store_recovers(redis_server: Server) -> None:
    session = f"restart-{uuid.uuid4().hex}"
    with server_lock(exclusive=True):
        server = await RedisServer.find()
        dump_was_there = server.dump.exists()
        try:
            async with RedisStore(redis_server.url, prefix=redis_server.prefix) as store:
                await store.append(session, batch("kept", 3), expected_length=0)
                admin = aioredis.Redis.from_url(redis_server.url)
                await admin.client_pause(60_000, all=False)  # writes wait: the store's append is in flight
                append = asyncio.ensure_future(store.append(session, batch("lost", 2), expected_length=3))
                deadline = time.monotonic() + 60
                while not waiting_evalsha(await admin.execute_command("CLIENT", "LIST", "TYPE", "normal")):
                    assert time.monotonic() < deadline, "the append never reached the server"
                    await asyncio.sleep(0.02)
                await admin.aclose()
                await asyncio.to_thread(server.stop_saving)  # what was committed is saved, as a persistent server would
                with pytest.raises(StoreUnavailable, match="ran whole, otherwise not at all") as caught:
                    await append
                assert (caught.value.operation, caught.value.session) == ("append", session)
                await asyncio.to_thread(server.start)
                assert await store.load(session) == tuple(batch("kept", 3))
                assert await store.append(session, batch("after", 2), expected_length=3) == 5
        finally:
            await asyncio.to_thread(server.ensure)
            if not dump_was_there:
                server.dump.unlink(missing_ok=True)


def waiting_evalsha(clients: bytes) -> bool:
    """Whether a client's EVALSHA waits in the server (flag b: blocked by the pause)."""
    for line in clients.splitlines():
        fields = dict(field.split(b"=", 1) for field in line.split() if b"=" in field)
        if fields.get(b"cmd") == b"evalsha" and b"b" in fields.get(b"flags", b""):
            return True
    return False
