"""`MemoryStore`: sessions in a dict, for tests, scripts and single-process apps."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from runlet.core.json import JsonValue
from runlet.core.messages import Message
from runlet.core.state import SessionConflict, validate_session_id

__all__ = ["MemoryStore", "shared_memory_store"]


class MemoryStore:
    """Keeps sessions in memory for the life of the object; safe to share between tasks and threads.

    Appends are atomic and checked against `expected_length` like any store.
    Values of the key-value space are kept as JSON text, so what `get_state`
    returns is a fresh copy, exactly as a database would give it back.
    """

    def __init__(self) -> None:
        self._messages: dict[str, list[Message]] = {}
        self._state: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    async def load(self, session: str) -> tuple[Message, ...]:
        """The session's messages, oldest first."""
        validate_session_id(session)
        with self._lock:
            return tuple(self._messages.get(session, ()))

    async def append(
        self, session: str, messages: Sequence[Message], *, expected_length: int | None = None
    ) -> int:
        """Store `messages` at the end of the session; `SessionConflict` if its length is not `expected_length`."""
        validate_session_id(session)
        new = list(messages)
        with self._lock:
            stored = self._messages.setdefault(session, [])
            if expected_length is not None and len(stored) != expected_length:
                raise SessionConflict(session, expected=expected_length, actual=len(stored))
            stored.extend(new)
            return len(stored)

    async def get_state(self, session: str, key: str) -> JsonValue:
        """The value under `key`; `None` when there is none."""
        validate_session_id(session)
        with self._lock:
            text = self._state.get((session, key))
        return None if text is None else _loads(text)

    async def set_state(self, session: str, key: str, value: JsonValue) -> None:
        """Store a JSON value under `key` (`TypeError`/`ValueError` when it is not JSON)."""
        validate_session_id(session)
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        with self._lock:
            self._state[(session, key)] = text

    def sessions(self) -> tuple[str, ...]:
        """The sessions with messages or state, in no particular order."""
        with self._lock:
            return tuple({*self._messages, *(session for session, _ in self._state)})

    def delete_session(self, session: str) -> None:
        """Forget a session's messages and state."""
        validate_session_id(session)
        with self._lock:
            self._messages.pop(session, None)
            for key in [key for key in self._state if key[0] == session]:
                del self._state[key]


def _loads(text: str) -> JsonValue:
    value: JsonValue = json.loads(text)
    return value


_shared = MemoryStore()


def shared_memory_store() -> MemoryStore:
    """The process-wide `MemoryStore` that `Runtime()` uses when given no `store`."""
    return _shared
