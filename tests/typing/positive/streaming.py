"""Streams as users write them: events, partial structured output, then the typed result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from typing_extensions import assert_type

from runlet import Agent, JsonValue, Message, RunContext, RunNotCompleted, RunResult, RunStream, Runtime, Usage, tool
from runlet.events import Event, ModelStreamPartialOutput
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["{}"])


@dataclass(frozen=True)
class Deps:
    city: str


@dataclass(frozen=True)
class Forecast:
    city: str
    high: int


@dataclass(frozen=True)
class Unknown:
    city: str


@tool
def weather(ctx: RunContext[Deps]) -> str:
    """Today's weather in the user's city."""
    return f"sunny in {ctx.deps.city}"


forecaster = Agent(name="f", model=provider, tools=(weather,), output_type=Forecast | Unknown)
plain = Agent(name="p", model=provider)


async def main() -> None:
    stream = Runtime().stream(forecaster, "Weather?", deps=Deps("Paris"))
    assert_type(stream, RunStream[Forecast | Unknown])
    try:
        stream.result
    except RunNotCompleted:
        pass
    async for partial in stream.partial_outputs():
        assert_type(partial, JsonValue)
    result = stream.result
    assert_type(result, RunResult[Forecast | Unknown])
    assert_type(result.new_messages, tuple[Message, ...])
    assert_type(result.usage, Usage)
    if isinstance(result.output, Forecast):
        assert_type(result.output.high, int)

    async with aclosing(Runtime().stream(plain, "Hi.")) as events:
        assert_type(events, RunStream[str])
        async for event in events:
            assert_type(event, Event)
            if isinstance(event, ModelStreamPartialOutput):
                assert_type(event.output, JsonValue)
    assert_type(events.result.output, str)

    closing = Runtime().stream(plain, "Hi.")
    first = await anext(closing)
    assert_type(first, Event)
    await closing.aclose()

    partials: AsyncIterator[JsonValue] = Runtime().stream(forecaster, "Weather?", deps=Deps("Oslo")).partial_outputs()
    print([value async for value in partials])

    # A stream of a narrower output fits where a wider one is expected.
    only_forecasts = Agent(name="o", model=provider, output_type=Forecast)
    narrow = Runtime().stream(only_forecasts, "Weather?")
    wider: RunStream[Forecast | Unknown] = narrow
    print(wider)
