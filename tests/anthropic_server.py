"""A Messages-API-compatible fake server for tests, on the standard library.

It is `openai_server.FakeResponsesServer` (same replies, recording, stalls and
drops) serving `POST /v1/messages`. Every request body is checked against the
SDK's own `MessageCreateParams` TypedDicts (`chat_server.check_params`); a body
that does not fit gets a 400 and is listed in `invalid`. Every message and
stream event built here is validated against `anthropic.types.Message` /
`RawMessageStreamEvent` in strict mode with no unknown fields.

Streams are sent as the API sends them: `event: <type>` and `data: <json>` lines.
"""

from __future__ import annotations

import collections.abc
from collections.abc import Sequence
from typing import Any, Literal

from anthropic.types import Message, RawMessageStreamEvent
from anthropic.types.message_create_params import (
    MessageCreateParamsNonStreaming,
    MessageCreateParamsStreaming,
)
from chat_server import check_params
from openai_server import FakeResponsesServer, JsonReply, RecordedRequest, Reply, _no_extra_fields
from pydantic import TypeAdapter

JsonDict = dict[str, Any]

_MESSAGE = TypeAdapter(Message)
_EVENT: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)

StopReason = Literal["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal", "model_context_window_exceeded"]


def check_messages_request(body: object, extensions: collections.abc.Set[str] = frozenset()) -> None:
    """Assert that a request body fits the SDK's `messages.create()` parameters."""
    assert isinstance(body, dict), body
    kind = MessageCreateParamsStreaming if body.get("stream") else MessageCreateParamsNonStreaming
    check_params({k: v for k, v in body.items() if k not in extensions}, kind)


def check_message(payload: JsonDict) -> JsonDict:
    _no_extra_fields(_MESSAGE.validate_python(payload, strict=True), "message")
    return payload


def check_event(payload: JsonDict) -> JsonDict:
    event = _EVENT.validate_python(payload, strict=True)
    assert event.type == payload["type"]
    _no_extra_fields(event, str(payload["type"]))
    return payload


# -- payload builders ---------------------------------------------------------------------


def usage(input_tokens: int = 10, output_tokens: int = 5, *, cache_read: int = 0, cache_write: int = 0) -> JsonDict:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
    }


def text_block(text: str) -> JsonDict:
    return {"type": "text", "text": text}


def tool_use_block(id: str, name: str, input: JsonDict) -> JsonDict:
    return {"type": "tool_use", "id": id, "name": name, "input": input}


def thinking_block(thinking: str, signature: str) -> JsonDict:
    return {"type": "thinking", "thinking": thinking, "signature": signature}


def message(
    content: Sequence[JsonDict],
    *,
    stop_reason: StopReason | None = "end_turn",
    usage_: JsonDict | None = None,
    id: str = "msg_01",
    model: str = "claude-sonnet-4-6",
) -> JsonDict:
    payload: JsonDict = {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(content),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage_ if usage_ is not None else usage(),
    }
    return check_message(payload)


def error_reply(status: int, type: str, message: str) -> JsonReply:
    """An error body shaped like Anthropic's."""
    return JsonReply(
        {"type": "error", "error": {"type": type, "message": message}, "request_id": "req_test"}, status=status
    )


class EventScript:
    """Builds a realistic Messages stream: message_start, blocks, message_delta, message_stop."""

    def __init__(self, *, id: str = "msg_01", model: str = "claude-sonnet-4-6") -> None:
        self.id = id
        self.model = model
        self.events: list[JsonDict] = []
        self.index = 0

    def add(self, type: str, **fields: object) -> EventScript:
        self.events.append(check_event({"type": type, **fields}))
        return self

    def start(self, *, input_tokens: int = 10, cache_read: int = 0, cache_write: int = 0) -> EventScript:
        start = message([], stop_reason=None, usage_=usage(input_tokens, 1, cache_read=cache_read, cache_write=cache_write), id=self.id, model=self.model)
        self.add("message_start", message=start)
        self.events.append({"type": "ping"})
        return self

    def _block(self, start: JsonDict, deltas: Sequence[JsonDict]) -> EventScript:
        index = self.index
        self.add("content_block_start", index=index, content_block=start)
        for delta in deltas:
            self.add("content_block_delta", index=index, delta=delta)
        self.add("content_block_stop", index=index)
        self.index += 1
        return self

    def text(self, chunks: Sequence[str]) -> EventScript:
        return self._block(text_block(""), [{"type": "text_delta", "text": chunk} for chunk in chunks])

    def thinking(self, chunks: Sequence[str], signature: str) -> EventScript:
        deltas: list[JsonDict] = [{"type": "thinking_delta", "thinking": chunk} for chunk in chunks]
        deltas.append({"type": "signature_delta", "signature": signature})
        return self._block(thinking_block("", ""), deltas)

    def tool_use(self, id: str, name: str, chunks: Sequence[str]) -> EventScript:
        return self._block(
            tool_use_block(id, name, {}), [{"type": "input_json_delta", "partial_json": chunk} for chunk in chunks]
        )

    def stop(self, stop_reason: StopReason = "end_turn", *, output_tokens: int = 5, cache_read: int | None = None) -> EventScript:
        delta_usage: JsonDict = {"output_tokens": output_tokens}
        if cache_read is not None:
            delta_usage["cache_read_input_tokens"] = cache_read
        self.add("message_delta", delta={"stop_reason": stop_reason, "stop_sequence": None}, usage=delta_usage)
        return self.add("message_stop")

    def error(self, type: str, message: str) -> EventScript:
        self.events.append({"type": "error", "error": {"type": type, "message": message}})
        return self


# -- the server ----------------------------------------------------------------------------


class FakeAnthropicServer(FakeResponsesServer):
    """Serves `POST /v1/messages`; bodies that do not fit the SDK's types get a 400."""

    def __init__(self, *, stall_limit: float = 15.0) -> None:
        super().__init__(stall_limit=stall_limit)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.invalid: list[str] = []
        self.extensions: set[str] = set()
        """Top-level request keys accepted beyond the SDK's (sent through `extra_body`)."""

    def take_reply(self, request: RecordedRequest) -> Reply | None:
        problem = None
        if not request.path.startswith("/v1/messages"):
            problem = f"unexpected path {request.path}"
        else:
            try:
                check_messages_request(request.body, self.extensions)
            except AssertionError as error:
                problem = str(error)
        if problem is not None:
            self.invalid.append(problem)
            self.requests.append(request)
            return error_reply(400, "invalid_request_error", f"fake server: invalid request: {problem}")
        return super().take_reply(request)
