"""Limits, timeouts, and hostile input: the run stays predictable when things go wrong."""

from __future__ import annotations

import asyncio
import json

import pytest

from runlet import Agent, RunContext, Runtime, tool
from runlet.core.errors import ModelTimeout, RateLimited, UsageLimitExceeded
from runlet.core.events import ModelRetried, ModelStreamDiscarded, PolicyStopped, RunFailed, ToolFailed
from runlet.core.limits import Limits
from runlet.core.messages import ToolCallPart, ToolResultPart
from runlet.core.models import ModelRequest, ModelResponse, ModelStreamEvent, TextDelta, Usage
from runlet.runtime import RetryPolicy
from runlet.sinks import MemorySink
from runlet.testing import BrokenStream, FunctionProvider, ScriptedProvider, call


@tool
def echo(text: str) -> str:
    """Say it back."""
    return text


def looping(request: ModelRequest) -> ToolCallPart:
    return call("echo", text="again")


def results(request: ModelRequest) -> list[ToolResultPart]:
    return [part for message in request.messages for part in message.tool_results]


async def test_max_model_requests_stops_the_run_with_an_event() -> None:
    provider = FunctionProvider(looping)
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), limits=Limits(max_model_requests=2))
    with pytest.raises(UsageLimitExceeded, match="max_model_requests=2") as caught:
        await runtime.run(Agent(name="a", model=provider, tools=(echo,)), "go")
    assert caught.value.limit == "max_model_requests"
    assert len(provider.requests) == 2
    (stopped,) = sink.of_type(PolicyStopped)
    assert (stopped.limit, stopped.value, stopped.maximum) == ("max_model_requests", 3, 2)
    assert isinstance(sink.events[-1], RunFailed)


async def test_max_tool_calls_is_checked_before_the_tools_run() -> None:
    ran = 0

    @tool
    def count() -> str:
        """Count."""
        nonlocal ran
        ran += 1
        return "ok"

    provider = ScriptedProvider([[call("count"), call("count")], [call("count"), call("count")], "done"])
    with pytest.raises(UsageLimitExceeded, match="max_tool_calls=3"):
        await Runtime(limits=Limits(max_tool_calls=3)).run(Agent(name="a", model=provider, tools=(count,)), "go")
    assert ran == 2


async def test_token_limits_use_the_runs_total_usage() -> None:
    def respond(request: ModelRequest) -> ModelResponse:
        return ModelResponse((call("echo", text="x"),), Usage(input_tokens=400, output_tokens=100, requests=1))

    runtime = Runtime(limits=Limits(max_total_tokens=1_200))
    with pytest.raises(UsageLimitExceeded, match="max_total_tokens") as caught:
        await runtime.run(Agent(name="a", model=FunctionProvider(respond), tools=(echo,)), "go")
    assert caught.value.value == 1_500


async def test_deadline_stops_a_slow_model() -> None:
    async def slow(request: ModelRequest) -> str:
        await asyncio.sleep(5)
        return "late"

    runtime = Runtime(limits=Limits(deadline_seconds=0.1))
    with pytest.raises(UsageLimitExceeded, match="deadline_seconds"):
        await runtime.run(Agent(name="a", model=FunctionProvider(slow)), "go")


async def test_deadline_caps_a_slow_tool_and_then_stops_the_run() -> None:
    @tool
    async def hang() -> str:
        """Hang."""
        await asyncio.sleep(5)
        return "never"

    provider = ScriptedProvider([call("hang"), "done"])
    runtime = Runtime(limits=Limits(deadline_seconds=0.1))
    with pytest.raises(UsageLimitExceeded, match="deadline_seconds"):
        await runtime.run(Agent(name="a", model=provider, tools=(hang,)), "go")


async def test_model_timeout_is_retried_then_raised() -> None:
    async def slow(request: ModelRequest) -> str:
        await asyncio.sleep(5)
        return "late"

    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), model_timeout=0.05, retry=RetryPolicy(max_attempts=2, initial_delay=0.001))
    with pytest.raises(ModelTimeout, match="longer than 0.05 s"):
        await runtime.run(Agent(name="a", model=FunctionProvider(slow)), "go")
    assert len(sink.of_type(ModelRetried)) == 1


async def test_a_stalled_stream_times_out() -> None:
    class Stalling(ScriptedProvider):
        async def stream(self, request: ModelRequest):  # type: ignore[override]
            yield TextDelta("Hel")
            await asyncio.sleep(5)
            yield TextDelta("lo")

    runtime = Runtime(model_timeout=0.1, retry=RetryPolicy(retry_shown_output=False))
    deltas: list[str] = []
    with pytest.raises(ModelTimeout):
        async for event in runtime.stream(Agent(name="a", model=Stalling(["x"])), "hi"):
            if event.type == "model.stream.delta":
                deltas.append(str(event.payload["delta"]))
    assert deltas == ["Hel"]  # not retried after output was shown


