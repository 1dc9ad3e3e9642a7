"""Messages and their parts: the conversation as frozen data."""

from __future__ import annotations

import json
from dataclasses import field
from typing import Literal, Union

from typing_extensions import TypeAlias

from runlet.core._frozen import frozen
from runlet.core.json import JsonObject, JsonValue

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]


@frozen
class TextPart:
    """Plain text."""

    text: str
    kind: Literal["text"] = field(default="text", init=False, repr=False)


@frozen
class ToolCallPart:
    """The model asks for a tool call.

    `arguments` is the JSON text exactly as the model sent it; `call_id` pairs
    the call with its `ToolResultPart`.
    """

    call_id: str
    name: str
    arguments: str = "{}"
    kind: Literal["tool_call"] = field(default="tool_call", init=False, repr=False)

    def parsed_arguments(self) -> JsonValue:
        """The arguments decoded from JSON (raises `ValueError` when they are not JSON)."""
        value: JsonValue = json.loads(self.arguments or "{}")
        return value


@frozen
class ToolResultPart:
    """The result of a tool call, sent back to the model."""

    call_id: str
    name: str
    content: str
    is_error: bool = False
    kind: Literal["tool_result"] = field(default="tool_result", init=False, repr=False)


@frozen
class ReasoningPart:
    """A model's reasoning item, kept so it can be sent back as the provider requires.

    `data` is the provider's own representation, opaque to the runtime;
    `provider` names whose it is, and other providers skip it.
    """

    provider: str
    data: JsonObject
    summary: str = ""
    kind: Literal["reasoning"] = field(default="reasoning", init=False, repr=False)


Part: TypeAlias = Union[TextPart, ToolCallPart, ToolResultPart, ReasoningPart]
"""Any part of a message."""


@frozen
class Message:
    """One message of the conversation: a role and its parts."""

    role: Role
    parts: tuple[Part, ...]

    @classmethod
    def system(cls, text: str) -> Message:
        """Instructions for the model."""
        return cls("system", (TextPart(text),))

    @classmethod
    def user(cls, text: str) -> Message:
        """What the user says."""
        return cls("user", (TextPart(text),))

    @classmethod
    def assistant(cls, content: str | tuple[Part, ...]) -> Message:
        """What the model said: text, or parts (text, tool calls, reasoning)."""
        parts = (TextPart(content),) if isinstance(content, str) else content
        return cls("assistant", parts)

    @classmethod
    def tool_result(
        cls, call_id: str, content: str, *, name: str = "", is_error: bool = False
    ) -> Message:
        """The result of one tool call."""
        return cls("tool", (ToolResultPart(call_id, name, content, is_error),))

    @property
    def text(self) -> str:
        """The text parts joined together."""
        return "".join(part.text for part in self.parts if isinstance(part, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        """The tool calls this message asks for."""
        return tuple(part for part in self.parts if isinstance(part, ToolCallPart))

    @property
    def tool_results(self) -> tuple[ToolResultPart, ...]:
        """The tool results this message carries."""
        return tuple(part for part in self.parts if isinstance(part, ToolResultPart))
