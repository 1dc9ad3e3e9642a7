"""OpenAIResponsesProvider against a local Responses-compatible server (real HTTP, no internet)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from contextlib import aclosing
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from openai_server import (  # noqa: E402
    EventScript,
    FakeResponsesServer,
    JsonReply,
    SseReply,
    api_error,
    function_call_item,
    message_item,
    reasoning_item,
    response_payload,
    text_response,
    usage_payload,
)

from provider_cases import LOOKUP, LOOSE, PLAIN, ask, collect  # noqa: E402
from runlet.core.errors import (  # noqa: E402
    AuthenticationFailed,
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    MalformedResponse,
    StreamInterrupted,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    UserError,
)
from runlet.core.messages import Message, ReasoningPart, TextPart, ToolCallPart  # noqa: E402
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
from runlet.providers import OpenAIResponsesProvider  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"
API_KEY = "sk-test-0123456789abcdefSECRET"



@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeResponsesServer]:
    with FakeResponsesServer() as fake:
        yield fake
        assert not fake.unexpected, f"requests with no scripted reply: {fake.unexpected}"


@pytest.fixture
def provider(server: FakeResponsesServer) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key=API_KEY)




# -- import and construction ---------------------------------------------------------


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_import_runlet_providers_does_not_import_openai() -> None:
    done = _run_python(
        "import runlet, runlet.providers, sys; assert 'openai' not in sys.modules\n"
        "from runlet.providers import OpenAIResponsesProvider\n"
        "assert 'openai' not in sys.modules, 'importing the class imported openai'\n"
        "assert 'OpenAIResponsesProvider' in runlet.providers.__all__\n"
    )
    assert done.returncode == 0, done.stderr


def test_constructing_without_openai_raises_user_error() -> None:
    done = _run_python(
        "import sys; sys.modules['openai'] = None\n"
        "from runlet.providers import OpenAIResponsesProvider\n"
        "from runlet.core.errors import UserError\n"
        "try:\n"
        "    OpenAIResponsesProvider(model='gpt-5.5', api_key='k')\n"
        "except UserError as exc:\n"
        "    assert 'pip install \"runlet[openai]\"' in str(exc), str(exc)\n"
        "else:\n"
        "    raise SystemExit('no UserError')\n"
    )
    assert done.returncode == 0, done.stderr


def test_unknown_attribute_of_providers_module() -> None:
    import runlet.providers

    with pytest.raises(AttributeError):
        getattr(runlet.providers, "NoSuchProvider")  # noqa: B009


def test_api_key_required_without_base_url() -> None:
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        OpenAIResponsesProvider(model="gpt-5.5")


def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    provider = OpenAIResponsesProvider(model="gpt-5.5")
    assert API_KEY not in repr(provider)


async def test_local_server_needs_no_key(server: FakeResponsesServer) -> None:
    server.add(JsonReply(text_response("hi")))
    provider = OpenAIResponsesProvider(model="local-model", base_url=server.base_url)
    assert (await provider.complete(ask())).text == "hi"
    assert server.requests[0].headers["authorization"] == "Bearer runlet-no-api-key"


async def test_base_url_from_environment(server: FakeResponsesServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    server.add(JsonReply(text_response("hi")))
    provider = OpenAIResponsesProvider(model="local-model")
    assert (await provider.complete(ask())).text == "hi"


async def test_user_client_is_used_as_is(server: FakeResponsesServer) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY, default_headers={"x-mine": "1"})
    provider = OpenAIResponsesProvider(model="gpt-5.5", client=client)
    server.add(JsonReply(text_response("hi")))
    assert (await provider.complete(ask())).text == "hi"
    assert server.requests[0].headers["x-mine"] == "1"
    with pytest.raises(UserError, match="base_url"):
        OpenAIResponsesProvider(model="gpt-5.5", client=client, base_url=server.base_url)


async def test_sdk_retries_are_off_by_default(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    server.add(api_error(500, "boom", type="server_error"))
    with pytest.raises(ProviderUnavailable):
        await provider.complete(ask())
    assert len(server.requests) == 1


# -- complete(): requests and responses ------------------------------------------------


async def test_complete_text(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(JsonReply(text_response("Hello!", id="resp_42")))
    request = ModelRequest(
        messages=[Message.system("Be brief."), Message.system("Be kind."), Message.user("Hi")]
    )
    response = await provider.complete(request)

    assert response.text == "Hello!"
    assert response.parts == (TextPart("Hello!"),)
    assert response.finish_reason == "stop"
    assert response.model == "gpt-5.5"
    assert response.response_id == "resp_42"
    sent = server.requests[0]
    assert sent.method == "POST" and sent.path == "/v1/responses"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.json["model"] == "gpt-5.5"
    assert sent.json["instructions"] == "Be brief.\n\nBe kind."
    assert sent.json["input"] == [{"type": "message", "role": "user", "content": "Hi"}]
    assert not sent.json.get("stream")
    assert "tools" not in sent.json and "text" not in sent.json


async def test_tools_are_strict_where_their_schema_can_be(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(JsonReply(text_response("ok")), JsonReply(text_response("ok")))
    await provider.complete(ask(tools=[PLAIN, LOOSE]))
    plain, loose = server.bodies[0]["tools"]
    assert (plain["strict"], plain["parameters"]) == (True, dict(PLAIN.parameters))
    assert (loose["strict"], loose["parameters"]) == (False, dict(LOOSE.parameters))

    # A strict definition goes in its strict form (objects closed); one that cannot be strict goes as it is.
    open_object = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    forced = ToolDefinition("search", "Search.", LOOSE.parameters, strict=True)
    await provider.complete(ask(tools=[ToolDefinition("find", "Find.", open_object, strict=True), forced]))
    closed, not_strict = server.bodies[1]["tools"]
    assert (closed["strict"], closed["parameters"]) == (True, {**open_object, "additionalProperties": False})
    assert (not_strict["strict"], not_strict["parameters"]) == (False, dict(LOOSE.parameters))


async def test_tool_calls_both_ways(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(
        JsonReply(
            response_payload(
                [function_call_item("call_abc", "lookup", '{"order_id": "123"}', id="fc_item_xyz")]
            )
        ),
        JsonReply(text_response("Order 123 shipped.")),
    )
    first = await provider.complete(ask(tools=[LOOKUP]))
    assert first.tool_calls == (ToolCallPart("call_abc", "lookup", '{"order_id": "123"}'),)
    assert first.finish_reason == "tool_calls"
    assert server.bodies[0]["tools"] == [
        {
            "type": "function",
            "name": "lookup",
            "description": "Look an order up by id.",
            "parameters": dict(LOOKUP.parameters),
            "strict": False,
        }
    ]

    history = [
        Message.user("Where is order 123?"),
        first.message,
        Message.tool_result("call_abc", "shipped", name="lookup"),
    ]
    second = await provider.complete(ModelRequest(messages=history, tools=[LOOKUP]))
    assert second.text == "Order 123 shipped."
    sent = server.bodies[1]
    assert sent["input"] == [
        {"type": "message", "role": "user", "content": "Where is order 123?"},
        {"type": "function_call", "call_id": "call_abc", "name": "lookup", "arguments": '{"order_id": "123"}'},
        {"type": "function_call_output", "call_id": "call_abc", "output": "shipped"},
    ]
    assert "fc_item_xyz" not in json.dumps(sent), "the item id is not the pairing key"


async def test_assistant_text_goes_back_as_output_text(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    server.add(JsonReply(text_response("ok")))
    history = [Message.user("Hi"), Message.assistant("Hello! How can I help?"), Message.user("Order 123?")]
    await provider.complete(ModelRequest(messages=history))
    assert server.bodies[0]["input"] == [
        {"type": "message", "role": "user", "content": "Hi"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hello! How can I help?", "annotations": []}],
        },
        {"type": "message", "role": "user", "content": "Order 123?"},
    ]


async def test_reasoning_items_sent_back_in_order(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    reasoning = reasoning_item("rs_1", ["Look the order up."], encrypted_content="gAAAA-opaque")
    call = function_call_item("call_1", "lookup", '{"order_id": "123"}')
    server.add(JsonReply(response_payload([reasoning, call])), JsonReply(text_response("done")))

    first = await provider.complete(ask(tools=[LOOKUP]))
    part = first.parts[0]
    assert isinstance(part, ReasoningPart)
    assert part.provider == "openai"
    assert part.summary == "Look the order up."
    assert part.data == reasoning
    assert first.parts[1] == ToolCallPart("call_1", "lookup", '{"order_id": "123"}')

    foreign = ReasoningPart(provider="anthropic", data={"type": "thinking", "thinking": "hmm"})
    dangling = ReasoningPart(provider="openai", data=reasoning_item("rs_dangling"))
    history = [
        Message.user("Where is order 123?"),
        Message.assistant((foreign, *first.parts)),
        Message.tool_result("call_1", "shipped"),
        Message.assistant((TextPart("Shipped."), dangling)),
        Message.user("Thanks"),
    ]
    await provider.complete(ModelRequest(messages=history, tools=[LOOKUP]))
    items = server.bodies[1]["input"]
    assert [item.get("type") for item in items] == [
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
        "message",
        "message",
    ]
    assert items[1] == reasoning, "the reasoning item goes back exactly as received"
    assert "thinking" not in json.dumps(items), "other providers' reasoning is skipped"
    assert "rs_dangling" not in json.dumps(items), "a reasoning item with nothing after it is dropped"


async def test_usage_mapping(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(JsonReply(text_response("hi", usage=usage_payload(120, 30, cached=100, reasoning=20))))
    response = await provider.complete(ask())
    assert response.usage == Usage(
        input_tokens=120, output_tokens=30, cached_input_tokens=100, reasoning_tokens=20, requests=1
    )


async def test_usage_missing_from_a_compatible_server(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    payload = text_response("hi")
    payload["usage"] = None
    server.add(JsonReply(payload))
    assert (await provider.complete(ask())).usage == Usage(requests=1)


@pytest.mark.parametrize(
    ("payload", "finish", "text"),
    [
        (text_response("done"), "stop", "done"),
        (
            response_payload([message_item("trunc")], status="incomplete", incomplete_reason="max_output_tokens"),
            "length",
            "trunc",
        ),
        (
            response_payload([message_item("par")], status="incomplete", incomplete_reason="content_filter"),
            "content_filter",
            "par",
        ),
        (response_payload([reasoning_item("rs_1")], status="incomplete", incomplete_reason="max_output_tokens"), "length", ""),
        (response_payload([message_item(refusal="I can't help with that.")]), "content_filter", "I can't help with that."),
    ],
)
async def test_finish_reasons(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider, payload: dict[str, Any], finish: str, text: str
) -> None:
    server.add(JsonReply(payload))
    response = await provider.complete(ask())
    assert response.finish_reason == finish
    assert response.text == text


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        ("server_error", ProviderUnavailable),
        ("rate_limit_exceeded", RateLimited),
        ("invalid_prompt", BadRequest),
        ("bio_policy", ContentFiltered),
    ],
)
async def test_failed_response_raises(
    server: FakeResponsesServer,
    provider: OpenAIResponsesProvider,
    code: str,
    error_type: type[ProviderError],
) -> None:
    server.add(JsonReply(response_payload([], status="failed", error={"code": code, "message": "it went wrong"})))
    with pytest.raises(error_type, match="it went wrong") as caught:
        await provider.complete(ask())
    assert caught.value.provider == "openai"


async def test_empty_output_is_malformed(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(JsonReply(response_payload([])))
    with pytest.raises(MalformedResponse, match="no text, tool call or reasoning"):
        await provider.complete(ask())


async def test_function_call_without_call_id_is_malformed(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    payload = response_payload([function_call_item("call_1", "lookup", "{}")])
    output = payload["output"]
    assert isinstance(output, list)
    output[0]["call_id"] = ""
    server.add(JsonReply(payload))
    with pytest.raises(MalformedResponse, match="call_id"):
        await provider.complete(ask())


async def test_garbage_body_is_malformed(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(JsonReply({"unexpected": True}))
    with pytest.raises(MalformedResponse):
        await provider.complete(ask())


async def test_structured_output_format(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"status": {"type": "string"}, "eta_days": {"type": "integer"}},
        "required": ["status", "eta_days"],
        "additionalProperties": False,
    }
    server.add(JsonReply(text_response('{"status": "shipped", "eta_days": 2}')))
    request = ask(
        output=OutputSchema(name="Answer", schema=schema, strict=True),
        max_output_tokens=500,
        options={"openai": {"text": {"verbosity": "low"}}},
    )
    response = await provider.complete(request)
    assert json.loads(response.text) == {"status": "shipped", "eta_days": 2}
    sent = server.bodies[0]
    assert sent["text"] == {
        "format": {"type": "json_schema", "name": "Answer", "schema": schema, "strict": True},
        "verbosity": "low",
    }
    assert sent["max_output_tokens"] == 500


# -- options pass-through ---------------------------------------------------------------


async def test_readme_provider_options_snippet(server: FakeResponsesServer) -> None:
    server.add(JsonReply(text_response("A short summary.")))

    # The 0.2.0a1 README's snippet, its imports as written there, with base_url pointing at the local server.
    from runlet.core import Message as ReadmeMessage
    from runlet.core.models import ModelRequest as ReadmeModelRequest
    from runlet.providers import OpenAIResponsesProvider as ReadmeProvider

    provider = ReadmeProvider(model="gpt-5.5", base_url=server.base_url)

    request = ReadmeModelRequest(
        messages=[ReadmeMessage.user("Summarize this briefly.")],
        options={
            "openai": {
                "extra_body": {
                    "reasoning": {"effort": "medium"},
                },
            },
        },
    )

    response = await provider.complete(request)

    assert response.text == "A short summary."
    assert server.bodies[0]["reasoning"] == {"effort": "medium"}


async def test_options_pass_through(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(JsonReply(text_response("ok")))
    request = ask(
        max_output_tokens=100,
        options={
            "openai": {
                "extra_body": {"custom_field": [1, 2]},
                "extra_headers": {"x-trace": "abc"},
                "extra_query": {"api-version": "2025-01-01"},
                "reasoning": {"effort": "low", "summary": "auto"},
                "temperature": 0.2,
                "top_p": 0.9,
                "max_output_tokens": 2000,
                "previous_response_id": "resp_prev",
                "store": False,
                "metadata": {"run": "r1"},
                "parallel_tool_calls": False,
                "include": ["reasoning.encrypted_content"],
                "timeout": 30,
            },
            "anthropic": {"thinking": {"type": "enabled"}, "top_k": 5},
        },
    )
    await provider.complete(request)
    sent = server.requests[0]
    body = sent.json
    assert body["custom_field"] == [1, 2]
    assert sent.headers["x-trace"] == "abc"
    assert sent.path == "/v1/responses?api-version=2025-01-01"
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert body["temperature"] == 0.2
    assert body["top_p"] == 0.9
    assert body["max_output_tokens"] == 2000, "options win over the request's own value"
    assert body["previous_response_id"] == "resp_prev"
    assert body["store"] is False
    assert body["metadata"] == {"run": "r1"}
    assert body["parallel_tool_calls"] is False
    assert body["include"] == ["reasoning.encrypted_content"]
    assert "thinking" not in body and "top_k" not in body, "other providers' options are ignored"


async def test_bad_options_raise_user_error(provider: OpenAIResponsesProvider) -> None:
    with pytest.raises(UserError, match="extra_body"):
        await provider.complete(ask(options={"openai": {"not_an_api_field": 1}}))
    with pytest.raises(UserError, match="stream"):
        await provider.complete(ask(options={"openai": {"stream": True}}))
    with pytest.raises(UserError, match="extra_headers"):
        await provider.complete(ask(options={"openai": {"extra_headers": {"x": 1}}}))


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "error_type", "retryable"),
    [
        (429, "rate_limit_exceeded", RateLimited, True),
        (429, "insufficient_quota", RateLimited, False),
        (500, None, ProviderUnavailable, True),
        (502, None, ProviderUnavailable, True),
        (503, None, ProviderUnavailable, True),
        (401, "invalid_api_key", AuthenticationFailed, False),
        (403, None, AuthenticationFailed, False),
        (400, "context_length_exceeded", ContextLengthExceeded, False),
        (400, "invalid_value", BadRequest, False),
        (404, "model_not_found", BadRequest, False),
        (422, None, BadRequest, False),
        (409, None, ProviderError, False),
    ],
)
async def test_http_error_mapping(
    server: FakeResponsesServer,
    provider: OpenAIResponsesProvider,
    status: int,
    code: str | None,
    error_type: type[ProviderError],
    retryable: bool,
) -> None:
    server.add(api_error(status, f"API says no (key {API_KEY})", code=code))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(ask())
    error = caught.value
    assert type(error) is error_type
    assert error.retryable is retryable
    assert error.status_code == status
    assert error.provider == "openai"
    assert "API says no" in str(error)
    assert API_KEY not in str(error) and "SECRET" not in str(error)
    if code:
        assert code in str(error)


async def test_http_error_when_stream_starts(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    server.add(api_error(429, "slow down", code="rate_limit_exceeded"))
    with pytest.raises(RateLimited, match="slow down"):
        await collect(provider.stream(ask()))


async def test_connection_refused_is_unavailable() -> None:
    with FakeResponsesServer() as fake:
        base_url = fake.base_url
    provider = OpenAIResponsesProvider(model="gpt-5.5", base_url=base_url, api_key=API_KEY)
    with pytest.raises(ProviderUnavailable, match="could not reach"):
        await provider.complete(ask())


async def test_timeout_is_unavailable(server: FakeResponsesServer) -> None:
    server.add(JsonReply(text_response("late"), delay=3))
    provider = OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key=API_KEY, timeout=0.3)
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await asyncio.wait_for(provider.complete(ask()), 5)


# -- stream() -------------------------------------------------------------------------


async def test_stream_text_deltas(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    script = EventScript().created().text(["Recursion ", "is a function ", "calling itself."]).completed()
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask("Explain recursion in one sentence.")))

    assert events[:3] == [TextDelta("Recursion "), TextDelta("is a function "), TextDelta("calling itself.")]
    assert len(events) == 4
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert last.response.text == "Recursion is a function calling itself."
    assert last.response.finish_reason == "stop"
    assert last.response.usage.requests == 1
    assert server.bodies[0]["stream"] is True


async def test_stream_tool_call_done_exactly_once(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    script = (
        EventScript()
        .created()
        .function_call("call_a", "lookup", ['{"order_', 'id": "1', '23"}'], item_id="fc_a")
        .function_call("call_b", "lookup", ['{"order_id": "456"}'], item_id="fc_b")
        .completed()
    )
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask(tools=[LOOKUP])))

    done = [event for event in events if isinstance(event, ToolCallDone)]
    assert done == [
        ToolCallDone(ToolCallPart("call_a", "lookup", '{"order_id": "123"}')),
        ToolCallDone(ToolCallPart("call_b", "lookup", '{"order_id": "456"}')),
    ]
    assert [e for e in events if isinstance(e, ToolCallStarted)] == [
        ToolCallStarted("call_a", "lookup"),
        ToolCallStarted("call_b", "lookup"),
    ]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert {d.call_id for d in deltas} == {"call_a", "call_b"}, "deltas carry call_id, not the item id"
    assert "".join(d.delta for d in deltas if d.call_id == "call_a") == '{"order_id": "123"}'
    assert events.index(done[0]) > events.index(ToolCallStarted("call_a", "lookup"))
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert last.response.finish_reason == "tool_calls"
    assert last.response.tool_calls == tuple(d.call for d in done)


async def test_stream_tool_call_done_from_completed_response_only(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    """A compatible server that sends no output_item.done still yields one ToolCallDone."""
    script = EventScript().created()
    script.add(
        "response.output_item.added",
        output_index=0,
        item=function_call_item("call_x", "lookup", "", id="fc_x", status="in_progress"),
    )
    script.add("response.function_call_arguments.delta", item_id="fc_x", output_index=0, delta="{}")
    script.completed(output=[function_call_item("call_x", "lookup", "{}", id="fc_x")])
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask(tools=[LOOKUP])))
    assert [e for e in events if isinstance(e, ToolCallDone)] == [ToolCallDone(ToolCallPart("call_x", "lookup", "{}"))]
    assert isinstance(events[-1], ResponseCompleted)


async def test_stream_reasoning_then_text(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    script = (
        EventScript()
        .created()
        .reasoning(["Thinking about orders."])
        .text(["Hi"])
        .completed(usage=usage_payload(50, 20, cached=10, reasoning=12))
    )
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask()))
    assert events[:2] == [ReasoningDelta("Thinking about orders."), TextDelta("Hi")]
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert isinstance(last.response.parts[0], ReasoningPart)
    assert last.response.parts[0].summary == "Thinking about orders."
    assert last.response.usage == Usage(50, 20, 10, 12, 1)


async def test_stream_incomplete(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    script = EventScript().created().text(["cut sh"]).incomplete("max_output_tokens")
    server.add(SseReply(script.events))
    events = await collect(provider.stream(ask()))
    last = events[-1]
    assert isinstance(last, ResponseCompleted)
    assert last.response.finish_reason == "length"
    assert last.response.text == "cut sh"


async def test_stream_failed_event(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    script = EventScript().created().failed("server_error", "The model crashed.")
    server.add(SseReply(script.events))
    with pytest.raises(ProviderUnavailable, match="The model crashed."):
        await collect(provider.stream(ask()))


async def test_stream_error_event(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    script = EventScript().created().error("rate_limit_exceeded", "Too many tokens per minute.")
    server.add(SseReply(script.events))
    with pytest.raises(RateLimited, match="Too many tokens"):
        await collect(provider.stream(ask()))


async def test_truncated_stream_is_interrupted_quickly(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    script = EventScript().created().text(["Hel", "lo"])
    server.add(SseReply(script.events[:-3]))  # ends cleanly, without the rest or response.completed
    seen: list[ModelStreamEvent] = []

    async def run() -> None:
        async with aclosing(provider.stream(ask())) as stream:
            async for event in stream:
                seen.append(event)

    with pytest.raises(StreamInterrupted, match=r"stream ended before response\.completed"):
        await asyncio.wait_for(run(), 5)
    assert seen == [TextDelta("Hel"), TextDelta("lo")]
    assert len(server.requests) == 1, "no silent retry"


async def test_connection_dropped_mid_stream(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    script = EventScript().created().text(["Hel", "lo"])
    server.add(SseReply(script.events[:5], end="abort"))
    with pytest.raises(StreamInterrupted, match=r"stream broke before response\.completed"):
        await asyncio.wait_for(collect(provider.stream(ask())), 5)
    assert len(server.requests) == 1


async def test_connection_dropped_before_any_output_is_retryable(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    script = EventScript().created()
    server.add(SseReply(script.events, end="abort"))
    with pytest.raises(ProviderUnavailable) as caught:
        await asyncio.wait_for(collect(provider.stream(ask())), 5)
    assert caught.value.retryable


async def test_stream_event_that_is_not_json(server: FakeResponsesServer, provider: OpenAIResponsesProvider) -> None:
    script = EventScript().created()
    server.add(SseReply([*script.events, "{not json"]))
    with pytest.raises(StreamInterrupted, match="cannot read"):
        await asyncio.wait_for(collect(provider.stream(ask())), 5)


async def test_cancelling_mid_stream_closes_the_connection(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    script = EventScript().created().text(["Hel", "lo"])
    server.add(SseReply(script.events[:5], end="stall"))
    first_delta = asyncio.Event()

    async def consume() -> None:
        async for event in provider.stream(ask()):
            if isinstance(event, TextDelta):
                first_delta.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_delta.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(server.disconnected.wait, 5), "the server never saw the disconnect"


async def test_breaking_out_early_closes_the_connection(
    server: FakeResponsesServer, provider: OpenAIResponsesProvider
) -> None:
    script = EventScript().created().text(["Hel", "lo"])
    server.add(SseReply(script.events[:5], end="stall"))
    async with aclosing(provider.stream(ask())) as stream:
        async for event in stream:
            assert event == TextDelta("Hel")
            break
    assert await asyncio.to_thread(server.disconnected.wait, 5)


# -- capabilities -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "context_window", "max_output"),
    [
        ("gpt-5.5", 1_050_000, 128_000),
        ("gpt-5", 400_000, 128_000),
        ("gpt-5.1", 400_000, 128_000),
        ("gpt-5-mini-2025-08-07", 400_000, 128_000),
        ("gpt-4.1-nano", 1_047_576, 32_768),
        ("gpt-4o-mini", 128_000, 16_384),
        ("o3-mini", 200_000, 100_000),
        ("o4-mini", 200_000, 100_000),
        ("openai/gpt-4o", 128_000, 16_384),
    ],
)
def test_capabilities_known(model: str, context_window: int, max_output: int) -> None:
    capabilities = OpenAIResponsesProvider(model=model, api_key=API_KEY).capabilities()
    assert (capabilities.context_window, capabilities.max_output_tokens) == (context_window, max_output)
    assert capabilities.streaming and capabilities.tools and capabilities.structured_output


def test_capabilities_unknown_model_is_conservative() -> None:
    capabilities = OpenAIResponsesProvider(model="my-local-llama", base_url="http://127.0.0.1:1/v1").capabilities()
    assert capabilities.context_window <= 32_768
    assert capabilities.max_output_tokens <= 4_096


def test_capabilities_override_wins() -> None:
    mine = Capabilities(context_window=8_192, max_output_tokens=1_024, tools=False)
    assert OpenAIResponsesProvider(model="gpt-5.5", api_key=API_KEY, capabilities=mine).capabilities() is mine
