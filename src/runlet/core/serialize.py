"""The JSON codec: messages, usage, run states and checkpoints to JSON and back, exactly.

Every stored or sent form of a run goes through this module: sessions (one
message per row or key), `RunState` (what a durable engine or a checkpoint
keeps between steps) and `Checkpoint` (a run state and the requests waiting
for a human). Each document carries its format and version; reading a newer
version raises `UnsupportedStateVersion`, reading anything malformed raises
`StateFormatError` naming the field.

One message is a JSON object:

    {"role": "assistant", "parts": [
        {"kind": "text", "text": "Let me look."},
        {"kind": "tool_call", "call_id": "c1", "name": "lookup", "arguments": "{\\"id\\": 1}"},
        {"kind": "reasoning", "provider": "openai", "data": {...}, "summary": ""},
        {"kind": "hosted_tool", "provider": "openai", "name": "web_search", "call_id": "ws_1",
         "data": {...}, "result": false, "detail": "weather in Paris"}]}
    {"role": "tool", "parts": [
        {"kind": "tool_result", "call_id": "c1", "name": "lookup", "content": "ok", "is_error": false}]}
    {"role": "user", "parts": [
        {"kind": "text", "text": "What is on this invoice?"},
        {"kind": "image", "media_type": "image/png", "data": "iVBORw0KGgo...", "url": null, "detail": "auto"},
        {"kind": "document", "media_type": "application/pdf", "data": null, "url": "https://...", "filename": ""},
        {"kind": "audio", "media_type": "audio/wav", "data": "UklGR...", "url": null}]}

Media bytes are written as base64 (a third larger than the bytes); a tool
result that returned media has a `"media"` array of such parts, and no
`"media"` key when it returned none, so what Runlet 0.3 wrote reads the same.

A list of messages saved on its own (`dumps_messages`) is wrapped in an
envelope with a format version: `{"format": "runlet.messages", "version": 1,
"messages": [...]}`. Reading a newer version raises `UnsupportedStateVersion`.

Round trips are exact: `message_from_json(message_to_json(m)) == m`, with
one caveat for `ReasoningPart.data`, which is JSON: arrays come back as
lists and objects as dicts whatever sequence or mapping type went in. NaN
and infinities are not JSON and are refused (`ValueError`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from typing_extensions import assert_never

from runlet.core.hosted import HOSTED_TOOLS, HostedTool
from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImageDetail,
    ImagePart,
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from runlet.core.models import FinishReason, ModelRequest, ModelResponse, ModelSettings, OutputSchema, ToolDefinition, Usage, UseTool
from runlet.core.run_state import RunState
from runlet.core.state import StateFormatError, UnsupportedStateVersion

if TYPE_CHECKING:
    from runlet.core.human import Checkpoint, HumanRequest, HumanResponse

__all__ = [
    "CHECKPOINT_VERSION",
    "FORMAT_VERSION",
    "RUN_STATE_VERSION",
    "checkpoint_from_json",
    "checkpoint_to_json",
    "dumps_message",
    "dumps_messages",
    "loads_message",
    "loads_messages",
    "message_from_json",
    "message_to_json",
    "messages_from_json",
    "messages_to_json",
    "run_state_from_json",
    "run_state_to_json",
    "usage_from_json",
    "usage_to_json",
]

FORMAT_VERSION = 1
"""The version of the message format this Runlet writes (and the newest it reads)."""

_ROLES: frozenset[str] = frozenset(("system", "user", "assistant", "tool"))


def message_to_json(message: Message) -> dict[str, JsonValue]:
    """The message as a JSON object (dicts, lists, strings, numbers, booleans)."""
    return {"role": message.role, "parts": [_part_to_json(part) for part in message.parts]}


def _part_to_json(part: Part) -> dict[str, JsonValue]:
    match part:
        case TextPart():
            return {"kind": "text", "text": part.text}
        case ToolCallPart():
            return {"kind": "tool_call", "call_id": part.call_id, "name": part.name, "arguments": part.arguments}
        case ToolResultPart():
            result: dict[str, JsonValue] = {
                "kind": "tool_result",
                "call_id": part.call_id,
                "name": part.name,
                "content": part.content,
                "is_error": part.is_error,
            }
            if part.media:
                result["media"] = [_media_to_json(m) for m in part.media]
            return result
        case ReasoningPart():
            return {"kind": "reasoning", "provider": part.provider, "data": part.data, "summary": part.summary}
        case HostedToolPart():
            return {
                "kind": "hosted_tool",
                "provider": part.provider,
                "name": part.name,
                "call_id": part.call_id,
                "data": part.data,
                "result": part.result,
                "detail": part.detail,
            }
        case ImagePart() | AudioPart() | DocumentPart():
            return _media_to_json(part)
        case _:
            assert_never(part)


def _media_to_json(part: MediaPart) -> dict[str, JsonValue]:
    data = base64.b64encode(part.data).decode("ascii") if part.data is not None else None
    obj: dict[str, JsonValue] = {"kind": part.kind, "media_type": part.media_type, "data": data, "url": part.url}
    match part:
        case ImagePart():
            obj["detail"] = part.detail
        case DocumentPart():
            obj["filename"] = part.filename
        case AudioPart():
            pass
        case _:
            assert_never(part)
    return obj


def message_from_json(value: object) -> Message:
    """A message from its JSON object; `StateFormatError` says what is wrong when it is not one."""
    if not isinstance(value, dict):
        raise StateFormatError(f"a message must be a JSON object, not {_kind(value)}")
    obj = cast("dict[str, object]", value)
    role = obj.get("role")
    if not isinstance(role, str) or role not in _ROLES:
        raise StateFormatError(f"a message's role must be one of system, user, assistant, tool; got {role!r}")
    parts = obj.get("parts")
    if not isinstance(parts, list):
        raise StateFormatError(f"a message's parts must be a JSON array, not {_kind(parts)}")
    if len(obj) != 2:
        raise StateFormatError(f"unknown message fields: {sorted(k for k in obj if k not in ('role', 'parts'))}")
    return Message(cast(Role, role), tuple(_part_from_json(part) for part in cast("list[object]", parts)))


def _part_from_json(value: object) -> Part:
    if not isinstance(value, dict):
        raise StateFormatError(f"a message part must be a JSON object, not {_kind(value)}")
    obj = cast("dict[str, object]", value)
    kind = obj.get("kind")
    if kind == "text":
        _fields(obj, ("kind", "text"))
        return TextPart(_str(obj, "text"))
    if kind == "tool_call":
        _fields(obj, ("kind", "call_id", "name", "arguments"))
        return ToolCallPart(_str(obj, "call_id"), _str(obj, "name"), _str(obj, "arguments"))
    if kind == "tool_result":
        _fields(obj, ("kind", "call_id", "name", "content", "is_error", "media") if "media" in obj else _RESULT)
        is_error = obj["is_error"]
        if not isinstance(is_error, bool):
            raise StateFormatError(f"a tool_result part's is_error must be a boolean, not {_kind(is_error)}")
        media = tuple(_media_from_json(m) for m in _list(obj, "media", "a tool_result part")) if "media" in obj else ()
        return ToolResultPart(_str(obj, "call_id"), _str(obj, "name"), _str(obj, "content"), is_error, media)
    if kind == "hosted_tool":
        _fields(obj, ("kind", "provider", "name", "call_id", "data", "result", "detail"))
        data, result = obj["data"], obj["result"]
        if not isinstance(data, dict):
            raise StateFormatError(f"a hosted_tool part's data must be a JSON object, not {_kind(data)}")
        if not isinstance(result, bool):
            raise StateFormatError(f"a hosted_tool part's result must be a boolean, not {_kind(result)}")
        return HostedToolPart(
            _str(obj, "provider"), _str(obj, "name"), _str(obj, "call_id"), cast(JsonObject, data), result, _str(obj, "detail")
        )
    if kind in ("image", "audio", "document"):
        return _media_from_json(obj)
    if kind == "reasoning":
        _fields(obj, ("kind", "provider", "data", "summary"))
        data = obj["data"]
        if not isinstance(data, dict):
            raise StateFormatError(f"a reasoning part's data must be a JSON object, not {_kind(data)}")
        return ReasoningPart(_str(obj, "provider"), cast(JsonObject, data), _str(obj, "summary"))
    raise StateFormatError(f"unknown message part kind {kind!r}")


_DETAILS: dict[object, ImageDetail] = {"auto": "auto", "low": "low", "high": "high"}
_RESULT = ("kind", "call_id", "name", "content", "is_error")
_MEDIA_FIELDS = {
    "image": ("kind", "media_type", "data", "url", "detail"),
    "audio": ("kind", "media_type", "data", "url"),
    "document": ("kind", "media_type", "data", "url", "filename"),
}


def _media_from_json(value: object) -> MediaPart:
    obj = _object(value, "a media part")
    kind = obj.get("kind")
    names = _MEDIA_FIELDS.get(kind) if isinstance(kind, str) else None
    if names is None:
        raise StateFormatError(f"unknown media part kind {kind!r}")
    _fields(obj, names)
    encoded, url = obj["data"], obj["url"]
    if encoded is not None and not isinstance(encoded, str):
        raise StateFormatError(f"a {kind} part's data must be base64 text or null, not {_kind(encoded)}")
    if url is not None and not isinstance(url, str):
        raise StateFormatError(f"a {kind} part's url must be a string or null, not {_kind(url)}")
    try:
        data = base64.b64decode(encoded, validate=True) if encoded is not None else None
    except binascii.Error as error:
        raise StateFormatError(f"a {kind} part's data is not valid base64: {error}") from None
    media_type = _str(obj, "media_type")
    detail = _DETAILS.get(obj.get("detail", "auto"))
    if detail is None:
        raise StateFormatError(f'an image part\'s detail must be "auto", "low" or "high", not {obj["detail"]!r}')
    try:
        if kind == "image":
            return ImagePart(data, media_type, url, detail)
        if kind == "audio":
            return AudioPart(data, media_type, url)
        return DocumentPart(data, media_type, url, _str(obj, "filename"))
    except ValueError as error:
        raise StateFormatError(f"a stored {kind} part is not valid: {error}") from None


_KEYS: dict[tuple[str, ...], frozenset[str]] = {}


def _fields(obj: dict[str, object], names: tuple[str, ...]) -> None:
    keys = _KEYS.get(names)
    if keys is None:
        keys = _KEYS[names] = frozenset(names)
    if obj.keys() != keys:
        missing = [name for name in names if name not in obj]
        extra = sorted(name for name in obj if name not in names)
        kind = str(obj.get("kind"))
        raise StateFormatError(
            f"{'an' if kind[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {kind} part needs exactly the fields {', '.join(names)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {extra}" if extra else "")
        )


def _str(obj: dict[str, object], name: str) -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise StateFormatError(f"a {obj.get('kind')} part's {name} must be a string, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _default(value: object) -> Any:
    """Any mapping or sequence in `ReasoningPart.data` is written as an object or array."""
    if isinstance(value, Mapping):
        return dict(cast("Mapping[str, object]", value))
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(cast("Sequence[object]", value))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_message(message: Message, *, ensure_ascii: bool = False) -> str:
    """The message as compact JSON text."""
    return json.dumps(
        message_to_json(message),
        ensure_ascii=ensure_ascii,
        allow_nan=False,
        separators=(",", ":"),
        default=_default,
    )


def loads_message(text: str | bytes) -> Message:
    """A message from `dumps_message` text; `StateFormatError` when it is not one."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise StateFormatError(f"a stored message is not valid JSON: {error}") from None
    return message_from_json(value)


