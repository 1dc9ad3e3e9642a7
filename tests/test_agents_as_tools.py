"""Agents as tools (`Agent.as_tool`): the child runs inside the parent's call, on its runtime, within its limits."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from runlet import (
    Agent,
    AgentToolInterrupted,
    Limits,
    RunContext,
    Runtime,
    Usage,
    UsageLimitExceeded,
    UserError,
    require_approval,
    tool,
)
from runlet.events import Event, RunCompleted, RunStarted, ToolCompleted, ToolStarted
from runlet.hooks import Hooks
from runlet.sinks import MemorySink
from runlet.testing import ScriptedProvider, call


@tool
def facts(topic: str) -> str:
    """Facts about a topic."""
    return f"owls are birds ({topic})"


def researcher(*turns: object) -> Agent[object, str]:
    script = turns or (call("facts", topic="owls"), "Owls are birds.")
    return Agent(name="researcher", description="Finds facts.", model=ScriptedProvider(script), tools=(facts,))


def lead(child: Agent[object, str], *turns: object) -> Agent[None, str]:
    script = turns or (call("researcher", input="What are owls?"), "Owls are birds, says research.")
    return Agent(name="lead", model=ScriptedProvider(script), tools=(child.as_tool(),))


def of_run(events: list[Event], run_id: str) -> list[Event]:
    return [e for e in events if e.run_id == run_id]


# What the parent gets


async def test_the_childs_answer_is_the_result_and_its_usage_is_the_parents() -> None:
    memory = MemorySink()
    child = researcher()
    parent = lead(child)
    result = await Runtime(sinks=(memory,)).run(parent, "Tell me about owls.")
    assert result.output == "Owls are birds, says research."
    assert child.model.requests[0].messages[-1].text == "What are owls?"
    tool_message = parent.model.requests[1].messages[-1]
    assert tool_message.tool_results[0].content == "Owls are birds."
    completed = [e for e in memory.events if isinstance(e, RunCompleted)]
    child_done, parent_done = completed  # the child completes inside the parent's call
    assert child_done.run_id != result.run_id and parent_done.run_id == result.run_id
    own = Usage()
    for response_usage in (e.usage for e in memory.events if e.type == "model.completed" and e.run_id == result.run_id):
        own = own + response_usage
    assert result.usage == own + child_done.usage
    assert result.usage.requests == 4 and parent_done.usage == result.usage


async def test_a_structured_answer_is_returned_as_json() -> None:
    @dataclass(frozen=True)
    class Finding:
        topic: str
        confidence: float

    child: Agent[object, Finding] = Agent(
        name="analyst", model=ScriptedProvider([{"topic": "owls", "confidence": 0.9}]), output_type=Finding
    )
    parent = Agent(name="lead", model=ScriptedProvider([call("analyst", input="owls?"), "done"]), tools=(child.as_tool(),))
    await Runtime().run(parent, "go")
    result = parent.model.requests[1].messages[-1].tool_results[0]
    assert json.loads(result.content) == {"topic": "owls", "confidence": 0.9}


def test_name_description_and_the_input_parameter() -> None:
    child = researcher()
    as_tool = child.as_tool()
    assert (as_tool.name, as_tool.description) == ("researcher", "Finds facts.")
    assert as_tool.parameters["required"] == ["input"]
    assert as_tool.parameters["properties"]["input"]["type"] == "string"
    named = Agent(name="market research", model=ScriptedProvider([])).as_tool(name="ask_market", description="Ask it.")
    assert (named.name, named.description) == ("ask_market", "Ask it.")
    assert Agent(name="market research", model=ScriptedProvider([])).as_tool().name == "market_research"


async def test_arguments_without_an_input_string_are_an_error_the_model_sees() -> None:
    child = researcher()
    parent = lead(child, call("researcher", question="owls?"), "sorry")
    await Runtime().run(parent, "go")
    result = parent.model.requests[1].messages[-1].tool_results[0]
    assert result.is_error and "input" in result.content and child.model.requests == []


async def test_outside_a_run_the_tool_says_it_needs_one() -> None:
    with pytest.raises(UserError, match="runs only as a tool call of a Runlet run"):
        await researcher().as_tool().call(RunContext(None, "r", "a", 1, Usage(), ()), {"input": "owls?"})


async def test_a_child_that_fails_is_a_tool_error_and_its_usage_still_counts() -> None:
    looping = Agent(name="looper", model=ScriptedProvider([call("facts", topic="a"), call("facts", topic="b")]), tools=(facts,), max_steps=2)
    parent = lead(looping, call("looper", input="go"), "it failed")
    result = await Runtime().run(parent, "go")
    failure = parent.model.requests[1].messages[-1].tool_results[0]
    assert failure.is_error and "MaxStepsExceeded" in failure.content
    assert result.usage.requests == 4  # the parent's two and the child's two


# Limits bound both


async def test_a_child_stops_at_what_is_left_of_the_parents_model_requests() -> None:
    memory = MemorySink()
    child = researcher(call("facts", topic="a"), call("facts", topic="b"), "done")
    parent = lead(child)
    with pytest.raises(UsageLimitExceeded) as raised:
        await Runtime(sinks=(memory,), limits=Limits(max_model_requests=3)).run(parent, "go")
    assert raised.value.limit == "max_model_requests"
    assert len(child.model.requests) == 2  # the parent used 1 of 3
    stopped = [e for e in memory.events if e.type == "policy.stopped"]
    assert len(stopped) == 2  # the child's, then the parent's
    assert memory.events[-1].type == "run.failed" and memory.events[-1].agent == "lead"


async def test_a_child_stops_at_what_is_left_of_the_parents_tool_calls() -> None:
    child = researcher(call("facts", topic="a"), call("facts", topic="b"), "done")
    with pytest.raises(UsageLimitExceeded) as raised:
        await Runtime(limits=Limits(max_tool_calls=2)).run(lead(child), "go")
    assert raised.value.limit == "max_tool_calls"
    assert len(child.model.requests) == 2


async def test_children_of_one_turn_are_checked_together_when_the_turn_ends() -> None:
    # each child starts with the 3 requests the turn began with, and uses 2: 1 + 2 + 2 > 4
    child = researcher(call("facts", topic="a"), "done", call("facts", topic="b"), "done")
    parent = lead(child, [call("researcher", input="a"), call("researcher", input="b")], "never")
    with pytest.raises(UsageLimitExceeded) as raised:
        await Runtime(limits=Limits(max_model_requests=4), max_parallel_tools=1).run(parent, "go")
    assert raised.value.limit == "max_model_requests" and raised.value.value == 5


def test_what_is_left_of_the_limits() -> None:
    limits = Limits(max_model_requests=10, max_tool_calls=5, max_total_tokens=1_000, deadline_seconds=60)
    left = limits.remaining(4, 5, Usage(input_tokens=300, output_tokens=100), 15.0)
    assert left == Limits(max_model_requests=6, max_tool_calls=0, max_total_tokens=600, deadline_seconds=45.0)
    assert Limits().remaining(4, 5, Usage(input_tokens=300), 15.0) == Limits()


# Runtime, events and spans


async def test_child_events_nest_under_the_parents_tool_call() -> None:
    memory = MemorySink()
    result = await Runtime(sinks=(memory,)).run(lead(researcher()), "go")
    events = memory.events
    started = [e for e in events if isinstance(e, RunStarted)]
    parent_start, child_start = started
    assert parent_start.parent_run_id is None and parent_start.parent_span_id is None
    call_span = next(e for e in events if isinstance(e, ToolStarted) and e.tool == "researcher")
    assert child_start.parent_run_id == result.run_id and call_span.run_id == result.run_id
    assert child_start.parent_span_id == call_span.span_id
    child_events = of_run(events, child_start.run_id)
    assert all(e.agent == "researcher" for e in child_events)
    assert [e.seq for e in child_events] == list(range(len(child_events)))
    first, last = events.index(child_events[0]), events.index(child_events[-1])
    call_done = next(e for e in events if isinstance(e, ToolCompleted) and e.tool == "researcher")
    assert events.index(call_span) < first and last < events.index(call_done)


async def test_a_streamed_parent_yields_the_childs_events_too() -> None:
    stream = Runtime().stream(lead(researcher()), "go")
    events = [event async for event in stream]
    children = {e.run_id for e in events} - {stream.result.run_id}
    assert len(children) == 1
    (child,) = children
    assert [e.type for e in events if e.run_id == child][0] == "run.started"
    assert any(e.type == "model.stream.delta" and e.run_id == child for e in events)


async def test_runtime_hooks_and_the_executor_serve_the_child() -> None:
    seen: list[str] = []

    def note(ctx: RunContext[object], call: object) -> None:
        seen.append(f"{ctx.agent_name}:{getattr(call, 'name')}")

    await Runtime(hooks=(Hooks(before_tool_call=note),)).run(lead(researcher()), "go")
    assert seen == ["lead:researcher", "researcher:facts"]


async def test_a_child_that_asks_a_human_stops_the_parent_with_a_clear_error() -> None:
    @tool
    def refund(amount: int) -> str:
        """Refund."""
        require_approval("refunds need a manager")
        return "refunded"

    child = Agent(name="refunder", model=ScriptedProvider([call("refund", amount=5), "done"]), tools=(refund,))
    parent = Agent(name="lead", model=ScriptedProvider([call("refunder", input="refund 5")]), tools=(child.as_tool(),))
    with pytest.raises(AgentToolInterrupted, match="only the outermost run can stop for a human"):
        await Runtime().run(parent, "go")


# Deps


@dataclass(frozen=True)
class Shop:
    region: str
    currency: str


@dataclass(frozen=True)
class Pricing:
    currency: str


@tool
def shop_region(ctx: RunContext[Shop]) -> str:
    """The shop's region."""
    return ctx.deps.region


