"""A Chat-Completions-compatible fake server for tests, on the standard library.

It is `openai_server.FakeResponsesServer` (same replies, recording, stalls and
drops) with two additions: every request body is checked against the SDK's own
request TypedDicts (`check_params`: unknown keys, missing required keys and
wrong types are errors, and the request gets a 400), and the payloads built here
(`completion`, `ChunkScript`) are validated against `openai.types.chat`'s
`ChatCompletion` / `ChatCompletionChunk` in strict mode with no unknown fields.

Streams are sent as the API sends them: `data: <chunk>` lines (no `event:`
line), ending with `data: [DONE]`.

`check_params` is generic (TypedDicts, unions, literals, lists, mappings) and is
used by `anthropic_server` too.
"""

from __future__ import annotations

import collections.abc
import json
import types
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.completion_create_params import (
    CompletionCreateParamsNonStreaming,
    CompletionCreateParamsStreaming,
)
from openai_server import FakeResponsesServer, JsonReply, RecordedRequest, Reply, _no_extra_fields
from pydantic import TypeAdapter
from typing_extensions import NotRequired, ReadOnly, Required, is_typeddict

JsonDict = dict[str, Any]

# -- request validation ---------------------------------------------------------------


def check_params(value: object, tp: object, path: str = "body") -> None:
    """Assert that `value` (decoded JSON) fits the annotation `tp` of an SDK request type."""
    origin = get_origin(tp)
    args = get_args(tp)
    if tp is Any or tp is object:
        return
    if origin in (Required, NotRequired, ReadOnly) or getattr(origin, "__name__", "") == "Annotated":
        check_params(value, args[0], path)
        return
    if is_typeddict(tp):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        hints = get_type_hints(tp, include_extras=True)
        unknown = set(value) - set(hints)
        assert not unknown, f"{path}: keys {getattr(tp, '__name__', tp)} does not have: {sorted(unknown)}"
        # The SDK's modules use `from __future__ import annotations`, so the class's own
        # __required_keys__ cannot see `Required[...]`: decide from the resolved hints.
        # Each class's own totality is in __required_keys__; Required/NotRequired are in the hints.
        by_total = set(getattr(tp, "__required_keys__", ()))
        required = {
            key
            for key, hint in hints.items()
            if get_origin(hint) is Required or (key in by_total and get_origin(hint) is not NotRequired)
        }
        missing = required - set(value)
        assert not missing, f"{path}: required keys missing: {sorted(missing)}"
        for key, item in value.items():
            check_params(item, hints[key], f"{path}.{key}")
        return
    if origin is Union or origin is types.UnionType:
        errors: list[str] = []
        for option in args:
            try:
                check_params(value, option, path)
            except AssertionError as error:
                errors.append(str(error))
            else:
                return
        raise AssertionError(f"{path}: fits none of the union's members:\n  " + "\n  ".join(errors))
    if origin is Literal:
        assert value in args, f"{path}: {value!r} is not one of {args}"
        return
    if origin in (list, collections.abc.Iterable, collections.abc.Sequence) or (
        origin is not None and getattr(origin, "__name__", "") == "SequenceNotStr"
    ):
        assert isinstance(value, list), f"{path}: expected a list, got {value!r}"
        for index, item in enumerate(value):
            check_params(item, args[0] if args else Any, f"{path}[{index}]")
        return
    if origin in (dict, collections.abc.Mapping):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        for key, item in value.items():
            assert isinstance(key, str), f"{path}: key {key!r} is not a string"
            check_params(item, args[1] if args else Any, f"{path}.{key}")
        return
    if tp is type(None) or tp is None:
        assert value is None, f"{path}: expected null, got {value!r}"
        return
    if tp is bool:
        assert isinstance(value, bool), f"{path}: expected a boolean, got {value!r}"
        return
    if tp is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer, got {value!r}"
        return
    if tp is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected a number"
        return
    if tp is str:
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"
        return
    raise AssertionError(f"{path}: check_params does not know the annotation {tp!r}")


def check_chat_request(body: object, extensions: collections.abc.Set[str] = frozenset()) -> None:
    """Assert that a request body fits the SDK's `chat.completions.create()` parameters.

    Top-level keys in `extensions` (server extensions sent through `extra_body`) are not checked.
    """
    assert isinstance(body, dict), body
    kind = CompletionCreateParamsStreaming if body.get("stream") else CompletionCreateParamsNonStreaming
    check_params({k: v for k, v in body.items() if k not in extensions}, kind)


# -- response validation --------------------------------------------------------------

_COMPLETION = TypeAdapter(ChatCompletion)
_CHUNK = TypeAdapter(ChatCompletionChunk)