def messages_to_json(messages: Sequence[Message]) -> dict[str, JsonValue]:
    """Messages in a versioned envelope: `{"format": "runlet.messages", "version": 1, "messages": [...]}`."""
    return {
        "format": "runlet.messages",
        "version": FORMAT_VERSION,
        "messages": [message_to_json(message) for message in messages],
    }


def messages_from_json(value: object) -> tuple[Message, ...]:
    """Messages from a `messages_to_json` envelope; `UnsupportedStateVersion` for a newer format."""
    if not isinstance(value, dict) or cast("dict[str, object]", value).get("format") != "runlet.messages":
        raise StateFormatError('not a runlet messages document (no "format": "runlet.messages")')
    obj = cast("dict[str, object]", value)
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateFormatError(f"a runlet messages document has an invalid version {version!r}")
    if version > FORMAT_VERSION:
        raise UnsupportedStateVersion("this messages document", found=version, supported=FORMAT_VERSION)
    messages = obj.get("messages")
    if not isinstance(messages, list):
        raise StateFormatError(f"a runlet messages document's messages must be an array, not {_kind(messages)}")
    return tuple(message_from_json(message) for message in cast("list[object]", messages))


def dumps_messages(messages: Sequence[Message], *, indent: int | None = None) -> str:
    """Messages as JSON text in a versioned envelope."""
    return json.dumps(
        messages_to_json(messages), ensure_ascii=False, allow_nan=False, indent=indent, default=_default
    )


