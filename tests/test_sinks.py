"""The shipped event sinks: memory, JSON Lines, logging, console, redacting, background.

Also: a raising sink never breaks a run (for every shipped sink), a slow sink
can be moved off the event loop, and API keys never reach events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from openai_server import (  # noqa: E402
    EventScript,
    FakeResponsesServer,
    JsonReply,
    SseReply,
    api_error,
    function_call_item,
    response_payload,
    text_response,
)
from test_events_doc import all_samples, sample  # noqa: E402

from runlet import Agent, RunContext, Runtime, tool  # noqa: E402
from runlet.core.errors import AuthenticationFailed  # noqa: E402
from runlet.core.events import (  # noqa: E402
    EVENT_TYPES,
    Event,
    ModelCompleted,
    ModelStreamDelta,
    RunCompleted,
    RunStarted,
    StepStarted,
    ToolCompleted,
    ToolStarted,
)
from runlet.core.messages import ToolCallPart  # noqa: E402
from runlet.hooks import Decision, Hooks  # noqa: E402
from runlet.sinks import (  # noqa: E402
    BackgroundSink,
    ConsoleSink,
    JsonlSink,
    LoggingSink,
    MemorySink,
    RedactingSink,
    level_of,
    redact_strings,
)
from runlet.testing import ScriptedProvider, call  # noqa: E402


@tool
async def lookup(order_id: str) -> str:
    """Look an order up by id."""
    return f"order {order_id}: shipped, arriving Tuesday"


@tool
async def explode(order_id: str) -> str:
    """Always fails."""
    raise RuntimeError(f"disk on fire for {order_id}")


def support_agent(*turns: Any) -> Agent[None, str]:
    script = turns or (call("lookup", order_id="123"), "Order 123 has shipped.")
    return Agent(name="support", instructions="Help.", model=ScriptedProvider(script), tools=(lookup, explode))


async def run_streamed(runtime: Runtime, agent: Agent[None, str], text: str = "Where is order 123?") -> list[Event]:
    return [event async for event in runtime.stream(agent, text)]


# MemorySink


async def test_memory_sink_filters() -> None:
    sink = MemorySink()
    runtime = Runtime(sinks=[sink])
    first = await runtime.run(support_agent(), "one")
    second = await runtime.run(support_agent("hi"), "two")
    assert sink.run_ids() == [first.run_id, second.run_id]
    assert [e.seq for e in sink.for_run(first.run_id)] == list(range(len(sink.for_run(first.run_id))))
    assert sink.types()[0] == "run.started"
    last = sink.last(RunCompleted)
    assert last is not None and last.output == "hi" and last.run_id == second.run_id
    assert sink.last(ToolCompleted) is not None
    assert [e.type for e in sink.where(lambda e: e.type.startswith("tool."))] == ["tool.started", "tool.completed"]
    assert sink.of_type(RunStarted)[1].input == "two"
    sink.clear()
    assert sink.events == [] and sink.last(RunStarted) is None


# JsonlSink


async def test_jsonl_writes_one_event_per_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    memory = MemorySink()
    with JsonlSink(path) as sink:
        events = await run_streamed(Runtime(sinks=[sink, memory]), support_agent())
        # Flushed as it goes: readable before the sink is closed.
        lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(events) == len(memory.events)
    assert [json.loads(line) for line in lines] == [json.loads(json.dumps(e.to_json())) for e in events]
    assert json.loads(lines[0])["type"] == "run.started"


async def test_jsonl_appends_and_to_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    for _ in range(2):
        with JsonlSink(str(path)) as sink:
            await Runtime(sinks=[sink]).run(support_agent("hi"), "x")
    runs = {json.loads(line)["run_id"] for line in path.read_text(encoding="utf-8").splitlines()}
    assert len(runs) == 2
    stream = io.StringIO()
    await Runtime(sinks=[JsonlSink(stream)]).run(support_agent("h\u00e9llo \u2603"), "x")
    lines = stream.getvalue().splitlines()
    assert "h\u00e9llo \u2603" in lines[-1]  # not escaped: readable UTF-8
    assert all(json.loads(line) for line in lines)


def test_jsonl_is_safe_from_many_threads(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    big = "x" * 20_000  # larger than any buffer: a line must still come out whole
    per_thread = 200

    base = sample(ToolCompleted)
    errors: list[BaseException] = []

    with JsonlSink(path) as sink:

        def work(index: int) -> None:
            try:
                for seq in range(per_thread):
                    result = big if seq % 10 == 0 else "small"
                    sink.emit(dataclasses.replace(base, run_id=f"thread-{index}", seq=seq, result=result))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8 * per_thread
    seen: dict[str, list[int]] = {}
    for line in lines:
        data = json.loads(line)
        seen.setdefault(data["run_id"], []).append(data["seq"])
    assert all(seqs == list(range(per_thread)) for seqs in seen.values()) and len(seen) == 8


async def test_jsonl_is_safe_under_concurrent_runs(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with JsonlSink(path) as sink:
        runtime = Runtime(sinks=[sink])
        results = await asyncio.gather(*(runtime.run(support_agent(), f"run {i}") for i in range(20)))
    by_run: dict[str, list[int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        by_run.setdefault(data["run_id"], []).append(data["seq"])
    assert set(by_run) == {r.run_id for r in results}
    assert all(seqs == list(range(len(seqs))) for seqs in by_run.values())


def test_jsonl_closed_sink_raises() -> None:
    sink = JsonlSink(io.StringIO())
    sink.close()
    with pytest.raises(ValueError, match="closed"):
        sink.emit(sample(RunStarted))


# LoggingSink


def test_logging_levels_by_kind() -> None:
    levels = {event.type: level_of(event) for event in all_samples()}
    assert len(levels) == len(EVENT_TYPES)
    for name in ("run.failed", "model.failed", "tool.failed", "tool.timed_out"):
        assert levels[name] == logging.ERROR, name
    for name in ("model.retried", "tool.denied", "output.validation_failed", "policy.stopped"):
        assert levels[name] == logging.WARNING, name
    for name in ("model.stream.delta", "model.stream.reasoning_delta", "model.stream.tool_call_delta"):
        assert levels[name] == logging.DEBUG, name
    for name in ("run.started", "run.completed", "tool.started", "tool.completed", "model.completed"):
        assert levels[name] == logging.INFO, name


async def test_logging_sink_records_carry_structured_extra(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="runlet.events")
    agent = support_agent(call("explode", order_id="9"), "sorry")
    events = await run_streamed(Runtime(sinks=[LoggingSink()]), agent)
    records = [r for r in caplog.records if r.name == "runlet.events"]
    assert len(records) == len(events)
    for record, event in zip(records, events):
        extra: Any = record
        assert extra.event is event
        assert extra.event_type == event.type and extra.run_id == event.run_id
        assert (extra.agent, extra.step, extra.seq) == (event.agent, event.step, event.seq)
        assert (extra.span_id, extra.parent_span_id) == (event.span_id, event.parent_span_id)
        assert extra.payload == dict(event.payload)
        assert record.levelno == level_of(event)
        assert record.getMessage().startswith(event.type + " {")
    failed = next(r for r in records if r.getMessage().startswith("tool.failed"))
    assert failed.levelno == logging.ERROR and "disk on fire" in failed.getMessage()


async def test_logging_sink_level_overrides_and_disabled_levels(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="custom")
    sink = LoggingSink("custom", levels={"context.budget_checked": logging.DEBUG, "run.completed": logging.WARNING})
    await run_streamed(Runtime(sinks=[sink]), support_agent("hello there"))
    types = [r.getMessage().split()[0] for r in caplog.records if r.name == "custom"]
    assert "context.budget_checked" not in types  # moved to DEBUG, which is off
    assert "model.stream.delta" not in types
    assert "run.started" in types
    (completed,) = [r for r in caplog.records if r.getMessage().startswith("run.completed")]
    assert completed.levelno == logging.WARNING


def test_logging_sink_with_null_handler_formats_nothing() -> None:
    logger = logging.getLogger("runlet.test.null")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    logger.setLevel(logging.DEBUG)

    class Loud:
        def __str__(self) -> str:  # pragma: no cover - must not be called
            raise AssertionError("formatted")

    try:
        LoggingSink(logger).emit(dataclasses.replace(sample(RunCompleted), output=str(Loud)))
    finally:
        logger.propagate = True


# ConsoleSink


async def test_console_trace_of_a_streamed_run() -> None:
    out = io.StringIO()
    agent = support_agent(call("lookup", order_id="123"), "Order 123 has shipped and arrives Tuesday.")
    await run_streamed(Runtime(sinks=[ConsoleSink(out)]), agent)
    text = out.getvalue()
    assert text.splitlines()[0] == "\u25b6 support: Where is order 123?"
    assert '\u2192 lookup({"order_id": "123"})' in text
    assert "\u2190 lookup: order 123: shipped, arriving Tuesday (" in text
    assert "step 2" in text
    # Streamed text appears inline, once, and the completion line does not repeat it.
    assert text.count("Order 123 has shipped and arrives Tuesday.") == 2  # the stream, then the final output
    assert re.search(r"\n  \u2026 Order 123 has shipped and arrives Tuesday\.\n  model scripted \(stop, \d+ in / \d+ out tokens\)\n", text)
    assert text.splitlines()[-1].startswith("\u2714 done in 2 steps (")
    assert "budget" not in text and "stream.started" not in text


async def test_console_trace_of_failures_and_truncation(capsys: pytest.CaptureFixture[str]) -> None:
    agent = support_agent(call("explode", order_id="1" * 500), "sorry")
    result = await Runtime(sinks=[ConsoleSink(max_chars=60)]).run(agent, "go")
    assert result.output == "sorry"
    err = capsys.readouterr().err  # stderr by default
    line = next(line for line in err.splitlines() if "explode failed" in line)
    assert line.endswith("\u2026") and len(line) < 100
    assert "model scripted (stop, " in err and ": sorry" in err


async def test_console_sink_survives_a_narrow_encoding() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    sink = ConsoleSink(stream)
    await Runtime(sinks=[sink]).run(support_agent(), "caf\u00e9 \u2603")
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert "support: caf? ?" in text and "done in 2 steps" in text


async def test_console_failed_run() -> None:
    out = io.StringIO()
    agent = Agent(name="a", model=ScriptedProvider([call("lookup", order_id="1")] * 3), tools=(lookup,), max_steps=2)
    with pytest.raises(Exception, match="max_steps"):
        await Runtime(sinks=[ConsoleSink(out)]).run(agent, "go")
    assert out.getvalue().splitlines()[-1].startswith("\u2716 failed: MaxStepsExceeded: ")


# RedactingSink


async def test_redacting_sink_scrubs_only_its_inner_sink() -> None:
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    redacted = MemorySink()
    plain = MemorySink()
    sink = RedactingSink(redacted, redact_strings(lambda text: email.sub("[email]", text)))

    @tool
    async def whois(address: str) -> str:
        """Who owns an address."""
        return f"{address} belongs to Ada"

    agent = Agent(
        name="support",
        model=ScriptedProvider([call("whois", address="ada@example.com"), "ada@example.com is Ada's"]),
        tools=(whois,),
    )
    await run_streamed(Runtime(sinks=[sink, plain]), agent, "who is ada@example.com?")
    everything = json.dumps([e.to_json() for e in redacted.events])
    assert "ada@example.com" not in everything
    assert "[email]" in everything
    assert redacted.of_type(RunStarted)[0].input == "who is [email]?"
    assert redacted.of_type(ToolStarted)[0].arguments == '{"address": "[email]"}'
    assert redacted.of_type(RunCompleted)[0].output == "[email] is Ada's"
    # The others see the original; the common fields are never touched.
    assert "ada@example.com" in json.dumps([e.to_json() for e in plain.events])
    assert [(e.run_id, e.seq, e.type) for e in redacted.events] == [(e.run_id, e.seq, e.type) for e in plain.events]
    # Unchanged events are passed as they are.
    assert redacted.of_type(StepStarted)[0] is plain.of_type(StepStarted)[0]


async def test_redacting_sink_can_replace_or_drop_and_wraps_async_sinks() -> None:
    received: list[Event] = []

    class AsyncSink:
        async def emit(self, event: Event) -> None:
            await asyncio.sleep(0)
            received.append(event)

    def redact(event: Event) -> Event | None:
        if isinstance(event, ModelStreamDelta):
            return None
        if isinstance(event, ToolCompleted):
            return dataclasses.replace(event, result="[redacted]")
        return event

    await run_streamed(Runtime(sinks=[RedactingSink(AsyncSink(), redact)]), support_agent())
    assert not any(isinstance(e, ModelStreamDelta) for e in received)
    (completed,) = [e for e in received if isinstance(e, ToolCompleted)]
    assert completed.result == "[redacted]"


def test_redact_strings_reaches_nested_values() -> None:
    scrub = redact_strings(lambda text: text.replace("secret", "***"))
    event = dataclasses.replace(sample(RunCompleted), output={"a": ["secret", 1, {"b": "secret"}], "n": None})
    cleaned = scrub(event)
    assert isinstance(cleaned, RunCompleted)
    assert cleaned.output == {"a": ["***", 1, {"b": "***"}], "n": None}
    model = dataclasses.replace(sample(ModelCompleted), tool_calls=("secret", "ok"))
    cleaned_model = scrub(model)
    assert isinstance(cleaned_model, ModelCompleted) and cleaned_model.tool_calls == ("***", "ok")
    untouched = sample(StepStarted)
    assert scrub(untouched) is untouched


# BackgroundSink


class BlockedSink:
    """A sink whose `emit` blocks until `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.events: list[Event] = []
        self.threads: set[str] = set()

    def emit(self, event: Event) -> None:
        self.threads.add(threading.current_thread().name)
        self.release.wait(10)
        self.events.append(event)


async def test_background_sink_keeps_a_slow_sink_off_the_event_loop() -> None:
    blocked = BlockedSink()
    memory = MemorySink()
    with BackgroundSink(blocked) as sink:
        await Runtime(sinks=[sink, memory]).run(support_agent(), "go")
        assert blocked.events == []  # the run completed while the sink was still blocked on its first event
        blocked.release.set()
        assert sink.flush(timeout=10)
        assert blocked.events == memory.events  # all of them, in order
    assert threading.main_thread().name not in blocked.threads


async def test_background_sink_inner_failure_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        calls = 0

        def emit(self, event: Event) -> None:
            Broken.calls += 1
            raise OSError("disk full")

    sink = BackgroundSink(Broken())
    await Runtime(sinks=[sink]).run(support_agent(), "go")
    sink.close()
    assert Broken.calls == 1
    assert len([r for r in caplog.records if "disk full" in (r.exc_text or "") or r.name == "runlet.sinks"]) == 1


async def test_background_sink_awaits_async_inner_and_drops_when_full() -> None:
    received: list[str] = []
    gate = threading.Event()

    class AsyncInner:
        async def emit(self, event: Event) -> None:
            await asyncio.sleep(0)
            gate.wait(5)
            received.append(event.type)

    sink = BackgroundSink(AsyncInner(), max_queue=2)
    events = all_samples()
    for event in events:
        sink.emit(event)  # never blocks, though the worker is stuck
    assert sink.dropped >= len(events) - 3
    gate.set()
    sink.close()
    assert len(received) == len(events) - sink.dropped
    sink.emit(events[0])
    assert sink.dropped == len(events) - len(received) + 1


# A raising sink never breaks a run, whichever sink it is.


class _RaisingStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("stream gone")


class _RaisingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        raise RuntimeError("filter exploded")


class _RaisingList(list[Event]):
    def append(self, event: Event) -> None:
        raise MemoryError("no room")


def _broken_memory() -> MemorySink:
    sink = MemorySink()
    sink.events = _RaisingList()
    return sink


def _broken_jsonl() -> JsonlSink:
    sink = JsonlSink(io.StringIO())
    sink.close()
    return sink


def _broken_logging() -> LoggingSink:
    logger = logging.getLogger("runlet.test.broken")
    logger.setLevel(logging.DEBUG)
    for existing in list(logger.filters):
        logger.removeFilter(existing)
    logger.addFilter(_RaisingFilter())
    return LoggingSink(logger)


def _broken_redacting() -> RedactingSink:
    def redact(event: Event) -> Event:
        raise ValueError("bad regex")

    return RedactingSink(MemorySink(), redact)


BROKEN: dict[str, Callable[[], Any]] = {
    "memory": _broken_memory,
    "jsonl": _broken_jsonl,
    "logging": _broken_logging,
    "console": lambda: ConsoleSink(_RaisingStream()),
    "redacting": _broken_redacting,
    "redacting-inner": lambda: RedactingSink(ConsoleSink(_RaisingStream()), lambda event: event),
}


@pytest.mark.parametrize("make", BROKEN.values(), ids=list(BROKEN))
async def test_a_raising_sink_never_breaks_a_run(make: Callable[[], Any], caplog: pytest.LogCaptureFixture) -> None:
    broken = make()
    after = MemorySink()
    caplog.set_level(logging.ERROR, logger="runlet")
    result = await Runtime(sinks=[broken, after]).run(support_agent(), "go")
    assert result.output == "Order 123 has shipped."
    assert after.types()[-1] == "run.completed"
    reports = [r for r in caplog.records if r.name == "runlet" and "event sink" in r.getMessage()]
    assert len(reports) == 1, [r.getMessage() for r in caplog.records]
    assert "run.started" in reports[0].getMessage()


async def test_background_sink_over_a_raising_sink_never_breaks_a_run() -> None:
    with BackgroundSink(ConsoleSink(_RaisingStream())) as sink:
        result = await Runtime(sinks=[sink]).run(support_agent(), "go")
    assert result.output == "Order 123 has shipped."


# Secrets never reach events.

API_KEY = "sk-live-SECRET-4f9a8b7c6d5e"


@pytest.fixture
def server() -> Iterator[FakeResponsesServer]:
    with FakeResponsesServer() as fake:
        yield fake


def _events_text(sink: MemorySink) -> str:
    return "\n".join(json.dumps(e.to_json()) for e in sink.events) + "\n" + "\n".join(repr(e) for e in sink.events)


def _assert_no_secret(sink: MemorySink) -> None:
    text = _events_text(sink)
    assert sink.events
    assert API_KEY not in text
    assert "Bearer" not in text
    assert not re.search("authorization", text, re.I)


async def test_api_key_is_in_no_event(server: FakeResponsesServer) -> None:
    from runlet.providers import OpenAIResponsesProvider

    server.add(
        JsonReply(response_payload([function_call_item("call_9", "lookup", '{"order_id": "123"}')])),
        JsonReply(text_response("Order 123 has shipped.")),
        SseReply(EventScript().created().text(["Order ", "123 ", "has shipped."]).completed().events),
    )
    provider = OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key=API_KEY)
    agent = Agent(name="support", instructions="Help.", model=provider, tools=(lookup,))
    sink = MemorySink()
    jsonl = io.StringIO()
    runtime = Runtime(sinks=[sink, JsonlSink(jsonl), LoggingSink(), ConsoleSink(io.StringIO())])
    result = await runtime.run(agent, "Where is order 123?")
    assert result.output == "Order 123 has shipped."
    assert [e.type for e in await run_streamed(runtime, agent)][-1] == "run.completed"
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    _assert_no_secret(sink)
    assert API_KEY not in jsonl.getvalue()


async def test_api_key_is_in_no_event_when_the_provider_fails(server: FakeResponsesServer) -> None:
    from runlet.providers import OpenAIResponsesProvider

    # A server that echoes the key in its error message: the provider scrubs it before any event.
    server.add(api_error(401, f"Incorrect API key provided: {API_KEY}", code="invalid_api_key"))
    provider = OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key=API_KEY)
    sink = MemorySink()
    with pytest.raises(AuthenticationFailed):
        await Runtime(sinks=[sink]).run(Agent(name="support", model=provider), "hi")
    assert sink.types()[-1] == "run.failed"
    _assert_no_secret(sink)


async def test_hook_decisions_reach_sinks_without_the_call_arguments() -> None:
    def deny(ctx: RunContext[None], call: ToolCallPart) -> Decision[ToolCallPart]:
        return Decision.veto("not allowed here")

    sink = MemorySink()
    out = io.StringIO()
    agent = Agent(
        name="support",
        model=ScriptedProvider([call("lookup", order_id="1"), "ok"]),
        tools=(lookup,),
        hooks=(Hooks(before_tool_call=deny, name="policy"),),
    )
    await Runtime(sinks=[sink, ConsoleSink(out)]).run(agent, "go")
    assert "tool.denied" in sink.types() and "hook.decided" in sink.types()
    assert "! lookup denied by policy: not allowed here" in out.getvalue()
    assert "hook policy vetoed at before_tool_call: not allowed here" in out.getvalue()
