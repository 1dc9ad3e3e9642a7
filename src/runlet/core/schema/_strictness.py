"""Whether a JSON schema can be made strict: the check behind `ToolDefinition.strict` and `OutputSchema.strict`.

Strict mode (OpenAI's structured outputs and strict function calling) makes
the model's JSON always fit the schema, but accepts only a subset of JSON
Schema: every object lists all its properties in ``"required"`` and allows
no others, every value has a type (or is a reference, an ``enum`` or a
``const``), arrays say what their items are, and only the keywords below
appear. A schema that meets these rules has a strict form: the same schema
with ``"additionalProperties": false`` written out on every object (the
rewrite itself is the providers' business, `runlet.providers.strict_schema`).

The check is a pure function of the JSON schema, so it serves any `Tool`,
not only `@tool` functions. For schemas compiled from type hints it means:
a parameter or field with a default, ``Any``/``object``, ``dict[str, T]``,
``tuple[A, B]``, ``set``/``frozenset`` and ``NotRequired`` keys have no
strict form (see docs/providers.md, "Strict schemas").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from runlet.core.json import JsonObject, JsonValue
from runlet.core.schema._issues import json_array

_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "description",
        "title",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
"""The keywords a strict schema may use."""

_TYPING_KEYWORDS = ("type", "anyOf", "$ref", "enum", "const")


def can_be_strict(schema: JsonObject) -> bool:
    """Whether `schema` has a strict form (every object closed and fully required, only strict keywords).

    Whether the root must be an object (it must, for tool parameters) is left
    to the caller.
    """
    return _strict_value(schema)


def _strict_value(schema: JsonValue) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if not _STRICT_KEYWORDS.issuperset(schema) or not any(key in schema for key in _TYPING_KEYWORDS):
        return False
    if _is_a(schema, "object") or "properties" in schema:
        if not _closed_object(schema):
            return False
    if _is_a(schema, "array") and "items" not in schema:
        return False
    if "items" in schema and not _strict_value(schema["items"]):
        return False
    if "anyOf" in schema:
        branches = json_array(schema["anyOf"])
        if branches is None or not all(_strict_value(branch) for branch in branches):
            return False
    if "$defs" in schema:
        defs = schema["$defs"]
        if not isinstance(defs, Mapping) or not all(_strict_value(d) for d in defs.values()):
            return False
    return True


def _closed_object(schema: JsonObject) -> bool:
    """Every property required and strict, and no other property allowed."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or schema.get("additionalProperties", False) is not False:
        return False
    required = json_array(schema.get("required", []))
    if required is None or not all(isinstance(name, str) for name in required):
        return False
    if set(cast("list[str]", required)) != set(properties):
        return False
    return all(_strict_value(prop) for prop in properties.values())


def _is_a(schema: JsonObject, kind: str) -> bool:
    type_ = schema.get("type")
    if isinstance(type_, str):
        return type_ == kind
    types = json_array(type_)
    return types is not None and kind in types
