"""Limits, timeouts, and hostile input: the run stays predictable when things go wrong."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging

import pytest

from runlet import Agent, FatalToolError, RunContext, Runtime, ToolError, tool
from runlet.core.errors import ModelTimeout, RateLimited, UsageLimitExceeded
from runlet.core.events import ModelRetried, ModelStreamDiscarded, PolicyStopped, RunFailed, ToolFailed
from runlet.hooks import Decision, Hooks
from runlet.sinks import LoggingSink
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


# Only the tools offered in a step run


async def test_a_tool_removed_from_the_request_by_a_hook_is_never_called() -> None:
    ran: list[str] = []

    @tool
    def refund(order_id: str) -> str:
        """Refund an order."""
        ran.append(f"refund {order_id}")
        return "refunded"

    @tool
    def lookup(order_id: str) -> str:
        """Look an order up."""
        ran.append(f"lookup {order_id}")
        return "shipped"

    def no_refunds_in_step_1(ctx: RunContext[object], request: ModelRequest) -> Decision[ModelRequest] | None:
        if ctx.step != 1:
            return None
        tools = tuple(t for t in request.tools if t.name != "refund")
        return Decision.replace(dataclasses.replace(request, tools=tools), reason="no refunds yet")

    for mode in ("run", "stream"):
        ran.clear()
        provider = ScriptedProvider([[call("refund", order_id="9"), call("lookup", order_id="9")], call("refund", order_id="9"), "done"])
        hooks = (Hooks(before_model_call=no_refunds_in_step_1),)
        agent = Agent(name="a", model=provider, tools=(refund, lookup), hooks=hooks)
        sink = MemorySink()
        runtime = Runtime(sinks=(sink,))
        if mode == "run":
            await runtime.run(agent, "go")
        else:
            [event async for event in runtime.stream(agent, "go")]
        assert ran == ["lookup 9", "refund 9"], mode  # refund ran only in step 2, where it was offered
        refused, _ = results(provider.requests[1])
        assert refused.is_error and "'refund' is not available in this step" in refused.content
        assert "the tools offered are: lookup" in refused.content
        (failed,) = sink.of_type(ToolFailed)
        assert (failed.tool, failed.error_type, failed.step, failed.traceback) == ("refund", "ToolNotOffered", 1, "")


# Tool failures: told to the model, or fatal


@tool
def buggy(order_id: str) -> str:
    """A tool with a bug."""
    deps = None
    return deps.orders[order_id]  # type: ignore[attr-defined]


async def test_a_tool_bug_is_told_to_the_model_with_its_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    provider = ScriptedProvider([call("buggy", order_id="1"), "sorry"])
    with caplog.at_level(logging.ERROR, logger="runlet.events"):
        result = await Runtime(sinks=(sink, LoggingSink())).run(Agent(name="a", model=provider, tools=(buggy,)), "go")
    assert result.output == "sorry"
    (told,) = results(provider.requests[1])
    assert told.is_error and "AttributeError" in told.content
    (failed,) = sink.of_type(ToolFailed)
    assert failed.error_type == "AttributeError"
    assert failed.traceback.startswith("Traceback") and "in buggy" in failed.traceback
    (record,) = [r for r in caplog.records if getattr(r, "event_type", "") == "tool.failed"]
    assert record.exc_text is not None and "in buggy" in record.exc_text and "traceback" not in record.getMessage()
    assert "in buggy" in caplog.text  # the formatter prints it as a logged exception's


async def test_fatal_tool_errors_fail_the_run_with_the_tools_exception_as_the_cause() -> None:
    sink = MemorySink()
    ran: list[str] = []

    @tool
    async def fine() -> str:
        """Works."""
        await asyncio.sleep(0.01)
        ran.append("fine")
        return "ok"

    bad_call = call("buggy", order_id="1")
    provider = ScriptedProvider([[bad_call, call("fine")], "never"])
    agent = Agent(name="a", model=provider, tools=(buggy, fine))
    with pytest.raises(FatalToolError, match=r"'buggy'.*raised AttributeError.*fatal_tool_errors=False") as caught:
        await Runtime(sinks=(sink,), fatal_tool_errors=True).run(agent, "go")
    assert isinstance(caught.value.__cause__, AttributeError)
    assert (caught.value.tool, caught.value.call_id) == ("buggy", bad_call.call_id)
    assert ran == ["fine"] and len(provider.requests) == 1  # the turn's other call finished; the model was not asked again
    types = sink.types()
    assert types.index("tool.failed") < types.index("run.failed") and "tool.completed" in types
    assert sink.of_type(RunFailed)[0].error_type == "FatalToolError"


async def test_a_tools_own_choice_wins_and_tool_errors_are_never_fatal() -> None:
    @tool(fatal_errors=True)
    def strict_buggy() -> str:
        """A bug that must stop the run."""
        raise KeyError("orders")

    @tool(fatal_errors=False)
    def lenient_buggy() -> str:
        """A bug the model may work around."""
        raise KeyError("orders")

    @tool
    def refuses() -> str:
        """Says no."""
        raise ToolError("no such order")

    with pytest.raises(FatalToolError) as caught:
        await Runtime().run(Agent(name="a", model=ScriptedProvider([call("strict_buggy"), "x"]), tools=(strict_buggy,)), "go")
    assert isinstance(caught.value.__cause__, KeyError)
    fatal = Runtime(fatal_tool_errors=True)
    for chosen in (lenient_buggy, refuses):
        provider = ScriptedProvider([call(chosen.name), "fine"])
        assert (await fatal.run(Agent(name="a", model=provider, tools=(chosen,)), "go")).output == "fine"
        assert results(provider.requests[1])[0].is_error
