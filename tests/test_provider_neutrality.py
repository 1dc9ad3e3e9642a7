"""One agent definition, three providers: only `model=` changes.

Each provider talks real HTTP to its own fake server (Responses, Chat
Completions, Messages), which checks the payloads against the SDK's own types.
The agent streams a tool call, runs the tool once, and returns a typed answer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import anthropic_server  # noqa: E402
import chat_server  # noqa: E402
import openai_server  # noqa: E402

from runlet import Agent, RunContext, Runtime, tool  # noqa: E402
from runlet.core.models import Provider  # noqa: E402
from runlet.providers import AnthropicProvider, OpenAIChatCompletionsProvider, OpenAIResponsesProvider  # noqa: E402

ARGUMENTS = '{"order_id": "123"}'
ANSWER = '{"status": "shipped", "eta_days": 2}'


@dataclass(frozen=True)
class Deps:
    shipped: frozenset[str]


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


@tool
async def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up by id."""
    return "shipped" if order_id in ctx.deps.shipped else "unknown"


def make_agent(model: Provider) -> Agent[Deps, Answer]:
    """The one agent definition: nothing in it but `model` depends on the provider."""
    return Agent(
        name="support",
        instructions="Help users with orders.",
        model=model,
        tools=(lookup,),
        output_type=Answer,
    )


# Each setup starts a fake server, scripts the two rounds (streamed or not), and returns the
# provider, the server, and a function giving the tool results sent back in the second request.
Results = Callable[[dict[str, Any]], list[str]]
Setup = tuple[Provider, openai_server.FakeResponsesServer, Results]


def responses_setup(streamed: bool) -> Setup:
    server = openai_server.FakeResponsesServer()
    if streamed:
        first = openai_server.EventScript().created().function_call("call_1", "lookup", [ARGUMENTS[:7], ARGUMENTS[7:]])
        second = openai_server.EventScript(response_id="resp_2").created().text([ANSWER[:10], ANSWER[10:]])
        server.add(openai_server.SseReply(first.completed().events), openai_server.SseReply(second.completed().events))
    else:
        call = openai_server.function_call_item("call_1", "lookup", ARGUMENTS)
        server.add(
            openai_server.JsonReply(openai_server.response_payload([call])),
            openai_server.JsonReply(openai_server.text_response(ANSWER, id="resp_2")),
        )
    provider = OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key="sk-test-neutral-0000")

    def results(body: dict[str, Any]) -> list[str]:
        return [item["output"] for item in body["input"] if item.get("type") == "function_call_output"]

    return provider, server, results


def chat_setup(streamed: bool) -> Setup:
    server = chat_server.FakeChatServer()
    if streamed:
        first = chat_server.ChunkScript().role().tool_call(0, "call_1", "lookup", [ARGUMENTS[:7], ARGUMENTS[7:]])
        second = chat_server.ChunkScript(id="chatcmpl-2").role().text([ANSWER[:10], ANSWER[10:]]).finish("stop").usage()
        server.add(
            openai_server.SseReply(first.finish("tool_calls").usage().done()), openai_server.SseReply(second.done())
        )
    else:
        call = chat_server.tool_call("call_1", "lookup", ARGUMENTS)
        server.add(
            openai_server.JsonReply(chat_server.completion(None, tool_calls=[call], finish_reason="tool_calls")),
            openai_server.JsonReply(chat_server.completion(ANSWER, id="chatcmpl-2")),
        )
    provider = OpenAIChatCompletionsProvider(model="qwen3:8b", base_url=server.base_url)

    def results(body: dict[str, Any]) -> list[str]:
        return [message["content"] for message in body["messages"] if message["role"] == "tool"]

    return provider, server, results


def anthropic_setup(streamed: bool) -> Setup:
    server = anthropic_server.FakeAnthropicServer()
    if streamed:
        first = anthropic_server.EventScript().start().tool_use("toolu_1", "lookup", [ARGUMENTS[:7], ARGUMENTS[7:]])
        second = anthropic_server.EventScript(id="msg_2").start().text([ANSWER[:10], ANSWER[10:]])
        server.add(openai_server.SseReply(first.stop("tool_use").events), openai_server.SseReply(second.stop().events))
    else:
        call = anthropic_server.tool_use_block("toolu_1", "lookup", {"order_id": "123"})
        server.add(
            openai_server.JsonReply(anthropic_server.message([call], stop_reason="tool_use")),
            openai_server.JsonReply(anthropic_server.message([anthropic_server.text_block(ANSWER)], id="msg_2")),
        )
    provider = AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key="sk-ant-test-neutral")

    def results(body: dict[str, Any]) -> list[str]:
        return [
            block["content"]
            for message in body["messages"]
            if message["role"] == "user"
            for block in message["content"]
            if block["type"] == "tool_result"
        ]

    return provider, server, results


SETUPS = pytest.mark.parametrize("make", [responses_setup, chat_setup, anthropic_setup], ids=["responses", "chat", "anthropic"])


def check_server(server: openai_server.FakeResponsesServer) -> None:
    invalid: list[str] = getattr(server, "invalid", [])
    assert not invalid, f"payloads that do not fit the SDK's types: {invalid}"
    assert not server.unexpected and server.pending == 0
    assert len(server.requests) == 2


