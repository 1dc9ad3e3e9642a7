"""Property tests: messages round-trip through JSON exactly, and bad JSON is refused cleanly."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlet.core.json import JsonValue
from runlet.core.messages import Message, Part, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from runlet.core.serialize import (
    dumps_message,
    dumps_messages,
    loads_message,
    loads_messages,
    message_from_json,
    message_to_json,
)
from runlet.core.state import StateFormatError
from runlet.stores import MemoryStore, SQLiteStore

text = st.text(max_size=40)
# Lone surrogates too: valid in a Python str, not in UTF-8 (SQLite must still keep them).
any_text = st.one_of(text, st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3))

json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)

parts: st.SearchStrategy[Part] = st.one_of(
    st.builds(TextPart, any_text),
    st.builds(ToolCallPart, text, text, text),
    st.builds(ToolResultPart, text, text, any_text, st.booleans()),
    st.builds(ReasoningPart, text, st.dictionaries(text, json_values, max_size=4), text),
)

messages = st.builds(
    Message,
    st.sampled_from(["system", "user", "assistant", "tool"]),
    st.lists(parts, max_size=5).map(tuple),
)


@given(messages)
def test_message_round_trips_exactly(message: Message) -> None:
    text = dumps_message(message)
    assert loads_message(text) == message
    assert dumps_message(loads_message(text)) == text  # stable text, not just equal values
    assert message_from_json(json.loads(json.dumps(message_to_json(message), ensure_ascii=False))) == message


@given(st.lists(messages, max_size=6))
def test_message_lists_round_trip_in_a_versioned_envelope(history: list[Message]) -> None:
    text = dumps_messages(history)
    assert json.loads(text)["version"] == 1
    assert loads_messages(text) == tuple(history)


@given(st.lists(messages, max_size=4))
def test_memory_store_keeps_messages_exactly(history: list[Message]) -> None:
    store = MemoryStore()
    asyncio.run(store.append("s", history))
    assert asyncio.run(store.load("s")) == tuple(history)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = SQLiteStore(Path(tmp_path_factory.mktemp("props")) / "props.db", synchronous="NORMAL")
    yield store
    store.close()


_sessions = itertools.count()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(messages, max_size=4))
def test_sqlite_store_keeps_messages_exactly(sqlite_store: SQLiteStore, history: list[Message]) -> None:
    session = f"s{next(_sessions)}"

    async def go() -> tuple[Message, ...]:
        await sqlite_store.append(session, history, expected_length=0)
        return await sqlite_store.load(session)

    assert asyncio.run(go()) == tuple(history)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_state_values_round_trip(sqlite_store: SQLiteStore, value: JsonValue) -> None:
    async def go() -> tuple[JsonValue, JsonValue]:
        memory = MemoryStore()
        await memory.set_state("s", "k", value)
        await sqlite_store.set_state("s", "k", value)
        return await memory.get_state("s", "k"), await sqlite_store.get_state("s", "k")

    assert asyncio.run(go()) == (value, value)


@given(st.recursive(st.none() | st.booleans() | st.integers() | text, lambda c: st.lists(c) | st.dictionaries(text, c)))
def test_anything_that_is_not_a_message_is_refused_cleanly(value: object) -> None:
    try:
        message_from_json(value)
    except StateFormatError:
        pass


@given(messages, st.sampled_from(["role", "parts"]), json_values)
def test_a_damaged_message_is_refused_or_still_a_message(message: Message, field: str, junk: JsonValue) -> None:
    obj: dict[str, Any] = json.loads(dumps_message(message))
    obj[field] = junk
    try:
        decoded = message_from_json(obj)
    except StateFormatError:
        return
    assert isinstance(decoded, Message)