def loads_messages(text: str | bytes) -> tuple[Message, ...]:
    """Messages from `dumps_messages` text."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise StateFormatError(f"not valid JSON: {error}") from None
    return messages_from_json(value)


# Usage, run state and checkpoints

RUN_STATE_VERSION = 1
"""The version of the run state format this Runlet writes (and the newest it reads)."""

CHECKPOINT_VERSION = 3
"""The version of the checkpoint format this Runlet writes; versions 1 (Runlet 0.3) and 2 (unsigned) are still read."""

_USAGE_KEYS = ("input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens", "requests")


def usage_to_json(usage: Usage) -> dict[str, JsonValue]:
    """Usage as a JSON object of its five counts."""
    return {key: getattr(usage, key) for key in _USAGE_KEYS}


def usage_from_json(value: object) -> Usage:
    """Usage from `usage_to_json`; `StateFormatError` when it is not that."""
    obj = _object(value, "usage")
    _exact(obj, frozenset(_USAGE_KEYS), "usage")
    return Usage(**{key: _int(obj, key, "usage") for key in _USAGE_KEYS})


def run_state_to_json(state: RunState) -> dict[str, JsonValue]:
    """The run state as one JSON object, `{"format": "runlet.run_state", "version": 1, ...}`.

    The context is written only where it differs from the history and new
    messages (with the instructions in front): after compression, say.
    """
    instructions, context = _context_to_json(state)
    return {
        "format": "runlet.run_state",
        "version": RUN_STATE_VERSION,
        "run_id": state.run_id,
        "agent": state.agent,
        "step": state.step,
        "usage": usage_to_json(state.usage),
        "model_requests": state.model_requests,
        "tool_calls": state.tool_calls,
        "output_retries": state.output_retries,
        "session": state.session,
        "stored_length": state.stored_length,
        "history": [message_to_json(m) for m in state.history],
        "new": [message_to_json(m) for m in state.new],
        "instructions": instructions,
        "context": context,
        "completed": [_part_to_json(r) for r in state.completed],
        "answers": {call_id: [human_response_to_json(a) for a in given] for call_id, given in state.answers.items()},
        "seq": state.seq,
        "spans": state.spans,
        "elapsed": state.elapsed,
    }


_RUN_STATE_KEYS = frozenset(
    (
        "format", "version", "run_id", "agent", "step", "usage", "model_requests", "tool_calls", "output_retries",
        "session", "stored_length", "history", "new", "instructions", "context", "completed", "answers", "seq",
        "spans", "elapsed",
    )
)


def run_state_from_json(value: object) -> RunState:
    """A run state from `run_state_to_json`; `StateFormatError` when it is not one, `UnsupportedStateVersion` when newer."""
    obj = _envelope(value, "runlet.run_state", RUN_STATE_VERSION, "run state")
    _exact(obj, _RUN_STATE_KEYS, "a run state")
    history, new = _messages(obj, "history"), _messages(obj, "new")
    answers = _object(obj["answers"], "a run state's answers")
    return RunState(
        run_id=_string(obj, "run_id"),
        agent=_string(obj, "agent"),
        step=_int(obj, "step"),
        usage=usage_from_json(obj["usage"]),
        model_requests=_int(obj, "model_requests"),
        tool_calls=_int(obj, "tool_calls"),
        output_retries=_int(obj, "output_retries"),
        session=_optional_string(obj, "session"),
        stored_length=_int(obj, "stored_length"),
        history=history,
        new=new,
        context=_context_from_json(obj, history, new),
        completed=tuple(_result_from_json(r) for r in _list(obj, "completed")),
        answers={
            call_id: tuple(human_response_from_json(a) for a in _list(answers, call_id, "an answers entry"))
            for call_id in answers
        },
        seq=_int(obj, "seq"),
        spans=_int(obj, "spans"),
        elapsed=_number(obj, "elapsed"),
    )


def checkpoint_to_json(checkpoint: Checkpoint) -> dict[str, JsonValue]:
    """The checkpoint as one JSON object: `{"format": "runlet.checkpoint", "version": 3, ..., "signature": ...}`."""
    return {**checkpoint_content(checkpoint), "signature": checkpoint.signature}


def checkpoint_content(checkpoint: Checkpoint) -> dict[str, JsonValue]:
    """The checkpoint as `checkpoint_to_json` writes it, but its signature: what the signature covers."""
    return {
        "format": "runlet.checkpoint",
        "version": CHECKPOINT_VERSION,
        "id": checkpoint.id,
        "created_at": checkpoint.created_at,
        "state": run_state_to_json(checkpoint.state),
        "requests": [human_request_to_json(r) for r in checkpoint.requests],
    }


def canonical_json(value: JsonValue) -> bytes:
    """One byte string per JSON value, whatever the order of its keys: sorted keys, no spaces, ASCII escapes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=_default
    ).encode("ascii")