@SETUPS
async def test_same_agent_streams_on_every_provider(make: Callable[[bool], Setup]) -> None:
    provider, server, results = make(True)
    with server:
        agent = make_agent(provider)
        deltas: list[str] = []
        types: list[str] = []
        output: object = None
        async for event in Runtime().stream(agent, "Where is order 123?", deps=Deps(frozenset({"123"}))):
            types.append(event.type)
            if event.type == "model.stream.delta":
                deltas.append(str(event.payload["delta"]))
            if event.type == "run.completed":
                output = event.payload["output"]
        assert "".join(deltas) == ANSWER
        assert types.count("tool.started") == 1 and types.count("tool.completed") == 1
        assert output == {"status": "shipped", "eta_days": 2}
        assert results(server.bodies[1]) == ["shipped"]
        check_server(server)


@SETUPS
async def test_same_agent_runs_on_every_provider(make: Callable[[bool], Setup]) -> None:
    provider, server, results = make(False)
    with server:
        result = await Runtime().run(make_agent(provider), "Where is order 123?", deps=Deps(frozenset({"123"})))
        assert result.output == Answer(status="shipped", eta_days=2)
        assert result.usage.requests == 2
        assert results(server.bodies[1]) == ["shipped"]
        check_server(server)


# A union output type: the alternatives go to each provider as one tagged schema, the answer streams as
# partial outputs, and the stream's result is the alternative the model named.


@dataclass(frozen=True)
class Refusal:
    reason: str


REFUSAL = '{"result": {"kind": "Refusal", "value": {"reason": "not your order"}}}'
REFUSAL_PIECES = [REFUSAL[:12], REFUSAL[12:30], REFUSAL[30:52], REFUSAL[52:]]


def tagged_schema_of(body: dict[str, Any]) -> dict[str, Any]:
    """The answer's schema, wherever the provider's API puts it."""
    if "text" in body:  # Responses
        return body["text"]["format"]["schema"]  # type: ignore[no-any-return]
    if "response_format" in body:  # Chat Completions
        return body["response_format"]["json_schema"]["schema"]  # type: ignore[no-any-return]
    if "output_config" in body:  # Anthropic, structured outputs
        return body["output_config"]["format"]["schema"]  # type: ignore[no-any-return]
    (output_tool,) = [tool for tool in body["tools"] if tool["name"] == "runlet_output"]  # Anthropic, output tool
    return output_tool["input_schema"]  # type: ignore[no-any-return]


def union_setup(api: str) -> tuple[Provider, openai_server.FakeResponsesServer]:
    if api == "responses":
        server = openai_server.FakeResponsesServer()
        server.add(openai_server.SseReply(openai_server.EventScript().created().text(REFUSAL_PIECES).completed().events))
        return OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key="sk-test-neutral-0000"), server
    if api == "chat":
        chat = chat_server.FakeChatServer()
        chat.add(openai_server.SseReply(chat_server.ChunkScript().role().text(REFUSAL_PIECES).finish("stop").usage().done()))
        return OpenAIChatCompletionsProvider(model="qwen3:8b", base_url=chat.base_url), chat  # type: ignore[return-value]
    messages = anthropic_server.FakeAnthropicServer()
    if api == "anthropic":
        messages.add(openai_server.SseReply(anthropic_server.EventScript().start().text(REFUSAL_PIECES).stop().events))
        provider = AnthropicProvider(model="claude-sonnet-4-6", base_url=messages.base_url, api_key="sk-ant-test-neutral")
    else:
        script = anthropic_server.EventScript().start().tool_use("toolu_o", "runlet_output", REFUSAL_PIECES).stop("tool_use")
        messages.add(openai_server.SseReply(script.events))
        provider = AnthropicProvider(
            model="claude-sonnet-4-6", base_url=messages.base_url, api_key="sk-ant-test-neutral", structured_output="tool"
        )
    return provider, messages  # type: ignore[return-value]


@pytest.mark.parametrize("api", ["responses", "chat", "anthropic", "anthropic-tool"])
async def test_a_union_output_streams_on_every_provider(api: str) -> None:
    provider, server = union_setup(api)
    with server:
        agent: Agent[None, Answer | Refusal] = Agent(name="support", model=provider, output_type=Answer | Refusal)
        stream = Runtime().stream(agent, "Where is order 999?")
        partials = [partial async for partial in stream.partial_outputs()]

        assert stream.result.output == Refusal("not your order")
        assert partials[-1] == {"kind": "Refusal", "value": {"reason": "not your order"}}
        assert {"kind": "Refusal"} in partials
        schema = tagged_schema_of(server.bodies[0])
        branches = schema["properties"]["result"]["anyOf"]
        assert [branch["properties"]["kind"]["enum"] for branch in branches] == [["Answer"], ["Refusal"]]
        assert branches[0]["properties"]["value"]["required"] == ["status", "eta_days"]
        if api == "responses":
            assert server.bodies[0]["text"]["format"]["strict"] is True
        if api == "chat":
            assert server.bodies[0]["response_format"]["json_schema"]["strict"] is True
        invalid: list[str] = getattr(server, "invalid", [])
        assert not invalid and not server.unexpected and server.pending == 0
