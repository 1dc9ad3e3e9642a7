"""JSON value types shared by messages, schemas and events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Union

from typing_extensions import TypeAlias

JsonValue: TypeAlias = Union[
    str, int, float, bool, None, Sequence["JsonValue"], Mapping[str, "JsonValue"]
]
"""Any value that `json.dumps` accepts."""

JsonObject: TypeAlias = Mapping[str, JsonValue]
"""A JSON object: tool arguments, schemas, event payloads."""
