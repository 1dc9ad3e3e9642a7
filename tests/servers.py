"""The PostgreSQL and Redis servers the store tests use: where they are, a fresh namespace per run, restarts.

`RUNLET_TEST_POSTGRES_URL` and `RUNLET_TEST_REDIS_URL` say where the servers
are (defaults: the machine's own). A server that does not answer skips its
tests with a reason that says how to start one; with `CI` set it fails them
instead, so CI always runs them. Each test run uses its own table and key
prefix, dropped at the end, so that parallel runs do not meet.

Tests that restart a server take an exclusive lock (a file lock, across
processes), and every other test that uses a server takes it shared, so a
restart never breaks a parallel run's test halfway. Whatever happens, a
restarted server is started again before the test ends.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis.asyncio

POSTGRES_URL = os.environ.get("RUNLET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNLET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'

RUN = f"t{uuid.uuid4().hex[:10]}"
"""This test run's namespace: table prefix `runlet_<RUN>_`, key prefix `runlet:<RUN>:`."""
TABLE_PREFIX = f"runlet_{RUN}_"
KEY_PREFIX = f"runlet:{RUN}:"

LOCK = Path(os.environ.get("TMPDIR", "/tmp")) / "runlet-test-servers.lock"


def unavailable(problem: str) -> NoReturn:
    """Skip the test, or fail it when `CI` is set."""
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI is set, so the server tests must run, not be skipped)")
    pytest.skip(problem)


# Reaching the servers


async def postgres_answers(url: str = POSTGRES_URL) -> str | None:
    """`None` if PostgreSQL answers at `url`, else what went wrong."""
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except Exception as error:  # noqa: BLE001 - any failure means "not there"
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


async def redis_answers(url: str = REDIS_URL) -> str | None:
    """`None` if Redis answers at `url`, else what went wrong."""
    client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "not there"
        return f"{type(error).__name__}: {error}"
    finally:
        await client.aclose()
    return None


def require_postgres() -> str:
    problem = asyncio.run(postgres_answers())
    if problem is not None:
        unavailable(
            f"no PostgreSQL answers at {POSTGRES_URL} ({problem}): start one with `{START_POSTGRES}`, "
            "or point RUNLET_TEST_POSTGRES_URL at one"
        )
    return POSTGRES_URL


def require_redis() -> str:
    problem = asyncio.run(redis_answers())
    if problem is not None:
        unavailable(
            f"no Redis answers at {REDIS_URL} ({problem}): start one with `{START_REDIS}`, "
            "or point RUNLET_TEST_REDIS_URL at one"
        )
    return REDIS_URL


async def drop_postgres_tables(url: str, prefix: str) -> None:
    connection = await asyncpg.connect(url, timeout=30)
    try:
        for table in ("schema", "messages", "state"):
            await connection.execute(f'DROP TABLE IF EXISTS "{prefix}{table}"')
    finally:
        await connection.close()


async def drop_redis_keys(url: str, prefix: str) -> None:
    client = redis.asyncio.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix.replace("*", "\\*") + "*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
    finally:
        await client.aclose()


# Locks


@contextmanager
def server_lock(exclusive: bool) -> Iterator[None]:
    """Held shared by tests that use a server, exclusive by tests that restart one."""
    with open(LOCK, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


# Restarts


def _local(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def postgres_cluster() -> list[str]:
    """The `pg_ctlcluster` arguments of the local cluster, or a skip (a fail in CI) saying why there is none."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not _local(POSTGRES_URL) or shutil.which("pg_ctlcluster") is None or not versions:
        unavailable(f"restarting PostgreSQL needs a local cluster run by pg_ctlcluster (URL {POSTGRES_URL})")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def restart_postgres(cluster: list[str]) -> None:
    subprocess.run([*cluster, "restart"], check=True, capture_output=True, timeout=120)


def ensure_postgres(cluster: list[str]) -> None:
    """Start the cluster if it is down (after a failed restart)."""
    if asyncio.run(postgres_answers()) is not None:
        subprocess.run([*cluster, "start"], check=False, capture_output=True, timeout=120)


@dataclass(frozen=True)
class RedisServer:
    """How the local Redis server was started, read from the running server, to start it again the same way."""

    pid: int
    command: tuple[str, ...]
    dump: Path

    @staticmethod
    async def find() -> RedisServer:
        if not _local(REDIS_URL) or shutil.which("redis-server") is None:
            unavailable(f"restarting Redis needs a local redis-server (URL {REDIS_URL})")
        client = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            info = await client.info("server")
            config: dict[str, str] = {}
            for name in ("bind", "port", "save", "appendonly", "dir", "logfile", "dbfilename", "daemonize"):
                config.update(await client.config_get(name))
        finally:
            await client.aclose()
        command = ["redis-server"]
        if info.get("config_file"):
            command.append(str(info["config_file"]))
        command += ["--daemonize", "yes", "--port", config["port"], "--bind", *config["bind"].split()]
        command += ["--save", config["save"], "--appendonly", config["appendonly"], "--dir", config["dir"]]
        if config["logfile"]:
            command += ["--logfile", config["logfile"]]
        return RedisServer(int(info["process_id"]), tuple(command), Path(config["dir"]) / config["dbfilename"])

    def stop_saving(self) -> None:
        """Stop the server as a restart does, keeping what it holds on disk (SHUTDOWN SAVE)."""
        subprocess.run(["redis-cli", "-u", REDIS_URL, "shutdown", "save"], capture_output=True, timeout=60, check=False)
        deadline = time.monotonic() + 60
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self) -> None:
        """Start the server the way it was started, and wait until it answers (it may be loading its data)."""
        subprocess.run(self.command, check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 60
        while asyncio.run(redis_answers()) is not None:
            if time.monotonic() > deadline:
                pytest.fail(f"Redis did not answer after `{' '.join(self.command)}`")
            time.sleep(0.05)

    def ensure(self) -> None:
        """Start the server if it is down."""
        if asyncio.run(redis_answers()) is not None:
            subprocess.run(self.command, check=False, capture_output=True, timeout=60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
