"""`RunStream`: the events of a run as they happen, then its typed result; the structured answer while it streams."""

from __future__ import annotations

import collections.abc
from contextlib import aclosing
from dataclasses import dataclass

import pytest

from runlet import (
    Agent,
    Approve,
    Capabilities,
    MaxStepsExceeded,
    RunContext,
    RunInterrupted,
    RunNotCompleted,
    Runtime,
    tool,
)
from runlet.events import ModelStreamDelta, ModelStreamPartialOutput
from runlet.hooks import RequireApproval
from runlet.sinks import MemorySink
from runlet.stores import MemoryStore
from runlet.testing import FunctionProvider, ScriptedProvider, call


@dataclass(frozen=True)
class Forecast:
    city: str
    high: int
    tags: list[str]


@dataclass(frozen=True)
class Deps:
    city: str


@tool
def weather(ctx: RunContext[Deps]) -> str:
    """Today's weather in the user's city."""
    return f"sunny in {ctx.deps.city}"


FORECAST = {"city": "Paris", "high": 21, "tags": ["sun", "wind"]}


async def test_the_stream_gives_the_typed_result_once_it_has_ended() -> None:
    provider = ScriptedProvider([call("weather"), FORECAST], chunk_size=5)
    agent = Agent(name="weather", model=provider, tools=(weather,), output_type=Forecast)
    stream = Runtime().stream(agent, "Weather?", deps=Deps("Paris"))
    types = [event.type async for event in stream]

    result = stream.result
    assert types[-1] == "run.completed"
    assert result.output == Forecast("Paris", 21, ["sun", "wind"])
    assert [m.role for m in result.new_messages] == ["user", "assistant", "tool", "assistant"]
    assert result.messages == result.new_messages
    assert result.usage.requests == 2 and result.steps == 2

    ran = await Runtime().run(Agent(name="weather", model=ScriptedProvider([call("weather"), FORECAST]), tools=(weather,), output_type=Forecast), "Weather?", deps=Deps("Paris"))
    assert (ran.output, [m.role for m in ran.messages]) == (result.output, [m.role for m in result.messages])


async def test_asking_for_the_result_too_early_is_a_clear_error() -> None:
    stream = Runtime().stream(Agent(name="a", model=ScriptedProvider(["Hello there."])), "hi")
    with pytest.raises(RunNotCompleted, match="has not completed"):
        stream.result
    async for event in stream:
        if event.type == "run.completed":
            with pytest.raises(RunNotCompleted):
                stream.result  # the last event is out, the loop has not ended yet
    assert stream.result.output == "Hello there."


async def test_a_failed_stream_never_has_a_result() -> None:
    agent = Agent(name="a", model=FunctionProvider(lambda request: call("nothing")), max_steps=1)
    stream = Runtime().stream(agent, "loop")
    with pytest.raises(MaxStepsExceeded):
        async for _ in stream:
            pass
    with pytest.raises(RunNotCompleted, match="raises its error from the stream"):
        stream.result


async def test_it_is_the_async_generator_stream_returned_before() -> None:
    sink = MemorySink()
    stream = Runtime(sinks=(sink,)).stream(Agent(name="a", model=ScriptedProvider(["a long answer " * 10])), "hi")
    assert isinstance(stream, collections.abc.AsyncGenerator)
    assert stream.__aiter__() is stream
    assert (await stream.asend(None)).type == "run.started"
    async with aclosing(stream) as events:
        async for event in events:
            if event.type == "model.stream.delta":
                break
    assert sink.types()[-1] == "run.cancelled"
    with pytest.raises(RunNotCompleted):
        stream.result
    await stream.aclose()  # closing again does nothing
    assert sink.types().count("run.cancelled") == 1


async def test_an_exception_thrown_in_fails_the_run_with_it() -> None:
    sink = MemorySink()
    stream = Runtime(sinks=(sink,)).stream(Agent(name="a", model=ScriptedProvider(["a long answer " * 10])), "hi")
    await anext(stream)
    failed = await stream.athrow(ValueError("stop here"))
    assert (failed.type, failed.payload) == ("run.failed", {"error_type": "ValueError", "message": "stop here"})
    with pytest.raises(ValueError, match="stop here"):
        await anext(stream)
    other = Runtime().stream(Agent(name="a", model=ScriptedProvider(["text"])), "hi")
    await anext(other)
    assert (await other.athrow(KeyError, "gone", None)).payload["error_type"] == "KeyError"


