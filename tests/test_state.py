"""Sessions: stores, the runtime's load and append, hooks, events, atomicity, conflicts, formats."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from runlet import Agent, Message, RunContext, Runtime, tool
from runlet.core.errors import HookError, MaxStepsExceeded, UserError
from runlet.core.events import StateLoaded, StateSaved
from runlet.core.hooks import StateOperation
from runlet.core.messages import ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from runlet.core.models import ModelRequest
from runlet.core.serialize import dumps_message, loads_messages
from runlet.core.state import (
    MAX_SESSION_ID_LENGTH,
    InvalidSessionId,
    SessionConflict,
    StateError,
    StateFormatError,
    StateStore,
    StateVetoed,
    UnsupportedStateVersion,
)
from runlet.hooks import Decision, Hooks
from runlet.sinks import MemorySink
from runlet.stores import MemoryStore, SQLiteStore, shared_memory_store
from runlet.testing import FunctionProvider, ScriptedProvider, Turn, call


def assert_valid_history(messages: Sequence[Message]) -> None:
    """Every tool call is answered by the tool message right after it, and every result answers a call."""
    pending: set[str] = set()
    for message in messages:
        results = {part.call_id for part in message.tool_results}
        if message.role == "tool":
            assert results <= pending, f"tool results without a call: {results - pending}"
            pending -= results
            continue
        assert not pending, f"tool calls without a result before a {message.role} message: {pending}"
        pending = {part.call_id for part in message.tool_calls}
    assert not pending, f"tool calls without a result at the end: {pending}"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        with SQLiteStore(tmp_path / "state.db") as sqlite_store:
            yield sqlite_store


def echo_agent(name: str = "echo") -> Agent[None, str]:
    """Answers every user message with how many user messages it has seen."""

    def answer(request: ModelRequest) -> Turn:
        users = [m.text for m in request.messages if m.role == "user"]
        return f"{len(users)}: {users[-1]}"

    return Agent(name=name, model=FunctionProvider(answer), instructions="Echo.")


@tool
async def note(text: str) -> str:
    """Write a note down."""
    return f"noted {text}"


def tool_agent(model: FunctionProvider | ScriptedProvider, tools: Sequence[object] = ()) -> Agent[None, str]:
    return Agent(name="notes", model=model, tools=(note,))


def calling_then_answering(request: ModelRequest) -> Turn:
    last = request.messages[-1]
    if last.role == "user":
        return call("note", text=last.text)
    return "done: " + last.tool_results[0].content


# The stores


async def test_store_appends_loads_and_checks_the_expected_length(store: StateStore) -> None:
    assert await store.load("a") == ()
    first = (Message.user("hi"), Message.assistant("hello"))
    assert await store.append("a", first, expected_length=0) == 2
    assert await store.append("a", [Message.user("more")]) == 3
    assert await store.load("a") == (*first, Message.user("more"))
    assert await store.load("b") == ()
    with pytest.raises(SessionConflict) as caught:
        await store.append("a", [Message.user("stale")], expected_length=2)
    assert (caught.value.session, caught.value.expected, caught.value.actual) == ("a", 2, 3)
    assert "another run appended" in str(caught.value)
    assert len(await store.load("a")) == 3


async def test_store_keeps_every_part_kind(store: StateStore) -> None:
    messages = (
        Message.system("be brief"),
        Message.user("héllo ✓ 你好"),
        Message.assistant(
            (
                ReasoningPart("openai", {"id": "rs_1", "encrypted": "xyz", "n": [1, 2.5, None, True]}, "thinking"),
                TextPart("let me look"),
                ToolCallPart("c1", "lookup", '{"id": 1}'),
            )
        ),
        Message("tool", (ToolResultPart("c1", "lookup", "boom", is_error=True),)),
        Message.assistant("sorry"),
    )
    await store.append("s", messages)
    assert await store.load("s") == messages


async def test_key_value_state_is_per_session_and_a_copy(store: StateStore) -> None:
    assert await store.get_state("s", "prefs") is None
    prefs = {"lang": "fr", "tags": ["a", "b"], "n": 3, "x": 1.5, "ok": True, "none": None}
    await store.set_state("s", "prefs", prefs)
    prefs["lang"] = "de"  # the stored value does not change with the caller's object
    assert await store.get_state("s", "prefs") == {**prefs, "lang": "fr"}
    assert await store.get_state("t", "prefs") is None
    await store.set_state("s", "prefs", 7)
    assert await store.get_state("s", "prefs") == 7
    with pytest.raises(ValueError):
        await store.set_state("s", "bad", float("nan"))


async def test_memory_store_extras() -> None:
    store = MemoryStore()
    await store.append("a", [Message.user("x")])
    await store.set_state("b", "k", 1)
    assert sorted(store.sessions()) == ["a", "b"]
    store.delete_session("a")
    assert await store.load("a") == ()


async def test_sqlite_store_extras_and_close(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    await store.append("a", [Message.user("x")])
    await store.set_state("b", "k", 1)
    assert await store.sessions() == ("a", "b")
    await store.delete_session("a")
    assert await store.load("a") == ()
    assert repr(store) == f"SQLiteStore({str(tmp_path / 'x.db')!r})"
    store.close()
    with pytest.raises(StateError, match="closed"):
        await store.load("b")


async def test_sqlite_store_is_one_wal_file_and_durable_for_a_new_connection(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    with SQLiteStore(path) as store:
        await Runtime(store=store).run(echo_agent(), "hi", session="s")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM runlet_schema").fetchone()[0] == 1
        rows = db.execute("SELECT position, message FROM runlet_messages WHERE session = 's' ORDER BY position").fetchall()
    assert [position for position, _ in rows] == [0, 1]
    assert json.loads(rows[0][1]) == {"role": "user", "parts": [{"kind": "text", "text": "hi"}]}
    with SQLiteStore(path) as again:
        assert [m.text for m in await again.load("s")] == ["hi", "1: hi"]


# Formats and versions

# A session as version 1 writes it. Future versions must keep reading this.
V1_SQL = """
CREATE TABLE runlet_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO runlet_schema VALUES (1, 1);
CREATE TABLE runlet_messages (session TEXT NOT NULL, position INTEGER NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (session, position)) WITHOUT ROWID;
CREATE TABLE runlet_state (session TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (session, key)) WITHOUT ROWID;
INSERT INTO runlet_messages VALUES ('s', 0, '{"role":"user","parts":[{"kind":"text","text":"Where is 123?"}]}');
INSERT INTO runlet_messages VALUES ('s', 1, '{"role":"assistant","parts":[{"kind":"reasoning","provider":"openai","data":{"id":"rs_1"},"summary":"look"},{"kind":"tool_call","call_id":"c1","name":"lookup","arguments":"{\\"id\\":\\"123\\"}"}]}');
INSERT INTO runlet_messages VALUES ('s', 2, '{"role":"tool","parts":[{"kind":"tool_result","call_id":"c1","name":"lookup","content":"shipped","is_error":false}]}');
INSERT INTO runlet_messages VALUES ('s', 3, '{"role":"assistant","parts":[{"kind":"text","text":"It shipped."}]}');
INSERT INTO runlet_state VALUES ('s', 'count', '2');
"""

V1_MESSAGES = (
    Message.user("Where is 123?"),
    Message.assistant(
        (ReasoningPart("openai", {"id": "rs_1"}, "look"), ToolCallPart("c1", "lookup", '{"id":"123"}'))
    ),
    Message.tool_result("c1", "shipped", name="lookup"),
    Message.assistant("It shipped."),
)


def make_db(path: Path, sql: str) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(sql)
    db.close()


async def test_a_version_1_file_is_read_and_extended(tmp_path: Path) -> None:
    make_db(tmp_path / "v1.db", V1_SQL)
    with SQLiteStore(tmp_path / "v1.db") as store:
        assert await store.load("s") == V1_MESSAGES
        assert await store.get_state("s", "count") == 2
        result = await Runtime(store=store).run(echo_agent(), "and 456?", session="s")
        assert result.messages[:4] == V1_MESSAGES
        assert len(await store.load("s")) == 6


async def test_a_version_1_messages_document_is_read() -> None:
    document = (
        '{"format": "runlet.messages", "version": 1, "messages": '
        '[{"role": "user", "parts": [{"kind": "text", "text": "hi"}]}]}'
    )
    assert loads_messages(document) == (Message.user("hi"),)


async def test_a_future_version_is_refused_clearly(tmp_path: Path) -> None:
    make_db(tmp_path / "v9.db", V1_SQL.replace("VALUES (1, 1)", "VALUES (1, 9)"))
    store = SQLiteStore(tmp_path / "v9.db")
    with pytest.raises(UnsupportedStateVersion, match=r"format version 9.*reads versions up to 1.*upgrade runlet"):
        await store.load("s")
    with pytest.raises(UnsupportedStateVersion) as caught:
        loads_messages('{"format": "runlet.messages", "version": 2, "messages": []}')
    assert (caught.value.found, caught.value.supported) == (2, 1)
    with pytest.raises(StateFormatError, match="not a runlet messages document"):
        loads_messages('{"messages": []}')


async def test_a_damaged_row_is_a_state_format_error(tmp_path: Path) -> None:
    make_db(tmp_path / "bad.db", V1_SQL + "INSERT INTO runlet_messages VALUES ('s', 4, '{\"role\":\"user\",\"parts\":[{\"kind\":\"video\"}]}');")
    with SQLiteStore(tmp_path / "bad.db") as store:
        with pytest.raises(StateFormatError, match="unknown message part kind 'video'"):
            await store.load("s")
        make_db(tmp_path / "bad.db", "INSERT INTO runlet_messages VALUES ('t', 0, 'not json');")
        with pytest.raises(StateFormatError, match="not valid JSON"):
            await store.load("t")


# Opening a file that is not a Runlet store


async def test_opening_a_file_that_is_not_a_runlet_store_names_the_path_and_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello, I am a text file\n" * 100)
    foreign = tmp_path / "foreign.db"
    make_db(foreign, "CREATE TABLE runlet_messages (id INTEGER PRIMARY KEY, body BLOB);")
    odd = tmp_path / "odd.db"
    make_db(odd, V1_SQL.replace("runlet_state (session TEXT NOT NULL, key", "runlet_state (name TEXT NOT NULL, key").replace(
        "PRIMARY KEY (session, key)", "PRIMARY KEY (name, key)"
    ))
    cases = [
        (folder, "is a directory.*give SQLiteStore the path of a file"),
        (not_a_db, "is not a SQLite database.*give SQLiteStore a new path"),
        (foreign, "has a table runlet_messages that Runlet did not create.*a file of its own"),
        (odd, r"its table runlet_state has columns \(name, key, value\).*a file of its own"),
        (tmp_path / "missing" / "x.db", "cannot open.*check that its folder exists"),
    ]
    for path, message in cases:
        with SQLiteStore(path) as store:
            for attempt in range(2):  # the check is made again, not remembered as half-open
                with pytest.raises(StateError, match=message) as caught:
                    await store.load("s")
                assert str(path) in str(caught.value), attempt
    assert not_a_db.read_text().startswith("hello") and foreign.stat().st_size > 0  # nothing was written


async def test_session_ids_are_checked_by_every_store_and_the_runtime(store: StateStore) -> None:
    longest = "s" * MAX_SESSION_ID_LENGTH
    await store.append(longest, [Message.user("x")])
    assert await store.load(longest) == (Message.user("x"),)
    huge = "x" * 10_000_000
    for bad, message in (("", "non-empty"), (huge, f"at most {MAX_SESSION_ID_LENGTH} characters.*10,000,000"), ("a\x00b", "NUL")):
        with pytest.raises(InvalidSessionId, match=message):
            await store.load(bad)
        with pytest.raises(InvalidSessionId, match=message):
            await store.append(bad, [Message.user("x")])
        with pytest.raises(InvalidSessionId, match=message):
            await store.set_state(bad, "k", 1)
        with pytest.raises(InvalidSessionId, match=message):
            await store.get_state(bad, "k")
        with pytest.raises(InvalidSessionId, match=message):  # a UserError too: refused at the call
            Runtime(store=store).stream(echo_agent(), "x", session=bad)
    assert isinstance(InvalidSessionId("x"), (StateError, UserError))


def test_serialised_message_text_is_compact_and_readable() -> None:
    assert dumps_message(Message.user("é")) == '{"role":"user","parts":[{"kind":"text","text":"é"}]}'


# The runtime


async def test_a_session_continues_across_runs_and_runtimes(store: StateStore) -> None:
    agent = echo_agent()
    first = await Runtime(store=store).run(agent, "one", session="chat")
    second = await Runtime(store=store).run(agent, "two", session="chat")
    assert (first.output, second.output) == ("1: one", "2: two")
    assert [m.text for m in second.messages] == ["one", "1: one", "two", "2: two"]
    assert [m.text for m in second.new_messages] == ["two", "2: two"]
    assert await store.load("chat") == second.messages
    other = await Runtime(store=store).run(agent, "hello", session="other")
    assert other.output == "1: hello"


async def test_without_a_session_a_run_is_stateless() -> None:
    store = MemoryStore()
    runtime = Runtime(store=store)
    await runtime.run(echo_agent(), "one")
    result = await runtime.run(echo_agent(), "two")
    assert result.output == "1: two"
    assert store.sessions() == ()


async def test_the_default_store_is_shared_by_the_process() -> None:
    assert Runtime().store is shared_memory_store()
    session = "test_state-default-store"
    await Runtime().run(echo_agent(), "one", session=session)
    result = await Runtime().run(echo_agent(), "two", session=session)
    assert result.output == "2: two"
    shared_memory_store().delete_session(session)


async def test_stream_and_run_sync_take_a_session(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        runtime = Runtime(store=store)
        events = [event async for event in runtime.stream(echo_agent(), "one", session="s")]
        assert events[-1].type == "run.completed"
        assert [m.text for m in await store.load("s")] == ["one", "1: one"]

    def in_a_thread() -> str:
        return Runtime(store=store2).run_sync(echo_agent(), "two", session="s").output

    with SQLiteStore(tmp_path / "s.db") as store2:
        assert await asyncio.to_thread(in_a_thread) == "2: two"
        assert len(await store2.load("s")) == 4


async def test_session_and_history_together_are_refused() -> None:
    runtime = Runtime(store=MemoryStore())
    history = [Message.user("earlier")]
    with pytest.raises(UserError, match="history= or session="):
        await runtime.run(echo_agent(), "x", history=history, session="s")
    with pytest.raises(UserError, match="history= or session="):
        runtime.stream(echo_agent(), "x", history=history, session="s")  # refused at the call, not the first event
    with pytest.raises(UserError, match="non-empty"):
        await runtime.run(echo_agent(), "x", session="")


async def test_state_events_come_in_order_with_counts(store: StateStore) -> None:
    sink = MemorySink()
    runtime = Runtime(store=store, sinks=(sink,))
    await runtime.run(tool_agent(FunctionProvider(calling_then_answering)), "a", session="s")
    sink.clear()
    await runtime.run(tool_agent(FunctionProvider(calling_then_answering)), "b", session="s")
    types = sink.types()
    assert types[:3] == ["run.started", "state.loaded", "step.started"]
    assert types[-3:] == ["step.completed", "state.saved", "run.completed"]
    (loaded,) = sink.of_type(StateLoaded)
    (saved,) = sink.of_type(StateSaved)
    assert (loaded.session, loaded.messages) == ("s", 4)
    assert (saved.session, saved.messages) == ("s", 4)
    assert loaded.payload == {"session": "s", "messages": 4}
    assert saved.parent_span_id == loaded.parent_span_id == sink.events[0].span_id
    assert_valid_history(await store.load("s"))


# Atomicity: a failed or cancelled run stores nothing


async def test_a_failed_run_stores_nothing(store: StateStore) -> None:
    runtime = Runtime(store=store)
    await runtime.run(echo_agent(), "ok", session="s")
    looping = Agent(name="loop", model=FunctionProvider(lambda _: call("note", text="again")), tools=(note,), max_steps=3)
    with pytest.raises(MaxStepsExceeded):
        await runtime.run(looping, "loop forever", session="s")
    assert [m.text for m in await store.load("s")] == ["ok", "1: ok"]
    crashing = tool_agent(ScriptedProvider([call("note", text="x")]))  # the script runs out after the tool call
    with pytest.raises(Exception, match="script"):
        await runtime.run(crashing, "crash", session="s")
    assert len(await store.load("s")) == 2


async def test_a_cancelled_run_stores_nothing(store: StateStore) -> None:
    started = asyncio.Event()

    @tool
    async def slow() -> str:
        """Take a long time."""
        started.set()
        await asyncio.sleep(30)
        return "late"

    agent = Agent(name="slow", model=ScriptedProvider([call("slow"), "never"]), tools=(slow,))
    task = asyncio.ensure_future(Runtime(store=store).run(agent, "go", session="s"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.load("s") == ()


async def test_leaving_a_stream_early_stores_nothing(store: StateStore) -> None:
    runtime = Runtime(store=store)
    stream = runtime.stream(tool_agent(FunctionProvider(calling_then_answering)), "a", session="s")
    assert isinstance(stream, AsyncIterator)
    async for event in stream:
        if event.type == "tool.completed":
            break
    await stream.aclose()
    assert await store.load("s") == ()


# Concurrency: optimistic, one winner, never interleaved


async def test_concurrent_runs_on_one_session_conflict_and_never_interleave(store: StateStore) -> None:
    runtime = Runtime(store=store)
    await runtime.run(echo_agent(), "start", session="s")
    both_loaded = asyncio.Barrier(2) if hasattr(asyncio, "Barrier") else None

    async def answer(request: ModelRequest) -> Turn:
        if both_loaded is not None:
            await both_loaded.wait()  # both runs have loaded the same history before either appends
        last = request.messages[-1]
        if last.role == "user":
            return call("note", text=last.text)
        await asyncio.sleep(0)
        return "done"

    agent = tool_agent(FunctionProvider(answer))
    results = await asyncio.gather(
        runtime.run(agent, "first", session="s"), runtime.run(agent, "second", session="s"), return_exceptions=True
    )
    conflicts = [r for r in results if isinstance(r, SessionConflict)]
    assert len(conflicts) == 1, results
    assert (conflicts[0].expected, conflicts[0].actual) == (2, 6)
    stored = await store.load("s")
    assert len(stored) == 6
    assert_valid_history(stored)
    winner = next(r for r in results if not isinstance(r, BaseException))
    assert stored == winner.messages


# Hooks


async def test_before_state_veto_of_a_load_stops_the_run(store: StateStore) -> None:
    provider = FunctionProvider(lambda _: "hi")
    hooks = Hooks(before_state=lambda ctx, op: Decision.veto("no history for you") if op.kind == "load" else None)
    sink = MemorySink()
    with pytest.raises(StateVetoed, match="no history for you") as caught:
        await Runtime(store=store, hooks=(hooks,), sinks=(sink,)).run(
            Agent(name="a", model=provider), "x", session="s"
        )
    assert (caught.value.hook, caught.value.reason) == ("Hooks", "no history for you")
    assert provider.requests == []
    assert sink.types()[-2:] == ["hook.decided", "run.failed"]
    assert await store.load("s") == ()


async def test_before_state_redacts_what_is_appended(store: StateStore) -> None:
    def redact(ctx: RunContext[object], op: StateOperation) -> Decision[StateOperation] | None:
        if op.kind != "append":
            return None
        cleaned = tuple(
            Message(m.role, tuple(TextPart(p.text.replace("secret", "***")) if isinstance(p, TextPart) else p for p in m.parts))
            for m in op.messages
        )
        return Decision.replace(StateOperation("append", op.session, cleaned), reason="redact")

    result = await Runtime(store=store, hooks=(Hooks(before_state=redact),)).run(echo_agent(), "my secret", session="s")
    assert result.output == "1: my secret"  # the run itself saw the real text
    assert [m.text for m in await store.load("s")] == ["my ***", "1: my ***"]


async def test_a_vetoed_append_stores_nothing_but_the_run_completes(store: StateStore) -> None:
    hooks = Hooks(before_state=lambda ctx, op: Decision.veto("ephemeral") if op.kind == "append" else None)
    sink = MemorySink()
    result = await Runtime(store=store, hooks=(hooks,), sinks=(sink,)).run(echo_agent(), "x", session="s")
    assert result.output == "1: x"
    assert await store.load("s") == ()
    assert "state.saved" not in sink.types()
    assert "hook.decided" in sink.types()


async def test_after_state_replaces_what_was_loaded_and_the_append_still_extends_the_store(store: StateStore) -> None:
    runtime = Runtime(store=store)
    for text in ("a", "b"):
        await runtime.run(echo_agent(), text, session="s")

    def last_turn_only(ctx: RunContext[object], op: StateOperation) -> Decision[StateOperation] | None:
        if op.kind == "load":
            return Decision.replace(StateOperation("load", op.session, op.messages[-2:]))
        return None

    agent = echo_agent()
    result = await Runtime(store=store, hooks=(Hooks(after_state=last_turn_only),)).run(agent, "c", session="s")
    assert result.output == "2: c"  # the model saw only the last turn
    assert [m.text for m in await store.load("s")] == ["a", "1: a", "b", "2: b", "c", "2: c"]


async def test_a_state_hook_may_not_change_the_session(store: StateStore) -> None:
    hooks = Hooks(before_state=lambda ctx, op: Decision.replace(StateOperation(op.kind, "elsewhere", op.messages)))
    with pytest.raises(HookError, match="keeps the kind and session") as caught:
        await Runtime(store=store, hooks=(hooks,)).run(echo_agent(), "x", session="s")
    assert (caught.value.hook, caught.value.point) == ("Hooks", "before_state")


async def test_a_store_is_anything_with_the_four_methods() -> None:
    class Recording:
        def __init__(self) -> None:
            self.calls: list[tuple[str, str, int | None]] = []
            self.inner = MemoryStore()

        async def load(self, session: str) -> tuple[Message, ...]:
            self.calls.append(("load", session, None))
            return await self.inner.load(session)

        async def append(self, session: str, messages: Sequence[Message], *, expected_length: int | None = None) -> int:
            self.calls.append(("append", session, expected_length))
            return await self.inner.append(session, messages, expected_length=expected_length)

        async def get_state(self, session: str, key: str) -> object:
            return await self.inner.get_state(session, key)

        async def set_state(self, session: str, key: str, value: object) -> None:
            raise NotImplementedError

    store = Recording()
    runtime = Runtime(store=store)  # type: ignore[arg-type]  # get/set_state typed loosely here on purpose
    await runtime.run(echo_agent(), "a", session="s")
    await runtime.run(echo_agent(), "b", session="s")
    assert store.calls == [("load", "s", None), ("append", "s", 0), ("load", "s", None), ("append", "s", 2)]


async def test_tools_reach_the_key_value_space_through_deps(tmp_path: Path) -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Deps:
        store: StateStore
        session: str

    @tool
    async def count(ctx: RunContext[Deps]) -> str:
        """Count calls in this session."""
        seen = await ctx.deps.store.get_state(ctx.deps.session, "count")
        total = (seen if isinstance(seen, int) else 0) + 1
        await ctx.deps.store.set_state(ctx.deps.session, "count", total)
        return str(total)

    with SQLiteStore(tmp_path / "kv.db") as store:
        def answer(request: ModelRequest) -> Turn:
            last = request.messages[-1]
            return call("count") if last.role == "user" else last.tool_results[0].content

        agent = Agent(name="c", model=FunctionProvider(answer), tools=(count,))
        runtime = Runtime(store=store)
        deps = Deps(store, "s")
        await runtime.run(agent, "one", deps=deps, session="s")
        result = await runtime.run(agent, "two", deps=deps, session="s")
        assert result.output == "2"
        assert await store.get_state("s", "count") == 2
