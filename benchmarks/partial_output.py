"""Partial structured output: the cost per text delta of reading a streaming answer.

    python benchmarks/partial_output.py

A structured answer (a forecast of 60 days, 3.7 KB of JSON) arrives in deltas
of 4 and 16 characters. Times, in microseconds per delta (best of 20 runs):

- `PartialJson`: `feed` each delta, and `value()` whenever it says a value
  completed (what `runlet.loop.model_calls` does for `model.stream.partial_output`);
- from scratch: a new `PartialJson` fed the whole text so far at every delta,
  the cost that reading each delta once avoids;
- `Runtime.stream()`: the whole loop per delta, with `str` output (no partial
  output) and with the structured output (deltas and partial output events).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from runlet import Agent, Capabilities, ModelRequest, ModelResponse, Runtime, TextPart, Usage
from runlet.core.partial_json import PartialJson
from runlet.providers import ModelStreamEvent, ResponseCompleted, TextDelta


@dataclass(frozen=True)
class Day:
    day: int
    high: float
    summary: str


@dataclass(frozen=True)
class Forecast:
    title: str
    days: list[Day]


TEXT = json.dumps({"title": "Paris " * 5, "days": [{"day": i, "high": 20.5, "summary": "sunny, clouds later"} for i in range(60)]})


class Deltas:
    """A model that streams `text` in pieces of `size` characters."""

    def __init__(self, text: str, size: int) -> None:
        self.text, self.size = text, size

    async def complete(self, request: ModelRequest) -> ModelResponse:
        return ModelResponse((TextPart(self.text),), Usage(10, 10, requests=1))

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        for start in range(0, len(self.text), self.size):
            yield TextDelta(self.text[start : start + self.size])
        yield ResponseCompleted(await self.complete(request))

    def capabilities(self) -> Capabilities:
        return Capabilities(context_window=1_000_000, max_output_tokens=100_000)


def best(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def incremental(pieces: list[str]) -> None:
    parser = PartialJson()
    for piece in pieces:
        if parser.feed(piece):
            parser.value()


def from_scratch(pieces: list[str]) -> None:
    text = ""
    for piece in pieces:
        text += piece
        parser = PartialJson()
        parser.feed(text)
        parser.value()


async def streamed(agent: Agent[None, Any]) -> None:
    async for _ in Runtime().stream(agent, "Forecast?"):
        pass


def main() -> None:
    print(f"{len(TEXT)} characters of JSON")
    for size in (4, 16):
        pieces = [TEXT[i : i + size] for i in range(0, len(TEXT), size)]
        per_delta = 1e6 / len(pieces)
        print(f"\ndeltas of {size} characters ({len(pieces)} deltas): µs per delta")
        print(f"  PartialJson, each delta once   {best(20, lambda: incremental(pieces)) * per_delta:8.2f}")
        print(f"  PartialJson, from scratch      {best(3, lambda: from_scratch(pieces)) * per_delta:8.2f}")
        text_agent = Agent(name="text", model=Deltas("x" * len(TEXT), size))
        typed = Agent(name="typed", model=Deltas(TEXT, size), output_type=Forecast)
        print(f"  Runtime.stream(), str output   {best(20, lambda: asyncio.run(streamed(text_agent))) * per_delta:8.2f}")
        print(f"  Runtime.stream(), Forecast     {best(20, lambda: asyncio.run(streamed(typed))) * per_delta:8.2f}")


if __name__ == "__main__":
    main()
