"""The agent's output: the schema the model follows, the parser of its answer, the answer while it streams, validators.

`str` needs no schema. Other types are asked for as a JSON object: types whose
schema is not an object (`int`, `list[str]`, `Literal[...]`, `Answer | None`)
are wrapped as `{"result": ...}`, since APIs want an object. A union of two
or more object types (`Answer | Refusal`) is tagged, so that the model says
which it chose: `{"result": {"kind": "Refusal", "value": {...}}}`, every
alternative (`None` included) offered as one branch of the schema.
"""

from __future__ import annotations

import json
import types
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Union, cast, get_args, get_origin

from typing_extensions import TypeAlias, TypeForm, TypeVar

from runlet.core.context import RunContext
from runlet.core.errors import UserError, ValidationError, ValidationIssue
from runlet.core.json import JsonObject, JsonValue
from runlet.core.models import OutputSchema
from runlet.core.partial_json import PartialJson
from runlet.core.schema import TypeAdapter, adapter_for, can_be_strict

T = TypeVar("T")
DepsT = TypeVar("DepsT")
OutputT = TypeVar("OutputT")

OutputValidator: TypeAlias = Callable[[RunContext[DepsT], OutputT], Union[OutputT, Awaitable[OutputT]]]
"""Checks (and may change) a validated final answer, sync or async: `(ctx, output) -> output`.

Register validators with `Agent(output_validators=...)`; they run in order
after the answer has validated into `output_type`. Raise `OutputRetry(reason)`
to send the model back with the reason (within `max_output_retries`).
"""

_WRAPPER_KEY = "result"
_TAG_KEY = "kind"
_TAGGED_KEY = "value"


class OutputSpec(Generic[T]):
    """The schema the model is asked to follow, the parser of its answer, and its partial value while it streams."""

    def __init__(self, output_type: TypeForm[T]) -> None:
        self.output_type = output_type
        self.name: str = _describe(output_type)
        """The output type as messages name it: `Answer`, `Answer | Refusal`."""
        self._adapter: TypeAdapter[Any] | None = None if output_type is str else adapter_for(output_type)
        self._kinds: dict[str, TypeAdapter[Any]] | None = _tagged_alternatives(output_type)
        self._wrapped = False
        self.schema: OutputSchema | None = None
        if self._adapter is None:
            return
        schema = _tagged_schema(self._kinds) if self._kinds is not None else self._adapter.json_schema
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
        name = "_or_".join(self._kinds) if self._kinds is not None else getattr(output_type, "__name__", "output")
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
            if not isinstance(value, Mapping) or _WRAPPER_KEY not in value:
                raise ValidationError([ValidationIssue("", f"expected an object with the key {_WRAPPER_KEY!r}")])
            value = value[_WRAPPER_KEY]
        if self._kinds is not None:
            return self._parse_tagged(value, self._kinds)
        result: T = self._adapter.validate(value)
        return result

    def dump(self, value: T) -> JsonValue:
        """The output as JSON, for events and stores (a union's value without its tag)."""
        if self._adapter is None:
            return cast(str, value)
        return self._adapter.dump(value)

    def partial(self) -> PartialOutput | None:
        """A reader of the answer while it streams, for a structured output; `None` for `str`."""
        return None if self._adapter is None else PartialOutput(_WRAPPER_KEY if self._wrapped else None)

    @staticmethod
    def _parse_tagged(value: JsonValue, kinds: Mapping[str, TypeAdapter[Any]]) -> T:
        names = ", ".join(map(repr, kinds))
        if not isinstance(value, Mapping):
            raise ValidationError([ValidationIssue(_WRAPPER_KEY, f"expected an object with {_TAG_KEY!r} ({names}) and {_TAGGED_KEY!r}")])
        kind = value.get(_TAG_KEY)
        adapter = kinds.get(kind) if isinstance(kind, str) else None
        if adapter is None:
            raise ValidationError([ValidationIssue(f"{_WRAPPER_KEY}.{_TAG_KEY}", f"expected one of {names}, got {kind!r}")])
        if _TAGGED_KEY not in value:
            raise ValidationError([ValidationIssue(_WRAPPER_KEY, f"expected the key {_TAGGED_KEY!r} with the {kind} itself")])
        result: T = adapter.validate(value[_TAGGED_KEY])
        return result


