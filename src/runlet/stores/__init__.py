"""State stores: where sessions live. The `StateStore` protocol, `MemoryStore` (the default), `SQLiteStore`, `PostgresStore` and `RedisStore`.

Any class that fits `StateStore` works too; the codec (`message_to_json`,
`dumps_messages`, `run_state_to_json`, `checkpoint_to_json`, ...) is the JSON
format Runlet's own stores and checkpoints use, for a store of your own, a
durable engine, or export. The store
errors (`SessionConflict`, `StateFormatError`, ...) are `runlet`'s; a store of
your own checks every session id with `validate_session_id`, the rule all
stores share. The stores and the codec are imported on first use, so `import
runlet` imports none of `sqlite3`, `asyncpg`, `redis` or the codec.
`PostgresStore` needs the `runlet[postgres]` extra, `RedisStore` the
`runlet[redis]` extra. See docs/state.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runlet.core.state import MAX_SESSION_ID_LENGTH, StateStore, validate_session_id
from runlet.stores.memory import MemoryStore, shared_memory_store

if TYPE_CHECKING:
    from runlet.core.serialize import (
        dumps_message,
        dumps_messages,
        loads_message,
        loads_messages,
        message_from_json,
        message_to_json,
        messages_from_json,
        messages_to_json,
        checkpoint_from_json,
        checkpoint_to_json,
        run_state_from_json,
        run_state_to_json,
        usage_from_json,
        usage_to_json,
    )
    from runlet.stores.postgres import PostgresStore
    from runlet.stores.redis import RedisStore
    from runlet.stores.sqlite import SQLiteStore
else:
    from runlet.core._deferred import deferred_exports

    __getattr__, __dir__ = deferred_exports(
        globals(),
        {
            "PostgresStore": "runlet.stores.postgres",
            "RedisStore": "runlet.stores.redis",
            "SQLiteStore": "runlet.stores.sqlite",
            **dict.fromkeys(
                (
                    "dumps_message",
                    "dumps_messages",
                    "loads_message",
                    "loads_messages",
                    "message_from_json",
                    "message_to_json",
                    "messages_from_json",
                    "messages_to_json",
                    "checkpoint_from_json",
                    "checkpoint_to_json",
                    "run_state_from_json",
                    "run_state_to_json",
                    "usage_from_json",
                    "usage_to_json",
                ),
                "runlet.core.serialize",
            ),
        },
    )

__all__ = [
    "MAX_SESSION_ID_LENGTH",
    "MemoryStore",
    "PostgresStore",
    "RedisStore",
    "SQLiteStore",
    "StateStore",
    "checkpoint_from_json",
    "checkpoint_to_json",
    "dumps_message",
    "dumps_messages",
    "loads_message",
    "loads_messages",
    "message_from_json",
    "message_to_json",
    "messages_from_json",
    "messages_to_json",
    "run_state_from_json",
    "run_state_to_json",
    "shared_memory_store",
    "usage_from_json",
    "usage_to_json",
    "validate_session_id",
]