def checkpoint_from_json(value: object) -> Checkpoint:
    """A checkpoint from `checkpoint_to_json` (versions 1 and 2 too, unsigned); `StateFormatError` when it is not one."""
    from runlet.core.human import Checkpoint

    obj = _envelope(value, "runlet.checkpoint", CHECKPOINT_VERSION, "checkpoint")
    if obj["version"] == 1:
        return _checkpoint_v1(obj)
    signed = obj["version"] != 2  # version 2 (0.4's development before signatures) has none
    keys = ("format", "version", "id", "created_at", "state", "requests")
    _exact(obj, frozenset((*keys, "signature") if signed else keys), "a checkpoint")
    return Checkpoint(
        id=_string(obj, "id"),
        created_at=_number(obj, "created_at"),
        state=run_state_from_json(obj["state"]),
        requests=tuple(human_request_from_json(r) for r in _list(obj, "requests")),
        signature=_string(obj, "signature", "a checkpoint") if signed else "",
    )


def _checkpoint_v1(obj: dict[str, object]) -> Checkpoint:
    """A checkpoint written by Runlet 0.3: the run's fields at the top level, pending calls with their answers."""
    from runlet.core.human import Checkpoint

    keys = (
        "format", "version", "id", "run_id", "agent", "created_at", "step", "seq", "spans", "elapsed", "usage",
        "tool_calls_made", "output_retries", "session", "stored_length", "history", "new", "instructions",
        "context", "completed", "pending",
    )
    _exact(obj, frozenset(keys), "a checkpoint")
    history, new = _messages(obj, "history"), _messages(obj, "new")
    pending = [dict(_object(p, "a pending call")) for p in _list(obj, "pending")]
    for entry in pending:
        _exact(entry, frozenset(("call", "request", "answers")), "a pending call")
        request = _object(entry["request"], "a request")
        entry["request"] = {**request, "call": _v1_part(request.get("call"), "tool_call")}
    usage = usage_from_json(obj["usage"])
    state = RunState(
        run_id=_string(obj, "run_id"),
        agent=_string(obj, "agent"),
        step=_int(obj, "step"),
        usage=usage,
        model_requests=usage.requests,
        tool_calls=_int(obj, "tool_calls_made"),
        output_retries=_int(obj, "output_retries"),
        session=_optional_string(obj, "session"),
        stored_length=_int(obj, "stored_length"),
        history=history,
        new=new,
        context=_context_from_json(obj, history, new),
        completed=tuple(_result_from_json(_v1_part(r, "tool_result")) for r in _list(obj, "completed")),
        answers={
            _string(_object(e["call"], "a tool call"), "call_id"): tuple(
                human_response_from_json(a) for a in _list(e, "answers", "a pending call")
            )
            for e in pending
        },
        seq=_int(obj, "seq"),
        spans=_int(obj, "spans"),
        elapsed=_number(obj, "elapsed"),
    )
    requests = tuple(human_request_from_json(e["request"]) for e in pending)
    return Checkpoint(id=_string(obj, "id"), created_at=_number(obj, "created_at"), state=state, requests=requests)


