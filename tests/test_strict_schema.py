"""Strict schemas: which schemas can be strict (`can_be_strict`, core), their strict form
(`runlet.providers.strict_schema`), and the tool definitions the runtime sends (`tool_definition`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import pytest
import typing_extensions as te

from runlet.core.context import RunContext
from runlet.core.json import JsonObject, JsonValue
from runlet.core.models import ToolDefinition
from runlet.core.schema import FunctionSchema, TypeAdapter, can_be_strict
from runlet.core.tools import tool, tool_definition
from runlet.providers.strict_schema import schema_to_send, to_strict_schema


@dataclass
class Answer:
    text: str
    score: Optional[float]
    tags: list[Literal["a", "b"]]


@dataclass
class Leaf:
    label: str
    kids: list[Leaf] = field(default_factory=list)


class Draft(te.TypedDict):
    title: str
    body: te.NotRequired[str]


def test_schemas_of_fully_required_types_can_be_strict_as_they_are() -> None:
    schema = TypeAdapter(Answer).json_schema
    assert can_be_strict(schema)
    assert to_strict_schema(schema) == schema


def test_the_strict_form_closes_every_object() -> None:
    schema: JsonObject = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]}},
        "required": ["a"],
    }
    assert to_strict_schema(schema) == {
        "type": "object",
        "properties": {
            "a": {
                "type": "object",
                "properties": {"b": {"type": "string"}},
                "required": ["b"],
                "additionalProperties": False,
            }
        },
        "required": ["a"],
        "additionalProperties": False,
    }
    assert "additionalProperties" not in schema  # the input is left alone


@pytest.mark.parametrize(
    "tp",
    [
        Leaf,  # a field with a default
        Draft,  # a NotRequired key
        dict[str, int],  # an open dictionary
        Any,  # no type
        tuple[int, str],  # prefixItems
        set[int],  # uniqueItems
        list[Any],  # items without a type
    ],
)
def test_schemas_that_cannot_be_strict(tp: object) -> None:
    schema = TypeAdapter(tp).json_schema
    assert not can_be_strict(schema)
    assert to_strict_schema(schema) is None


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": True},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": [["a"]]},
        {"type": "object", "required": []},
        {"type": "array"},
        {"anyOf": {"type": "string"}},
        {"type": "string", "minLength": 1},
        {"type": "string", "$defs": {"X": {"type": "string", "default": "x"}}},
        {"description": "no type at all"},
    ],
)
def test_other_schemas_that_cannot_be_strict(schema: JsonObject) -> None:
    assert not can_be_strict(schema)


def test_recursive_schemas_can_be_strict_when_fully_required() -> None:
    assert not can_be_strict(TypeAdapter(Leaf).json_schema)
    node: JsonValue = {"type": "object", "properties": {"n": {"anyOf": [{"$ref": "#/$defs/N"}, {"type": "null"}]}}, "required": ["n"]}
    schema: JsonObject = {"type": "object", "properties": {"n": {"$ref": "#/$defs/N"}}, "required": ["n"], "$defs": {"N": node}}
    assert can_be_strict(schema)
    strict = to_strict_schema(schema)
    assert strict is not None and strict["$defs"] == {"N": {**node, "additionalProperties": False}}  # type: ignore[dict-item]


def test_schema_to_send() -> None:
    strict_able = TypeAdapter(Answer).json_schema
    loose = TypeAdapter(Leaf).json_schema
    assert schema_to_send(strict_able, True) == (strict_able, True)
    assert schema_to_send(strict_able, False) == (strict_able, False)
    assert schema_to_send(loose, True) == (loose, False)


def test_function_schemas_are_strict_unless_a_parameter_has_a_default() -> None:
    def f(a: str, b: list[int], c: int | None) -> None:
        """Every parameter required."""

    def g(a: str, b: int = 1) -> None:
        """`b` is optional."""

    assert can_be_strict(FunctionSchema.from_function(f).json_schema)
    assert not can_be_strict(FunctionSchema.from_function(g).json_schema)


@tool
async def lookup(ctx: RunContext[None], order_id: str) -> str:
    """Look an order up."""
    return order_id


@tool
def page(query: str, limit: int = 10) -> str:
    """Search, a page at a time."""
    return query


class RawTool:
    """A tool by shape only, with a hand-written schema."""

    name = "raw"
    description = "Takes anything."
    parameters: JsonObject = {"type": "object", "additionalProperties": True}

    async def call(self, ctx: RunContext[Any], arguments: JsonValue) -> str:
        return "ok"


def test_tool_definitions_are_strict_wherever_the_schema_can_be() -> None:
    assert tool_definition(lookup) == ToolDefinition("lookup", "Look an order up.", lookup.parameters, strict=True)
    assert tool_definition(page) == ToolDefinition("page", "Search, a page at a time.", page.parameters, strict=False)
    assert tool_definition(RawTool()) == ToolDefinition("raw", "Takes anything.", RawTool.parameters, strict=False)
