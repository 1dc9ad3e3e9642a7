"""The store conformance suite (`runlet.testing.store_checks`) on every store Runlet ships.

PostgreSQL and Redis are real servers (see servers.py); each check gets two
store objects on the same data, with their own connections, as two hosts
would have.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runlet import Message
from runlet.stores import MemoryStore, PostgresStore, RedisStore, SQLiteStore, StateStore
from runlet.testing import StoreCheck, check_store, store_checks

STORES = ("memory", "sqlite", "postgres", "redis")


@pytest.fixture(params=STORES)
def kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind in ("postgres", "redis"):
        request.getfixturevalue(kind)  # skips (fails in CI) when the server does not answer
    return kind


@pytest.fixture
async def handles(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[StateStore, StateStore | None]]:
    """A store and a second handle on the same data (None for memory: the same object)."""
    if kind == "memory":
        yield MemoryStore(), None
    elif kind == "sqlite":
        with SQLiteStore(tmp_path / "state.db") as store, SQLiteStore(tmp_path / "state.db") as other:
            # Opened one after the other: two connections opening a new file at once can fail
            # with a raw "database is locked" (issue 18 reworks SQLiteStore's opening).
            await store.load("open")
            await other.load("open")
            yield store, other
    elif kind == "postgres":
        server = request.getfixturevalue("postgres_server")
        async with PostgresStore(server.url, table_prefix=server.prefix) as store, PostgresStore(
            server.url, table_prefix=server.prefix
        ) as other:
            yield store, other
    else:
        server = request.getfixturevalue("redis_server")
        async with RedisStore(server.url, prefix=server.prefix) as store, RedisStore(
            server.url, prefix=server.prefix
        ) as other:
            yield store, other


@pytest.mark.parametrize("check", store_checks(), ids=str)
async def test_every_store_keeps_the_contract(check: StoreCheck, handles: tuple[StateStore, StateStore | None]) -> None:
    await check(*handles)


def test_the_suite_names_and_describes_each_check() -> None:
    checks = store_checks()
    assert len({check.name for check in checks}) == len(checks) >= 12
    assert all(check.description and not check.name.startswith("_") for check in checks)
    assert "racing_appends_have_one_winner" in {str(check) for check in checks}


class ForgetfulStore(MemoryStore):
    """Ignores expected_length: the suite must catch it."""

    async def append(self, session: str, messages: object, *, expected_length: int | None = None) -> int:
        return await super().append(session, messages)  # type: ignore[arg-type]


async def test_check_store_reports_the_check_that_fails() -> None:
    await check_store(MemoryStore())
    with pytest.raises(AssertionError, match="store check 'expected_length_guards_the_append' failed: .*SessionConflict"):
        await check_store(ForgetfulStore())