def _v1_part(value: object, kind: str) -> dict[str, object]:
    """A version 1 tool call or result (no "kind" field) as a message part."""
    return {"kind": kind, **_object(value, f"a {kind}")}


def _context_to_json(state: RunState) -> tuple[str | None, list[JsonValue] | None]:
    """(instructions, context): the context is null when it is the instructions, the history and the new messages."""
    n = len(state.history) + len(state.new)
    prefix, rest = state.context[: len(state.context) - n], state.context[len(state.context) - n :]
    if len(state.context) >= n and rest == (*state.history, *state.new):
        if not prefix:
            return None, None
        if len(prefix) == 1 and prefix[0] == Message.system(prefix[0].text):
            return prefix[0].text, None
    return None, [message_to_json(m) for m in state.context]


def _context_from_json(obj: dict[str, object], history: tuple[Message, ...], new: tuple[Message, ...]) -> tuple[Message, ...]:
    if obj["context"] is not None:
        return _messages(obj, "context")
    instructions = _optional_string(obj, "instructions")
    return (*((Message.system(instructions),) if instructions is not None else ()), *history, *new)


def human_request_to_json(request: HumanRequest) -> dict[str, JsonValue]:
    """A request waiting for a human as a JSON object (in a checkpoint, or a durable workflow's query)."""
    from runlet.core.human import ApprovalRequest

    call = _part_to_json(request.call)
    if isinstance(request, ApprovalRequest):
        return {"kind": "approval", "id": request.id, "call": call, "reason": request.reason, "requested_by": request.requested_by}
    return {
        "kind": "input",
        "id": request.id,
        "call": call,
        "question": request.question,
        "schema": request.schema,
        "requested_by": request.requested_by,
    }