def check_completion(payload: JsonDict) -> JsonDict:
    _no_extra_fields(_COMPLETION.validate_python(payload, strict=True), "completion")
    return payload


def check_chunk(payload: JsonDict) -> JsonDict:
    _no_extra_fields(_CHUNK.validate_python(payload, strict=True), "chunk")
    return payload


# -- payload builders -------------------------------------------------------------------


def chat_usage(prompt: int = 10, completion_tokens: int = 5, *, cached: int = 0, reasoning: int = 0) -> JsonDict:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def tool_call(call_id: str, name: str, arguments: str) -> JsonDict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def completion(
    content: str | None = None,
    *,
    tool_calls: Sequence[JsonDict] = (),
    refusal: str | None = None,
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"] = "stop",
    usage: JsonDict | None = None,
    no_usage: bool = False,
    id: str = "chatcmpl-1",
    model: str = "local-model",
    extra_message_fields: Mapping[str, object] | None = None,
) -> JsonDict:
    """A `chat.completion` with one choice (validated; `extra_message_fields` are added after)."""
    message: JsonDict = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_calls:
        message["tool_calls"] = list(tool_calls)
    payload: JsonDict = {
        "id": id,
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
    }
    if not no_usage:
        payload["usage"] = usage if usage is not None else chat_usage()
    check_completion(payload)
    if extra_message_fields:
        message.update(extra_message_fields)  # fields the SDK types do not know (server extensions)
    return payload


class ChunkScript:
    """Builds a realistic `chat.completion.chunk` stream; `events` are the `data:` payloads."""

    def __init__(self, *, id: str = "chatcmpl-1", model: str = "local-model") -> None:
        self.id = id
        self.model = model
        self.events: list[str] = []

    def chunk(self, choices: Sequence[JsonDict], *, usage: JsonDict | None = None, **extra: object) -> ChunkScript:
        payload: JsonDict = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": self.model,
            "choices": list(choices),
        }
        if usage is not None:
            payload["usage"] = usage
        check_chunk(payload)
        payload.update(extra)
        self.events.append(json.dumps(payload))
        return self

    def delta(self, delta: JsonDict, *, finish_reason: str | None = None, usage: JsonDict | None = None) -> ChunkScript:
        return self.chunk([{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}], usage=usage)

    def role(self) -> ChunkScript:
        return self.delta({"role": "assistant", "content": ""})

    def text(self, chunks: Sequence[str]) -> ChunkScript:
        for chunk in chunks:
            self.delta({"content": chunk})
        return self

    def tool_call(self, index: int, call_id: str | None, name: str, chunks: Sequence[str]) -> ChunkScript:
        """The first delta of `index` brings the id and name, the next ones argument text."""
        first: JsonDict = {"index": index, "type": "function", "function": {"name": name, "arguments": ""}}
        if call_id is not None:
            first["id"] = call_id
        self.delta({"tool_calls": [first]})
        for chunk in chunks:
            self.delta({"tool_calls": [{"index": index, "function": {"arguments": chunk}}]})
        return self

    def finish(self, reason: str = "stop", *, usage: JsonDict | None = None) -> ChunkScript:
        return self.delta({}, finish_reason=reason, usage=usage)

    def usage(self, usage: JsonDict | None = None) -> ChunkScript:
        """The usage-only chunk sent last with `stream_options.include_usage` (no choices)."""
        return self.chunk([], usage=usage if usage is not None else chat_usage())

    def done(self) -> list[str]:
        return [*self.events, "[DONE]"]


def chat_error(status: int, message: str, *, code: str | None = None, type: str = "invalid_request_error") -> JsonReply:
    """An error body shaped like OpenAI's (vLLM and most gateways send the same shape)."""
    return JsonReply({"error": {"message": message, "type": type, "param": None, "code": code}}, status=status)


# -- the server --------------------------------------------------------------------------


class FakeChatServer(FakeResponsesServer):
    """Serves `POST /v1/chat/completions`; bodies that do not fit the SDK's types get a 400."""

    def __init__(self, *, stall_limit: float = 15.0) -> None:
        super().__init__(stall_limit=stall_limit)
        self.invalid: list[str] = []
        self.extensions: set[str] = set()
        """Top-level request keys the server accepts beyond the SDK's (like vLLM's `top_k`)."""

    def take_reply(self, request: RecordedRequest) -> Reply | None:
        problem = None
        if not request.path.startswith("/v1/chat/completions"):
            problem = f"unexpected path {request.path}"
        else:
            try:
                check_chat_request(request.body, self.extensions)
            except AssertionError as error:
                problem = str(error)
        if problem is not None:
            self.invalid.append(problem)
            self.requests.append(request)
            return chat_error(400, f"fake server: invalid request: {problem}")
        return super().take_reply(request)
