"""OpenTelemetrySink: spans after the GenAI semantic conventions, checked with the SDK's in-memory exporter."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from runlet import Agent, RunContext, Runtime, tool  # noqa: E402
from runlet.core.errors import MaxStepsExceeded, RateLimited  # noqa: E402
from runlet.core.messages import ToolCallPart  # noqa: E402
from runlet.core.models import ModelRequest, ModelResponse, Usage  # noqa: E402
from runlet.core.messages import TextPart  # noqa: E402
from runlet.hooks import Decision, Hooks  # noqa: E402
from runlet.runtime import RetryPolicy  # noqa: E402
from runlet.sinks import MemorySink  # noqa: E402
from runlet.sinks.otel import OpenTelemetrySink  # noqa: E402
from runlet.testing import FunctionProvider, ScriptedProvider, call  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@tool
async def lookup(order_id: str) -> str:
    """Look an order up by id."""
    return f"order {order_id}: shipped"


@tool
async def explode(order_id: str) -> str:
    """Always fails."""
    raise RuntimeError("disk on fire")


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield tracer_provider
    tracer_provider.shutdown()


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def one(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    found = by_name(spans, name)
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def agent(*turns: Any, **kwargs: Any) -> Agent[None, str]:
    script = turns or (call("lookup", order_id="123"), "Order 123 has shipped.")
    return Agent(name="support", instructions="Help.", model=ScriptedProvider(script), tools=(lookup, explode), **kwargs)


async def test_span_tree_and_genai_attributes(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    memory = MemorySink()
    await Runtime(sinks=[OpenTelemetrySink(provider), memory]).run(agent(), "Where is order 123?")
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == sorted(
        ["invoke_agent support", "step 1", "step 2", "chat", "chat", "execute_tool lookup"]
    )
    run = one(spans, "invoke_agent support")
    step1, step2 = by_name(spans, "step 1")[0], by_name(spans, "step 2")[0]
    chat1, chat2 = sorted(by_name(spans, "chat"), key=lambda s: s.start_time or 0)
    tool_span = one(spans, "execute_tool lookup")

    # The tree: run > step > model call / tool call, all in one trace.
    assert run.parent is None
    assert parent_of(step1) == parent_of(step2) == run.context.span_id
    assert parent_of(chat1) == parent_of(tool_span) == step1.context.span_id
    assert parent_of(chat2) == step2.context.span_id
    assert len({s.context.trace_id for s in spans}) == 1

    assert run.kind == SpanKind.INTERNAL and chat1.kind == SpanKind.CLIENT and tool_span.kind == SpanKind.INTERNAL
    completed = memory.events[-1]
    assert attrs(run) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support",
        "runlet.run_id": completed.run_id,
        "gen_ai.usage.input_tokens": attrs(chat1)["gen_ai.usage.input_tokens"] + attrs(chat2)["gen_ai.usage.input_tokens"],
        "gen_ai.usage.output_tokens": attrs(chat1)["gen_ai.usage.output_tokens"] + attrs(chat2)["gen_ai.usage.output_tokens"],
        "runlet.steps": 2,
    }
    assert attrs(chat1)["gen_ai.operation.name"] == "chat"
    assert attrs(chat1)["gen_ai.response.model"] == "scripted"
    assert attrs(chat1)["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attrs(chat2)["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs(chat1)["runlet.provider"] == "ScriptedProvider"
    tool_attrs = attrs(tool_span)
    assert tool_attrs["gen_ai.operation.name"] == "execute_tool"
    assert tool_attrs["gen_ai.tool.name"] == "lookup"
    assert tool_attrs["gen_ai.tool.call.id"].startswith("call_")
    assert tool_attrs["gen_ai.tool.type"] == "function"
    # Content stays out unless asked for.
    everything = json.dumps([attrs(s) for s in spans] + [[dict(e.attributes or {}) for e in s.events] for s in spans])
    assert "Where is order 123?" not in everything and "shipped" not in everything
    assert "gen_ai.input.messages" not in everything and "gen_ai.tool.call.arguments" not in everything
    # Statuses: all fine; spans start and end at the events' times.
    assert all(s.status.status_code == StatusCode.UNSET for s in spans)
    started = memory.events[0].timestamp
    assert run.start_time == int(started * 1_000_000_000)
    assert all((s.end_time or 0) >= (s.start_time or 0) for s in spans)
    # Budget checks became span events on their step.
    assert [e.name for e in step1.events] == ["context.budget_checked"]
    assert dict(step1.events[0].attributes or {})["source"] in {"estimate", "calibrated", "exact"}


async def test_streamed_run_gives_the_same_tree(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    async for _ in Runtime(sinks=[OpenTelemetrySink(provider)]).stream(agent(), "go"):
        pass
    spans = exporter.get_finished_spans()
    assert len(spans) == 6
    assert all(attrs(s)["runlet.streaming"] is True for s in by_name(spans, "chat"))


async def test_capture_content_opt_in(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    await Runtime(sinks=[OpenTelemetrySink(provider, capture_content=True)]).run(agent(), "Where is order 123?")
    spans = exporter.get_finished_spans()
    run = one(spans, "invoke_agent support")
    assert json.loads(attrs(run)["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Where is order 123?"}]}
    ]
    assert json.loads(attrs(run)["gen_ai.output.messages"])[0]["parts"][0]["content"] == "Order 123 has shipped."
    tool_span = one(spans, "execute_tool lookup")
    assert json.loads(attrs(tool_span)["gen_ai.tool.call.arguments"]) == {"order_id": "123"}
    assert attrs(tool_span)["gen_ai.tool.call.result"] == "order 123: shipped"
    last_chat = max(by_name(spans, "chat"), key=lambda s: s.start_time or 0)
    assert "Order 123 has shipped." in attrs(last_chat)["gen_ai.output.messages"]


async def test_tool_failure_timeout_and_denial_are_errors(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    @tool(timeout=0.01)
    async def slow() -> str:
        """Too slow."""
        await asyncio.sleep(5)
        return "never"

    def deny(ctx: RunContext[None], part: ToolCallPart) -> Decision[ToolCallPart] | None:
        return Decision.veto("not today") if part.name == "lookup" else None

    turns = [[call("explode", order_id="1"), call("slow"), call("lookup", order_id="2")], "sorry"]
    subject = Agent(
        name="support",
        model=ScriptedProvider(turns),
        tools=(lookup, explode, slow),
        hooks=(Hooks(before_tool_call=deny, name="policy"),),
    )
    result = await Runtime(sinks=[OpenTelemetrySink(provider)]).run(subject, "go")
    assert result.output == "sorry"
    spans = exporter.get_finished_spans()
    failed = one(spans, "execute_tool explode")
    timed_out = one(spans, "execute_tool slow")
    denied = one(spans, "execute_tool lookup")
    for span, kind, words in (
        (failed, "RuntimeError", "disk on fire"),  # the exception class, as the conventions ask
        (timed_out, "tool.timed_out", "timed out"),
        (denied, "tool.denied", "denied by policy: not today"),
    ):
        assert span.status.status_code == StatusCode.ERROR
        assert words in (span.status.description or "")
        assert attrs(span)["error.type"] == kind
        (event,) = [e for e in span.events if e.name == "exception"]
        assert words in str(dict(event.attributes or {})["exception.message"])
    run = one(spans, "invoke_agent support")
    assert run.status.status_code == StatusCode.UNSET
    assert "hook.decided" in [e.name for e in one(spans, "step 1").events]


async def test_failed_run_ends_open_spans_with_error(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    attempts = 0

    async def failing(request: ModelRequest) -> str:
        nonlocal attempts
        attempts += 1
        raise RateLimited("slow down", provider="test")

    subject = Agent(name="support", model=FunctionProvider(failing))
    runtime = Runtime(sinks=[OpenTelemetrySink(provider)], retry=RetryPolicy(max_attempts=2, initial_delay=0))
    with pytest.raises(RateLimited):
        await runtime.run(subject, "go")
    assert attempts == 2
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == ["chat", "invoke_agent support", "step 1"]
    for span in spans:
        assert span.status.status_code == StatusCode.ERROR
        assert attrs(span)["error.type"] == "RateLimited"
        assert span.end_time is not None
    chat = one(spans, "chat")
    exceptions = [e for e in chat.events if e.name == "exception"]
    assert len(exceptions) == 2  # one per failed attempt
    assert "model.retried" in [e.name for e in chat.events]
    run = one(spans, "invoke_agent support")
    (run_exception,) = [e for e in run.events if e.name == "exception"]
    assert dict(run_exception.attributes or {})["exception.type"] == "RateLimited"


async def test_max_steps_failure(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    subject = agent(call("lookup", order_id="1"), call("lookup", order_id="2"), max_steps=1)
    with pytest.raises(MaxStepsExceeded):
        await Runtime(sinks=[OpenTelemetrySink(provider)]).run(subject, "go")
    spans = exporter.get_finished_spans()
    run = one(spans, "invoke_agent support")
    assert run.status.status_code == StatusCode.ERROR and attrs(run)["error.type"] == "MaxStepsExceeded"
    assert one(spans, "execute_tool lookup").status.status_code == StatusCode.UNSET


async def test_cancelled_run_ends_its_spans(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    started = asyncio.Event()

    @tool
    async def hang() -> str:
        """Never returns."""
        started.set()
        await asyncio.sleep(30)
        return "never"

    subject = Agent(name="support", model=ScriptedProvider([call("hang"), "x"]), tools=(hang,))
    task = asyncio.create_task(Runtime(sinks=[OpenTelemetrySink(provider)]).run(subject, "go"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    spans = exporter.get_finished_spans()
    names = {s.name for s in spans}
    assert {"invoke_agent support", "step 1", "execute_tool hang", "chat"} <= names
    for name in ("invoke_agent support", "step 1", "execute_tool hang"):
        span = one(spans, name)
        assert span.status.status_code == StatusCode.ERROR and attrs(span)["error.type"] == "cancelled"
    assert one(spans, "chat").status.status_code == StatusCode.UNSET  # it had completed


async def test_run_nests_under_the_callers_span(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("request") as outer:
        await Runtime(sinks=[OpenTelemetrySink(provider)]).run(agent("hi"), "go")
    spans = exporter.get_finished_spans()
    run = one(spans, "invoke_agent support")
    assert parent_of(run) == outer.get_span_context().span_id
    assert run.context.trace_id == outer.get_span_context().trace_id


async def test_concurrent_runs_keep_separate_trees(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    runtime = Runtime(sinks=[OpenTelemetrySink(provider)])
    await asyncio.gather(*(runtime.run(agent(), f"run {i}") for i in range(5)))
    spans = exporter.get_finished_spans()
    runs = by_name(spans, "invoke_agent support")
    assert len(runs) == 5 and len(spans) == 30
    trace_ids = {s.context.trace_id for s in runs}
    assert len(trace_ids) == 5
    for run in runs:
        members = [s for s in spans if s.context.trace_id == run.context.trace_id]
        assert len(members) == 6


async def test_a_hook_answered_model_call_still_gets_a_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    def cached(ctx: RunContext[None], request: ModelRequest) -> Decision[ModelResponse]:
        return Decision.replace(ModelResponse((TextPart("cached"),), Usage(), "stop", "cache"))

    subject = Agent(name="support", model=ScriptedProvider([]), hooks=(Hooks(before_model_call=cached),))
    result = await Runtime(sinks=[OpenTelemetrySink(provider)]).run(subject, "go")
    assert result.output == "cached"
    chat = one(exporter.get_finished_spans(), "chat")
    assert attrs(chat)["gen_ai.response.model"] == "cache"


async def test_global_tracer_provider_by_default(exporter: InMemorySpanExporter) -> None:
    sink = OpenTelemetrySink()  # a proxy tracer: spans go nowhere without an SDK, and nothing breaks
    result = await Runtime(sinks=[sink]).run(agent("hi"), "go")
    assert result.output == "hi"
    assert isinstance(trace.get_tracer_provider(), trace.TracerProvider)


async def test_a_raising_otel_sink_never_breaks_a_run(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenTracer:
        def start_span(self, *args: object, **kwargs: object) -> Any:
            raise RuntimeError("exporter down")

    after = MemorySink()
    caplog.set_level(logging.ERROR, logger="runlet")
    result = await Runtime(sinks=[OpenTelemetrySink(tracer=BrokenTracer()), after]).run(agent(), "go")  # type: ignore[arg-type]
    assert result.output == "Order 123 has shipped."
    assert after.types()[-1] == "run.completed"
    reports = [r for r in caplog.records if r.name == "runlet" and "event sink" in r.getMessage()]
    assert len(reports) == 1


def test_importing_runlet_does_not_import_opentelemetry() -> None:
    code = (
        "import sys\n"
        "import runlet, runlet.sinks, runlet.core.events\n"
        "from runlet.sinks import JsonlSink, LoggingSink, ConsoleSink, RedactingSink, BackgroundSink\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "assert not loaded, loaded\n"
        "import runlet.sinks.otel\n"
        "assert 'opentelemetry.trace' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
