"""Hosted tools (web search, file search, code interpreter): sent beside function tools, kept in the history, shown in events."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import anthropic_server  # noqa: E402
import chat_server  # noqa: E402
from openai.types.responses import ResponseFunctionWebSearchParam  # noqa: E402
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming  # noqa: E402
from openai_server import (  # noqa: E402
    EventScript,
    FakeResponsesServer,
    JsonReply,
    SseReply,
    message_item,
    response_payload,
    text_response,
)

from provider_cases import LOOKUP, ask  # noqa: E402
from runlet import (  # noqa: E402
    Agent,
    CodeInterpreter,
    FileSearch,
    HostedToolPart,
    Message,
    ModelRequest,
    ModelSettings,
    Runtime,
    TextPart,
    UnsupportedFeature,
    UserError,
    WebSearch,
    tool,
)
from runlet.events import ModelCompleted  # noqa: E402
from runlet.providers import AnthropicProvider, OpenAIChatCompletionsProvider, OpenAIResponsesProvider  # noqa: E402
from runlet.sinks import ConsoleSink, MemorySink  # noqa: E402
from runlet.stores import dumps_message, loads_message  # noqa: E402
from runlet.testing import ScriptedProvider  # noqa: E402


@tool
def lookup(order_id: str) -> str:
    """Look an order up by id."""
    return "shipped"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


def test_the_agent_keeps_function_tools_and_hosted_tools_apart() -> None:
    search = WebSearch(allowed_domains=["example.com"])
    agent = Agent(name="a", model=ScriptedProvider(["ok"]), tools=(lookup, search, CodeInterpreter()))
    assert agent.tools == (lookup,)
    assert agent.hosted_tools == (WebSearch(allowed_domains=("example.com",)), CodeInterpreter())
    with pytest.raises(ValueError, match="more than one tool named 'web_search'"):
        Agent(name="a", model=ScriptedProvider([]), tools=(WebSearch(), WebSearch()))
    with pytest.raises(ValueError, match="give container= or file_ids=, not both"):
        CodeInterpreter(container="cntr_1", file_ids=["file_1"])


async def test_the_request_carries_the_hosted_tools_beside_the_function_tools() -> None:
    provider = ScriptedProvider(["ok"])
    await Runtime().run(Agent(name="a", model=provider, tools=(lookup, WebSearch())), "go")
    request = provider.requests[0]
    assert [t.name for t in request.tools] == ["lookup"] and request.hosted_tools == (WebSearch(),)


async def test_a_model_without_tools_refuses_hosted_tools_too() -> None:
    from runlet import Capabilities

    no_tools = ScriptedProvider(["ok"], capabilities=Capabilities(context_window=8_000, max_output_tokens=100, tools=False))
    with pytest.raises(UserError, match=r"has tools \(web_search\)"):
        await Runtime().run(Agent(name="a", model=no_tools, tools=(WebSearch(),)), "go")


def test_hosted_tool_parts_round_trip_through_the_codec() -> None:
    part = HostedToolPart("openai", "web_search", "ws_1", {"id": "ws_1", "type": "web_search_call"}, detail="weather")
    message = Message.assistant((part, TextPart("Sunny.")))
    assert loads_message(dumps_message(message)) == message


# -- Responses ------------------------------------------------------------------------------

WEB_SEARCH_CALL = {"id": "ws_1", "type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "weather in Paris"}}


@pytest.fixture
def responses() -> Iterator[tuple[OpenAIResponsesProvider, FakeResponsesServer]]:
    with FakeResponsesServer() as server:
        yield OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key="sk-test"), server


async def test_responses_sends_hosted_tools_and_keeps_their_items(
    responses: tuple[OpenAIResponsesProvider, FakeResponsesServer],
) -> None:
    provider, server = responses
    first = response_payload([WEB_SEARCH_CALL, message_item("Sunny, 24 °C.")])
    server.add(JsonReply(first), JsonReply(text_response("You're welcome.", id="resp_2")))
    sink = MemorySink()
    console = io.StringIO()
    hosted = (
        WebSearch(allowed_domains=["meteo.fr"], search_context_size="low"),
        FileSearch(vector_store_ids=["vs_1"], max_num_results=3),
        CodeInterpreter(file_ids=["file_1"]),
    )
    agent = Agent(name="weather", model=provider, tools=(lookup, *hosted))
    result = await Runtime(sinks=[sink, ConsoleSink(console)]).run(
        agent, "Weather in Paris?", settings=ModelSettings(tool_choice="required")
    )
    body = server.bodies[0]
    chat_server.check_params(body, ResponseCreateParamsNonStreaming)
    assert body["tools"][1:] == [
        {"type": "web_search", "filters": {"allowed_domains": ["meteo.fr"]}, "search_context_size": "low"},
        {"type": "file_search", "vector_store_ids": ["vs_1"], "max_num_results": 3},
        {"type": "code_interpreter", "container": {"type": "auto", "file_ids": ["file_1"]}},
    ]
    assert body["tool_choice"] == "required"
    answer = result.new_messages[1]
    assert answer.parts == (
        HostedToolPart("openai", "web_search", "ws_1", WEB_SEARCH_CALL, detail="weather in Paris"),
        TextPart("Sunny, 24 °C."),
    )
    completed = [e for e in sink.events if isinstance(e, ModelCompleted)]
    assert completed[0].hosted_tool_calls == ("web_search",)
    assert "[ran web_search]" in console.getvalue()

    await Runtime().run(agent, "Thanks!", history=result.messages)
    sent_back = server.bodies[1]["input"]
    chat_server.check_params(sent_back[1], ResponseFunctionWebSearchParam)
    assert sent_back[1] == WEB_SEARCH_CALL
    assert sent_back[2]["role"] == "assistant"


async def test_responses_streams_hosted_tool_items_into_the_response(
    responses: tuple[OpenAIResponsesProvider, FakeResponsesServer],
) -> None:
    provider, server = responses
    script = EventScript().created()
    in_progress = {**WEB_SEARCH_CALL, "status": "in_progress", "action": {"type": "search", "query": "weather in Paris"}}
    script.add("response.output_item.added", output_index=0, item=in_progress)
    script.add("response.web_search_call.in_progress", output_index=0, item_id="ws_1")
    script.add("response.web_search_call.completed", output_index=0, item_id="ws_1")
    script.add("response.output_item.done", output_index=0, item=WEB_SEARCH_CALL)
    script.output.append(WEB_SEARCH_CALL)
    script.text(["Sunny."], item_id="msg_1")
    server.add(SseReply(script.completed().events))
    events = [event async for event in Runtime().stream(Agent(name="w", model=provider, tools=(WebSearch(),)), "Weather?")]
    completed = next(e for e in events if isinstance(e, ModelCompleted))
    assert completed.hosted_tool_calls == ("web_search",) and completed.text == "Sunny."


async def test_responses_has_no_max_uses(responses: tuple[OpenAIResponsesProvider, FakeResponsesServer]) -> None:
    provider, server = responses
    with pytest.raises(UnsupportedFeature, match="max_uses=.... is Anthropic's"):
        await provider.complete(ModelRequest(messages=[Message.user("x")], hosted_tools=[WebSearch(max_uses=2)]))
    assert server.requests == []


# -- Anthropic ------------------------------------------------------------------------------

SERVER_CALL = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "weather in Paris"}}
SEARCH_RESULT = {
    "type": "web_search_tool_result",
    "tool_use_id": "srvtoolu_1",
    "content": [
        {"type": "web_search_result", "url": "https://meteo.fr/paris", "title": "Paris", "encrypted_content": "abc", "page_age": None}
    ],
}


@pytest.fixture
def claude() -> Iterator[tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer]]:
    with anthropic_server.FakeAnthropicServer() as server:
        yield AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key="sk-ant-test"), server
        assert not server.invalid, server.invalid


async def test_anthropic_sends_server_tools_and_sends_their_blocks_back(
    claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer],
) -> None:
    provider, server = claude
    text = anthropic_server.text_block("Sunny.")
    server.add(
        JsonReply(anthropic_server.message([SERVER_CALL, SEARCH_RESULT, text])),
        JsonReply(anthropic_server.message([anthropic_server.text_block("Bye.")], id="msg_2")),
    )
    agent = Agent(
        name="weather",
        model=provider,
        tools=(lookup, WebSearch(allowed_domains=["meteo.fr"], max_uses=2), CodeInterpreter(container="cntr_1")),
    )
    result = await Runtime().run(agent, "Weather in Paris?")
    body = server.bodies[0]
    assert body["tools"][1:] == [
        {"type": "web_search_20250305", "name": "web_search", "allowed_domains": ["meteo.fr"], "max_uses": 2},
        {"type": "code_execution_20250825", "name": "code_execution"},
    ]
    assert body["container"] == "cntr_1"
    call, output, said = result.new_messages[1].parts
    assert call == HostedToolPart("anthropic", "web_search", "srvtoolu_1", SERVER_CALL, detail="weather in Paris")
    assert isinstance(output, HostedToolPart) and output.result and output.name == "web_search"
    assert said == TextPart("Sunny.")
    await Runtime().run(agent, "Thanks", history=result.messages)
    assistant = server.bodies[1]["messages"][1]
    result_block = {**SEARCH_RESULT, "content": [{k: v for k, v in SEARCH_RESULT["content"][0].items() if v is not None}]}  # type: ignore[index]
    assert assistant["content"][:2] == [SERVER_CALL, result_block]


async def test_anthropic_streams_a_server_tool_call_without_tool_call_deltas(
    claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer],
) -> None:
    provider, server = claude
    script = anthropic_server.EventScript().start()
    script._block({**SERVER_CALL, "input": {}}, [{"type": "input_json_delta", "partial_json": '{"query": "weather in Paris"}'}])
    script._block(SEARCH_RESULT, [])
    script.text(["Sunny."])
    server.add(SseReply(script.stop().events))
    events = [event async for event in Runtime().stream(Agent(name="w", model=provider, tools=(WebSearch(),)), "Weather?")]
    assert not [e for e in events if e.type == "model.stream.tool_call_delta"]
    completed = next(e for e in events if isinstance(e, ModelCompleted))
    assert completed.hosted_tool_calls == ("web_search",) and completed.tool_calls == ()


async def test_anthropic_has_no_file_search(claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer]) -> None:
    provider, server = claude
    with pytest.raises(UnsupportedFeature, match="Anthropic has no hosted file search"):
        await provider.complete(ModelRequest(messages=[Message.user("x")], hosted_tools=[FileSearch(vector_store_ids=["vs"])]))
    assert server.requests == []


# -- Chat Completions -----------------------------------------------------------------------


async def test_chat_completions_has_no_hosted_tools() -> None:
    with chat_server.FakeChatServer() as server:
        provider = OpenAIChatCompletionsProvider(model="gpt-4o", base_url=server.base_url)
        with pytest.raises(UnsupportedFeature, match=r"Chat Completions has no hosted tools \(web_search\)"):
            await provider.complete(ask(tools=[LOOKUP], hosted_tools=[WebSearch()]))
        assert server.requests == []
