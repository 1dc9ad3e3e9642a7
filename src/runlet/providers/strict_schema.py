"""OpenAI's strict form of a JSON schema, for the tools and structured output the OpenAI providers send.

`ToolDefinition.strict` and `OutputSchema.strict` say that a schema can be
made strict (`runlet.core.schema.can_be_strict`, a pure check in core). This
module makes it so: the strict form is the same schema with
``"additionalProperties": false`` written out on every object (pydantic's
schemas leave it out; Runlet's own schemas already have it). Imports no SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from runlet.core.json import JsonObject, JsonValue
from runlet.core.schema import can_be_strict

__all__ = ["schema_to_send", "to_strict_schema"]


def to_strict_schema(schema: JsonObject) -> JsonObject | None:
    """`schema` in the form OpenAI's strict mode accepts, or `None` when it has none (see `can_be_strict`)."""
    if not can_be_strict(schema):
        return None
    return _closed(schema)


def schema_to_send(schema: JsonObject, strict: bool) -> tuple[JsonObject, bool]:
    """The schema to send and whether to ask for strict mode.

    The strict form when `strict` is asked for and the schema has one; else
    the schema as it is, not strict.
    """
    strict_form = to_strict_schema(schema) if strict else None
    if strict_form is None:
        return schema, False
    return strict_form, True


def _closed(schema: JsonObject) -> dict[str, JsonValue]:
    """A strict-compatible schema with every object closed (``"additionalProperties": false``)."""
    out = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        out["properties"] = {name: _closed(_object(prop)) for name, prop in properties.items()}
        out["additionalProperties"] = False
    if "items" in schema:
        out["items"] = _closed(_object(schema["items"]))
    branches = schema.get("anyOf")
    if isinstance(branches, Sequence) and not isinstance(branches, str):
        out["anyOf"] = [_closed(_object(branch)) for branch in branches]
    defs = schema.get("$defs")
    if isinstance(defs, Mapping):
        out["$defs"] = {name: _closed(_object(definition)) for name, definition in defs.items()}
    return out


def _object(value: JsonValue) -> JsonObject:
    """A sub-schema, which `can_be_strict` has already found to be an object."""
    return cast(JsonObject, value)