def human_request_from_json(value: object) -> HumanRequest:
    """A request from `human_request_to_json`; `StateFormatError` when it is not one."""
    from runlet.core.human import ApprovalRequest, InputRequest

    obj = _object(value, "a request")
    kind = obj.get("kind")
    if kind == "approval":
        _exact(obj, frozenset(("kind", "id", "call", "reason", "requested_by")), "an approval request")
        return ApprovalRequest(_string(obj, "id"), _call_from_json(obj["call"]), _string(obj, "reason"), _string(obj, "requested_by"))
    if kind == "input":
        _exact(obj, frozenset(("kind", "id", "call", "question", "schema", "requested_by")), "an input request")
        schema = cast(JsonObject, _object(obj["schema"], "an input request's schema"))
        call = _call_from_json(obj["call"])
        return InputRequest(_string(obj, "id"), call, _string(obj, "question"), schema, _string(obj, "requested_by"))
    raise StateFormatError(f"unknown request kind {kind!r}")


def human_response_to_json(response: HumanResponse) -> dict[str, JsonValue]:
    """A human's response as a JSON object (in a run state, or a durable workflow's update)."""
    from runlet.core.human import Approve, EditArguments, Reject

    if isinstance(response, Approve):
        return {"kind": "approve", "request_id": response.request_id}
    if isinstance(response, Reject):
        return {"kind": "reject", "request_id": response.request_id, "reason": response.reason}
    if isinstance(response, EditArguments):
        return {"kind": "edit", "request_id": response.request_id, "arguments": response.arguments}
    return {"kind": "answer", "request_id": response.request_id, "value": response.value}


def human_response_from_json(value: object) -> HumanResponse:
    """A response from `human_response_to_json`; `StateFormatError` when it is not one."""
    from runlet.core.human import Answer, Approve, EditArguments, Reject

    obj = _object(value, "a response")
    kind = obj.get("kind")
    if kind == "approve":
        _exact(obj, frozenset(("kind", "request_id")), "an approve response")
        return Approve(_string(obj, "request_id"))
    if kind == "reject":
        _exact(obj, frozenset(("kind", "request_id", "reason")), "a reject response")
        return Reject(_string(obj, "request_id"), _string(obj, "reason"))
    if kind == "edit":
        _exact(obj, frozenset(("kind", "request_id", "arguments")), "an edit response")
        return EditArguments(_string(obj, "request_id"), cast(JsonObject, _object(obj["arguments"], "edited arguments")))
    if kind == "answer":
        _exact(obj, frozenset(("kind", "request_id", "value")), "an answer")
        return Answer(_string(obj, "request_id"), cast(JsonValue, obj["value"]))
    raise StateFormatError(f"unknown response kind {kind!r}")


# Model calls, as a durable engine records them (an activity's or a step's input and output)

_FINISH_REASONS: frozenset[str] = frozenset(("stop", "tool_calls", "length", "content_filter", "other"))


def model_request_to_json(request: ModelRequest) -> dict[str, JsonValue]:
    """A model request as one JSON object; `TypeError` when its options are not JSON."""
    options = json.loads(json.dumps(request.options, allow_nan=False))  # refuses what is not JSON, at once
    obj: dict[str, JsonValue] = {
        "messages": [message_to_json(m) for m in request.messages],
        "tools": [
            {"name": t.name, "description": t.description, "parameters": t.parameters, "strict": t.strict}
            for t in request.tools
        ],
        "output": None
        if request.output is None
        else {"name": request.output.name, "schema": request.output.schema, "strict": request.output.strict},
        "max_output_tokens": request.max_output_tokens,
        "options": cast(JsonValue, options),
    }
    if request.settings != ModelSettings():  # written only when set, so a request without them reads as before
        obj["settings"] = _settings_to_json(request.settings)
    if request.hosted_tools:
        obj["hosted_tools"] = [_hosted_to_json(t) for t in request.hosted_tools]
    return obj


