"""Fixtures for the tests that need a PostgreSQL or Redis server (see servers.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from servers import (
    KEY_PREFIX,
    TABLE_PREFIX,
    drop_postgres_tables,
    drop_redis_keys,
    postgres_answers,
    redis_answers,
    require_postgres,
    require_redis,
    server_lock,
)


@dataclass(frozen=True)
class Server:
    """A server for this test run: its URL and this run's table or key prefix."""

    url: str
    prefix: str


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """PostgreSQL, with this run's table prefix; the tables are dropped at the end of the run."""
    server = Server(require_postgres(), TABLE_PREFIX)
    yield server
    if asyncio.run(postgres_answers(server.url)) is None:
        asyncio.run(drop_postgres_tables(server.url, server.prefix))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Server]:
    """Redis, with this run's key prefix; the keys are deleted at the end of the run."""
    server = Server(require_redis(), KEY_PREFIX)
    yield server
    if asyncio.run(redis_answers(server.url)) is None:
        asyncio.run(drop_redis_keys(server.url, server.prefix))


@pytest.fixture
def postgres(postgres_server: Server) -> Iterator[Server]:
    """PostgreSQL for one test, which no other run's restart interrupts."""
    with server_lock(exclusive=False):
        yield postgres_server


@pytest.fixture
def redis(redis_server: Server) -> Iterator[Server]:
    """Redis for one test, which no other run's restart interrupts."""
    with server_lock(exclusive=False):
        yield redis_server