@tool
def price(ctx: RunContext[Pricing], sku: str) -> str:
    """A price."""
    return f"12 {ctx.deps.currency}"


async def test_without_a_mapping_the_child_gets_the_parents_deps() -> None:
    child: Agent[Shop, str] = Agent(name="regions", model=ScriptedProvider([call("shop_region"), "eu"]), tools=(shop_region,))
    parent: Agent[Shop, str] = Agent(
        name="lead", model=ScriptedProvider([call("regions", input="where?"), "eu it is"]), tools=(child.as_tool(),)
    )
    await Runtime().run(parent, "go", deps=Shop("eu", "EUR"))
    assert child.model.requests[1].messages[-1].tool_results[0].content == "eu"


async def test_deps_maps_the_parents_deps_to_the_childs() -> None:
    def pricing(shop: Shop) -> Pricing:
        return Pricing(shop.currency)

    child: Agent[Pricing, str] = Agent(name="pricer", model=ScriptedProvider([call("price", sku="A1"), "12 EUR"]), tools=(price,))
    parent: Agent[Shop, str] = Agent(
        name="lead", model=ScriptedProvider([call("pricer", input="A1?"), "12 EUR"]), tools=(child.as_tool(deps=pricing),)
    )
    await Runtime().run(parent, "go", deps=Shop("eu", "EUR"))
    assert child.model.requests[1].messages[-1].tool_results[0].content == "12 EUR"