def model_request_from_json(value: object) -> ModelRequest:
    """A model request from `model_request_to_json`; `StateFormatError` when it is not one."""
    what = "a model request"
    obj = _object(value, what)
    optional = frozenset(("settings", "hosted_tools")) & obj.keys()
    _exact(obj, frozenset(("messages", "tools", "output", "max_output_tokens", "options")) | optional, what)
    tools: list[ToolDefinition] = []
    for item in _list(obj, "tools", what):
        tool = _object(item, "a tool definition")
        _exact(tool, frozenset(("name", "description", "parameters", "strict")), "a tool definition")
        parameters = cast(JsonObject, _object(tool["parameters"], "a tool's parameters"))
        tools.append(ToolDefinition(_string(tool, "name", what), _string(tool, "description", what), parameters, tool["strict"] is True))
    output: OutputSchema | None = None
    if obj["output"] is not None:
        schema = _object(obj["output"], "an output schema")
        _exact(schema, frozenset(("name", "schema", "strict")), "an output schema")
        body = cast(JsonObject, _object(schema["schema"], "an output schema"))
        output = OutputSchema(_string(schema, "name", what), body, schema["strict"] is True)
    limit = obj["max_output_tokens"]
    options = cast("dict[str, Mapping[str, object]]", _object(obj["options"], "a model request's options"))
    return ModelRequest(
        messages=_messages(obj, "messages"),
        tools=tools,
        output=output,
        max_output_tokens=None if limit is None else _int(obj, "max_output_tokens", what),
        options=options,
        settings=_settings_from_json(obj["settings"]) if "settings" in obj else ModelSettings(),
        hosted_tools=tuple(_hosted_from_json(t) for t in _list(obj, "hosted_tools", what)) if "hosted_tools" in obj else (),
    )


def _settings_to_json(settings: ModelSettings) -> dict[str, JsonValue]:
    """The settings that are set (not `None`); a `UseTool` choice as `{"tool": name}`, `stop` as an array."""
    obj: dict[str, JsonValue] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is None:
            continue
        if isinstance(value, UseTool):
            obj[field.name] = {"tool": value.name}
        elif field.name == "stop":
            obj[field.name] = list(cast("Sequence[str]", value))
        else:
            obj[field.name] = cast(JsonValue, value)
    return obj


def _settings_from_json(value: object) -> ModelSettings:
    what = "a model request's settings"
    obj = _object(value, what)
    names = {field.name for field in dataclasses.fields(ModelSettings)}
    unknown = sorted(obj.keys() - names)
    if unknown:
        raise StateFormatError(f"{what} has unknown fields {unknown}")
    given: dict[str, Any] = dict(obj)
    choice = given.get("tool_choice")
    if isinstance(choice, dict):
        given["tool_choice"] = UseTool(_string(cast("dict[str, object]", choice), "tool", "a tool choice"))
    elif choice is not None and choice not in ("auto", "none", "required"):
        raise StateFormatError(f'a tool choice must be "auto", "none", "required" or {{"tool": name}}, not {choice!r}')
    if "stop" in given:
        given["stop"] = tuple(str(s) for s in _list(obj, "stop", what))
    try:
        return ModelSettings(**given)
    except (TypeError, ValueError) as error:
        raise StateFormatError(f"{what} are not valid: {error}") from None


_HOSTED_CLASSES: dict[str, type[HostedTool]] = {cls.name: cls for cls in HOSTED_TOOLS}


def _hosted_to_json(tool: HostedTool) -> dict[str, JsonValue]:
    """A hosted tool as `{"name": ..., <its fields>}`, sequences as arrays."""
    obj: dict[str, JsonValue] = {"name": tool.name}
    for field in dataclasses.fields(tool):
        value: object = getattr(tool, field.name)
        obj[field.name] = list(cast("tuple[str, ...]", value)) if isinstance(value, tuple) else cast(JsonValue, value)
    return obj