async def test_huge_arguments_are_handled() -> None:
    big = "x" * 100_000
    provider = ScriptedProvider([call("echo", text=big), "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(echo,)), "go")
    (result,) = results(provider.requests[1])
    assert result.content == big


async def test_a_tool_returning_a_value_that_is_not_json() -> None:
    @tool
    def weird() -> object:
        """Return something odd."""
        return object()

    provider = ScriptedProvider([call("weird"), "done"])
    sink = MemorySink()
    await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=(weird,)), "go")
    (result,) = results(provider.requests[1])
    assert result.is_error and "not JSON-serialisable" in result.content
    assert len(sink.of_type(ToolFailed)) == 1


async def test_arguments_that_are_json_but_not_an_object() -> None:
    provider = ScriptedProvider([ToolCallPart("c1", "echo", json.dumps(["a", "list"])), "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(echo,)), "go")
    (result,) = results(provider.requests[1])
    assert result.is_error and "echo" in result.content


async def test_a_tool_can_run_another_agent() -> None:
    inner_provider = ScriptedProvider(["inner answer"])
    inner = Agent(name="inner", model=inner_provider)
    inner_sink = MemorySink()

    @tool
    async def delegate(ctx: RunContext[None], question: str) -> str:
        """Ask the inner agent."""
        result = await Runtime(sinks=(inner_sink,)).run(inner, question)
        return result.output

    outer_sink = MemorySink()
    provider = ScriptedProvider([call("delegate", question="what?"), "outer answer"])
    result = await Runtime(sinks=(outer_sink,)).run(Agent(name="outer", model=provider, tools=(delegate,)), "go")
    assert result.output == "outer answer"
    assert results(provider.requests[1])[0].content == "inner answer"
    inner_runs = {event.run_id for event in inner_sink.events}
    outer_runs = {event.run_id for event in outer_sink.events}
    assert len(inner_runs) == len(outer_runs) == 1 and inner_runs != outer_runs


async def test_no_task_is_left_behind_after_a_failed_parallel_turn() -> None:
    @tool
    async def slow() -> str:
        """Slow."""
        await asyncio.sleep(5)
        return "x"

    provider = ScriptedProvider([[call("slow"), call("slow")], "done"])
    runtime = Runtime(limits=Limits(deadline_seconds=0.05))
    with pytest.raises(UsageLimitExceeded):
        await runtime.run(Agent(name="a", model=provider, tools=(slow,)), "go")
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_a_tool_is_retried_only_when_it_asks() -> None:
    from runlet.core.errors import ToolRetry

    attempts = 0

    @tool(retries=2)
    async def flaky() -> str:
        """Fail twice, then work."""
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ToolRetry("database busy", delay=0.001)
        return "ok"

    provider = ScriptedProvider([call("flaky"), "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(flaky,)), "go")
    assert attempts == 3
    assert results(provider.requests[1])[0].content == "ok"

    attempts = 0

    @tool
    async def no_retries() -> str:
        """Ask for a retry that is not granted."""
        nonlocal attempts
        attempts += 1
        raise ToolRetry("database busy")

    provider = ScriptedProvider([call("no_retries"), "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(no_retries,)), "go")
    assert attempts == 1
    (result,) = results(provider.requests[1])
    assert result.is_error and "database busy" in result.content

    @tool
    async def plain_failure() -> str:
        """Fail without asking for a retry."""
        nonlocal attempts
        attempts += 1
        raise RuntimeError("boom")

    attempts = 0
    provider = ScriptedProvider([call("plain_failure"), "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(plain_failure,)), "go")
    assert attempts == 1


async def test_a_providers_retry_after_is_waited_for_when_longer_than_the_backoff() -> None:
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), retry=RetryPolicy(initial_delay=0.01, jitter=0.0))
    provider = ScriptedProvider([RateLimited("slow down", retry_after=0.03), RateLimited("again", retry_after=0.001), "done"])
    assert (await runtime.run(Agent(name="a", model=provider), "hi")).output == "done"
    first, second = sink.of_type(ModelRetried)
    assert (first.delay_seconds, first.delay_source) == (0.03, "retry-after")
    assert (second.delay_seconds, second.delay_source) == (0.02, "backoff")  # the backoff was longer


async def test_a_broken_stream_turn_breaks_plain_calls_and_streams_alike() -> None:
    provider = ScriptedProvider([BrokenStream("half"), "whole", BrokenStream("hal"), "whole"])
    runtime = Runtime(retry=RetryPolicy(initial_delay=0.001))
    assert (await runtime.run(Agent(name="a", model=provider), "hi")).output == "whole"
    events = [event async for event in runtime.stream(Agent(name="a", model=provider), "hi")]
    (discarded,) = [event for event in events if isinstance(event, ModelStreamDiscarded)]
    assert discarded.error_type == "StreamInterrupted" and events[-1].payload["output"] == "whole"