class PartialOutput:
    """The structured answer while it streams: `feed` each text delta, read `value` when it says the value grew.

    The value is the JSON known so far (`runlet.core.partial_json`), inside
    the `{"result": ...}` wrapper when the output has one: `{"city": "Paris"}`
    for an object type, `[1, 2]` for `list[int]`, `{"kind": "Refusal",
    "value": {...}}` for a tagged union.
    """

    __slots__ = ("_json", "_key", "value")

    def __init__(self, key: str | None) -> None:
        self._json = PartialJson()
        self._key = key
        self.value: JsonValue = None
        """The partial output after the last `feed` that returned `True`."""

    def feed(self, delta: str) -> bool:
        """Read the next text delta; whether the partial output changed (then read `value`)."""
        if not self._json.feed(delta):
            return False
        value = self._json.value()
        if self._key is not None:
            if not isinstance(value, Mapping) or self._key not in value:
                return False
            value = value[self._key]
        self.value = value
        return True


def _alternatives(output_type: object) -> tuple[object, ...]:
    """The members of a union (`A | B`, `Union[A, B]`, `Optional[A]`); `()` for any other type."""
    return get_args(output_type) if get_origin(output_type) in (Union, types.UnionType) else ()


def _describe(output_type: object) -> str:
    """The type as messages name it: `Answer`, `list[str]`, `Answer | Refusal | None`."""
    alternatives = _alternatives(output_type)
    if alternatives:
        return " | ".join(map(_describe, alternatives))
    if output_type is type(None):
        return "None"
    if isinstance(output_type, type) and get_origin(output_type) is None:
        return output_type.__qualname__
    return repr(output_type).replace("typing_extensions.", "").replace("typing.", "")


def _tagged_alternatives(output_type: object) -> dict[str, TypeAdapter[Any]] | None:
    """The adapter of each alternative by its tag, for a union of two or more object types; else `None`."""
    alternatives = _alternatives(output_type)
    adapters = [adapter_for(alternative) for alternative in alternatives]
    if sum(adapter.json_schema.get("type") == "object" for adapter in adapters) < 2:
        return None
    kinds: dict[str, TypeAdapter[Any]] = {}
    for alternative, adapter in zip(alternatives, adapters):
        name = "None" if alternative is type(None) else str(getattr(alternative, "__name__", "value"))
        kind, number = name, 1
        while kind in kinds:
            number += 1
            kind = f"{name}_{number}"
        kinds[kind] = adapter
    return kinds


def _tagged_schema(kinds: Mapping[str, TypeAdapter[Any]]) -> JsonObject:
    """`{"anyOf": [...]}` with one branch per alternative, `{"kind": <tag>, "value": <its schema>}`, and their `$defs`."""
    branches: list[JsonValue] = []
    defs: dict[str, JsonValue] = {}
    for kind, adapter in kinds.items():
        schema = adapter.json_schema
        for name, definition in _definitions(schema).items():
            if defs.setdefault(name, definition) != definition:
                raise UserError(
                    f"the alternatives of the output type define {name!r} differently in their JSON schemas: "
                    "rename one of the types so that their definitions do not clash"
                )
        branches.append(
            {
                "type": "object",
                "properties": {
                    _TAG_KEY: {"type": "string", "enum": [kind]},
                    _TAGGED_KEY: {key: value for key, value in schema.items() if key != "$defs"},
                },
                "required": [_TAG_KEY, _TAGGED_KEY],
                "additionalProperties": False,
            }
        )
    tagged: dict[str, JsonValue] = {"anyOf": branches}
    if defs:
        tagged["$defs"] = defs
    return tagged


def _definitions(schema: JsonObject) -> Mapping[str, JsonValue]:
    defs = schema.get("$defs")
    return defs if isinstance(defs, Mapping) else {}


def _strip_code_fence(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        body = stripped[3:-3]
        return body.split("\n", 1)[1] if "\n" in body else body
    return stripped
