"""The README's OpenAI snippets, run as written against a local Responses-compatible server.

The snippets that build `OpenAIResponsesProvider(model="gpt-5.5")` without a
base URL reach the local server through `OPENAI_BASE_URL` and `OPENAI_API_KEY`,
exactly as a user's environment would configure them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from openai_server import (  # noqa: E402
    EventScript,
    FakeResponsesServer,
    JsonReply,
    SseReply,
    function_call_item,
    reasoning_item,
    response_payload,
    text_response,
)

API_KEY = "sk-test-runtime-0123456789"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResponsesServer]:
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    with FakeResponsesServer() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield fake
        assert not fake.unexpected, f"requests with no scripted reply: {fake.unexpected}"
        assert fake.pending == 0, "scripted replies left unused"


def items_of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in body["input"] if item.get("type") == kind]


async def test_readme_minimal_example(server: FakeResponsesServer) -> None:
    server.add(JsonReply(text_response("Hello there, nice to meet you!")))

    from runlet import Agent, Runtime
    from runlet.providers import OpenAIResponsesProvider

    provider = OpenAIResponsesProvider(model="gpt-5.5")

    agent = Agent(
        name="assistant",
        instructions="Be helpful.",
        model=provider,
    )

    result = await Runtime().run(agent, "Say hello in one sentence.")

    assert result.output == "Hello there, nice to meet you!"
    body = server.bodies[0]
    assert body["model"] == "gpt-5.5"
    assert body["instructions"] == "Be helpful."
    assert body["input"] == [{"type": "message", "role": "user", "content": "Say hello in one sentence."}]
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_readme_custom_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    from runlet.providers import OpenAIResponsesProvider

    provider = OpenAIResponsesProvider(
        model="gpt-5.5",
        base_url="https://your-endpoint.example/v1",
    )

    assert provider.capabilities().context_window > 0


async def test_readme_provider_specific_request_options(server: FakeResponsesServer) -> None:
    server.add(JsonReply(text_response("Brief summary.")))

    from runlet.core import Message
    from runlet.core.models import ModelRequest
    from runlet.providers import OpenAIResponsesProvider

    provider = OpenAIResponsesProvider(model="gpt-5.5")

    request = ModelRequest(
        messages=[Message.user("Summarize this briefly.")],
        options={
            "openai": {
                "extra_body": {
                    "reasoning": {"effort": "medium"},
                },
            },
        },
    )

    response = await provider.complete(request)

    assert response.text == "Brief summary."
    assert server.bodies[0]["reasoning"] == {"effort": "medium"}


async def test_readme_streaming_text_deltas(server: FakeResponsesServer, capsys: pytest.CaptureFixture[str]) -> None:
    script = EventScript().created().text(["Recursion is ", "when a function ", "calls itself."]).completed()
    server.add(SseReply(script.events))

    from runlet import Agent, Runtime
    from runlet.providers import OpenAIResponsesProvider

    provider = OpenAIResponsesProvider(model="gpt-5.5")
    agent = Agent(
        name="assistant",
        instructions="Be helpful.",
        model=provider,
    )

    async for event in Runtime().stream(agent, "Explain recursion in one sentence."):
        if event.type == "model.stream.delta":
            print(event.payload["delta"], end="")

    assert capsys.readouterr().out == "Recursion is when a function calls itself."
    assert server.bodies[0]["stream"] is True


def _tool_round_trip(server: FakeResponsesServer, *, streamed: bool, name: str, arguments: str, answer: str) -> None:
    if streamed:
        first = (
            EventScript(response_id="resp_1")
            .created()
            .function_call("call_77", name, [arguments[:5], arguments[5:]], item_id="fc_item_1")
            .completed()
        )
        second = EventScript(response_id="resp_2").created().text([answer[:6], answer[6:]], item_id="msg_2").completed()
        server.add(SseReply(first.events), SseReply(second.events))
    else:
        server.add(
            JsonReply(response_payload([function_call_item("call_77", name, arguments, id="fc_item_1")])),
            JsonReply(text_response(answer, id="resp_2")),
        )


def _assert_paired(server: FakeResponsesServer, *, name: str, arguments: str, output: str) -> None:
    assert len(server.requests) == 2
    first, second = server.bodies
    assert [tool["name"] for tool in first["tools"]] == [name]
    assert first["tools"][0]["type"] == "function"
    assert first["tools"][0]["parameters"]["properties"]["order_id"]["type"] == "string"
    assert first["tools"][0]["strict"] is True  # the runtime's tool definitions are strict where they can be
    calls = items_of(second, "function_call")
    outputs = items_of(second, "function_call_output")
    assert calls == [{"type": "function_call", "call_id": "call_77", "name": name, "arguments": arguments}]
    assert outputs == [{"type": "function_call_output", "call_id": "call_77", "output": output}]
    kinds = [item.get("type") for item in second["input"]]
    assert kinds.index("function_call") < kinds.index("function_call_output")
    assert "fc_item_1" not in json.dumps(second)


async def test_readme_minimal_shape_tool_round_trip(server: FakeResponsesServer) -> None:
    _tool_round_trip(server, streamed=False, name="lookup", arguments='{"order_id": "123"}', answer="Order 123 is on its way.")

    from runlet import Agent, Runtime, tool
    from runlet.providers import OpenAIResponsesProvider

    my_model_provider = OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url)

    @tool
    async def lookup(order_id: str) -> str:
        return f"order {order_id}"

    agent = Agent(
        name="support",
        instructions="Help users with orders.",
        model=my_model_provider,
        tools=(lookup,),
    )

    result = await Runtime().run(agent, "Where is order 123?")

    assert result.output == "Order 123 is on its way."
    _assert_paired(server, name="lookup", arguments='{"order_id": "123"}', output="order 123")
    assert result.usage.requests == 2


async def test_readme_streaming_with_tool_execution(
    server: FakeResponsesServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _tool_round_trip(
        server, streamed=True, name="lookup_order", arguments='{"order_id": "123"}', answer="Order 123 has shipped."
    )

    from runlet import Agent, Runtime, tool
    from runlet.providers import OpenAIResponsesProvider

    @tool
    async def lookup_order(order_id: str) -> str:
        return f"order {order_id} shipped"

    provider = OpenAIResponsesProvider(model="gpt-5.5")
    agent = Agent(
        name="assistant",
        instructions="Use tools when needed.",
        model=provider,
        tools=(lookup_order,),
    )

    async for event in Runtime().stream(agent, "Check order 123 and tell me the result."):
        if event.type == "model.stream.delta":
            print(event.payload["delta"], end="")

    assert capsys.readouterr().out == "Order 123 has shipped."
    _assert_paired(server, name="lookup_order", arguments='{"order_id": "123"}', output="order 123 shipped")


async def test_streamed_tool_call_runs_once_between_rounds(server: FakeResponsesServer) -> None:
    _tool_round_trip(server, streamed=True, name="lookup_order", arguments='{"order_id": "123"}', answer="Shipped, yes.")

    from runlet import Agent, Runtime, tool
    from runlet.providers import OpenAIResponsesProvider

    calls: list[str] = []

    @tool
    async def lookup_order(order_id: str) -> str:
        """Look an order up."""
        calls.append(order_id)
        return f"order {order_id} shipped"

    agent = Agent(name="assistant", model=OpenAIResponsesProvider(model="gpt-5.5"), tools=(lookup_order,))
    types = [event.type async for event in Runtime().stream(agent, "Check order 123.")]

    assert calls == ["123"]
    assert types.count("tool.started") == 1 and types.count("tool.completed") == 1
    first_tool = types.index("tool.started")
    model_calls = [i for i, kind in enumerate(types) if kind == "model.stream.completed"]
    assert len(model_calls) == 2 and model_calls[0] < first_tool < model_calls[1]


async def test_reasoning_goes_back_with_its_tool_call(server: FakeResponsesServer) -> None:
    reasoning = reasoning_item("rs_9", ["Need the order."], encrypted_content="opaque")
    server.add(
        JsonReply(response_payload([reasoning, function_call_item("call_9", "lookup_order", '{"order_id": "9"}')])),
        JsonReply(text_response("Order 9 shipped.", id="resp_2")),
    )

    from runlet import Agent, Runtime, tool
    from runlet.providers import OpenAIResponsesProvider

    @tool
    async def lookup_order(order_id: str) -> str:
        """Look an order up."""
        return f"order {order_id} shipped"

    agent = Agent(name="assistant", model=OpenAIResponsesProvider(model="gpt-5.5"), tools=(lookup_order,))
    result = await Runtime().run(agent, "Order 9?")

    assert result.output == "Order 9 shipped."
    second = server.bodies[1]["input"]
    assert [item.get("type") for item in second] == ["message", "reasoning", "function_call", "function_call_output"]
    assert second[1] == reasoning


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


async def test_structured_output_with_a_dataclass(server: FakeResponsesServer) -> None:
    server.add(JsonReply(text_response('{"status": "shipped", "eta_days": 2}')))

    from runlet import Agent, Runtime
    from runlet.providers import OpenAIResponsesProvider

    agent = Agent(
        name="support",
        instructions="Answer about orders.",
        model=OpenAIResponsesProvider(model="gpt-5.5"),
        output_type=Answer,
    )
    result = await Runtime().run(agent, "Where is order 123?")

    assert result.output == Answer(status="shipped", eta_days=2)
    text_format = server.bodies[0]["text"]["format"]
    assert text_format["type"] == "json_schema"
    assert text_format["name"]
    assert set(text_format["schema"]["properties"]) == {"status", "eta_days"}
    assert text_format["strict"] is True
