"""A provider of your own: a complete, structural `Provider` that imports no base class.

    python examples/custom_provider.py

`KeywordModel` is a tiny rule-based "model" so the example runs offline, but
every part a real provider needs is here, in the shape Runlet expects:

- `capabilities()` describes the model (the runtime budgets requests with it);
- `complete(request)` maps Runlet's request to the model's input, and the
  model's output to a `ModelResponse` (parts, usage, finish reason);
- `stream(request)` is an async generator of stream events: text deltas, each
  tool call started / argument deltas / done exactly once, and a final
  `ResponseCompleted` carrying the whole response;
- provider options are read from the provider's own key
  (`request.options["keyword"]`) and other keys are ignored;
- failures are raised as Runlet's `ProviderError` family (`retryable` says
  whether the runtime may try again).

A provider for a real API does the same with an HTTP client (an async one:
never block the event loop).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from runlet import (
    Agent,
    BadRequest,
    Capabilities,
    Message,
    ModelRequest,
    ModelResponse,
    RunContext,
    Runtime,
    TextPart,
    ToolCallPart,
    Usage,
    tool,
)
from runlet.providers import (
    ModelStreamEvent,
    Provider,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
)

ORDER = re.compile(r"\border (\d+)\b")


# --8<-- [start:provider]
class KeywordModel:
    """Calls the first tool with an order number it finds, then answers from the tool's result."""

    def __init__(self, *, context_window: int = 8_192) -> None:
        self._context_window = context_window
        self._calls = 0

    # -- the Provider protocol: three methods, nothing to inherit ------------------

    def capabilities(self) -> Capabilities:
        return Capabilities(context_window=self._context_window, max_output_tokens=512, parallel_tool_calls=False)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        options = request.options.get("keyword", {})  # this provider's own options only
        if options.get("fail"):
            raise BadRequest("the keyword model was asked to fail", provider="keyword", status_code=400)
        await asyncio.sleep(0)  # a real provider awaits its HTTP client here
        return self._answer(request)

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelStreamEvent, None]:
        response = await self.complete(request)
        for part in response.parts:
            if isinstance(part, TextPart):
                for word in re.findall(r"\S+\s*", part.text):
                    yield TextDelta(word)
            elif isinstance(part, ToolCallPart):
                yield ToolCallStarted(part.call_id, part.name)
                yield ToolCallDelta(part.call_id, part.arguments)
                yield ToolCallDone(part)  # exactly once per call
        yield ResponseCompleted(response)  # always last, with the whole response
# --8<-- [end:provider]

    # -- the "model" ----------------------------------------------------------------

    def _answer(self, request: ModelRequest) -> ModelResponse:
        history = request.messages
        seen = sum(len(message.text) for message in history) // 4
        last = history[-1]
        results = last.tool_results
        if results:
            status = results[0].content
            text = self._final_text(request, status)
            return ModelResponse((TextPart(text),), Usage(seen, len(text) // 4, requests=1), "stop", "keyword-1")
        found = ORDER.search(last.text)
        if found and request.tools:
            self._calls += 1
            call = ToolCallPart(f"kw_{self._calls}", request.tools[0].name, json.dumps({"order_id": found.group(1)}))
            return ModelResponse((call,), Usage(seen, 8, requests=1), "tool_calls", "keyword-1")
        return ModelResponse((TextPart("Which order?"),), Usage(seen, 2, requests=1), "stop", "keyword-1")

    @staticmethod
    def _final_text(request: ModelRequest, status: str) -> str:
        if request.output is None:  # the agent wants plain text
            return f"The order is {status}."
        return json.dumps({"status": status, "eta_days": 2 if status == "shipped" else -1})


# -- using it: an agent like any other --------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


@tool
async def lookup(ctx: RunContext[None], order_id: str) -> str:
    """Look an order up by id."""
    return "shipped" if order_id == "123" else "unknown"


async def main() -> None:
    model: Provider = KeywordModel()  # checked structurally by mypy and pyright
    agent = Agent(name="support", model=model, tools=(lookup,), output_type=Answer)

    result = await Runtime().run(agent, "Where is order 123?")
    print(f"run: {result.output!r}")

    deltas: list[str] = []
    async for event in Runtime().stream(agent, "And order 9?"):
        if event.type == "tool.completed":
            print(f"stream: tool {event.payload['tool']} -> {event.payload['result']!r}")
        if event.type == "model.stream.delta":
            deltas.append(str(event.payload["delta"]))
    print(f"stream: {''.join(deltas)}")

    request = ModelRequest([Message.user("hi")], options={"keyword": {"fail": True}})
    try:
        await model.complete(request)
    except BadRequest as error:
        print(f"error: {type(error).__name__} (retryable={error.retryable}): {error}")


if __name__ == "__main__":
    asyncio.run(main())
