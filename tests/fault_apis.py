"""The three model APIs, as the fault tests script them: one adapter per fake server.

Each `Api` starts its fake server (`openai_server`, `chat_server`,
`anthropic_server`), builds the provider on it, and makes the replies the
fault tests need: a text answer or a tool call, whole or streamed, a stream cut
short before its completion event, an HTTP error with headers. What a request
carried (its tools, whether it holds a tool result) is read back the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anthropic_server
import chat_server
import openai_server
from openai_server import FakeResponsesServer, JsonReply, SseReply

from runlet.core.models import Provider
from runlet.providers import AnthropicProvider, OpenAIChatCompletionsProvider, OpenAIResponsesProvider

JsonDict = dict[str, Any]
Events = list[JsonDict | str]


@dataclass(frozen=True)
class Api:
    """One model API: its fake server, its provider, and the replies the tests send."""

    name: str
    options_key: str
    server: Callable[[], FakeResponsesServer]
    provider: Callable[[FakeResponsesServer], Provider]
    text: Callable[[str], JsonReply]
    call: Callable[[str, str, str], JsonReply]
    """A tool call: call id, tool name, JSON arguments."""
    stream_text: Callable[[Sequence[str], bool], Events]
    """Text chunks as a stream; with `False`, cut before the completion event."""
    stream_call: Callable[[str, str, str, bool], Events]
    """A tool call as a stream (call id, tool name, JSON arguments); with `False`, cut before the completion event."""
    error: Callable[[int, str], JsonReply]
    tools: Callable[[JsonDict], list[JsonDict]]
    """The tools a request body offered."""
    answered: Callable[[JsonDict], bool]
    """Whether a request body holds a tool result (the model has had its tool round)."""
    garbage: str = "{not json"
    """A stream event that is not JSON, as the API would name it."""

    def with_headers(self, reply: JsonReply, headers: Mapping[str, str]) -> JsonReply:
        return JsonReply(reply.body, reply.status, reply.delay, headers)

    def sse(self, events: Events, end: str = "close") -> SseReply:
        return SseReply(events, end=end)  # type: ignore[arg-type]


# -- OpenAI Responses -----------------------------------------------------------------


def _responses_stream_text(chunks: Sequence[str], complete: bool) -> Events:
    script = openai_server.EventScript().created().text(chunks)
    return list((script.completed() if complete else script).events)


def _responses_stream_call(call_id: str, name: str, arguments: str, complete: bool) -> Events:
    script = openai_server.EventScript().created().function_call(call_id, name, [arguments[:5], arguments[5:]])
    return list((script.completed() if complete else script).events)


RESPONSES = Api(
    name="responses",
    options_key="openai",
    server=openai_server.FakeResponsesServer,
    provider=lambda server: OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key="sk-test-faults-0000"),
    text=lambda text: JsonReply(openai_server.text_response(text)),
    call=lambda call_id, name, arguments: JsonReply(
        openai_server.response_payload([openai_server.function_call_item(call_id, name, arguments)])
    ),
    stream_text=_responses_stream_text,
    stream_call=_responses_stream_call,
    error=lambda status, message: openai_server.api_error(status, message, code="rate_limit_exceeded" if status == 429 else None),
    tools=lambda body: list(body.get("tools", [])),
    answered=lambda body: any(item.get("type") == "function_call_output" for item in body["input"]),
)


# -- Chat Completions ------------------------------------------------------------------


def _chat_stream_text(chunks: Sequence[str], complete: bool) -> Events:
    script = chat_server.ChunkScript().role().text(chunks)
    return list(script.finish("stop").usage().done()) if complete else list(script.events)


def _chat_stream_call(call_id: str, name: str, arguments: str, complete: bool) -> Events:
    script = chat_server.ChunkScript().role().tool_call(0, call_id, name, [arguments[:5], arguments[5:]])
    return list(script.finish("tool_calls").usage().done()) if complete else list(script.events)


CHAT = Api(
    name="chat",
    options_key="openai",
    server=chat_server.FakeChatServer,
    provider=lambda server: OpenAIChatCompletionsProvider(model="local-model", base_url=server.base_url),
    text=lambda text: JsonReply(chat_server.completion(text)),
    call=lambda call_id, name, arguments: JsonReply(
        chat_server.completion(None, tool_calls=[chat_server.tool_call(call_id, name, arguments)], finish_reason="tool_calls")
    ),
    stream_text=_chat_stream_text,
    stream_call=_chat_stream_call,
    error=lambda status, message: chat_server.chat_error(status, message),
    tools=lambda body: list(body.get("tools", [])),
    answered=lambda body: any(message["role"] == "tool" for message in body["messages"]),
)


# -- Anthropic Messages ----------------------------------------------------------------


def _anthropic_stream_text(chunks: Sequence[str], complete: bool) -> Events:
    script = anthropic_server.EventScript().start().text(chunks)
    return list((script.stop() if complete else script).events)


def _anthropic_stream_call(call_id: str, name: str, arguments: str, complete: bool) -> Events:
    script = anthropic_server.EventScript().start().tool_use(call_id, name, [arguments[:5], arguments[5:]])
    return list((script.stop("tool_use") if complete else script).events)


def _anthropic_answered(body: JsonDict) -> bool:
    return any(
        isinstance(block, dict) and block.get("type") == "tool_result"
        for message in body["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
    )


ANTHROPIC = Api(
    name="anthropic",
    options_key="anthropic",
    server=anthropic_server.FakeAnthropicServer,
    provider=lambda server: AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key="sk-ant-test-faults"),
    text=lambda text: JsonReply(anthropic_server.message([anthropic_server.text_block(text)])),
    call=lambda call_id, name, arguments: JsonReply(
        anthropic_server.message([anthropic_server.tool_use_block(call_id, name, json.loads(arguments))], stop_reason="tool_use")
    ),
    stream_text=_anthropic_stream_text,
    stream_call=_anthropic_stream_call,
    error=lambda status, message: anthropic_server.error_reply(
        status, "rate_limit_error" if status == 429 else "api_error", message
    ),
    tools=lambda body: list(body.get("tools", [])),
    answered=_anthropic_answered,
    garbage="{not json\nevent: content_block_delta",  # the SDK reads only named events
)

APIS = (RESPONSES, CHAT, ANTHROPIC)