async def test_a_resumed_stream_gives_its_result_too() -> None:
    @tool
    def refund(amount: int) -> str:
        """Refund."""
        return f"refunded {amount}"

    agent = Agent(
        name="refunds",
        model=ScriptedProvider([call("refund", amount=5), "Refunded 5."]),
        tools=(refund,),
        hooks=(RequireApproval(tools={"refund"}, reason="needs a manager"),),
    )
    runtime = Runtime(store=MemoryStore())
    stream = runtime.stream(agent, "Refund 5.")
    with pytest.raises(RunInterrupted) as stopped:
        async for _ in stream:
            pass
    with pytest.raises(RunNotCompleted):
        stream.result
    resumed = runtime.resume_stream(agent, stopped.value.checkpoint, [Approve(stopped.value.pending[0].id)])
    assert [e.type async for e in resumed][0] == "run.resumed"
    assert resumed.result.output == "Refunded 5."
    assert [m.role for m in resumed.result.new_messages] == ["user", "assistant", "tool", "assistant"]


# Partial structured output


async def test_partial_outputs_fill_in_as_fields_complete() -> None:
    provider = ScriptedProvider([FORECAST], chunk_size=4)
    stream = Runtime().stream(Agent(name="w", model=provider, output_type=Forecast), "Weather?")
    partials = [value async for value in stream.partial_outputs()]

    assert partials == [
        {},
        {"city": "Paris"},
        {"city": "Paris", "high": 21},
        {"city": "Paris", "high": 21, "tags": []},
        {"city": "Paris", "high": 21, "tags": ["sun"]},
        {"city": "Paris", "high": 21, "tags": ["sun", "wind"]},
    ]
    assert stream.result.output == Forecast("Paris", 21, ["sun", "wind"])


async def test_partial_output_events_follow_the_delta_that_completed_a_value() -> None:
    sink = MemorySink()
    provider = ScriptedProvider([FORECAST], chunk_size=3)
    stream = Runtime(sinks=(sink,)).stream(Agent(name="w", model=provider, output_type=Forecast), "Weather?")
    events = [event async for event in stream]

    assert [e.type for e in events] == sink.types()
    for before, event in zip(events, events[1:]):
        if isinstance(event, ModelStreamPartialOutput):
            assert isinstance(before, ModelStreamDelta)
            assert event.span_id == before.span_id and event.step == 1
    outputs = [e.output for e in events if isinstance(e, ModelStreamPartialOutput)]
    assert outputs[-1] == FORECAST == events[-1].payload["output"]


async def test_a_primitive_output_streams_without_its_wrapper() -> None:
    provider = ScriptedProvider([{"result": [3, 1, 2]}], chunk_size=3)
    stream = Runtime().stream(Agent(name="n", model=provider, output_type=list[int]), "Numbers?")
    assert [value async for value in stream.partial_outputs()] == [[], [3], [3, 1], [3, 1, 2]]
    assert stream.result.output == [3, 1, 2]


async def test_text_answers_have_no_partial_output() -> None:
    stream = Runtime().stream(Agent(name="t", model=ScriptedProvider(['{"looks": "like json"}'])), "hi")
    assert [value async for value in stream.partial_outputs()] == []
    assert stream.result.output == '{"looks": "like json"}'


async def test_a_retried_answer_is_read_afresh() -> None:
    provider = ScriptedProvider([{"city": "Paris", "high": "warm", "tags": []}, FORECAST], chunk_size=6)
    stream = Runtime().stream(Agent(name="w", model=provider, output_type=Forecast), "Weather?")
    partials = [value async for value in stream.partial_outputs()]
    starts = [i for i, value in enumerate(partials) if value == {}]
    assert len(starts) == 2 and starts[0] == 0
    assert partials[starts[1] - 1] == {"city": "Paris", "high": "warm", "tags": []}
    assert partials[-1] == FORECAST
    assert stream.result.output.high == 21


async def test_a_model_that_cannot_stream_gives_one_partial_output() -> None:
    caps = Capabilities(context_window=8_000, max_output_tokens=500, streaming=False)
    provider = ScriptedProvider([FORECAST], capabilities=caps)
    stream = Runtime().stream(Agent(name="w", model=provider, output_type=Forecast), "Weather?")
    assert [value async for value in stream.partial_outputs()] == [FORECAST]
    assert stream.result.output.city == "Paris"


async def test_run_emits_no_partial_output() -> None:
    sink = MemorySink()
    await Runtime(sinks=(sink,)).run(Agent(name="w", model=ScriptedProvider([FORECAST]), output_type=Forecast), "Weather?")
    assert "model.stream.partial_output" not in sink.types()
