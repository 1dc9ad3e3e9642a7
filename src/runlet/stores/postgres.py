"""`PostgresStore`: sessions in PostgreSQL, shared by any number of hosts (asyncpg).

An append is one statement, so one round trip: it inserts the messages at
positions `expected_length, expected_length + 1, ...`, and the primary key on
`(session, position)` makes two appends that extend the same history collide:
the second waits for the first to commit, then fails (`SessionConflict`). The
statement also locks the session's last row (`FOR KEY SHARE`), so an append
and a `delete_session` never overlap. A statement is atomic, so a killed
client or a lost connection leaves all of an append or none of it.

Tables (schema version 1), created on first use or by `setup()`, named with
a prefix (default `runlet_`) in a schema of your choice (default: the
connection's `search_path`):

    runlet_schema   (id = 1, version)
    runlet_messages (session, position, message)   primary key (session, position)
    runlet_state    (session, key, value)          primary key (session, key)

`message` and `value` are UTF-8 JSON (`bytea`, so that text with unpaired
surrogates round-trips exactly).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from typing_extensions import TypeAlias

try:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
except ImportError as _missing:  # the extra is not installed
    raise ImportError('PostgresStore needs asyncpg: pip install "runlet[postgres]"', name=_missing.name) from _missing

from runlet.core.json import JsonValue
from runlet.core.messages import Message
from runlet.core.state import (
    SessionConflict,
    StateError,
    StateFormatError,
    StoreUnavailable,
    UnsupportedStateVersion,
)
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

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

SCHEMA_VERSION = 1
"""The version of the tables this Runlet writes, and the newest it reads."""

T = TypeVar("T")
_Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LONGEST_TABLE = "messages"

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a connection broken in the middle of an operation ("cannot switch to state")
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
"""What asyncpg raises when the server cannot be reached or the connection breaks."""


@dataclass(frozen=True)
class _Sql:
    """The statements of one store, for its table names."""

    version: str
    messages: str
    state: str

    @staticmethod
    def of(schema: str | None, prefix: str) -> _Sql:
        where = f'"{schema}".' if schema else ""
        return _Sql(f'{where}"{prefix}schema"', f'{where}"{prefix}messages"', f'{where}"{prefix}state"')

    @property
    def create(self) -> tuple[str, ...]:
        return (
            f"CREATE TABLE {self.messages} (session text NOT NULL, position integer NOT NULL, "
            "message bytea NOT NULL, PRIMARY KEY (session, position))",
            f"CREATE TABLE {self.state} (session text NOT NULL, key text NOT NULL, "
            "value bytea NOT NULL, PRIMARY KEY (session, key))",
        )

    @property
    def append(self) -> str:
        # $1 session, $2 expected length or NULL (then: the current length), $3 the messages.
        # The last row is locked so that a concurrent delete_session waits, or is waited for.
        return f"""
            WITH base AS (
                SELECT COALESCE(
                    $2::integer,
                    (SELECT COALESCE(max(position) + 1, 0) FROM {self.messages} WHERE session = $1)
                ) AS length
            ), added AS (
                INSERT INTO {self.messages} (session, position, message)
                SELECT $1, base.length + item.number - 1, item.message
                FROM base, unnest($3::bytea[]) WITH ORDINALITY AS item (message, number)
                WHERE base.length = 0 OR EXISTS (
                    SELECT 1 FROM {self.messages} WHERE session = $1 AND position = base.length - 1
                    FOR KEY SHARE
                )
                RETURNING 1
            )
            SELECT (SELECT length FROM base), (SELECT count(*) FROM added)
        """

    @property
    def length(self) -> str:
        return f"SELECT COALESCE(max(position) + 1, 0) FROM {self.messages} WHERE session = $1"

    @property
    def load(self) -> str:
        return f"SELECT message FROM {self.messages} WHERE session = $1 ORDER BY position"

    @property
    def get_state(self) -> str:
        return f"SELECT value FROM {self.state} WHERE session = $1 AND key = $2"

    @property
    def set_state(self) -> str:
        return (
            f"INSERT INTO {self.state} (session, key, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (session, key) DO UPDATE SET value = excluded.value"
        )

    @property
    def sessions(self) -> str:
        return f"SELECT session FROM {self.messages} UNION SELECT session FROM {self.state} ORDER BY 1"

    @property
    def delete_messages(self) -> str:
        return f"WITH gone AS (DELETE FROM {self.messages} WHERE session = $1 RETURNING 1) SELECT count(*) FROM gone"

    @property
    def delete_state(self) -> str:
        return f"DELETE FROM {self.state} WHERE session = $1"


class PostgresStore:
    """Sessions in PostgreSQL: any number of processes and hosts share them safely.

    `PostgresStore("postgresql://user@host/db")` makes a connection pool
    (`min_size` to `max_size` connections per process) on first use; or pass
    `pool=` an asyncpg pool of your own (the store then leaves closing it to
    you). Tables are created on first use, under an advisory lock so that many
    hosts may start at once; with `create_tables=False` the store only checks
    them and `setup()` creates them (for a deploy step or a role without DDL
    rights). `table_prefix` and `schema` name them. `timeout` bounds, in
    seconds, connecting and each statement.

    An append is one statement: atomic, checked against `expected_length`
    across hosts (`SessionConflict`), durable once it returns. A lost
    connection raises `StoreUnavailable`; the pool reconnects by itself once
    the server is back. Close the store (`await store.close()`, or
    `async with PostgresStore(url) as store:`) when done.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        pool: asyncpg.Pool[asyncpg.Record] | None = None,
        schema: str | None = None,
        table_prefix: str = "runlet_",
        create_tables: bool = True,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
    ) -> None:
        if (url is None) == (pool is None):
            raise ValueError("give PostgresStore a URL or pool=, not both and not neither")
        if schema is not None and not _IDENTIFIER.fullmatch(schema):
            raise ValueError(f"schema must be a plain SQL name (letters, digits, _), not {schema!r}")
        if (table_prefix and not _IDENTIFIER.fullmatch(table_prefix)) or len(table_prefix + _LONGEST_TABLE) > 63:
            raise ValueError(
                f"table_prefix must be empty or a plain SQL name (letters, digits, _) of at most "
                f"{63 - len(_LONGEST_TABLE)} characters, not {table_prefix!r}"
            )
        if not 0 <= min_size <= max_size or max_size < 1:
            raise ValueError(f"need 0 <= min_size <= max_size and max_size >= 1, not {min_size} and {max_size}")
        self.url = url
        self.schema = schema
        self.table_prefix = table_prefix
        self.create_tables = create_tables
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self._sql = _Sql.of(schema, table_prefix)
        self._given = pool
        self._pools: PerLoop[asyncpg.Pool[asyncpg.Record]] = PerLoop(self._open_pool)
        self._tables: PerLoop[None] = PerLoop(self._check_tables)
        self._closed = False

    def __repr__(self) -> str:
        return f"PostgresStore({self._where()})"

    # The protocol

    async def load(self, session: str) -> tuple[Message, ...]:
        """The session's messages, oldest first."""
        rows = await self._run("load", session, lambda db: db.fetch(self._sql.load, session))
        return tuple(message_from_bytes(row[0]) for row in rows)

    async def append(
        self, session: str, messages: Sequence[Message], *, expected_length: int | None = None
    ) -> int:
        """Store `messages` at the end of the session in one statement; `SessionConflict` if its length is not `expected_length`."""
        data = [message_bytes(message) for message in messages]
        return await settled(self._append(session, data, expected_length))

    async def get_state(self, session: str, key: str) -> JsonValue:
        """The value under `key`; `None` when there is none."""
        data = await self._run("get_state", session, lambda db: db.fetchval(self._sql.get_state, session, key))
        return None if data is None else value_from_bytes(stored_bytes(data, "PostgreSQL"))

    async def set_state(self, session: str, key: str, value: JsonValue) -> None:
        """Store a JSON value under `key` (`TypeError`/`ValueError` when it is not JSON)."""
        data = value_bytes(value)
        await self._run("set_state", session, lambda db: db.execute(self._sql.set_state, session, key, data))

    # Extras

    async def setup(self) -> int:
        """Create the tables if they are missing (or migrate them to this version); return the schema version.

        Safe to call from many hosts at once: they take turns on an advisory lock.
        """
        return await self._run("setup", None, self._setup, retry=False, setup=True)

    async def sessions(self) -> tuple[str, ...]:
        """The sessions with messages or state, sorted."""
        rows = await self._run("sessions", None, lambda db: db.fetch(self._sql.sessions))
        return tuple(str(row[0]) for row in rows)

    async def delete_session(self, session: str) -> None:
        """Forget a session's messages and state; an append racing it lands wholly before (and is deleted) or after."""
        await self._run("delete_session", session, lambda db: self._delete(db, session))

    async def close(self) -> None:
        """Close the store's pool (not one given as `pool=`); later calls raise `StateError`."""
        self._closed = True
        await self._pools.discard(self._close_pool)

    async def __aenter__(self) -> PostgresStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # Statements

    async def _append(self, session: str, data: list[bytes], expected_length: int | None) -> int:
        async def append(db: _Connection) -> int:
            if not data:
                length = int(await db.fetchval(self._sql.length, session))
                if expected_length is not None and length != expected_length:
                    raise SessionConflict(session, expected=expected_length, actual=length)
                return length
            while True:
                try:
                    row = await db.fetchrow(self._sql.append, session, expected_length, data)
                except asyncpg.UniqueViolationError:
                    row = None  # another append took these positions first
                if row is not None and row[1] == len(data):
                    return int(row[0]) + len(data)
                if expected_length is not None:
                    actual = int(await db.fetchval(self._sql.length, session))
                    raise SessionConflict(session, expected=expected_length, actual=actual)
                # Without an expected length: the end moved meanwhile; append at the new end.

        return await self._run("append", session, append, retry=False)

    async def _delete(self, db: _Connection, session: str) -> None:
        async with db.transaction():
            # Each pass sees what appends committed while the previous one waited on their locks.
            while await db.fetchval(self._sql.delete_messages, session):
                pass
            await db.execute(self._sql.delete_state, session)

    async def _setup(self, db: _Connection) -> int:
        async with db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self._sql.version)
            if self.schema is not None:
                await db.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await db.execute(
                f"CREATE TABLE IF NOT EXISTS {self._sql.version} "
                "(id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)"
            )
            version = await db.fetchval(f"SELECT version FROM {self._sql.version} WHERE id = 1")
            if version is None:
                for statement in self._sql.create:
                    await db.execute(statement)
                await db.execute(f"INSERT INTO {self._sql.version} (id, version) VALUES (1, $1)", SCHEMA_VERSION)
                return SCHEMA_VERSION
            # A later schema version migrates here, from each older one, in this transaction.
            return self._checked(version)

    def _checked(self, version: object) -> int:
        if not isinstance(version, int) or version < 1:
            raise StateFormatError(f"{self._sql.version} in {self._where()} holds no valid version ({version!r})")
        if version > SCHEMA_VERSION:
            raise UnsupportedStateVersion(
                f"the Runlet tables in {self._where()}", found=version, supported=SCHEMA_VERSION
            )
        return version

    # Connections

    async def _open_pool(self) -> asyncpg.Pool[asyncpg.Record]:
        if self._given is not None:
            return self._given
        return await asyncpg.create_pool(
            self.url, min_size=self.min_size, max_size=self.max_size, timeout=self.timeout, command_timeout=self.timeout
        )

    async def _close_pool(self, pool: asyncpg.Pool[asyncpg.Record]) -> None:
        if pool is not self._given:
            await pool.close()

    async def _check_tables(self) -> None:
        """Check the tables' version once per pool; create or migrate them when missing or older, if allowed."""
        pool = await self._pools.get()
        async with pool.acquire() as db:
            try:
                version = await db.fetchval(f"SELECT version FROM {self._sql.version} WHERE id = 1")
            except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                version = None
            if version is not None and self._checked(version) == SCHEMA_VERSION:
                return
            if not self.create_tables:
                raise StateError(
                    f"the Runlet tables in {self._where()} are missing or older than version {SCHEMA_VERSION}: "
                    "run `await store.setup()` once (or make the store with create_tables=True)"
                )
            await self._setup(db)

    async def _run(
        self,
        operation: str,
        session: str | None,
        work: Callable[[_Connection], Awaitable[T]],
        *,
        retry: bool = True,
        setup: bool = False,
    ) -> T:
        """Do `work` on a pooled connection, mapping the driver's errors to Runlet's.

        A connection that breaks during an operation that can be repeated
        safely (`retry`) is replaced and the operation tried once more: after a
        server restart the pool's idle connections are dead. An append is
        never repeated.
        """
        if self._closed:
            raise closed_error(self)
        try:
            pool = await self._pools.get()
            if not setup:
                await self._tables.get()
            db = await pool.acquire()
        except _UNAVAILABLE as error:
            raise self._unavailable(operation, session, error, sent=False) from error
        except asyncpg.PostgresError as error:
            raise StateError(f"{self._where()}: could not open the store: {error}") from error
        try:
            return await work(db)
        except _UNAVAILABLE as error:
            if not retry:
                raise self._unavailable(operation, session, error, sent=True) from error
        except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError) as error:
            raise StateError(
                f"{self._where()}: {operation} failed: {error}; were the tables dropped? "
                "`await store.setup()` creates them again"
            ) from error
        except asyncpg.PostgresError as error:
            what = operation if session is None else f"{operation} of session {session!r}"
            raise StateError(f"{self._where()}: the {what} failed: {error}") from error
        finally:
            await _release(pool, db)
        return await self._run(operation, session, work, retry=False, setup=setup)

    def _unavailable(self, operation: str, session: str | None, error: BaseException, *, sent: bool) -> StoreUnavailable:
        problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        what = operation if session is None else f"{operation} of session {session!r}"
        if not sent:
            advice = "nothing was done; try again when the server is back"
            return StoreUnavailable(
                f"could not reach PostgreSQL at {self._where()} for the {what} ({problem}); {advice}",
                operation=operation, session=session,
            )
        if operation == "append":
            advice = "it may or may not have been stored: load the session to find out before appending again"
        else:
            advice = "it can be tried again once the server is back"
        return StoreUnavailable(
            f"the connection to PostgreSQL at {self._where()} broke during the {what} ({problem}); {advice}",
            operation=operation, session=session,
        )

    def _where(self) -> str:
        if self.url is None:
            return "a given pool"
        return without_password(self.url)


async def _release(pool: asyncpg.Pool[asyncpg.Record], db: _Connection) -> None:
    """Give the connection back; a broken one is closed by the pool, which raises what broke it: not news here."""
    try:
        await pool.release(db)
    except _UNAVAILABLE:
        pass
