"""PostgreSQL and Redis stores shared by processes, as hosts share them: races, resumes, SIGKILL.

The workers (store_worker.py) each hold their own store and connections; the
real servers are the ones in servers.py.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from conftest import Server
from runlet import Message, RunInterrupted, Runtime, save_checkpoint
from runlet.stores import PostgresStore, RedisStore
from servers import server_lock
from store_worker import AGENT, BATCH

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

WORKER = Path(__file__).resolve().parent / "store_worker.py"
KINDS = ("postgres", "redis")
WORKERS = 4


class Worker:
    """One worker process, driven line by line."""

    def __init__(self, kind: str, server: Server) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), kind, server.url, server.prefix],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            assert self.process.stderr is not None
            pytest.fail(f"a worker exited with {self.process.returncode}: {self.process.stderr.read()}")
        return line.strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.send("quit")
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def ask_all(workers: list[Worker], line: str | list[str]) -> list[str]:
    """Send each worker its line at once (so that they race), then read every answer."""
    lines = [line] * len(workers) if isinstance(line, str) else line
    for worker, text in zip(workers, lines):
        worker.send(text)
    return [worker.read() for worker in workers]


@pytest.fixture(scope="module", params=KINDS)
def workers(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[Worker]]]:
    """WORKERS processes on one server, ready (connected, tables made)."""
    kind: str = request.param
    server: Server = request.getfixturevalue(f"{kind}_server")
    with server_lock(exclusive=False):
        started = [Worker(kind, server) for _ in range(WORKERS)]
        try:
            assert [worker.read() for worker in started] == ["READY"] * WORKERS
            yield kind, started
        finally:
            for worker in started:
                worker.stop()


def store_for(kind: str, server: Server) -> PostgresStore | RedisStore:
    if kind == "postgres":
        return PostgresStore(server.url, table_prefix=server.prefix)
    return RedisStore(server.url, prefix=server.prefix)


def server_of(kind: str, request: pytest.FixtureRequest) -> Server:
    server: Server = request.getfixturevalue(f"{kind}_server")
    return server


# Races between processes


async def test_processes_racing_on_one_session_have_one_winner_per_race(
    workers: tuple[str, list[Worker]], request: pytest.FixtureRequest
) -> None:
    kind, started = workers
    session = f"race-{uuid.uuid4().hex}"
    length = 0
    winners: list[str] = []
    for race in range(8):
        answers = ask_all(started, [f"race {session} {length} r{race}w{index}" for index in range(WORKERS)])
        won = [index for index, answer in enumerate(answers) if answer.startswith("WON")]
        assert len(won) == 1, answers
        assert answers[won[0]] == f"WON {length + 3}"
        assert sorted(answers) == sorted([f"WON {length + 3}"] + [f"LOST {length + 3}"] * (WORKERS - 1))
        winners.append(f"r{race}w{won[0]}")
        length += 3
    async with store_for(kind, server_of(kind, request)) as store:
        texts = [message.text for message in await store.load(session)]
    assert texts == [f"{tag}/{index}" for tag in winners for index in range(3)]


async def test_processes_appending_at_once_lose_and_double_nothing(
    workers: tuple[str, list[Worker]], request: pytest.FixtureRequest
) -> None:
    kind, started = workers
    session = f"plain-{uuid.uuid4().hex}"
    assert ask_all(started, [f"plain {session} w{index} 10" for index in range(WORKERS)]) == ["APPENDED"] * WORKERS
    async with store_for(kind, server_of(kind, request)) as store:
        texts = [message.text for message in await store.load(session)]
    assert len(texts) == WORKERS * 10 * 3
    batches = [texts[start : start + 3] for start in range(0, len(texts), 3)]
    tags = [batch[0].split("/")[0] for batch in batches]
    assert all(batch == [f"{tag}/{index}" for index in range(3)] for tag, batch in zip(tags, batches))
    for index in range(WORKERS):
        assert [tag for tag in tags if tag.startswith(f"w{index}-")] == [f"w{index}-{number}" for number in range(10)]


async def test_many_processes_resuming_one_checkpoint_one_succeeds(
    workers: tuple[str, list[Worker]], request: pytest.FixtureRequest
) -> None:
    kind, started = workers
    async with store_for(kind, server_of(kind, request)) as store:
        runtime = Runtime(store=store)
        with pytest.raises(RunInterrupted) as caught:
            await runtime.run(AGENT, "order-7", session=f"refunds-{uuid.uuid4().hex}")
        checkpoint = caught.value.checkpoint
        await save_checkpoint(store, checkpoint)
        answers = ask_all(started, f"resume {checkpoint.id}")
        assert sorted(answers) == ["CONSUMED"] * (WORKERS - 1) + ["RESUMED done: refunded order-7"], answers


# SIGKILL mid-append


@pytest.mark.parametrize("kind", KINDS)
async def test_a_process_killed_mid_append_leaves_no_partial_history(kind: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(kind)
    session = f"killed-{uuid.uuid4().hex}"
    rng = random.Random(19)
    async with store_for(kind, server) as store:
        batches = 0
        for _ in range(2):
            worker = Worker(kind, server)
            try:
                assert worker.read() == "READY"
                worker.send(f"loop {session}")
                assert worker.read().startswith("BATCH")
                time.sleep(rng.uniform(0.0, 0.1))  # land anywhere: mid-append, between appends
                os.kill(worker.process.pid, signal.SIGKILL)
                worker.process.wait(timeout=30)
            finally:
                worker.stop()
            texts = [message.text for message in await wait_for_settled(store, session)]
            assert len(texts) % BATCH == 0 and len(texts) // BATCH > batches, len(texts)
            for start in range(0, len(texts), BATCH):
                tag = texts[start].split("/")[0]
                assert texts[start : start + BATCH] == [f"{tag}/{index}" for index in range(BATCH)]
            batches = len(texts) // BATCH


async def wait_for_settled(store: PostgresStore | RedisStore, session: str) -> tuple[Message, ...]:
    """The session once the server is done with the killed client (PostgreSQL notices the dead socket and rolls back)."""
    if isinstance(store, PostgresStore):
        url = store.url
        assert url is not None
        admin = await asyncpg.connect(url)
        try:
            deadline = time.monotonic() + 60
            while await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%INSERT INTO%' "
                "AND query LIKE $1 AND pid <> pg_backend_pid()",
                f"%{store.table_prefix}messages%",
            ):
                assert time.monotonic() < deadline, "the killed client's statement is still running"
                await asyncio.sleep(0.02)
        finally:
            await admin.close()
    return await store.load(session)
