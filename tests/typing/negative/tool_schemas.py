"""Misuses of tool definitions and schema checks that the type checkers must reject."""

from __future__ import annotations

from runlet.core.schema import can_be_strict, validate_json
from runlet.core.tools import tool_definition
from runlet.providers.strict_schema import schema_to_send

tool_definition(lambda order_id: order_id)  # expect-error
can_be_strict('{"type": "string"}')  # expect-error
validate_json({"type": "string"}, "x", "argument")  # expect-error
schema_to_send({"type": "string"}, "yes")  # expect-error