def _hosted_from_json(value: object) -> HostedTool:
    obj = _object(value, "a hosted tool")
    name = obj.get("name")
    cls = _HOSTED_CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise StateFormatError(f"unknown hosted tool {name!r}")
    fields: dict[str, Any] = {k: v for k, v in obj.items() if k != "name"}
    try:
        return cls(**fields)
    except (TypeError, ValueError) as error:
        raise StateFormatError(f"a hosted tool {name!r} is not valid: {error}") from None


def media_to_json(part: MediaPart) -> dict[str, JsonValue]:
    """A media part as JSON (its bytes in base64), as a message's parts keep it."""
    return _media_to_json(part)


def media_from_json(value: object) -> MediaPart:
    """A media part from `media_to_json`; `StateFormatError` when it is not one."""
    return _media_from_json(value)


def model_response_to_json(response: ModelResponse) -> dict[str, JsonValue]:
    """A model response as one JSON object."""
    return {
        "parts": [_part_to_json(p) for p in response.parts],
        "usage": usage_to_json(response.usage),
        "finish_reason": response.finish_reason,
        "model": response.model,
        "response_id": response.response_id,
    }


def model_response_from_json(value: object) -> ModelResponse:
    """A model response from `model_response_to_json`; `StateFormatError` when it is not one."""
    what = "a model response"
    obj = _object(value, what)
    _exact(obj, frozenset(("parts", "usage", "finish_reason", "model", "response_id")), what)
    finish = _string(obj, "finish_reason", what)
    if finish not in _FINISH_REASONS:
        raise StateFormatError(f"unknown finish reason {finish!r}")
    return ModelResponse(
        parts=tuple(_part_from_json(p) for p in _list(obj, "parts", what)),
        usage=usage_from_json(obj["usage"]),
        finish_reason=cast(FinishReason, finish),
        model=_string(obj, "model", what),
        response_id=_string(obj, "response_id", what),
    )


def _call_from_json(value: object) -> ToolCallPart:
    part = _part_from_json(value)
    if not isinstance(part, ToolCallPart):
        raise StateFormatError(f"expected a tool_call part, got a {type(part).__name__}")
    return part


def _result_from_json(value: object) -> ToolResultPart:
    part = _part_from_json(value)
    if not isinstance(part, ToolResultPart):
        raise StateFormatError(f"expected a tool_result part, got a {type(part).__name__}")
    return part


def _envelope(value: object, format: str, newest: int, what: str) -> dict[str, object]:
    obj = _object(value, f"a {what}")
    if obj.get("format") != format:
        raise StateFormatError(f'not a runlet {what} (no "format": "{format}")')
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateFormatError(f"a runlet {what} has an invalid version {version!r}")
    if version > newest:
        raise UnsupportedStateVersion(f"this {what}", found=version, supported=newest)
    return obj


def _object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise StateFormatError(f"{what} must be a JSON object, not {_kind(value)}")
    return cast("dict[str, object]", value)


def _exact(obj: Mapping[str, object], keys: frozenset[str], what: str) -> None:
    if keys.symmetric_difference(obj):
        missing = sorted(keys - obj.keys())
        extra = sorted(obj.keys() - keys)
        raise StateFormatError(
            f"{what} has the wrong fields" + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else "")
        )


def _string(obj: Mapping[str, object], name: str, what: str = "a run state") -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise StateFormatError(f"{what}'s {name} must be a string, not {_kind(value)}")
    return value


def _optional_string(obj: Mapping[str, object], name: str) -> str | None:
    return None if obj[name] is None else _string(obj, name)


def _int(obj: Mapping[str, object], name: str, what: str = "a run state") -> int:
    value = obj[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise StateFormatError(f"{what}'s {name} must be an integer, not {_kind(value)}")
    return value


def _number(obj: Mapping[str, object], name: str) -> float:
    value = obj[name]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise StateFormatError(f"a checkpoint's {name} must be a number, not {_kind(value)}")
    return float(value)


def _list(obj: Mapping[str, object], name: str, what: str = "a run state") -> list[object]:
    value = obj[name]
    if not isinstance(value, list):
        raise StateFormatError(f"{what}'s {name} must be an array, not {_kind(value)}")
    return cast("list[object]", value)


def _messages(obj: Mapping[str, object], name: str) -> tuple[Message, ...]:
    return tuple(message_from_json(m) for m in _list(obj, name))
