"""Tool definitions, strict schemas and JSON validation, as user code (a custom provider) uses them."""

from __future__ import annotations

from typing_extensions import assert_type

from runlet import tool
from runlet.core.json import JsonObject
from runlet.core.models import ToolDefinition
from runlet.core.schema import can_be_strict, validate_json
from runlet.core.tools import tool_definition
from runlet.providers.strict_schema import schema_to_send, to_strict_schema


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return order_id


definition = tool_definition(lookup)
assert_type(definition, ToolDefinition)
assert_type(definition.strict, bool)
assert_type(can_be_strict(definition.parameters), bool)
assert_type(to_strict_schema(definition.parameters), JsonObject | None)
assert_type(schema_to_send(definition.parameters, definition.strict), tuple[JsonObject, bool])
assert_type(validate_json(definition.parameters, {"order_id": "1"}, noun="argument"), None)
