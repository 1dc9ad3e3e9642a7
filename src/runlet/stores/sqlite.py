"""`SQLiteStore`: sessions in one SQLite file (stdlib `sqlite3`, WAL mode, no server).

Several processes may use the same file at once. Writers take SQLite's write
lock (`BEGIN IMMEDIATE`) for the check-and-insert of an append, so appends to
one session are serialised and checked against `expected_length`; appends to
different sessions just queue for a few milliseconds. Readers never wait for
writers (WAL).

Each store runs its SQLite calls on one thread of its own, owning one
connection, so the event loop never blocks on the database and calls from one
store happen in the order they were made (a load issued after an append sees
it, even if the task that awaited the append was cancelled).

Tables, created on first use (`runlet_schema` holds the format version):

    runlet_schema   (id = 1, version)
    runlet_messages (session, position, message JSON)   primary key (session, position)
    runlet_state    (session, key, value JSON)          primary key (session, key)

Opening the file checks it first: a directory, a file that is not an SQLite
database, Runlet's table names holding another program's tables, or a newer
schema version each raise a `StateError` that names the path and what to do.
Any other SQLite failure is raised as a `StateError` too, never as a raw
`sqlite3` exception.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

from runlet.core.json import JsonValue
from runlet.core.messages import Message
from runlet.core.serialize import dumps_message, loads_message
from runlet.core.state import (
    SessionConflict,
    StateError,
    StateFormatError,
    UnsupportedStateVersion,
    validate_session_id,
)

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 1
"""The version of the tables this Runlet writes, and the newest it reads."""

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runlet_messages (
    session TEXT NOT NULL,
    position INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (session, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runlet_state (
    session TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (session, key)
) WITHOUT ROWID;
"""

_COLUMNS: dict[str, tuple[str, ...]] = {
    "runlet_schema": ("id", "version"),
    "runlet_messages": ("session", "position", "message"),
    "runlet_state": ("session", "key", "value"),
}
"""Runlet's tables and their columns, in order: what a file must hold to be a Runlet store."""


