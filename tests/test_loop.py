"""The loop's contracts: the executor seam, declared capabilities, timeouts' precedence, request counting, RunState."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from runlet import Agent, Capabilities, Limits, RunContext, Runtime, UsageLimitExceeded, tool
from runlet.core.errors import UserError
from runlet.core.json import JsonValue
from runlet.core.models import ModelRequest, ModelResponse, ModelStreamEvent, Provider, Usage
from runlet.core.run_state import RunState
from runlet.core.tools import Tool
from runlet.loop.executor import Executor, LocalExecutor
from runlet.sinks import MemorySink
from runlet.testing import FunctionProvider, ScriptedProvider, call


@tool
async def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id} shipped"


class Recording:
    """An executor that records every call it executes, then executes it locally."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.local = LocalExecutor()

    async def complete(self, model: Provider, request: ModelRequest) -> ModelResponse:
        self.calls.append(f"complete:{len(request.messages)}")
        return await self.local.complete(model, request)

    def stream(self, model: Provider, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        self.calls.append(f"stream:{len(request.messages)}")
        return self.local.stream(model, request)

    async def call_tool(self, tool: Tool[Any], ctx: RunContext[Any], arguments: JsonValue) -> str:
        self.calls.append(f"tool:{tool.name}:{json.dumps(arguments)}")
        return await self.local.call_tool(tool, ctx, arguments)


# The seam


async def test_every_model_call_and_tool_call_goes_through_the_executor() -> None:
    executor = Recording()
    _: Executor = executor
    provider = ScriptedProvider([call("lookup", order_id="1"), call("lookup", order_id="2"), "both shipped"])
    agent = Agent(name="a", model=provider, tools=(lookup,))
    result = await Runtime(executor=executor).run(agent, "where are 1 and 2?")
    assert result.output == "both shipped"
    assert executor.calls == [
        "complete:1",
        'tool:lookup:{"order_id": "1"}',
        "complete:3",
        'tool:lookup:{"order_id": "2"}',
        "complete:5",
    ]
    streamed = Recording()
    provider = ScriptedProvider([call("lookup", order_id="3"), "shipped"])
    events = [e async for e in Runtime(executor=streamed).stream(Agent(name="a", model=provider, tools=(lookup,)), "3?")]
    assert events[-1].type == "run.completed"
    assert streamed.calls == ["stream:1", 'tool:lookup:{"order_id": "3"}', "stream:3"]


# Declared capabilities are read


async def test_a_model_without_tool_calling_refuses_an_agent_with_tools_before_any_call() -> None:
    provider = ScriptedProvider(["hi"], capabilities=Capabilities(8_192, 512, tools=False))
    with pytest.raises(UserError, match="does not support tool calling"):
        await Runtime().run(Agent(name="a", model=provider, tools=(lookup,)), "hi")
    assert provider.requests == []
    result = await Runtime().run(Agent(name="a", model=provider), "hi")  # no tools: fine
    assert result.output == "hi"


async def test_stream_on_a_model_that_cannot_stream_makes_one_call_and_one_delta() -> None:
    class NoStream(ScriptedProvider):
        def stream(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
            raise AssertionError("a model that cannot stream is never asked to")

    provider = NoStream(["Recursion calls itself."], capabilities=Capabilities(8_192, 512, streaming=False))
    events = [e async for e in Runtime().stream(Agent(name="a", model=provider), "explain")]
    deltas = [e.payload["delta"] for e in events if e.type == "model.stream.delta"]
    assert deltas == ["Recursion calls itself."]
    assert events[-1].type == "run.completed"


async def test_a_model_without_parallel_tool_calls_gets_its_calls_run_one_at_a_time() -> None:
    running = 0
    most = 0

    @tool
    async def slow(n: int) -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        return str(n)

    turns: list[Any] = [[call("slow", n=1), call("slow", n=2), call("slow", n=3)], "done"]
    parallel = ScriptedProvider(turns)
    await Runtime().run(Agent(name="a", model=parallel, tools=(slow,)), "go")
    assert most == 3
    most = 0
    serial = ScriptedProvider(turns, capabilities=Capabilities(128_000, 4_096, parallel_tool_calls=False))
    result = await Runtime().run(Agent(name="a", model=serial, tools=(slow,)), "go")
    assert most == 1
    assert [p.content for p in result.new_messages[2].tool_results] == ["1", "2", "3"]


# Timeouts: a tool's own wins, larger or smaller


async def test_a_tools_own_timeout_wins_over_the_runtimes_larger_or_smaller() -> None:
    @tool(timeout=5)
    async def patient() -> str:
        await asyncio.sleep(0.05)
        return "finished"

    @tool(timeout=0.01)
    async def hasty() -> str:
        await asyncio.sleep(5)
        return "never"

    sink = MemorySink()
    provider = ScriptedProvider([[call("patient"), call("hasty")], "done"])
    agent = Agent(name="a", model=provider, tools=(patient, hasty))
    await Runtime(sinks=(sink,), tool_timeout=0.02).run(agent, "go")
    assert [e.payload["result"] for e in sink.events if e.type == "tool.completed"] == ["finished"]
    assert [e.payload["timeout_seconds"] for e in sink.events if e.type == "tool.timed_out"] == [0.01]


# The runtime counts model requests itself


async def test_max_model_requests_holds_when_the_provider_reports_no_requests() -> None:
    def silent(request: ModelRequest) -> ModelResponse:
        from runlet.core.messages import ToolCallPart

        text = json.dumps({"order_id": "1"})
        return ModelResponse((ToolCallPart(f"c{len(request.messages)}", "lookup", text),), Usage(), "tool_calls", "m")

    provider = FunctionProvider(silent)
    with pytest.raises(UsageLimitExceeded) as caught:
        await Runtime(limits=Limits(max_model_requests=2)).run(Agent(name="a", model=provider, tools=(lookup,)), "go")
    assert caught.value.limit == "max_model_requests"
    assert len(provider.requests) == 2


# RunState


def test_run_state_knows_the_turn_in_progress() -> None:
    from runlet.core.messages import Message, ToolCallPart, ToolResultPart

    asked = Message("assistant", (ToolCallPart("c1", "lookup", "{}"), ToolCallPart("c2", "lookup", "{}")))
    state = RunState(run_id="r", agent="a", new=(Message.user("go"), asked), completed=(ToolResultPart("c1", "lookup", "ok"),))
    assert [c.call_id for c in state.turn] == ["c1", "c2"]
    grown = state.appended(Message.user("more"))
    assert grown.new[-1] == grown.context[-1] == Message.user("more") and state.new[-1] == asked
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.step = 2  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
