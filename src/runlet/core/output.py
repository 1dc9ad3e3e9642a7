"""Turning a model's final answer into the agent's `output_type`."""

from __future__ import annotations

import json
from typing import Any, Generic, cast

from typing_extensions import TypeVar

from runlet.core.errors import ValidationError, ValidationIssue
from runlet.core.json import JsonValue
from runlet.core.models import OutputSchema
from runlet.core.schema import TypeAdapter, adapter_for, can_be_strict

T = TypeVar("T")

_WRAPPER_KEY = "result"


class OutputSpec(Generic[T]):
    """The schema the model is asked to follow, and the parser of its answer.

    `str` needs no schema. Types whose schema is not an object (`int`,
    `list[str]`) are wrapped as `{"result": ...}`, since APIs want an object.
    """

    def __init__(self, output_type: type[T]) -> None:
        self.output_type = output_type
        self._adapter: TypeAdapter[Any] | None = None if output_type is str else adapter_for(output_type)
        self._wrapped = False
        self.schema: OutputSchema | None = None
        if self._adapter is not None:
            schema = self._adapter.json_schema
            if schema.get("type") != "object":
                self._wrapped = True
                inner = {key: value for key, value in schema.items() if key != "$defs"}
                wrapper: dict[str, JsonValue] = {
                    "type": "object",
                    "properties": {_WRAPPER_KEY: inner},
                    "required": [_WRAPPER_KEY],
                    "additionalProperties": False,
                }
                if "$defs" in schema:
                    wrapper["$defs"] = schema["$defs"]  # references point at the root
                schema = wrapper
            name = getattr(output_type, "__name__", "output")
            self.schema = OutputSchema(name=name, schema=schema, strict=can_be_strict(schema))

    def parse(self, text: str) -> T:
        """Validate the answer text into `T`; raises `ValidationError` saying what is wrong."""
        if self._adapter is None:
            return cast(T, text)  # the output type is str
        try:
            value: JsonValue = json.loads(_strip_code_fence(text))
        except ValueError as error:
            raise ValidationError([ValidationIssue("", f"the answer is not valid JSON ({error})")]) from None
        if self._wrapped:
            if not isinstance(value, dict) or _WRAPPER_KEY not in value:
                raise ValidationError([ValidationIssue("", f"expected an object with the key {_WRAPPER_KEY!r}")])
            value = value[_WRAPPER_KEY]
        result: T = self._adapter.validate(value)
        return result

    def dump(self, value: T) -> JsonValue:
        """The output as JSON, for events and stores."""
        if self._adapter is None:
            return cast(str, value)
        return self._adapter.dump(value)


def _strip_code_fence(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        body = stripped[3:-3]
        return body.split("\n", 1)[1] if "\n" in body else body
    return stripped