class SQLiteStore:
    """Sessions in one SQLite file, safe for several processes and concurrent runs.

    `SQLiteStore("chat.db")` creates the file and its tables when needed.
    `synchronous="FULL"` (the default) makes every append durable once it
    returns, even across a power loss; `"NORMAL"` is faster and still safe
    against a crashed or killed process, but may lose the last appends on a
    power loss. `timeout` is how long a write waits for another process's
    write lock before failing with `StateError`.

    Call `close()` (or use `with SQLiteStore(...) as store:`) when done; an
    unclosed store is cleaned up when the process exits.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        timeout: float = 30.0,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be 'FULL' or 'NORMAL', not {synchronous!r}")
        self.path: str = os.fspath(path)
        self.synchronous: Literal["FULL", "NORMAL"] = synchronous
        self.timeout: float = timeout
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # The protocol

    async def load(self, session: str) -> tuple[Message, ...]:
        """The session's messages, oldest first."""
        return await self._call(self._load, validate_session_id(session))

    async def append(
        self, session: str, messages: Sequence[Message], *, expected_length: int | None = None
    ) -> int:
        """Store `messages` at the end of the session in one transaction; `SessionConflict` if its length is not `expected_length`."""
        return await self._call(self._append, validate_session_id(session), tuple(messages), expected_length)

    async def get_state(self, session: str, key: str) -> JsonValue:
        """The value under `key`; `None` when there is none."""
        return await self._call(self._get_state, validate_session_id(session), key)

    async def set_state(self, session: str, key: str, value: JsonValue) -> None:
        """Store a JSON value under `key` (`TypeError`/`ValueError` when it is not JSON)."""
        validate_session_id(session)
        text = _storable(json.dumps(value, ensure_ascii=False, allow_nan=False))
        await self._call(self._set_state, session, key, text)

    # Extras

    async def sessions(self) -> tuple[str, ...]:
        """The sessions with messages or state, sorted."""
        return await self._call(self._sessions)

    async def delete_session(self, session: str) -> None:
        """Forget a session's messages and state."""
        await self._call(self._delete_session, validate_session_id(session))

    def close(self) -> None:
        """Close the connection and stop the store's thread; later calls raise `StateError`."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None and self._pid == os.getpid():
            executor.submit(self._close_connection).result()
            executor.shutdown(wait=True)

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The store's thread

    async def _call(self, function: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._get_executor(), function, *args)
        except sqlite3.Error as error:
            raise StateError(f"the SQLite store {self.path!r} failed: {type(error).__name__}: {error}") from error

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise StateError(f"{self!r} is closed")
            if self._pid != os.getpid():
                # A forked child: the parent's thread is not here, and its connection must not be used.
                self._pid, self._executor, self._connection = os.getpid(), None, None
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runlet-sqlite")
            return self._executor

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        """A connection to the checked file, its tables created if it has none."""
        path = self.path
        if os.path.isdir(path):
            raise StateError(
                f"{path!r} is a directory, not a SQLite file: give SQLiteStore the path of a file "
                f"(created if missing), such as {os.path.join(path, 'runlet.db')!r}"
            )
        try:
            connection = sqlite3.connect(path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise StateError(f"cannot open {path!r} ({error}): check that its folder exists and is writable") from error
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            try:
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.DatabaseError as error:
                raise StateError(
                    f"{path!r} is not a SQLite database ({error}): give SQLiteStore a new path or the file of "
                    "a Runlet store, and move this file away if it is there by mistake"
                ) from error
            if str(mode).lower() != "wal" and path != ":memory:":
                raise StateError(f"could not put {path!r} in WAL mode (journal_mode is {mode!r})")
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._prepare(connection)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except BaseException:
            connection.close()
            raise
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Create Runlet's tables in a file without them; check the tables and version of one with them."""
        path = self.path
        found = {
            name: tuple(str(column[1]) for column in connection.execute(f"PRAGMA table_info({name})"))
            for name in _COLUMNS
        }
        if not found["runlet_schema"]:
            foreign = [name for name, columns in found.items() if columns]
            if foreign:
                raise StateError(
                    f"{path!r} has a table {foreign[0]} that Runlet did not create (it has no runlet_schema "
                    "table): the file belongs to another program; give SQLiteStore a file of its own"
                )
            connection.execute("CREATE TABLE runlet_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)")
            connection.execute("INSERT INTO runlet_schema (id, version) VALUES (1, ?)", (SCHEMA_VERSION,))
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            return
        self._check_columns(found, "runlet_schema")
        row = connection.execute("SELECT version FROM runlet_schema WHERE id = 1").fetchone()
        version: object = None if row is None else row[0]
        if not isinstance(version, int) or version < 1:
            raise StateFormatError(
                f"{path!r}: runlet_schema holds no valid version ({version!r}); the file is damaged: restore "
                "it from a backup, or give SQLiteStore a new file"
            )
        if version > SCHEMA_VERSION:  # a newer Runlet's tables may differ: the version says why
            raise UnsupportedStateVersion(f"the SQLite state file {path!r}", found=version, supported=SCHEMA_VERSION)
        self._check_columns(found, "runlet_messages")
        self._check_columns(found, "runlet_state")

    def _check_columns(self, found: dict[str, tuple[str, ...]], table: str) -> None:
        """Raise unless `table` has Runlet's columns."""
        columns = _COLUMNS[table]
        if found[table] == columns:
            return
        held = f"has columns ({', '.join(found[table])})" if found[table] else "is missing"
        raise StateError(
            f"{self.path!r} is not a Runlet store: its table {table} {held}, where Runlet's has "
            f"({', '.join(columns)}); the file is damaged or belongs to another program: give SQLiteStore "
            "a file of its own"
        )

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _load(self, session: str) -> tuple[Message, ...]:
        rows = self._db().execute(
            "SELECT message FROM runlet_messages WHERE session = ? ORDER BY position", (session,)
        ).fetchall()
        return tuple(loads_message(_text(value)) for (value,) in rows)

    def _append(self, session: str, messages: tuple[Message, ...], expected_length: int | None) -> int:
        texts = [_storable(dumps_message(message)) for message in messages]
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StateError(f"could not lock {self.path!r} to append to session {session!r}: {error}") from error
        try:
            (length,) = db.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM runlet_messages WHERE session = ?", (session,)
            ).fetchone()
            if expected_length is not None and length != expected_length:
                raise SessionConflict(session, expected=expected_length, actual=length)
            db.executemany(
                "INSERT INTO runlet_messages (session, position, message) VALUES (?, ?, ?)",
                [(session, length + index, text) for index, text in enumerate(texts)],
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return int(length) + len(texts)

    def _get_state(self, session: str, key: str) -> JsonValue:
        row = self._db().execute(
            "SELECT value FROM runlet_state WHERE session = ? AND key = ?", (session, key)
        ).fetchone()
        if row is None:
            return None
        value: JsonValue = json.loads(_text(row[0]))
        return value

    def _set_state(self, session: str, key: str, text: str | bytes) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO runlet_state (session, key, value) VALUES (?, ?, ?)", (session, key, text)
        )

    def _sessions(self) -> tuple[str, ...]:
        rows = self._db().execute(
            "SELECT DISTINCT session FROM runlet_messages UNION SELECT DISTINCT session FROM runlet_state ORDER BY 1"
        ).fetchall()
        return tuple(str(session) for (session,) in rows)

    def _delete_session(self, session: str) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM runlet_messages WHERE session = ?", (session,))
            db.execute("DELETE FROM runlet_state WHERE session = ?", (session,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def _storable(text: str) -> str | bytes:
    """JSON text as SQLite can store it.

    A Python string may hold surrogates, which UTF-8 (and so SQLite text)
    cannot; such a value is stored as UTF-8 bytes with the surrogates passed
    through, and `_text` reverses it exactly. (Escaping them as `\\ud800` would
    not: JSON reads an escaped pair back as one character.)
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
    return text


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", "surrogatepass")
