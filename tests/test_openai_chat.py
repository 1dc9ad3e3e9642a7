"""OpenAIChatCompletionsProvider against a local Chat-Completions-compatible server (real HTTP)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from chat_server import (  # noqa: E402
    ChunkScript,
    FakeChatServer,
    chat_error,
    chat_usage,
    completion,
    tool_call,
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
    ModelStreamEvent,
    OutputSchema,
    ReasoningDelta,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
    ToolDefinition,
    Usage,
)
from runlet.providers import OpenAIChatCompletionsProvider  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"
API_KEY = "sk-test-chat-0123456789abcdefSECRET"



@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer() as fake:
        yield fake
        assert not fake.invalid, f"requests that do not fit the SDK's types: {fake.invalid}"
        assert not fake.unexpected, f"requests with no scripted reply: {fake.unexpected}"


@pytest.fixture
def provider(server: FakeChatServer) -> OpenAIChatCompletionsProvider:
    return OpenAIChatCompletionsProvider(model="local-model", base_url=server.base_url, api_key=API_KEY)




# -- import and construction ------------------------------------------------------------------


def test_import_does_not_import_openai() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    code = (
        "import runlet.providers, sys\n"
        "from runlet.providers import OpenAIChatCompletionsProvider\n"
        "assert 'openai' not in sys.modules\n"
        "assert 'OpenAIChatCompletionsProvider' in runlet.providers.__all__\n"
        "sys.modules['openai'] = None\n"
        "from runlet.core.errors import UserError\n"
        "try:\n"
        "    OpenAIChatCompletionsProvider(model='m', base_url='http://127.0.0.1:1/v1')\n"
        "except UserError as exc:\n"
        "    assert 'runlet[openai]' in str(exc), str(exc)\n"
        "else:\n"
        "    raise SystemExit('no UserError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_api_key_required_without_base_url() -> None:
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        OpenAIChatCompletionsProvider(model="gpt-4o")


async def test_local_server_needs_no_key(server: FakeChatServer) -> None:
    server.add(JsonReply(completion("hi")))
    provider = OpenAIChatCompletionsProvider(model="llama3", base_url=server.base_url)
    assert (await provider.complete(ask())).text == "hi"
    assert server.requests[0].headers["authorization"] == "Bearer runlet-no-api-key"


async def test_user_client_is_used_as_is(server: FakeChatServer) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY, default_headers={"x-mine": "1"})
    server.add(JsonReply(completion("hi")))
    assert (await OpenAIChatCompletionsProvider(model="m", client=client).complete(ask())).text == "hi"
    assert server.requests[0].headers["x-mine"] == "1"
    with pytest.raises(UserError, match="timeout"):
        OpenAIChatCompletionsProvider(model="m", client=client, timeout=3)


# -- complete(): requests and responses ----------------------------------------------------------


async def test_complete_text(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.add(JsonReply(completion("Hello!", id="chatcmpl-42", model="llama-3.1-8b")))
    request = ModelRequest(
        messages=[Message.system("Be brief."), Message.user("Hi"), Message.system("Be kind.")],
    )
    response = await provider.complete(request)
    assert response.parts == (TextPart("Hello!"),)
    assert response.finish_reason == "stop"
    assert response.model == "llama-3.1-8b"
    assert response.response_id == "chatcmpl-42"
    assert response.usage == Usage(input_tokens=10, output_tokens=5, requests=1)
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.json == {
        "model": "local-model",
        "messages": [
            {"role": "system", "content": "Be brief.\n\nBe kind."},
            {"role": "user", "content": "Hi"},
        ],
    }


async def test_tool_calls_both_ways(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    calls = [tool_call("call_a", "lookup", '{"order_id": "1"}'), tool_call("call_b", "lookup", '{"order_id": "2"}')]
    server.add(
        JsonReply(completion(None, tool_calls=calls, finish_reason="tool_calls")),
        JsonReply(completion("Both shipped.")),
    )
    first = await provider.complete(ask(tools=[LOOKUP]))
    assert first.tool_calls == (
        ToolCallPart("call_a", "lookup", '{"order_id": "1"}'),
        ToolCallPart("call_b", "lookup", '{"order_id": "2"}'),
    )
    assert first.finish_reason == "tool_calls"
    assert server.bodies[0]["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "description": "Look an order up by id.",
                "parameters": dict(LOOKUP.parameters),
            },
        }
    ]
    history = [
        Message.user("Orders 1 and 2?"),
        first.message,
        Message("tool", (ToolResultPart("call_a", "lookup", "shipped"), ToolResultPart("call_b", "lookup", "shipped"))),
    ]
    second = await provider.complete(ModelRequest(messages=history, tools=[LOOKUP]))
    assert second.text == "Both shipped."
    assert server.bodies[1]["messages"] == [
        {"role": "user", "content": "Orders 1 and 2?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_a", "content": "shipped"},
        {"role": "tool", "tool_call_id": "call_b", "content": "shipped"},
    ]


async def test_stop_with_tool_calls_is_tool_calls(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    """llama.cpp and Ollama say "stop" while returning tool calls."""
    server.add(JsonReply(completion("", tool_calls=[tool_call("c1", "lookup", "{}")], finish_reason="stop")))
    response = await provider.complete(ask(tools=[LOOKUP]))
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == (ToolCallPart("c1", "lookup", "{}"),)


async def test_tools_are_strict_where_their_schema_can_be(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.add(JsonReply(completion("ok")), JsonReply(completion("ok")))
    await provider.complete(ask(tools=[PLAIN, LOOSE]))
    plain, loose = (tool["function"] for tool in server.bodies[0]["tools"])
    assert (plain["strict"], plain["parameters"]) == (True, dict(PLAIN.parameters))
    assert "strict" not in loose and loose["parameters"] == dict(LOOSE.parameters)

    await provider.complete(ask(tools=[LOOKUP, ToolDefinition("search", "Search.", LOOSE.parameters, strict=True)]))
    assert ["strict" in tool["function"] for tool in server.bodies[1]["tools"]] == [False, False]


@pytest.mark.parametrize(
    ("payload", "finish", "text"),
    [
        (completion("trunc", finish_reason="length"), "length", "trunc"),
        (completion("", finish_reason="content_filter"), "content_filter", ""),
        (completion(None, refusal="I can't help with that."), "content_filter", "I can't help with that."),
    ],
)
async def test_finish_reasons(
    server: FakeChatServer, provider: OpenAIChatCompletionsProvider, payload: dict[str, Any], finish: str, text: str
) -> None:
    server.add(JsonReply(payload))
    response = await provider.complete(ask())
    assert (response.finish_reason, response.text) == (finish, text)


async def test_usage_details_and_missing_usage(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.add(
        JsonReply(completion("a", usage=chat_usage(120, 30, cached=100, reasoning=20))),
        JsonReply(completion("b", no_usage=True)),
    )
    assert (await provider.complete(ask())).usage == Usage(120, 30, 100, 20, 1)
    assert (await provider.complete(ask())).usage == Usage(requests=1)


async def test_reasoning_content_is_kept_but_not_sent_back(
    server: FakeChatServer, provider: OpenAIChatCompletionsProvider
) -> None:
    server.add(
        JsonReply(completion("42", extra_message_fields={"reasoning_content": "Think step by step."})),
        JsonReply(completion("ok")),
    )
    response = await provider.complete(ask())
    assert response.parts == (
        ReasoningPart("openai_chat", {"reasoning_content": "Think step by step."}, "Think step by step."),
        TextPart("42"),
    )
    await provider.complete(ModelRequest(messages=[Message.user("q"), response.message, Message.user("again")]))
    assert server.bodies[1]["messages"][1] == {"role": "assistant", "content": "42"}
    assert "Think step" not in json.dumps(server.bodies[1])


async def test_structured_output(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"status": {"type": "string"}},
        "required": ["status"],
        "additionalProperties": False,
    }
    server.add(JsonReply(completion('{"status": "shipped"}')))
    response = await provider.complete(ask(output=OutputSchema("Order Answer", schema, strict=True), max_output_tokens=300))
    assert json.loads(response.text) == {"status": "shipped"}
    body = server.bodies[0]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Order_Answer", "schema": schema, "strict": True},
    }
    assert body["max_tokens"] == 300


async def test_structured_output_without_server_support(server: FakeChatServer) -> None:
    caps = Capabilities(context_window=4_096, max_output_tokens=512, structured_output=False)
    provider = OpenAIChatCompletionsProvider(model="tiny", base_url=server.base_url, capabilities=caps)
    server.add(JsonReply(completion('{"status": "ok"}')))
    schema: dict[str, Any] = {"type": "object", "properties": {"status": {"type": "string"}}}
    await provider.complete(ModelRequest([Message.system("Be terse."), Message.user("?")], output=OutputSchema("A", schema)))
    body = server.bodies[0]
    assert "response_format" not in body
    system = body["messages"][0]
    assert system["role"] == "system" and system["content"].startswith("Be terse.\n\n")
    assert json.dumps(schema, separators=(",", ":")) in system["content"]


# -- options ----------------------------------------------------------------------------------------


async def test_options_pass_through(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.extensions.update({"top_k", "chat_template_kwargs"})  # vLLM's extensions
    server.add(JsonReply(completion("ok")))
    await provider.complete(
        ask(
            max_output_tokens=100,
            options={
                "openai": {
                    "temperature": 0.2,
                    "seed": 7,
                    "max_completion_tokens": 2000,
                    "parallel_tool_calls": False,
                    "extra_body": {"top_k": 20, "chat_template_kwargs": {"enable_thinking": False}},
                    "extra_headers": {"x-trace": "abc"},
                    "extra_query": {"api-version": "1"},
                    "timeout": 30,
                },
                "anthropic": {"thinking": {"type": "enabled"}},
            },
        )
    )
    sent = server.requests[0]
    body = sent.json
    assert body["temperature"] == 0.2 and body["seed"] == 7 and body["parallel_tool_calls"] is False
    assert body["max_completion_tokens"] == 2000 and "max_tokens" not in body, "the option replaces the derived limit"
    assert body["top_k"] == 20 and body["chat_template_kwargs"] == {"enable_thinking": False}
    assert sent.headers["x-trace"] == "abc"
    assert sent.path == "/v1/chat/completions?api-version=1"
    assert "thinking" not in body


async def test_max_completion_tokens_parameter(server: FakeChatServer) -> None:
    provider = OpenAIChatCompletionsProvider(
        model="o3", base_url=server.base_url, max_tokens_parameter="max_completion_tokens"
    )
    server.add(JsonReply(completion("ok")))
    await provider.complete(ask(max_output_tokens=64))
    assert server.bodies[0]["max_completion_tokens"] == 64 and "max_tokens" not in server.bodies[0]


async def test_bad_options_raise_user_error(provider: OpenAIChatCompletionsProvider) -> None:
    with pytest.raises(UserError, match="extra_body"):
        await provider.complete(ask(options={"openai": {"top_k": 1}}))
    with pytest.raises(UserError, match="stream"):
        await provider.complete(ask(options={"openai": {"stream": True}}))


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message", "error_type", "retryable"),
    [
        (429, "rate_limit_exceeded", "slow down", RateLimited, True),
        (500, None, "boom", ProviderUnavailable, True),
        (503, None, "loading model", ProviderUnavailable, True),
        (401, "invalid_api_key", "bad key", AuthenticationFailed, False),
        (400, None, "This model's maximum context length is 8192 tokens", ContextLengthExceeded, False),
        (400, "context_length_exceeded", "too long", ContextLengthExceeded, False),
        (404, "model_not_found", "no such model", BadRequest, False),
    ],
)
async def test_http_error_mapping(
    server: FakeChatServer,
    provider: OpenAIChatCompletionsProvider,
    status: int,
    code: str | None,
    message: str,
    error_type: type[ProviderError],
    retryable: bool,
) -> None:
    server.add(chat_error(status, f"{message} (key {API_KEY})", code=code))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask())
    error = caught.value
    assert type(error) is error_type and error.retryable is retryable
    assert error.status_code == status and error.provider == "openai"
    assert message in str(error) and "SECRET" not in str(error)
    assert len(server.requests) == 1, "SDK retries are off"


async def test_no_choices_is_malformed(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    payload = completion("x")
    payload["choices"] = []
    server.add(JsonReply(payload))
    with pytest.raises(MalformedResponse, match="no choices"):
        await provider.complete(ask())


# -- stream() ----------------------------------------------------------------------------------------


async def test_stream_text_with_usage_in_last_chunk(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    script = ChunkScript(id="chatcmpl-9").role().text(["Recursion ", "is ", "recursion."]).finish("stop").usage(chat_usage(12, 3))
    server.add(SseReply(script.done()))
    events = await collect(provider.stream(ask()))
    assert events[:3] == [TextDelta("Recursion "), TextDelta("is "), TextDelta("recursion.")]
    last = events[-1]
    assert len(events) == 4 and isinstance(last, ResponseCompleted)
    assert last.response.text == "Recursion is recursion."
    assert last.response.usage == Usage(input_tokens=12, output_tokens=3, requests=1)
    assert last.response.response_id == "chatcmpl-9"
    body = server.bodies[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_stream_usage_in_the_finish_chunk_or_absent(server: FakeChatServer) -> None:
    provider = OpenAIChatCompletionsProvider(model="m", base_url=server.base_url, stream_usage=False)
    server.add(
        SseReply(ChunkScript().text(["a"]).finish("stop", usage=chat_usage(7, 1)).done()),
        SseReply(ChunkScript().text(["b"]).finish("stop").done()),
    )
    first = await collect(provider.stream(ask()))
    second = await collect(provider.stream(ask()))
    assert isinstance(first[-1], ResponseCompleted) and first[-1].response.usage == Usage(7, 1, requests=1)
    assert isinstance(second[-1], ResponseCompleted) and second[-1].response.usage == Usage(requests=1)
    assert "stream_options" not in server.bodies[0]


async def test_stream_parallel_tool_calls_by_index(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    script = ChunkScript().role()
    script.tool_call(0, "call_a", "lookup", [])
    script.tool_call(1, "call_b", "lookup", [])
    # Interleaved argument deltas: only the index says whose they are.
    for index, piece in [(0, '{"order_'), (1, '{"order_id": '), (0, 'id": "1"}'), (1, '"2"}')]:
        script.delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    script.finish("tool_calls").usage()
    server.add(SseReply(script.done()))
    events = await collect(provider.stream(ask(tools=[LOOKUP])))

    assert [e for e in events if isinstance(e, ToolCallStarted)] == [
        ToolCallStarted("call_a", "lookup"),
        ToolCallStarted("call_b", "lookup"),
    ]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert "".join(d.delta for d in deltas if d.call_id == "call_a") == '{"order_id": "1"}'
    assert "".join(d.delta for d in deltas if d.call_id == "call_b") == '{"order_id": "2"}'
    done = [e for e in events if isinstance(e, ToolCallDone)]
    assert done == [
        ToolCallDone(ToolCallPart("call_a", "lookup", '{"order_id": "1"}')),
        ToolCallDone(ToolCallPart("call_b", "lookup", '{"order_id": "2"}')),
    ]
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert last.response.finish_reason == "tool_calls"
    assert last.response.tool_calls == tuple(d.call for d in done)


async def test_stream_tool_call_in_one_chunk_without_id(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    """Some servers send a whole call in one delta, and some leave out its id."""
    script = ChunkScript().delta(
        {"tool_calls": [{"index": 0, "type": "function", "function": {"name": "lookup", "arguments": '{"order_id": "7"}'}}]}
    )
    server.add(SseReply(script.finish("stop").done()))
    events = await collect(provider.stream(ask(tools=[LOOKUP])))
    done = [e for e in events if isinstance(e, ToolCallDone)]
    assert len(done) == 1
    call = done[0].call
    assert call.name == "lookup" and call.arguments == '{"order_id": "7"}' and call.call_id.startswith("call_")
    assert ToolCallStarted(call.call_id, "lookup") in events
    last = events[-1]
    assert isinstance(last, ResponseCompleted) and last.response.finish_reason == "tool_calls"


async def test_stream_reasoning_content(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    script = ChunkScript()
    script.chunk(
        [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None, "logprobs": None}],
    )
    script.events.append(json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "local-model",
        "choices": [{"index": 0, "delta": {"reasoning_content": "Hmm."}, "finish_reason": None}],
    }))
    script.text(["Yes."]).finish("stop")
    server.add(SseReply(script.done()))
    events = await collect(provider.stream(ask()))
    assert events[:2] == [ReasoningDelta("Hmm."), TextDelta("Yes.")]
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert isinstance(last.response.parts[0], ReasoningPart) and last.response.text == "Yes."


async def test_stream_without_finish_reason_is_interrupted(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.add(SseReply(ChunkScript().text(["Hel", "lo"]).done()))
    seen: list[ModelStreamEvent] = []
    with pytest.raises(StreamInterrupted, match="finish_reason"):
        async with aclosing(provider.stream(ask())) as stream:
            async for event in stream:
                seen.append(event)
    assert seen == [TextDelta("Hel"), TextDelta("lo")]
    assert len(server.requests) == 1


async def test_stream_error_payload(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    error = json.dumps({"error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": "rate_limit_exceeded"}})
    server.add(SseReply([*ChunkScript().role().events, error]))
    with pytest.raises(RateLimited, match="Rate limit reached"):
        await collect(provider.stream(ask()))


async def test_stream_http_error(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.add(chat_error(429, "slow down", code="rate_limit_exceeded"))
    with pytest.raises(RateLimited):
        await collect(provider.stream(ask()))


async def test_connection_dropped(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.add(
        SseReply(ChunkScript().role().events, end="abort"),
        SseReply(ChunkScript().text(["Hel", "lo"]).events, end="abort"),
    )
    with pytest.raises(ProviderUnavailable) as before:
        await asyncio.wait_for(collect(provider.stream(ask())), 5)
    assert before.value.retryable
    with pytest.raises(StreamInterrupted, match="broke before a finish_reason") as after:  # after output, too
        await asyncio.wait_for(collect(provider.stream(ask())), 5)
    assert after.value.retryable


async def test_not_json_is_an_interrupted_stream(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    server.add(SseReply([*ChunkScript().role().events, "{not json"]))
    with pytest.raises(StreamInterrupted, match="cannot read"):
        await asyncio.wait_for(collect(provider.stream(ask())), 5)


async def test_cancelling_mid_stream_closes_the_connection(
    server: FakeChatServer, provider: OpenAIChatCompletionsProvider
) -> None:
    server.add(SseReply(ChunkScript().text(["Hel"]).events, end="stall"))
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


# -- capabilities and the runtime ----------------------------------------------------------------------


def test_capabilities() -> None:
    local = OpenAIChatCompletionsProvider(model="qwen3:8b", base_url="http://127.0.0.1:1/v1").capabilities()
    assert local.context_window <= 8_192 and local.max_output_tokens <= 2_048 and not local.parallel_tool_calls
    gateway = OpenAIChatCompletionsProvider(model="openai/gpt-4o-mini", api_key=API_KEY).capabilities()
    assert gateway.context_window == 128_000
    mine = Capabilities(context_window=131_072, max_output_tokens=8_192)
    assert OpenAIChatCompletionsProvider(model="m", api_key=API_KEY, capabilities=mine).capabilities() is mine


async def test_runtime_stream_tool_round_trip(server: FakeChatServer, provider: OpenAIChatCompletionsProvider) -> None:
    from runlet import Agent, Runtime, tool

    calls: list[str] = []

    @tool
    async def lookup_order(order_id: str) -> str:
        """Look an order up."""
        calls.append(order_id)
        return f"order {order_id} shipped"

    first = ChunkScript(id="c1").role().tool_call(0, "call_77", "lookup_order", ['{"order_id"', ': "123"}'])
    second = ChunkScript(id="c2").role().text(["Order 123 ", "has shipped."]).finish("stop").usage(chat_usage(40, 6))
    server.add(SseReply(first.finish("tool_calls").usage(chat_usage(30, 9)).done()), SseReply(second.done()))

    agent = Agent(name="assistant", instructions="Use tools.", model=provider, tools=(lookup_order,))
    text: list[str] = []
    types: list[str] = []
    async for event in Runtime().stream(agent, "Check order 123."):
        types.append(event.type)
        if event.type == "model.stream.delta":
            text.append(str(event.payload["delta"]))

    assert "".join(text) == "Order 123 has shipped."
    assert calls == ["123"]
    assert types.count("tool.started") == 1
    messages = server.bodies[1]["messages"]
    assert messages == [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "Check order 123."},
        {"role": "assistant", "content": None, "tool_calls": [tool_call("call_77", "lookup_order", '{"order_id": "123"}')]},
        {"role": "tool", "tool_call_id": "call_77", "content": "order 123 shipped"},
    ]
