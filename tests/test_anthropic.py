"""AnthropicProvider against a local Messages-API-compatible server (real HTTP, no internet)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from anthropic_server import (  # noqa: E402
    EventScript,
    FakeAnthropicServer,
    error_reply,
    message,
    text_block,
    thinking_block,
    tool_use_block,
    usage,
)
from openai_server import JsonReply, SseReply  # noqa: E402

from provider_cases import LOOKUP, LOOSE, PLAIN, ask, collect  # noqa: E402
from runlet.core.errors import (  # noqa: E402
    AuthenticationFailed,
    BadRequest,
    ContextLengthExceeded,
    MalformedResponse,
    StreamInterrupted,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    UserError,
)
from runlet.core.messages import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart  # noqa: E402
from runlet.core.models import (  # noqa: E402
    Capabilities,
    ModelRequest,
    OutputSchema,
    ReasoningDelta,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
    Usage,
)
from runlet.providers import AnthropicProvider  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"
API_KEY = "sk-ant-test-0123456789abcdefSECRET"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string"}},
    "required": ["status"],
    "additionalProperties": False,
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_PROFILE",
        "ANTHROPIC_CUSTOM_HEADERS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as fake:
        yield fake
        assert not fake.invalid, f"requests that do not fit the SDK's types: {fake.invalid}"
        assert not fake.unexpected, f"requests with no scripted reply: {fake.unexpected}"


@pytest.fixture
def provider(server: FakeAnthropicServer) -> AnthropicProvider:
    return AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key=API_KEY)



def sent_key(headers: Mapping[str, str]) -> str:
    """The key as the SDK sent it (`x-api-key`, or a bearer token, depending on the SDK and URL)."""
    if "x-api-key" in headers:
        return headers["x-api-key"]
    return headers["authorization"].removeprefix("Bearer ")



# -- import and construction ------------------------------------------------------------------


def test_import_does_not_import_anthropic() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    code = (
        "import runlet.providers, sys\n"
        "from runlet.providers import AnthropicProvider\n"
        "assert 'anthropic' not in sys.modules and 'openai' not in sys.modules\n"
        "assert 'AnthropicProvider' in runlet.providers.__all__\n"
        "sys.modules['anthropic'] = None\n"
        "from runlet.core.errors import UserError\n"
        "try:\n"
        "    AnthropicProvider(model='claude-sonnet-4-5', api_key='k')\n"
        "except UserError as exc:\n"
        "    assert 'runlet[anthropic]' in str(exc), str(exc)\n"
        "else:\n"
        "    raise SystemExit('no UserError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_api_key_required_without_base_url() -> None:
    with pytest.raises(UserError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider(model="claude-sonnet-4-6")


async def test_local_server_needs_no_key(server: FakeAnthropicServer) -> None:
    server.add(JsonReply(message([text_block("hi")])))
    provider = AnthropicProvider(model="local", base_url=server.base_url)
    assert (await provider.complete(ask())).text == "hi"
    assert sent_key(server.requests[0].headers) == "runlet-no-api-key"


async def test_user_client_is_used_as_is(server: FakeAnthropicServer) -> None:
    from anthropic import AsyncAnthropic

    client = AsyncAnthropic(base_url=server.base_url, api_key=API_KEY, default_headers={"x-mine": "1"}, max_retries=0)
    server.add(JsonReply(message([text_block("hi")])))
    assert (await AnthropicProvider(model="claude-haiku-4-5", client=client).complete(ask())).text == "hi"
    assert server.requests[0].headers["x-mine"] == "1"
    with pytest.raises(UserError, match="base_url"):
        AnthropicProvider(model="m", client=client, base_url=server.base_url)


# -- complete(): requests and responses ----------------------------------------------------------


async def test_complete_text(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    server.add(JsonReply(message([text_block("Hello!")], id="msg_42")))
    request = ModelRequest(messages=[Message.system("Be brief."), Message.user("Hi"), Message.system("Be kind.")])
    response = await provider.complete(request)
    assert response.parts == (TextPart("Hello!"),)
    assert response.finish_reason == "stop"
    assert response.model == "claude-sonnet-4-6" and response.response_id == "msg_42"
    sent = server.requests[0]
    assert sent.path == "/v1/messages"
    assert sent_key(sent.headers) == API_KEY
    assert "anthropic-version" in sent.headers
    assert sent.json == {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64_000,
        "system": "Be brief.\n\nBe kind.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }


async def test_max_tokens_from_the_request_or_capabilities(server: FakeAnthropicServer) -> None:
    server.add(JsonReply(message([text_block("a")])), JsonReply(message([text_block("b")])))
    unknown = AnthropicProvider(model="claude-next", base_url=server.base_url, api_key=API_KEY)
    await unknown.complete(ask())
    await unknown.complete(ask(max_output_tokens=300))
    assert [body["max_tokens"] for body in server.bodies] == [8_192, 300]


async def test_tool_round_trip_with_consecutive_results(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    calls = [tool_use_block("toolu_a", "lookup", {"order_id": "1"}), tool_use_block("toolu_b", "lookup", {"order_id": "2"})]
    server.add(
        JsonReply(message([text_block("Let me check."), *calls], stop_reason="tool_use")),
        JsonReply(message([text_block("Order 1 shipped; order 2 is unknown.")])),
    )
    first = await provider.complete(ask(tools=[LOOKUP]))
    assert first.finish_reason == "tool_calls"
    assert first.tool_calls == (
        ToolCallPart("toolu_a", "lookup", '{"order_id": "1"}'),
        ToolCallPart("toolu_b", "lookup", '{"order_id": "2"}'),
    )
    assert server.bodies[0]["tools"] == [
        {"name": "lookup", "description": "Look an order up by id.", "input_schema": dict(LOOKUP.parameters)}
    ]
    history = [
        Message.user("Orders 1 and 2?"),
        first.message,
        Message.tool_result("toolu_a", "shipped", name="lookup"),
        Message.tool_result("toolu_b", "no such order", name="lookup", is_error=True),
        Message.user("Be quick."),
    ]
    await provider.complete(ModelRequest(messages=history, tools=[LOOKUP]))
    assert server.bodies[1]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Orders 1 and 2?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}, *calls]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": "shipped"},
                {"type": "tool_result", "tool_use_id": "toolu_b", "content": "no such order", "is_error": True},
                {"type": "text", "text": "Be quick."},
            ],
        },
    ]


async def test_tools_go_without_strict(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    """`ToolDefinition.strict` follows OpenAI's rules; Anthropic's strict tool use has limits of its own."""
    server.add(JsonReply(message([text_block("ok")])))
    await provider.complete(ask(tools=[PLAIN, LOOSE]))
    assert server.bodies[0]["tools"] == [
        {"name": d.name, "description": d.description, "input_schema": dict(d.parameters)} for d in (PLAIN, LOOSE)
    ]


async def test_thinking_goes_back_with_its_signature(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    thinking = thinking_block("The user wants order 9.", "sig-opaque-123")
    call = tool_use_block("toolu_9", "lookup", {"order_id": "9"})
    server.add(JsonReply(message([thinking, call], stop_reason="tool_use")), JsonReply(message([text_block("Shipped.")])))
    first = await provider.complete(ask(tools=[LOOKUP]))
    part = first.parts[0]
    assert isinstance(part, ReasoningPart)
    assert part == ReasoningPart("anthropic", thinking, "The user wants order 9.")
    foreign = ReasoningPart("openai", {"type": "reasoning", "id": "rs_1", "summary": []})
    history = [
        Message.user("Order 9?"),
        Message.assistant((foreign, *first.parts)),
        Message.tool_result("toolu_9", "shipped"),
    ]
    await provider.complete(ModelRequest(messages=history, tools=[LOOKUP]))
    assert server.bodies[1]["messages"][1] == {"role": "assistant", "content": [thinking, call]}
    assert "rs_1" not in json.dumps(server.bodies[1])


async def test_usage_counts_cached_input(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    server.add(JsonReply(message([text_block("hi")], usage_=usage(30, 12, cache_read=100, cache_write=20))))
    response = await provider.complete(ask())
    assert response.usage == Usage(input_tokens=150, output_tokens=12, cached_input_tokens=100, requests=1)


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("refusal", "content_filter"),
        ("pause_turn", "other"),
    ],
)
async def test_stop_reasons(server: FakeAnthropicServer, provider: AnthropicProvider, stop_reason: Any, finish: str) -> None:
    server.add(JsonReply(message([text_block("x")], stop_reason=stop_reason)))
    assert (await provider.complete(ask())).finish_reason == finish


async def test_structured_output_native(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    server.add(JsonReply(message([text_block('{"status": "shipped"}')])))
    request = ask(output=OutputSchema("Answer", SCHEMA, strict=True), options={"anthropic": {"output_config": {"effort": "low"}}})
    response = await provider.complete(request)
    assert json.loads(response.text) == {"status": "shipped"}
    assert server.bodies[0]["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}, "effort": "low"}
    assert "tools" not in server.bodies[0]


async def test_structured_output_by_forced_tool(server: FakeAnthropicServer) -> None:
    provider = AnthropicProvider(model="claude-3-5-haiku", base_url=server.base_url, api_key=API_KEY, structured_output="tool")
    server.add(
        JsonReply(message([tool_use_block("toolu_1", "runlet_output", {"status": "shipped"})], stop_reason="tool_use")),
        JsonReply(message([tool_use_block("toolu_2", "lookup", {"order_id": "1"})], stop_reason="tool_use")),
    )
    response = await provider.complete(ask(output=OutputSchema("Answer", SCHEMA)))
    assert response.parts == (TextPart('{"status": "shipped"}'),)
    assert response.finish_reason == "stop"
    body = server.bodies[0]
    assert body["tool_choice"] == {"type": "tool", "name": "runlet_output"}
    assert [tool["name"] for tool in body["tools"]] == ["runlet_output"]
    assert body["tools"][0]["input_schema"] == SCHEMA and "output_config" not in body

    second = await provider.complete(ask(output=OutputSchema("Answer", SCHEMA), tools=[LOOKUP]))
    assert second.tool_calls == (ToolCallPart("toolu_2", "lookup", '{"order_id": "1"}'),)
    assert server.bodies[1]["tool_choice"] == {"type": "any"}
    assert [tool["name"] for tool in server.bodies[1]["tools"]] == ["lookup", "runlet_output"]


async def test_options_pass_through(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    server.extensions.add("top_k")
    server.add(JsonReply(message([text_block("ok")])))
    await provider.complete(
        ask(
            options={
                "anthropic": {
                    "thinking": {"type": "enabled", "budget_tokens": 2048},
                    "metadata": {"user_id": "u1"},
                    "max_tokens": 4096,
                    "extra_body": {"top_k": 5},
                    "extra_headers": {"anthropic-beta": "some-beta"},
                    "timeout": 20,
                },
                "openai": {"temperature": 0.1},
            }
        )
    )
    sent = server.requests[0]
    assert sent.json["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent.json["metadata"] == {"user_id": "u1"}
    assert sent.json["max_tokens"] == 4096 and sent.json["top_k"] == 5
    assert sent.headers["anthropic-beta"] == "some-beta"
    assert "temperature" not in sent.json


async def test_bad_options_raise_user_error(provider: AnthropicProvider) -> None:
    with pytest.raises(UserError, match="extra_body"):
        await provider.complete(ask(options={"anthropic": {"top_k_typo": 1}}))
    with pytest.raises(UserError, match="stream"):
        await provider.complete(ask(options={"anthropic": {"stream": True}}))


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "text", "error_type", "retryable"),
    [
        (429, "rate_limit_error", "Number of request tokens has exceeded your rate limit", RateLimited, True),
        (529, "overloaded_error", "Overloaded", ProviderUnavailable, True),
        (500, "api_error", "Internal server error", ProviderUnavailable, True),
        (401, "authentication_error", "invalid x-api-key", AuthenticationFailed, False),
        (403, "permission_error", "no access", AuthenticationFailed, False),
        (400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum", ContextLengthExceeded, False),
        (400, "invalid_request_error", "messages: roles must alternate", BadRequest, False),
        (404, "not_found_error", "model: claude-nope", BadRequest, False),
    ],
)
async def test_http_error_mapping(
    server: FakeAnthropicServer,
    provider: AnthropicProvider,
    status: int,
    kind: str,
    text: str,
    error_type: type[ProviderError],
    retryable: bool,
) -> None:
    server.add(error_reply(status, kind, f"{text} (key {API_KEY})"))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask())
    error = caught.value
    assert type(error) is error_type and error.retryable is retryable
    assert error.status_code == status and error.provider == "anthropic"
    assert text in str(error) and "SECRET" not in str(error)
    assert len(server.requests) == 1, "SDK retries are off"


async def test_connection_refused_is_unavailable() -> None:
    with FakeAnthropicServer() as fake:
        base_url = fake.base_url
    provider = AnthropicProvider(model="claude-sonnet-4-6", base_url=base_url, api_key=API_KEY)
    with pytest.raises(ProviderUnavailable, match="could not reach"):
        await provider.complete(ask())


async def test_complete_and_stream_pass_the_timeout_alike(server: FakeAnthropicServer) -> None:
    provider = AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key=API_KEY, timeout=7)
    for _ in range(2):
        server.add(JsonReply(message([text_block("hi")])), SseReply(EventScript().start().text(["hi"]).stop().events))
    await provider.complete(ask())
    await collect(provider.stream(ask()))
    per_request = ask(options={"anthropic": {"timeout": 20}})
    await provider.complete(per_request)
    await collect(provider.stream(per_request))
    # The SDK reports the timeout it was given for the request: the client's, else the option's.
    assert [request.headers["x-stainless-timeout"] for request in server.requests] == ["7", "7", "20", "20"]


async def test_timeout_is_unavailable(server: FakeAnthropicServer) -> None:
    server.add(
        JsonReply(message([text_block("late")]), delay=3),
        SseReply(EventScript().start().text(["late"]).stop().events, delay=3),
    )
    provider = AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key=API_KEY, timeout=0.3)
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await asyncio.wait_for(provider.complete(ask()), 5)
    with pytest.raises(ProviderUnavailable) as caught:
        await asyncio.wait_for(collect(provider.stream(ask())), 5)
    assert caught.value.retryable


# -- stream() -----------------------------------------------------------------------------------------


async def test_stream_text(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    script = EventScript(id="msg_s").start(input_tokens=20, cache_read=80).text(["Recursion ", "is recursion."]).stop(output_tokens=7)
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask()))
    assert events[:2] == [TextDelta("Recursion "), TextDelta("is recursion.")]
    last = events[-1]
    assert len(events) == 3 and isinstance(last, ResponseCompleted)
    assert last.response.text == "Recursion is recursion."
    assert last.response.usage == Usage(input_tokens=100, output_tokens=7, cached_input_tokens=80, requests=1)
    assert last.response.response_id == "msg_s" and last.response.finish_reason == "stop"
    assert server.bodies[0]["stream"] is True


async def test_stream_thinking_and_tool_use(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    script = (
        EventScript()
        .start()
        .thinking(["Need ", "the order."], "sig-xyz")
        .tool_use("toolu_a", "lookup", ['{"order_', 'id": "1"}'])
        .tool_use("toolu_b", "lookup", ['{"order_id": "2"}'])
        .stop("tool_use")
    )
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask(tools=[LOOKUP])))
    assert events[:2] == [ReasoningDelta("Need "), ReasoningDelta("the order.")]
    assert [e for e in events if isinstance(e, ToolCallStarted)] == [
        ToolCallStarted("toolu_a", "lookup"),
        ToolCallStarted("toolu_b", "lookup"),
    ]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert "".join(d.delta for d in deltas if d.call_id == "toolu_a") == '{"order_id": "1"}'
    done = [e for e in events if isinstance(e, ToolCallDone)]
    assert done == [
        ToolCallDone(ToolCallPart("toolu_a", "lookup", '{"order_id": "1"}')),
        ToolCallDone(ToolCallPart("toolu_b", "lookup", '{"order_id": "2"}')),
    ]
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert last.response.finish_reason == "tool_calls"
    assert last.response.parts[0] == ReasoningPart(
        "anthropic", thinking_block("Need the order.", "sig-xyz"), "Need the order."
    )
    assert last.response.tool_calls == tuple(d.call for d in done)


async def test_stream_output_tool_streams_as_text(server: FakeAnthropicServer) -> None:
    provider = AnthropicProvider(model="claude-3-5-haiku", base_url=server.base_url, api_key=API_KEY, structured_output="tool")
    script = EventScript().start().tool_use("toolu_o", "runlet_output", ['{"status"', ': "ok"}']).stop("tool_use")
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask(output=OutputSchema("Answer", SCHEMA))))
    assert events[:2] == [TextDelta('{"status"'), TextDelta(': "ok"}')]
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert last.response.text == '{"status": "ok"}' and last.response.finish_reason == "stop"
    assert not any(isinstance(e, (ToolCallStarted, ToolCallDone)) for e in events)


async def test_stream_error_event_overloaded(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    script = EventScript().start().error("overloaded_error", "Overloaded")
    server.add(SseReply(script.events))
    with pytest.raises(ProviderUnavailable, match="Overloaded") as caught:
        await collect(provider.stream(ask()))
    assert caught.value.retryable and caught.value.status_code == 529


async def test_stream_http_error(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    server.add(error_reply(429, "rate_limit_error", "slow down"))
    with pytest.raises(RateLimited):
        await collect(provider.stream(ask()))


async def test_stream_without_message_stop_is_interrupted(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    script = EventScript().start().text(["Hel", "lo"])
    server.add(SseReply(script.events))
    with pytest.raises(StreamInterrupted, match="message_stop"):
        await asyncio.wait_for(collect(provider.stream(ask())), 5)


async def test_stream_dropped_before_output_is_retryable(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    server.add(SseReply(EventScript().start().events, end="abort"))
    with pytest.raises(ProviderUnavailable) as caught:
        await asyncio.wait_for(collect(provider.stream(ask())), 5)
    assert caught.value.retryable


async def test_cancelling_mid_stream_closes_the_connection(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    script = EventScript().start().text(["Hel", "lo"])
    server.add(SseReply(script.events[:5], end="stall"))
    first = asyncio.Event()

    async def consume() -> None:
        async for event in provider.stream(ask()):
            if isinstance(event, TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(server.disconnected.wait, 5)


# -- capabilities and the runtime ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "max_output"),
    [
        ("claude-sonnet-4-5-20250929", 64_000),
        ("claude-opus-4-1", 32_000),
        ("claude-opus-4-1@20250805", 32_000),
        ("claude-3-5-haiku-latest", 8_192),
        ("claude-new", 8_192),
    ],
)
def test_capabilities(model: str, max_output: int) -> None:
    capabilities = AnthropicProvider(model=model, api_key=API_KEY).capabilities()
    assert capabilities.context_window == 200_000 and capabilities.max_output_tokens == max_output
    mine = Capabilities(context_window=1_000_000, max_output_tokens=1_000)
    assert AnthropicProvider(model=model, api_key=API_KEY, capabilities=mine).capabilities() is mine


@dataclass(frozen=True)
class Status:
    status: str


async def test_runtime_stream_tool_round_trip(server: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    from runlet import Agent, Runtime, tool

    calls: list[str] = []

    @tool
    async def lookup_order(order_id: str) -> str:
        """Look an order up."""
        calls.append(order_id)
        return f"order {order_id} shipped"

    first = EventScript(id="msg_1").start().thinking(["Look it up."], "sig-1").tool_use("toolu_77", "lookup_order", ['{"order_id"', ': "123"}']).stop("tool_use")
    second = EventScript(id="msg_2").start().text(['{"status": ', '"shipped"}']).stop()
    server.add(SseReply(first.events), SseReply(second.events))

    agent = Agent(name="assistant", instructions="Use tools.", model=provider, tools=(lookup_order,), output_type=Status)
    types: list[str] = []
    async for event in Runtime().stream(agent, "Check order 123."):
        types.append(event.type)

    assert calls == ["123"]
    assert types.count("tool.started") == 1 and types[-1] == "run.completed"
    body = server.bodies[1]
    assert body["system"] == "Use tools."
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Check order 123."}]},
        {
            "role": "assistant",
            "content": [
                thinking_block("Look it up.", "sig-1"),
                tool_use_block("toolu_77", "lookup_order", {"order_id": "123"}),
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_77", "content": "order 123 shipped"}]},
    ]
