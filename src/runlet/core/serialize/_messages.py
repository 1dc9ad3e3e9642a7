"""Messages and their parts to JSON and back (see the package's docstring for the format)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from typing_extensions import assert_never

from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import AudioPart, DocumentPart, HostedToolPart, ImageDetail, ImagePart, MediaPart, Message, Part, ReasoningPart, Role, TextPart, ToolCallPart, ToolResultPart
from runlet.core.state import StateFormatError, UnsupportedStateVersion
from runlet.core.serialize._read import json_object, list_field, kind_of

FORMAT_VERSION = 1
"""The version of the message format this Runlet writes (and the newest it reads)."""

_ROLES: frozenset[str] = frozenset(("system", "user", "assistant", "tool"))


def message_to_json(message: Message) -> dict[str, JsonValue]:
    """The message as a JSON object (dicts, lists, strings, numbers, booleans)."""
    return {"role": message.role, "parts": [part_to_json(part) for part in message.parts]}


def part_to_json(part: Part) -> dict[str, JsonValue]:
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
                result["media"] = [encode_media(m) for m in part.media]
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
            return encode_media(part)
        case _:
            assert_never(part)


def encode_media(part: MediaPart) -> dict[str, JsonValue]:
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
        raise StateFormatError(f"a message must be a JSON object, not {kind_of(value)}")
    obj = cast("dict[str, object]", value)
    role = obj.get("role")
    if not isinstance(role, str) or role not in _ROLES:
        raise StateFormatError(f"a message's role must be one of system, user, assistant, tool; got {role!r}")
    parts = obj.get("parts")
    if not isinstance(parts, list):
        raise StateFormatError(f"a message's parts must be a JSON array, not {kind_of(parts)}")
    if len(obj) != 2:
        raise StateFormatError(f"unknown message fields: {sorted(k for k in obj if k not in ('role', 'parts'))}")
    return Message(cast(Role, role), tuple(part_from_json(part) for part in cast("list[object]", parts)))


def part_from_json(value: object) -> Part:
    if not isinstance(value, dict):
        raise StateFormatError(f"a message part must be a JSON object, not {kind_of(value)}")
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
            raise StateFormatError(f"a tool_result part's is_error must be a boolean, not {kind_of(is_error)}")
        media = tuple(decode_media(m) for m in list_field(obj, "media", "a tool_result part")) if "media" in obj else ()
        return ToolResultPart(_str(obj, "call_id"), _str(obj, "name"), _str(obj, "content"), is_error, media)
    if kind == "hosted_tool":
        _fields(obj, ("kind", "provider", "name", "call_id", "data", "result", "detail"))
        data, result = obj["data"], obj["result"]
        if not isinstance(data, dict):
            raise StateFormatError(f"a hosted_tool part's data must be a JSON object, not {kind_of(data)}")
        if not isinstance(result, bool):
            raise StateFormatError(f"a hosted_tool part's result must be a boolean, not {kind_of(result)}")
        return HostedToolPart(
            _str(obj, "provider"), _str(obj, "name"), _str(obj, "call_id"), cast(JsonObject, data), result, _str(obj, "detail")
        )
    if kind in ("image", "audio", "document"):
        return decode_media(obj)
    if kind == "reasoning":
        _fields(obj, ("kind", "provider", "data", "summary"))
        data = obj["data"]
        if not isinstance(data, dict):
            raise StateFormatError(f"a reasoning part's data must be a JSON object, not {kind_of(data)}")
        return ReasoningPart(_str(obj, "provider"), cast(JsonObject, data), _str(obj, "summary"))
    raise StateFormatError(f"unknown message part kind {kind!r}")


_DETAILS: dict[object, ImageDetail] = {"auto": "auto", "low": "low", "high": "high"}
_RESULT = ("kind", "call_id", "name", "content", "is_error")
_MEDIA_FIELDS = {
    "image": ("kind", "media_type", "data", "url", "detail"),
    "audio": ("kind", "media_type", "data", "url"),
    "document": ("kind", "media_type", "data", "url", "filename"),
}


def decode_media(value: object) -> MediaPart:
    obj = json_object(value, "a media part")
    kind = obj.get("kind")
    names = _MEDIA_FIELDS.get(kind) if isinstance(kind, str) else None
    if names is None:
        raise StateFormatError(f"unknown media part kind {kind!r}")
    _fields(obj, names)
    encoded, url = obj["data"], obj["url"]
    if encoded is not None and not isinstance(encoded, str):
        raise StateFormatError(f"a {kind} part's data must be base64 text or null, not {kind_of(encoded)}")
    if url is not None and not isinstance(url, str):
        raise StateFormatError(f"a {kind} part's url must be a string or null, not {kind_of(url)}")
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
        raise StateFormatError(f"a {obj.get('kind')} part's {name} must be a string, not {kind_of(value)}")
    return value


def json_default(value: object) -> Any:
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
        default=json_default,
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
        raise StateFormatError(f"a runlet messages document's messages must be an array, not {kind_of(messages)}")
    return tuple(message_from_json(message) for message in cast("list[object]", messages))


def dumps_messages(messages: Sequence[Message], *, indent: int | None = None) -> str:
    """Messages as JSON text in a versioned envelope."""
    return json.dumps(
        messages_to_json(messages), ensure_ascii=False, allow_nan=False, indent=indent, default=json_default
    )


def loads_messages(text: str | bytes) -> tuple[Message, ...]:
    """Messages from `dumps_messages` text."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise StateFormatError(f"not valid JSON: {error}") from None
    return messages_from_json(value)


def call_from_json(value: object) -> ToolCallPart:
    part = part_from_json(value)
    if not isinstance(part, ToolCallPart):
        raise StateFormatError(f"expected a tool_call part, got a {type(part).__name__}")
    return part


def result_from_json(value: object) -> ToolResultPart:
    part = part_from_json(value)
    if not isinstance(part, ToolResultPart):
        raise StateFormatError(f"expected a tool_result part, got a {type(part).__name__}")
    return part


def messages_field(obj: Mapping[str, object], name: str) -> tuple[Message, ...]:
    return tuple(message_from_json(m) for m in list_field(obj, name))
