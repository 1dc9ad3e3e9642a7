"""The agent loop: tools, typed deps and output, streaming, failures, limits."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import warnings
from dataclasses import dataclass

import pytest

from runlet import Agent, Message, RunContext, Runtime, tool
from runlet.core.errors import (
    MaxStepsExceeded,
    OutputValidationError,
    RateLimited,
    BadRequest,
    UserError,
)
from runlet.core.events import (
    ModelRetried,
    OutputValidationFailed,
    RunCancelled,
    RunFailed,
    ToolCompleted,
    ToolFailed,
    ToolStarted,
    ToolTimedOut,
)
from runlet.core.models import ModelRequest, ModelResponse, Usage
from runlet.core.messages import TextPart, ToolResultPart
from runlet.runtime import RetryPolicy
from runlet.sinks import MemorySink
from runlet.testing import FunctionProvider, ScriptedProvider, call


@dataclass(frozen=True)
class Orders:
    statuses: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


@tool
async def lookup(ctx: RunContext[Orders], order_id: str) -> str:
    """Look an order up by id.

    Args:
        order_id: The order's id.
    """
    return ctx.deps.statuses.get(order_id, "unknown")


def tool_results(request: ModelRequest) -> list[ToolResultPart]:
    return [part for message in request.messages for part in message.tool_results]


async def test_tool_round_trip_with_typed_deps_and_output() -> None:
    provider = ScriptedProvider(
        [call("lookup", order_id="123"), {"status": "shipped", "eta_days": 2}]
    )
    agent = Agent(
        name="support",
        instructions="Help users with orders.",
        model=provider,
        tools=(lookup,),
        output_type=Answer,
    )
    sink = MemorySink()
    result = await Runtime(sinks=(sink,)).run(agent, "Where is order 123?", deps=Orders({"123": "shipped"}))

    assert result.output == Answer(status="shipped", eta_days=2)
    assert result.steps == 2
    first, second = provider.requests
    assert first.messages[0] == Message.system("Help users with orders.")
    assert [t.name for t in first.tools] == ["lookup"]
    assert first.tools[0].description.startswith("Look an order up by id.")
    assert first.output is not None and first.output.schema["type"] == "object"
    # The assistant turn that asked for the tool is kept, and its result follows it.
    asked = second.messages[-2]
    assert asked.role == "assistant" and asked.tool_calls[0].name == "lookup"
    (result_part,) = tool_results(second)
    assert result_part.call_id == asked.tool_calls[0].call_id
    assert result_part.content == "shipped" and not result_part.is_error
    # Usage is the run's, not the last step's.
    assert result.usage.requests == 2
    assert [m.role for m in result.new_messages] == ["user", "assistant", "tool", "assistant"]
    assert sink.types()[0] == "run.started" and sink.types()[-1] == "run.completed"
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))


async def test_usage_sums_every_step() -> None:
    def respond(request: ModelRequest) -> ModelResponse:
        calls = (call("lookup", order_id="1"),) if len(request.messages) < 3 else ()
        return ModelResponse(calls or (TextPart("done"),), Usage(input_tokens=10, output_tokens=3, requests=1))

    agent = Agent(name="a", model=FunctionProvider(respond), tools=(lookup,))
    result = await Runtime().run(agent, "hi", deps=Orders({}))
    assert result.usage == Usage(input_tokens=20, output_tokens=6, requests=2)


async def test_agent_without_deps_and_tool_without_context() -> None:
    @tool
    def add(a: int, b: int = 1) -> int:
        """Add two numbers."""
        return a + b

    provider = ScriptedProvider([call("add", a=2), "3"])
    agent = Agent(name="calc", model=provider, tools=(add,))
    result = await Runtime().run(agent, "2 + 1?")
    assert result.output == "3"
    assert tool_results(provider.requests[1])[0].content == "3"
    assert add(2, 5) == 7  # the decorated function stays callable


async def test_unknown_tool_and_bad_arguments_go_back_to_the_model() -> None:
    provider = ScriptedProvider(
        [
            [call("nope", x=1), call("lookup", order_id=5)],
            [call("lookup")],
            "giving up",
        ]
    )
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=(lookup,))
    result = await Runtime(sinks=(sink,)).run(agent, "hi", deps=Orders({}))
    assert result.output == "giving up"
    unknown, wrong_type = tool_results(provider.requests[1])
    assert unknown.is_error and "unknown tool 'nope'" in unknown.content and "lookup" in unknown.content
    assert wrong_type.is_error and "order_id" in wrong_type.content and "string" in wrong_type.content
    missing = tool_results(provider.requests[2])[-1]
    assert missing.is_error and "order_id" in missing.content
    assert len(sink.of_type(ToolFailed)) == 3


async def test_arguments_that_are_not_json() -> None:
    from runlet.core.messages import ToolCallPart

    provider = ScriptedProvider([ToolCallPart("c1", "lookup", "{not json"), "ok"])
    agent = Agent(name="a", model=provider, tools=(lookup,))
    await Runtime().run(agent, "hi", deps=Orders({}))
    (result,) = tool_results(provider.requests[1])
    assert result.is_error and "not valid JSON" in result.content


async def test_a_raising_tool_becomes_an_error_result() -> None:
    @tool
    async def explode() -> str:
        """Fail."""
        raise RuntimeError("disk on fire")

    provider = ScriptedProvider([call("explode"), "sorry"])
    sink = MemorySink()
    result = await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=(explode,)), "go")
    assert result.output == "sorry"
    (error,) = tool_results(provider.requests[1])
    assert error.is_error and "RuntimeError: disk on fire" in error.content
    (failed,) = sink.of_type(ToolFailed)
    assert "disk on fire" in failed.error


async def test_tool_timeout() -> None:
    @tool(timeout=0.05)
    async def slow() -> str:
        """Take forever."""
        await asyncio.sleep(10)
        return "never"

    provider = ScriptedProvider([call("slow"), "timed out, sorry"])
    sink = MemorySink()
    await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=(slow,)), "go")
    (result,) = tool_results(provider.requests[1])
    assert result.is_error and "timed out after 0.05 s" in result.content
    assert sink.of_type(ToolTimedOut)[0].timeout_seconds == 0.05


async def test_tool_calls_of_one_turn_run_concurrently_in_order() -> None:
    running = 0
    peak = 0

    @tool
    async def wait(label: str) -> str:
        """Wait a little."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1
        return label

    provider = ScriptedProvider([[call("wait", label="a"), call("wait", label="b"), call("wait", label="c")], "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(wait,)), "go")
    assert peak == 3
    assert [r.content for r in tool_results(provider.requests[1])] == ["a", "b", "c"]


async def test_parallel_tools_cap() -> None:
    running = 0
    peak = 0

    @tool
    async def wait() -> str:
        """Wait a little."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return "ok"

    provider = ScriptedProvider([[call("wait") for _ in range(5)], "done"])
    await Runtime(max_parallel_tools=2).run(Agent(name="a", model=provider, tools=(wait,)), "go")
    assert peak == 2


async def test_structured_output_retries_then_succeeds() -> None:
    provider = ScriptedProvider(['{"status": "shipped"}', {"status": "shipped", "eta_days": 1}])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, output_type=Answer)
    result = await Runtime(sinks=(sink,)).run(agent, "status?")
    assert result.output == Answer("shipped", 1)
    feedback = provider.requests[1].messages[-1]
    assert feedback.role == "user" and "eta_days" in feedback.text
    assert len(sink.of_type(OutputValidationFailed)) == 1


async def test_structured_output_that_never_validates() -> None:
    provider = ScriptedProvider(["nope", "still no", "no"])
    agent = Agent(name="a", model=provider, output_type=Answer, max_output_retries=2)
    with pytest.raises(OutputValidationError, match="Answer after 3 attempts"):
        await Runtime().run(agent, "status?")


async def test_primitive_output_is_wrapped_for_the_model() -> None:
    provider = ScriptedProvider([{"result": 42}])
    result = await Runtime().run(Agent(name="a", model=provider, output_type=int), "answer?")
    assert result.output == 42
    schema = provider.requests[0].output
    assert schema is not None and schema.schema["required"] == ["result"]


async def test_max_steps_stops_a_runaway_loop() -> None:
    provider = FunctionProvider(lambda request: call("lookup", order_id="1"))
    sink = MemorySink()
    agent = Agent(name="loop", model=provider, tools=(lookup,), max_steps=3)
    with pytest.raises(MaxStepsExceeded, match="max_steps=3"):
        await Runtime(sinks=(sink,)).run(agent, "go", deps=Orders({}))
    assert len(provider.requests) == 3
    assert sink.events[-1].type == "run.failed"


async def test_stream_yields_deltas_and_runs_each_tool_once() -> None:
    calls = 0

    @tool
    async def lookup_order(order_id: str) -> str:
        """Look an order up."""
        nonlocal calls
        calls += 1
        return f"order {order_id} shipped"

    provider = ScriptedProvider([call("lookup_order", order_id="123"), "Order 123 has shipped."])
    agent = Agent(name="a", instructions="Use tools.", model=provider, tools=(lookup_order,))
    text = ""
    types: list[str] = []
    async for event in Runtime().stream(agent, "Check order 123."):
        types.append(event.type)
        if event.type == "model.stream.delta":
            delta = event.payload["delta"]
            assert isinstance(delta, str)
            text += delta
    assert text == "Order 123 has shipped."
    assert calls == 1
    assert types.count("model.stream.started") == 2
    assert types.count("model.stream.tool_call_delta") == 1
    assert types[-1] == "run.completed"


async def test_stream_that_ends_without_completion_is_retried_within_the_policy() -> None:
    class Truncated(ScriptedProvider):
        async def stream(self, request: ModelRequest):  # type: ignore[override]
            self.requests.append(request)
            from runlet.core.models import TextDelta

            yield TextDelta("half an ans")

    provider = Truncated(["x"])
    events: list[str] = []
    from runlet.core.errors import StreamInterrupted

    runtime = Runtime(retry=RetryPolicy(max_attempts=2, initial_delay=0.001))
    with pytest.raises(StreamInterrupted, match="ended without a completed response"):
        async for event in runtime.stream(Agent(name="a", model=provider), "hi"):
            events.append(event.type)
    assert len(provider.requests) == 2  # the policy's attempts, never max_steps model calls
    assert events.count("model.stream.discarded") == 1 and events[-1] == "run.failed"
    assert events[-1] == "run.failed"


async def test_retryable_provider_errors_are_retried_with_events() -> None:
    failures = [RateLimited("slow down", provider="test", status_code=429)] * 2

    def respond(request: ModelRequest) -> str:
        if failures:
            raise failures.pop()
        return "finally"

    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), retry=RetryPolicy(initial_delay=0.001))
    result = await runtime.run(Agent(name="a", model=FunctionProvider(respond)), "hi")
    assert result.output == "finally"
    assert [e.attempt for e in sink.of_type(ModelRetried)] == [2, 3]


async def test_non_retryable_errors_fail_at_once() -> None:
    attempts = 0

    def respond(request: ModelRequest) -> str:
        nonlocal attempts
        attempts += 1
        raise BadRequest("bad", provider="test", status_code=400)

    sink = MemorySink()
    with pytest.raises(BadRequest):
        await Runtime(sinks=(sink,)).run(Agent(name="a", model=FunctionProvider(respond)), "hi")
    assert attempts == 1
    (failed,) = sink.of_type(RunFailed)
    assert failed.error_type == "BadRequest"


async def test_a_raising_sink_never_breaks_the_run(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        calls = 0

        def emit(self, event: object) -> None:
            self.calls += 1
            raise OSError("disk full")

    broken = Broken()
    good = MemorySink()
    with caplog.at_level(logging.ERROR, logger="runlet"):
        result = await Runtime(sinks=(broken, good)).run(Agent(name="a", model=ScriptedProvider(["hi"])), "x")
    assert result.output == "hi"
    assert broken.calls == 1
    assert good.types()[-1] == "run.completed"
    assert len([r for r in caplog.records if "event sink" in r.getMessage()]) == 1


async def test_async_sinks_are_awaited_in_order() -> None:
    seen: list[int] = []

    class Slow:
        async def emit(self, event: object) -> None:
            await asyncio.sleep(0)
            seen.append(getattr(event, "seq"))

    await Runtime(sinks=(Slow(),)).run(Agent(name="a", model=ScriptedProvider(["hi"])), "x")
    assert seen == sorted(seen) and len(seen) >= 5


async def test_cancelling_a_run_stops_tools_and_emits_run_cancelled() -> None:
    started = asyncio.Event()
    stopped = asyncio.Event()

    @tool
    async def hang() -> str:
        """Never return."""
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()
        return "never"

    sink = MemorySink()
    provider = ScriptedProvider([[call("hang"), call("hang")], "never"])
    task = asyncio.create_task(Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=(hang,)), "go"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()
    assert isinstance(sink.events[-1], RunCancelled)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []


async def test_breaking_out_of_a_stream_cancels_the_run() -> None:
    sink = MemorySink()
    provider = ScriptedProvider(["a long answer " * 20])
    stream = Runtime(sinks=(sink,)).stream(Agent(name="a", model=provider), "hi")
    async for event in stream:
        if event.type == "model.stream.delta":
            break
    await stream.aclose()
    assert sink.events[-1].type == "run.cancelled"


async def test_history_continues_a_conversation() -> None:
    provider = ScriptedProvider(["Nice to meet you, Ada.", "Your name is Ada."])
    agent = Agent(name="chat", model=provider)
    runtime = Runtime()
    first = await runtime.run(agent, "I am Ada.")
    second = await runtime.run(agent, "What is my name?", history=first.messages)
    assert [m.text for m in provider.requests[1].messages] == [
        "I am Ada.",
        "Nice to meet you, Ada.",
        "What is my name?",
    ]
    assert len(second.messages) == 4 and len(second.new_messages) == 2


async def test_dynamic_instructions_see_the_deps() -> None:
    def instructions(ctx: RunContext[Orders]) -> str:
        return f"There are {len(ctx.deps.statuses)} orders."

    provider = ScriptedProvider(["ok"])
    agent = Agent(name="a", model=provider, instructions=instructions, tools=(lookup,))
    await Runtime().run(agent, "hi", deps=Orders({"1": "x", "2": "y"}))
    assert provider.requests[0].messages[0].text == "There are 2 orders."


async def test_events_form_a_span_tree() -> None:
    sink = MemorySink()
    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=(lookup,)), "hi", deps=Orders({}))
    spans = {e.span_id: e.parent_span_id for e in sink.events}
    run_span = sink.events[0].span_id
    assert spans[run_span] is None
    (started,) = sink.of_type(ToolStarted)
    (completed,) = sink.of_type(ToolCompleted)
    assert started.span_id == completed.span_id
    step_span = started.parent_span_id
    assert step_span is not None and spans[step_span] == run_span
    assert all(json.dumps(e.to_json()) for e in sink.events)


async def test_run_sync() -> None:
    def main() -> str:
        return Runtime().run_sync(Agent(name="a", model=ScriptedProvider(["hello"])), "hi").output

    assert await asyncio.to_thread(main) == "hello"


async def test_run_sync_inside_a_running_loop_says_to_await_run() -> None:
    provider = ScriptedProvider(["hello"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(UserError, match=r"await runtime\.run\(\.\.\.\)"):
            Runtime().run_sync(Agent(name="a", model=provider), "hi")
        gc.collect()  # a coroutine never awaited would warn when collected
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert provider.requests == []


@dataclass(frozen=True)
class Node:
    name: str
    children: list[Node]


async def test_wrapped_output_keeps_its_definitions_at_the_root() -> None:
    provider = ScriptedProvider([{"result": [{"name": "a", "children": [{"name": "b", "children": []}]}]}])
    result = await Runtime().run(Agent(name="a", model=provider, output_type=list[Node]), "tree?")
    assert result.output == [Node("a", [Node("b", [])])]
    output = provider.requests[0].output
    assert output is not None and "Node" in output.schema["$defs"]  # type: ignore[operator]


async def test_typeddict_and_pydantic_outputs() -> None:
    from pydantic import BaseModel
    from typing_extensions import TypedDict

    class Ticket(TypedDict):
        id: str
        priority: int

    class Invoice(BaseModel):
        number: str
        total: float

    ticket = await Runtime().run(
        Agent(name="t", model=ScriptedProvider([{"id": "T-1", "priority": 2}]), output_type=Ticket), "x"
    )
    assert ticket.output == {"id": "T-1", "priority": 2}

    provider = ScriptedProvider([{"number": "A1", "total": "many"}, {"number": "A1", "total": 9.5}])
    invoice = await Runtime().run(Agent(name="i", model=provider, output_type=Invoice), "x")
    assert invoice.output == Invoice(number="A1", total=9.5)
    assert "total" in provider.requests[1].messages[-1].text  # the validation error went back to the model


async def test_leaving_a_stream_closes_the_providers_stream_at_once() -> None:
    from runlet.core.models import TextDelta

    closed = asyncio.Event()

    class Endless(ScriptedProvider):
        async def stream(self, request: ModelRequest):  # type: ignore[override]
            try:
                while True:
                    yield TextDelta("more ")
                    await asyncio.sleep(0)
            finally:
                closed.set()

    sink = MemorySink()
    stream = Runtime(sinks=(sink,)).stream(Agent(name="a", model=Endless([])), "go on forever")
    async for event in stream:
        if event.type == "model.stream.delta":
            break
    await stream.aclose()
    assert closed.is_set()  # not left to the garbage collector
    assert sink.events[-1].type == "run.cancelled"


async def test_a_blocking_async_sink_never_stalls_the_run(caplog: pytest.LogCaptureFixture) -> None:
    class Stuck:
        calls = 0

        async def emit(self, event: object) -> None:
            self.calls += 1
            await asyncio.sleep(60)

    stuck = Stuck()
    good = MemorySink()
    runtime = Runtime(sinks=(stuck, good), sink_timeout=0.05)
    with caplog.at_level(logging.ERROR, logger="runlet"):
        result = await asyncio.wait_for(runtime.run(Agent(name="a", model=ScriptedProvider(["hi"])), "x"), 5)
    assert result.output == "hi"
    assert stuck.calls == 1
    assert good.types()[-1] == "run.completed"
    assert len([r for r in caplog.records if "took over 0.05 s" in r.getMessage()]) == 1


async def test_tool_failures_name_their_error_type() -> None:
    @tool
    async def explode() -> str:
        """Fail."""
        raise KeyError("missing")

    provider = ScriptedProvider([[call("explode"), call("nope"), call("lookup", order_id=5)], "done"])
    sink = MemorySink()
    await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=(explode, lookup)), "go", deps=Orders({}))
    assert [e.error_type for e in sink.of_type(ToolFailed)] == ["KeyError", "UnknownTool", "ValidationError"]
