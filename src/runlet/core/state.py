"""State: the `StateStore` protocol that keeps sessions, and its errors.

A session is a named conversation: an ordered list of messages that only ever
grows, plus a small key-value space of JSON values for the agent's own state.
`Runtime.run(agent, input, session="abc")` loads the session's history before
the run and appends the run's new messages after it, all at once.

Concurrency is optimistic: `append` says which history length it extends
(`expected_length`) and fails with `SessionConflict` when another run appended
in the meantime, so two runs on one session never interleave. See
`docs/state.md`.

Session ids follow one rule in every store, `validate_session_id`: a
non-empty string of at most `MAX_SESSION_ID_LENGTH` characters, without NUL.
A store calls it on every session id it is given, so a bad id fails the same
way (`InvalidSessionId`) whatever the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from runlet.core.errors import RunletError, UserError
from runlet.core.json import JsonValue
from runlet.core.messages import Message

__all__ = [
    "MAX_SESSION_ID_LENGTH",
    "InvalidSessionId",
    "SessionConflict",
    "StateError",
    "StateFormatError",
    "StateStore",
    "StateVetoed",
    "StoreUnavailable",
    "UnsupportedStateVersion",
    "validate_session_id",
]

MAX_SESSION_ID_LENGTH = 256
"""The longest session id any store accepts, in characters (`validate_session_id`)."""


class StateStore(Protocol):
    """Where sessions live. Any class with these four methods fits.

    Contract for implementations:

    - `load` returns the session's messages in order; an unknown session is empty.
    - `append` is atomic: all of `messages` are stored, or none (also when the
      task awaiting it is cancelled). With `expected_length`, it first checks
      that the session holds exactly that many messages and raises
      `SessionConflict` otherwise, in the same atomic step.
    - Once `append` returns, the messages are durable as far as the store
      promises (memory: for the life of the process).
    - None of the methods blocks the event loop for long.
    - Every method checks its `session` with `validate_session_id` first.
    """

    async def load(self, session: str) -> tuple[Message, ...]:
        """The session's messages, oldest first; `()` for a session never appended to."""
        ...

    async def append(
        self, session: str, messages: Sequence[Message], *, expected_length: int | None = None
    ) -> int:
        """Store `messages` at the end of the session, all or nothing; return the session's new length.

        With `expected_length`, raise `SessionConflict` (storing nothing) unless
        the session holds exactly that many messages.
        """
        ...

    async def get_state(self, session: str, key: str) -> JsonValue:
        """The JSON value stored under `key` for the session; `None` when there is none."""
        ...

    async def set_state(self, session: str, key: str, value: JsonValue) -> None:
        """Store a JSON value under `key` for the session (replacing any value there)."""
        ...


class StateError(RunletError):
    """A state store operation failed."""


class SessionConflict(StateError):
    """Another run appended to the session after this run loaded it; nothing was appended.

    Load the session again and retry the run (or merge) if that is what you want.
    """

    def __init__(self, session: str, *, expected: int, actual: int) -> None:
        self.session = session
        self.expected = expected
        """The history length the append meant to extend."""
        self.actual = actual
        """The history length found in the store."""
        super().__init__(
            f"session {session!r} holds {actual} messages, but this append extends a history of "
            f"{expected}: another run appended to it meanwhile; nothing was appended"
        )


class StoreUnavailable(StateError):
    """A store could not reach its server, or lost the connection during the operation.

    Nothing the store had committed before is lost. A failed `load`,
    `get_state` or `set_state` changed nothing and can simply be tried again;
    an `append` whose connection broke after it was sent may or may not have
    been stored, so load the session to find out before appending again (an
    append with `expected_length` never stores twice: a second attempt raises
    `SessionConflict` if the first one went through).
    """

    def __init__(self, message: str, *, operation: str, session: str | None = None) -> None:
        self.operation = operation
        """The store method that failed: `"load"`, `"append"`, `"get_state"`, `"set_state"`, ..."""
        self.session = session
        """The session it was for, if any."""
        super().__init__(message)


class StateVetoed(StateError):
    """A hook vetoed loading a session's history, which stops the run before any model call; `hook` and `reason` say who and why."""

    def __init__(self, message: str, *, hook: str = "", reason: str = "") -> None:
        self.hook = hook
        self.reason = reason
        super().__init__(message)


class StateFormatError(StateError, ValueError):
    """Stored data could not be read: it is not valid JSON or not a valid message."""


class UnsupportedStateVersion(StateFormatError):
    """Stored data was written in a format version this version of Runlet cannot read."""

    def __init__(self, where: str, *, found: object, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"{where} has format version {found!r}, but this version of Runlet reads versions up to "
            f"{supported}; it was probably written by a newer Runlet: upgrade runlet to read it"
        )


class InvalidSessionId(StateError, UserError):
    """A session id no store accepts: empty, longer than `MAX_SESSION_ID_LENGTH` characters, or holding a NUL."""


def validate_session_id(session: str) -> str:
    """`session`, when it is a valid session id; else `InvalidSessionId` saying what is wrong and what to do.

    The one rule every store applies (and `Runtime.run(session=...)` at the
    call): a non-empty string of at most `MAX_SESSION_ID_LENGTH` characters
    with no NUL character (which SQLite, PostgreSQL and C-string APIs cannot
    keep). A store calls it at the top of every method that takes a session.
    """
    if not isinstance(session, str):  # pyright: ignore[reportUnnecessaryIsInstance]  # untyped callers
        raise InvalidSessionId(f"a session id must be a string, not {type(session).__name__}")
    if not session:
        raise InvalidSessionId("a session id must be a non-empty string (session=None for a stateless run)")
    if len(session) > MAX_SESSION_ID_LENGTH:
        raise InvalidSessionId(
            f"a session id has at most {MAX_SESSION_ID_LENGTH} characters; this one has {len(session):,} "
            f"(it starts {session[:32]!r}): use a short stable key, such as a user or conversation id "
            "(or a hash of a longer one)"
        )
    if "\x00" in session:
        raise InvalidSessionId(f"the session id {session[:64]!r} contains a NUL character, which stores cannot keep: remove it")
    return session
