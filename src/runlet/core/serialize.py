"""Messages to JSON and back, exactly.

One message is a JSON object:

    {"role": "assistant", "parts": [
        {"kind": "text", "text": "Let me look."},
        {"kind": "tool_call", "call_id": "c1", "name": "lookup", "arguments": "{\\"id\\": 1}"},
        {"kind": "reasoning", "provider": "openai", "data": {...}, "summary": ""}]}
    {"role": "tool", "parts": [
        {"kind": "tool_result", "call_id": "c1", "name": "lookup", "content": "ok", "is_error": false}]}

A list of messages saved on its own (`dumps_messages`) is wrapped in an
envelope with a format version: `{"format": "runlet.messages", "version": 1,
"messages": [...]}`. Reading a newer version raises `UnsupportedStateVersion`.

Round trips are exact: `message_from_json(message_to_json(m)) == m`, with
one caveat for `ReasoningPart.data`, which is JSON: arrays come back as
lists and objects as dicts whatever sequence or mapping type went in. NaN
and infinities are not JSON and are refused (`ValueError`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import Message, Part, ReasoningPart, Role, TextPart, ToolCallPart, ToolResultPart
from runlet.core.state import StateFormatError, UnsupportedStateVersion

__all__ = [
    "FORMAT_VERSION",
    "dumps_message",
    "dumps_messages",
    "loads_message",
    "loads_messages",
    "message_from_json",
    "message_to_json",
    "messages_from_json",
    "messages_to_json",
]

FORMAT_VERSION = 1
"""The version of the message format this Runlet writes (and the newest it reads)."""

_ROLES: frozenset[str] = frozenset(("system", "user", "assistant", "tool"))


def message_to_json(message: Message) -> dict[str, JsonValue]:
    """The message as a JSON object (dicts, lists, strings, numbers, booleans)."""
    return {"role": message.role, "parts": [_part_to_json(part) for part in message.parts]}


def _part_to_json(part: Part) -> dict[str, JsonValue]:
    if isinstance(part, TextPart):
        return {"kind": "text", "text": part.text}
    if isinstance(part, ToolCallPart):
        return {"kind": "tool_call", "call_id": part.call_id, "name": part.name, "arguments": part.arguments}
    if isinstance(part, ToolResultPart):
        return {
            "kind": "tool_result",
            "call_id": part.call_id,
            "name": part.name,
            "content": part.content,
            "is_error": part.is_error,
        }
    if isinstance(part, ReasoningPart):  # pyright: ignore[reportUnnecessaryIsInstance]  # the last member, checked
        return {"kind": "reasoning", "provider": part.provider, "data": part.data, "summary": part.summary}
    raise TypeError(f"not a message part: {type(part).__name__}")


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
        _fields(obj, ("kind", "call_id", "name", "content", "is_error"))
        is_error = obj["is_error"]
        if not isinstance(is_error, bool):
            raise StateFormatError(f"a tool_result part's is_error must be a boolean, not {_kind(is_error)}")
        return ToolResultPart(_str(obj, "call_id"), _str(obj, "name"), _str(obj, "content"), is_error)
    if kind == "reasoning":
        _fields(obj, ("kind", "provider", "data", "summary"))
        data = obj["data"]
        if not isinstance(data, dict):
            raise StateFormatError(f"a reasoning part's data must be a JSON object, not {_kind(data)}")
        return ReasoningPart(_str(obj, "provider"), cast(JsonObject, data), _str(obj, "summary"))
    raise StateFormatError(f"unknown message part kind {kind!r}")


_KEYS: dict[tuple[str, ...], frozenset[str]] = {}


def _fields(obj: dict[str, object], names: tuple[str, ...]) -> None:
    keys = _KEYS.get(names)
    if keys is None:
        keys = _KEYS[names] = frozenset(names)
    if obj.keys() != keys:
        missing = [name for name in names if name not in obj]
        extra = sorted(name for name in obj if name not in names)
        raise StateFormatError(
            f"a {obj.get('kind')} part needs exactly the fields {', '.join(names)}"
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
