"""Property tests: messages, run states and checkpoints round-trip through JSON exactly; bad JSON is refused cleanly."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlet.core.human import (
    Answer,
    ApprovalRequest,
    Approve,
    Checkpoint,
    EditArguments,
    HumanRequest,
    HumanResponse,
    InputRequest,
    Reject,
)
from runlet.core.json import JsonValue
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImagePart,
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from runlet.core.models import Usage
from runlet.core.run_state import RunState
from runlet.core.serialize import (
    checkpoint_from_json,
    checkpoint_to_json,
    dumps_message,
    dumps_messages,
    loads_message,
    loads_messages,
    message_from_json,
    message_to_json,
    run_state_from_json,
    run_state_to_json,
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

media_bytes = st.binary(max_size=64)
urls = text.map(lambda path: f"https://example.com/{path}")
media: st.SearchStrategy[MediaPart] = st.one_of(
    st.builds(ImagePart, media_bytes, st.just("image/png"), st.none(), st.sampled_from(["auto", "low", "high"])),
    st.builds(ImagePart, url=urls),
    st.builds(AudioPart, media_bytes, st.sampled_from(["audio/wav", "audio/mpeg"])),
    st.builds(DocumentPart, media_bytes, st.sampled_from(["application/pdf", "text/plain"]), st.none(), text),
    st.builds(DocumentPart, url=urls, filename=text),
)

parts: st.SearchStrategy[Part] = st.one_of(
    st.builds(TextPart, any_text),
    st.builds(ToolCallPart, text, text, text),
    st.builds(ToolResultPart, text, text, any_text, st.booleans(), st.lists(media, max_size=2).map(tuple)),
    st.builds(ReasoningPart, text, st.dictionaries(text, json_values, max_size=4), text),
    st.builds(HostedToolPart, text, text, text, st.dictionaries(text, json_values, max_size=4), st.booleans(), text),
    media,
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


# Run states and checkpoints: the same codec, versioned, exact

usages = st.builds(Usage, *(st.integers(min_value=0, max_value=10**9) for _ in range(5)))
small = st.integers(min_value=0, max_value=10**6)
call_ids = st.sampled_from(["c1", "c2", "c3"])
responses: st.SearchStrategy[HumanResponse] = st.one_of(
    st.builds(Approve, text),
    st.builds(Reject, text, text),
    st.builds(EditArguments, text, st.dictionaries(text, json_values, max_size=3)),
    st.builds(Answer, text, json_values),
)
run_states = st.builds(
    RunState,
    run_id=text,
    agent=text,
    step=small,
    usage=usages,
    model_requests=small,
    tool_calls=small,
    output_retries=small,
    session=st.none() | text,
    stored_length=small,
    history=st.lists(messages, max_size=3).map(tuple),
    new=st.lists(messages, max_size=3).map(tuple),
    context=st.lists(messages, max_size=3).map(tuple),
    completed=st.lists(st.builds(ToolResultPart, text, text, any_text, st.booleans()), max_size=2).map(tuple),
    answers=st.dictionaries(call_ids, st.lists(responses, max_size=2).map(tuple), max_size=2),
    seq=small,
    spans=small,
    elapsed=st.floats(min_value=0, max_value=1e6),
    active_agent=st.none() | text,
)
requests: st.SearchStrategy[HumanRequest] = st.one_of(
    st.builds(ApprovalRequest, text, st.builds(ToolCallPart, text, text, text), text, text),
    st.builds(InputRequest, text, st.builds(ToolCallPart, text, text, text), text, st.dictionaries(text, json_values, max_size=2), text),
)


@given(run_states)
def test_run_states_round_trip_exactly(state: RunState) -> None:
    document = json.loads(json.dumps(run_state_to_json(state), ensure_ascii=False))
    assert document["format"] == "runlet.run_state" and document["version"] == 2
    assert run_state_from_json(document) == state


@given(run_states)
def test_a_run_state_of_version_1_is_still_read(state: RunState) -> None:
    document = json.loads(json.dumps(run_state_to_json(state), ensure_ascii=False))
    del document["active_agent"]
    document["version"] = 1  # Runlet before handoffs: no active agent, the run goes on with its own agent
    assert run_state_from_json(document) == dataclasses.replace(state, active_agent=None)


@given(run_states, st.lists(messages, max_size=2), st.none() | text)
def test_a_context_that_repeats_the_conversation_is_written_once(state: RunState, more: list[Message], instructions: str | None) -> None:
    front = () if instructions is None else (Message.system(instructions),)
    state = dataclasses.replace(state, context=(*front, *state.history, *state.new))
    document = run_state_to_json(state)
    assert document["context"] is None and document["instructions"] == instructions
    assert run_state_from_json(json.loads(json.dumps(document, ensure_ascii=False))) == state


@given(run_states, st.lists(requests, max_size=3).map(tuple), st.floats(min_value=0, max_value=2e9))
def test_checkpoints_round_trip_exactly(state: RunState, pending: tuple[HumanRequest, ...], created_at: float) -> None:
    checkpoint = Checkpoint(id="k", created_at=created_at, state=state, requests=pending)
    assert Checkpoint.loads(checkpoint.dumps()) == checkpoint
    assert checkpoint_from_json(json.loads(json.dumps(checkpoint_to_json(checkpoint), ensure_ascii=False))) == checkpoint


@given(run_states, st.sampled_from(["usage", "answers", "completed", "history", "step", "session"]), json_values)
def test_a_damaged_run_state_is_refused_cleanly(state: RunState, field: str, junk: JsonValue) -> None:
    document: dict[str, Any] = json.loads(json.dumps(run_state_to_json(state), ensure_ascii=False))
    document[field] = junk
    try:
        decoded = run_state_from_json(document)
    except StateFormatError:
        return
    assert isinstance(decoded, RunState)


def test_a_checkpoint_written_by_runlet_0_3_is_still_read() -> None:
    call = {"call_id": "c1", "name": "refund", "arguments": '{"amount": 250}'}
    v1 = {
        "format": "runlet.checkpoint", "version": 1, "id": "k1", "run_id": "r1", "agent": "support",
        "created_at": 1.5, "step": 1, "seq": 9, "spans": 4, "elapsed": 0.25,
        "usage": {"input_tokens": 10, "output_tokens": 2, "cached_input_tokens": 0, "reasoning_tokens": 0, "requests": 1},
        "tool_calls_made": 2, "output_retries": 0, "session": None, "stored_length": 0, "history": [],
        "new": [
            {"role": "user", "parts": [{"kind": "text", "text": "refund"}]},
            {"role": "assistant", "parts": [{"kind": "tool_call", **call}, {"kind": "tool_call", "call_id": "c2", "name": "lookup", "arguments": "{}"}]},
        ],
        "instructions": "Be kind.", "context": None,
        "completed": [{"call_id": "c2", "name": "lookup", "content": "ok", "is_error": False}],
        "pending": [{
            "call": call,
            "request": {"kind": "approval", "id": "c1/0", "call": call, "reason": "large", "requested_by": "RequireApproval"},
            "answers": [],
        }],
    }
    before = json.dumps(v1)
    checkpoint = Checkpoint.from_json(v1)
    assert json.dumps(v1) == before  # reading changes nothing it was given
    state = checkpoint.state
    assert (state.run_id, state.agent, state.step, state.seq, state.spans, state.tool_calls) == ("r1", "support", 1, 9, 4, 2)
    assert state.model_requests == 1 and state.context[0] == Message.system("Be kind.")
    assert state.completed == (ToolResultPart("c2", "lookup", "ok"),)
    assert [p.call.call_id for p in checkpoint.pending] == ["c1"] and state.answers == {"c1": ()}
    assert isinstance(checkpoint.requests[0], ApprovalRequest) and checkpoint.requests[0].reason == "large"
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint  # and it is written in the new format
    assert checkpoint.to_json()["version"] == 3 and checkpoint.signature == ""  # unsigned: read, never resumed
