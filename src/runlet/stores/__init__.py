"""State stores: where sessions live. `MemoryStore` (the default) and `SQLiteStore`.

Any class that fits `runlet.core.state.StateStore` works too. `SQLiteStore`
is imported on first use, so `import runlet` does not import `sqlite3`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runlet.core.state import SessionConflict, StateError, StateFormatError, StateStore, StateVetoed, UnsupportedStateVersion
from runlet.stores.memory import MemoryStore, shared_memory_store

if TYPE_CHECKING:
    from runlet.stores.sqlite import SQLiteStore

__all__ = [
    "MemoryStore",
    "SQLiteStore",
    "SessionConflict",
    "StateError",
    "StateFormatError",
    "StateStore",
    "StateVetoed",
    "UnsupportedStateVersion",
    "shared_memory_store",
]


def __getattr__(name: str) -> object:
    if name == "SQLiteStore":
        from runlet.stores.sqlite import SQLiteStore

        return SQLiteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