async def test_the_childs_spans_are_in_the_parents_trace_under_the_call() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from runlet.sinks import OpenTelemetrySink

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    await Runtime(sinks=(OpenTelemetrySink(tracer_provider),)).run(lead(researcher()), "go")
    spans = {span.name: span for span in exporter.get_finished_spans() if span.name != "step 1" and span.name != "step 2"}
    parent_run, call_span, child_run = spans["invoke_agent lead"], spans["execute_tool researcher"], spans["invoke_agent researcher"]
    inner_tool = spans["execute_tool facts"]
    traces = {span.context.trace_id for span in exporter.get_finished_spans() if span.context is not None}
    assert len(traces) == 1
    assert child_run.parent is not None and call_span.context is not None
    assert child_run.parent.span_id == call_span.context.span_id
    assert parent_run.parent is None
    assert inner_tool.attributes is not None and inner_tool.attributes["gen_ai.agent.name"] == "researcher"
    tracer_provider.shutdown()


async def test_the_console_indents_the_child_under_its_call() -> None:
    import io

    from runlet.sinks import ConsoleSink

    out = io.StringIO()
    await Runtime(sinks=(ConsoleSink(out),)).run(lead(researcher()), "go")
    lines = out.getvalue().splitlines()
    child_start = next(line for line in lines if "researcher: What are owls?" in line)
    assert child_start.startswith("    \u25b6 researcher")
    assert any(line.startswith("      \u2192 facts(") for line in lines)
    assert lines[-1].startswith("\u2714 done")
