"""Adapters that make pydantic-ai and the OpenAI Agents SDK do the benchmarks' work.

Each peer is optional: `available()` says whether it is installed, and every
builder below imports the peer lazily. They use the peers' public APIs only.

The work is the same for every library:

- `http_*`: one run against the local Responses server (`responses_server.py`):
  the model asks for `lookup(order_id="123")`, the library runs the tool and
  sends its output back, the model answers.
- `loop_*`: an in-process scripted model that asks for `lookup` `steps` times,
  then answers "done" (steps + 1 model calls, steps tool calls).
- `stream_*`: an in-process scripted model that streams `deltas` text deltas.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

PEERS = {"pydantic-ai": "pydantic_ai", "openai-agents": "agents"}

PROMPT = "Where is order 123?"
INSTRUCTIONS = "Help users with orders."


def available(peer: str) -> bool:
    return importlib.util.find_spec(PEERS[peer]) is not None


def version(peer: str) -> str:
    from importlib.metadata import PackageNotFoundError, version as dist_version

    try:
        return dist_version({"pydantic-ai": "pydantic-ai-slim", "openai-agents": "openai-agents"}[peer])
    except PackageNotFoundError:
        return "?"


# -- pydantic-ai ------------------------------------------------------------------


def http_pydantic_ai(base_url: str, model: str) -> Callable[[], Awaitable[str]]:
    from openai import AsyncOpenAI
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIResponsesModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    agent = Agent(
        OpenAIResponsesModel(model, provider=OpenAIProvider(openai_client=client)),
        instructions=INSTRUCTIONS,
        tools=[_lookup_named()],
        name="bench",
    )

    async def run() -> str:
        result = await agent.run(PROMPT)
        return str(result.output)

    return run


def loop_pydantic_ai(steps: int) -> Callable[[], Awaitable[str]]:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel
    from pydantic_ai.usage import RequestUsage, UsageLimits

    state = {"calls": 0}

    async def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        state["calls"] += 1
        n = state["calls"]
        usage = RequestUsage(input_tokens=10, output_tokens=5)
        if n <= steps:
            return ModelResponse(parts=[ToolCallPart("lookup", {"order_id": "123"}, tool_call_id=f"call_{n}")], usage=usage)
        return ModelResponse(parts=[TextPart("done")], usage=usage)

    agent = Agent(FunctionModel(model), tools=[_lookup_named()], name="bench")
    limits = UsageLimits(request_limit=None)

    async def run() -> str:
        state["calls"] = 0
        result = await agent.run(PROMPT, usage_limits=limits)
        return str(result.output)

    return run


def _lookup_named() -> Callable[[str], Awaitable[str]]:
    async def lookup(order_id: str) -> str:
        """Look an order up by id."""
        return f"order {order_id} shipped"

    return lookup


def stream_pydantic_ai(deltas: int) -> Callable[[], Awaitable[int]]:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for _ in range(deltas):
            yield "tok "

    agent = Agent(FunctionModel(stream_function=stream), name="bench")

    async def run() -> int:
        count = 0
        async with agent.run_stream(PROMPT) as result:
            async for _ in result.stream_text(delta=True, debounce_by=None):
                count += 1
        return count

    return run


# -- OpenAI Agents SDK ------------------------------------------------------------


def _agents_setup() -> None:
    from agents import set_tracing_disabled

    set_tracing_disabled(True)  # no trace export (it would try to reach OpenAI)


def http_openai_agents(base_url: str, model: str) -> Callable[[], Awaitable[str]]:
    from agents import Agent, OpenAIResponsesModel, Runner, function_tool
    from openai import AsyncOpenAI

    _agents_setup()
    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    agent = Agent(
        name="bench",
        instructions=INSTRUCTIONS,
        model=OpenAIResponsesModel(model, openai_client=client),
        tools=[function_tool(_lookup_named())],
    )

    async def run() -> str:
        result = await Runner.run(agent, PROMPT)
        return str(result.final_output)

    return run


def _agents_usage() -> Any:
    from agents.usage import Usage

    return Usage(requests=1, input_tokens=10, output_tokens=5, total_tokens=15)


def loop_openai_agents(steps: int) -> Callable[[], Awaitable[str]]:
    from agents import Agent, Model, ModelResponse, Runner, function_tool
    from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

    _agents_setup()
    state = {"calls": 0}

    class LoopModel(Model):
        async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
            state["calls"] += 1
            n = state["calls"]
            item: Any
            if n <= steps:
                item = ResponseFunctionToolCall(
                    type="function_call", id=f"fc_{n}", call_id=f"call_{n}", name="lookup",
                    arguments='{"order_id": "123"}', status="completed",
                )
            else:
                item = ResponseOutputMessage(
                    id="msg_1", type="message", role="assistant", status="completed",
                    content=[ResponseOutputText(type="output_text", text="done", annotations=[])],
                )
            return ModelResponse(output=[item], usage=_agents_usage(), response_id=None)

        def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            raise NotImplementedError

    agent = Agent(name="bench", model=LoopModel(), tools=[function_tool(_lookup_named())])

    async def run() -> str:
        state["calls"] = 0
        result = await Runner.run(agent, PROMPT, max_turns=steps + 5)
        return str(result.final_output)

    return run


def stream_openai_agents(deltas: int) -> Callable[[], Awaitable[int]]:
    from agents import Agent, Model, ModelResponse, Runner
    from openai.types.responses import (
        Response,
        ResponseCompletedEvent,
        ResponseCreatedEvent,
        ResponseTextDeltaEvent,
    )

    _agents_setup()
    text = "tok " * deltas
    final = Response.model_validate(
        {
            "id": "resp_1", "object": "response", "created_at": 1_700_000_000.0, "model": "scripted",
            "status": "completed", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "output": [{
                "id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }],
            "usage": {
                "input_tokens": 10, "output_tokens": deltas, "total_tokens": 10 + deltas,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0},
            },
        }
    )
    started = final.model_copy(update={"status": "in_progress", "output": [], "usage": None})

    class StreamModel(Model):
        async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
            raise NotImplementedError

        async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            seq = 0
            yield ResponseCreatedEvent(type="response.created", response=started, sequence_number=seq)
            for _ in range(deltas):
                seq += 1
                yield ResponseTextDeltaEvent(
                    type="response.output_text.delta", item_id="msg_1", output_index=0, content_index=0,
                    delta="tok ", logprobs=[], sequence_number=seq,
                )
            yield ResponseCompletedEvent(type="response.completed", response=final, sequence_number=seq + 1)

    agent = Agent(name="bench", model=StreamModel())

    async def run() -> int:
        count = 0
        result = Runner.run_streamed(agent, PROMPT)
        async for event in result.stream_events():
            if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
                count += 1
        return count

    return run


HTTP = {"pydantic-ai": http_pydantic_ai, "openai-agents": http_openai_agents}
LOOP = {"pydantic-ai": loop_pydantic_ai, "openai-agents": loop_openai_agents}
STREAM = {"pydantic-ai": stream_pydantic_ai, "openai-agents": stream_openai_agents}
