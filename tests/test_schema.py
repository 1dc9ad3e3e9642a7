"""Tests of runlet.core.schema: JSON schemas and validation from type hints.

The module uses `from __future__ import annotations` on purpose: every class
below has string annotations, resolved with `get_type_hints`.
"""

from __future__ import annotations

import enum
import json
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass
from typing import Annotated, Any, Callable, Literal, NamedTuple, Optional, TypeVar, Union

import pytest
import typing_extensions as te

from runlet.core.errors import UserError, ValidationError
from runlet.core.schema import FunctionSchema, TypeAdapter, adapter_for, validate_json


def messages(tp: object, value: object) -> list[str]:
    """The issues `validate` reports, as "path: message" strings."""
    with pytest.raises(ValidationError) as info:
        TypeAdapter(tp).validate(value)
    return [str(issue) for issue in info.value.issues]


def message(tp: object, value: object) -> str:
    found = messages(tp, value)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------------------
# Types used by the tests (module level, so forward references resolve)
# ---------------------------------------------------------------------------


class Color(enum.Enum):
    """A primary color."""

    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass
class Item:
    """A line of an order.

    Attributes:
        name: What is ordered.
    """

    name: str
    qty: int = 1
    tags: list[str] = field(default_factory=list)
    note: Annotated[Optional[str], "Free text for the packer."] = None


@dataclass
class Order:
    order_id: str
    items: list[Item]
    color: Color = Color.RED


@dataclass
class Node:
    value: int
    children: list[Node] = field(default_factory=list)


@dataclass
class Parent:
    name: str
    child: Optional[Child] = None


@dataclass
class Child:
    name: str
    parent: Optional[Parent] = None


@dataclass
class Positive:
    n: int

    def __post_init__(self) -> None:
        if self.n <= 0:
            raise ValueError("n must be positive")


@dataclass
class WithInitFalse:
    a: int
    b: int = field(init=False, default=0)


@dataclass(frozen=True)
class Point:
    x: float
    y: float


class Movie(te.TypedDict):
    title: str
    year: te.NotRequired[int]


class Partial(te.TypedDict, total=False):
    title: te.Required[str]
    year: int
    rating: Annotated[float, "Stars, 0 to 5."]


class Pair(NamedTuple):
    left: int
    right: str = "r"


class Plain:
    pass


UserId = typing.NewType("UserId", str)
TV = TypeVar("TV")


# ---------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------


def test_str() -> None:
    a = TypeAdapter(str)
    assert a.json_schema == {"type": "string"}
    assert a.validate("x") == "x"
    assert message(str, 5) == "<root>: expected string, got integer 5"
    assert message(str, None) == "<root>: expected string, got null"


def test_int_rejects_bool_and_fractions_but_accepts_integral_floats() -> None:
    a = TypeAdapter(int)
    assert a.json_schema == {"type": "integer"}
    assert a.validate(5) == 5
    result = a.validate(5.0)
    assert result == 5 and type(result) is int
    assert message(int, True) == "<root>: expected integer, got boolean true"
    assert message(int, 5.5) == "<root>: expected integer, got number 5.5"
    assert message(int, "5") == "<root>: expected integer, got string '5'"
    assert message(int, float("inf")) == "<root>: expected integer, got number inf"


def test_float_accepts_int() -> None:
    a = TypeAdapter(float)
    assert a.json_schema == {"type": "number"}
    result = a.validate(3)
    assert result == 3.0 and type(result) is float
    assert a.validate(2.5) == 2.5
    assert message(float, False) == "<root>: expected number, got boolean false"
    assert message(float, [1]) == "<root>: expected number, got array of 1 item"


def test_bool_and_none() -> None:
    assert TypeAdapter(bool).json_schema == {"type": "boolean"}
    assert TypeAdapter(bool).validate(True) is True
    assert message(bool, 1) == "<root>: expected boolean, got integer 1"
    assert TypeAdapter(None).json_schema == {"type": "null"}
    assert TypeAdapter(type(None)).validate(None) is None
    assert message(None, {}) == "<root>: expected null, got object"


@pytest.mark.parametrize("tp", [Any, object])
def test_any(tp: object) -> None:
    a = TypeAdapter(tp)
    assert a.json_schema == {}
    value = {"a": [1, 2]}
    assert a.validate(value) is value


def test_long_strings_are_shortened_in_messages() -> None:
    text = message(int, "x" * 500)
    assert len(text) < 120
    assert text.startswith("<root>: expected integer, got string 'xxx")


def test_newtype_is_its_supertype() -> None:
    assert TypeAdapter(UserId).json_schema == {"type": "string"}
    assert TypeAdapter(UserId).validate("u1") == "u1"


# ---------------------------------------------------------------------------
# Unions, Literal, Enum
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("tp", [Optional[int], Union[int, None], int | None])
def test_optional(tp: object) -> None:
    a = TypeAdapter(tp)
    assert a.json_schema == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert a.validate(None) is None
    assert a.validate(3) == 3
    assert message(tp, "x") == "<root>: expected integer or null, got string 'x'"


def test_optional_reports_the_inner_problem_when_the_kind_matches() -> None:
    assert message(Optional[Item], {"name": 1}) == "name: expected string, got integer 1"


def test_union_schema_and_order() -> None:
    a = TypeAdapter(Union[str, int, list[int]])
    assert a.json_schema == {
        "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]
    }
    assert a.validate("a") == "a"
    assert a.validate([1]) == [1]
    assert message(str | int, True) == "<root>: expected string or integer, got boolean true"


def test_union_reports_the_branch_of_the_matching_kind() -> None:
    assert message(int | list[int], [1, "a"]) == "[1]: expected integer, got string 'a'"


def test_union_with_several_candidate_branches() -> None:
    text = message(Union[Item, Point], {"x": 1})
    assert text.startswith("<root>: matches none of the allowed types (as Item object: ")
    assert "as Point object: missing required field 'y'" in text


def test_union_tries_int_before_float() -> None:
    for tp in (Union[float, int], Union[int, float]):
        assert type(TypeAdapter(tp).validate(5)) is int
        assert TypeAdapter(tp).validate(5.5) == 5.5


def test_literal() -> None:
    a = TypeAdapter(Literal["open", "closed"])
    assert a.json_schema == {"type": "string", "enum": ["open", "closed"]}
    assert a.validate("open") == "open"
    assert message(Literal["open", "closed"], "pending") == "<root>: expected one of 'open', 'closed', got 'pending'"
    assert message(Literal["open"], 1) == "<root>: expected 'open', got 1"


def test_literal_distinguishes_bool_and_int() -> None:
    assert TypeAdapter(Literal[1, 2]).json_schema == {"type": "integer", "enum": [1, 2]}
    assert message(Literal[1, 2], True) == "<root>: expected one of 1, 2, got true"
    assert message(Literal[True], 1) == "<root>: expected true, got 1"
    assert TypeAdapter(Literal[True]).validate(True) is True
    assert TypeAdapter(Literal[1]).validate(1.0) == 1


def test_literal_mixed_none_and_enum_members() -> None:
    a = TypeAdapter(Literal["a", 1, None])
    assert a.json_schema == {"enum": ["a", 1, None]}
    assert a.validate(None) is None
    b = TypeAdapter(Literal[Color.RED])
    assert b.json_schema == {"type": "string", "enum": ["red"]}
    assert b.validate("red") is Color.RED
    assert b.dump(Color.RED) == "red"
    assert message(Literal[Color.RED], "green") == "<root>: expected 'red', got 'green'"


def test_enum() -> None:
    a = TypeAdapter(Color)
    assert a.json_schema == {"type": "string", "enum": ["red", "green"], "description": "A primary color."}
    assert a.validate("green") is Color.GREEN
    assert a.validate(Color.RED) is Color.RED
    assert a.dump(Color.GREEN) == "green"
    assert message(Color, "blue") == "<root>: expected one of 'red', 'green', got 'blue'"
    b = TypeAdapter(Level)
    assert b.json_schema == {"type": "integer", "enum": [1, 2]}
    assert b.validate(2) is Level.HIGH
    assert message(Level, True) == "<root>: expected one of 1, 2, got true"


def test_enum_with_non_json_values_is_rejected() -> None:
    class Weird(enum.Enum):
        A = (1, 2)

    with pytest.raises(UserError, match="Weird"):
        TypeAdapter(Weird)


# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("tp", [list[int], Sequence[int], typing.List[int], typing.Sequence[int]])  # noqa: UP006
def test_list(tp: object) -> None:
    a = TypeAdapter(tp)
    assert a.json_schema == {"type": "array", "items": {"type": "integer"}}
    assert a.validate([1, 2]) == [1, 2]
    assert a.validate(()) == []
    assert messages(tp, [1, "a", None]) == [
        "[1]: expected integer, got string 'a'",
        "[2]: expected integer, got null",
    ]
    assert message(tp, "12") == "<root>: expected array, got string '12'"


def test_bare_containers_hold_anything() -> None:
    assert TypeAdapter(list).json_schema == {"type": "array", "items": {}}
    assert TypeAdapter(dict).json_schema == {"type": "object"}
    assert TypeAdapter(dict).validate({"a": [1]}) == {"a": [1]}
    assert TypeAdapter(tuple).validate([1, "a"]) == (1, "a")


def test_homogeneous_tuple() -> None:
    a = TypeAdapter(tuple[int, ...])
    assert a.json_schema == {"type": "array", "items": {"type": "integer"}}
    assert a.validate([1, 2]) == (1, 2)
    assert a.dump((1, 2)) == [1, 2]


def test_fixed_tuple() -> None:
    a = TypeAdapter(tuple[int, str])
    assert a.json_schema == {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "items": False,
        "minItems": 2,
        "maxItems": 2,
    }
    assert a.validate([1, "a"]) == (1, "a")
    assert message(tuple[int, str], [1]) == "<root>: expected array of 2 items, got array of 1 item"
    assert message(tuple[int, str], ["a", "b"]) == "[0]: expected integer, got string 'a'"
    assert TypeAdapter(tuple[()]).validate([]) == ()


def test_sets() -> None:
    a = TypeAdapter(set[str])
    assert a.json_schema == {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    assert a.validate(["a", "b", "a"]) == {"a", "b"}
    b = TypeAdapter(frozenset[int])
    result = b.validate([1, 2])
    assert result == frozenset({1, 2}) and isinstance(result, frozenset)
    assert sorted(b.dump(frozenset({2, 1}))) == [1, 2]  # type: ignore[type-var]
    assert message(set[int], [1, "x"]) == "[1]: expected integer, got string 'x'"


@pytest.mark.parametrize("tp", [dict[str, int], Mapping[str, int], typing.Dict[str, int]])  # noqa: UP006
def test_dict(tp: object) -> None:
    a = TypeAdapter(tp)
    assert a.json_schema == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert a.validate({"a": 1}) == {"a": 1}
    assert messages(tp, {"a": "x", "b c": None}) == [
        "a: expected integer, got string 'x'",
        '["b c"]: expected integer, got null',
    ]
    assert message(tp, [1]) == "<root>: expected object, got array of 1 item"


def test_dict_keys_must_be_strings() -> None:
    with pytest.raises(UserError, match=r"dict\[int, str\].*keys must be str"):
        TypeAdapter(dict[int, str])


# ---------------------------------------------------------------------------
# Dataclasses, TypedDict, NamedTuple
# ---------------------------------------------------------------------------


def test_dataclass_schema() -> None:
    assert TypeAdapter(Item).json_schema == {
        "type": "object",
        "description": "A line of an order.",
        "properties": {
            "name": {"type": "string", "description": "What is ordered."},
            "qty": {"type": "integer", "default": 1},
            "tags": {"type": "array", "items": {"type": "string"}},
            "note": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "Free text for the packer.",
                "default": None,
            },
        },
        "required": ["name"],
        "additionalProperties": False,
    }


def test_dataclass_validation() -> None:
    a = TypeAdapter(Order)
    order = a.validate({"order_id": "o1", "items": [{"name": "a"}, {"name": "b", "qty": 2, "tags": ["x"]}]})
    assert order == Order("o1", [Item("a"), Item("b", 2, ["x"])], Color.RED)
    assert a.dump(order) == {
        "order_id": "o1",
        "items": [
            {"name": "a", "qty": 1, "tags": [], "note": None},
            {"name": "b", "qty": 2, "tags": ["x"], "note": None},
        ],
        "color": "red",
    }


def test_dataclass_reports_every_problem_with_paths() -> None:
    found = messages(
        Order,
        {"items": [{"name": "a"}, {"name": "b"}, {"qty": "2", "extra": 1}], "color": "blue", "bogus": 0},
    )
    assert found == [
        "<root>: missing required field 'order_id'",
        "items[2]: missing required field 'name'",
        "items[2].qty: expected integer, got string '2'",
        "items[2].extra: unexpected field (known: name, qty, tags, note)",
        "color: expected one of 'red', 'green', got 'blue'",
        "bogus: unexpected field (known: order_id, items, color)",
    ]


def test_dataclass_post_init_errors_become_issues() -> None:
    assert message(Positive, {"n": 0}) == "<root>: invalid Positive: n must be positive"
    assert message(list[Positive], [{"n": 1}, {"n": -1}]) == "[1]: invalid Positive: n must be positive"


def test_dataclass_init_false_fields_are_not_arguments() -> None:
    a = TypeAdapter(WithInitFalse)
    assert list(a.json_schema["properties"]) == ["a"]  # type: ignore[call-overload]
    assert message(WithInitFalse, {"a": 1, "b": 2}) == "b: unexpected field (known: a)"


def test_typeddict() -> None:
    a = TypeAdapter(Movie)
    assert a.json_schema == {
        "type": "object",
        "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
        "required": ["title"],
        "additionalProperties": False,
    }
    assert a.validate({"title": "x"}) == {"title": "x"}
    assert a.validate({"title": "x", "year": 1999}) == {"title": "x", "year": 1999}
    assert a.dump({"title": "x"}) == {"title": "x"}
    assert message(Movie, {"year": 1}) == "<root>: missing required field 'title'"


def test_typeddict_total_false_and_required() -> None:
    a = TypeAdapter(Partial)
    assert a.json_schema["required"] == ["title"]
    assert a.json_schema["properties"]["rating"] == {  # type: ignore[index]
        "type": "number",
        "description": "Stars, 0 to 5.",
    }
    assert a.validate({"title": "t"}) == {"title": "t"}


@pytest.mark.skipif(not hasattr(typing, "NotRequired"), reason="typing.NotRequired is Python 3.11+")
def test_typeddict_with_typing_module_qualifiers() -> None:
    td = typing.TypedDict("td", {"a": typing.Required[int], "b": typing.NotRequired[str]}, total=False)  # type: ignore[attr-defined,misc]
    assert TypeAdapter(td).json_schema["required"] == ["a"]


def test_namedtuple() -> None:
    a = TypeAdapter(Pair)
    assert a.json_schema == {
        "type": "object",
        "properties": {"left": {"type": "integer"}, "right": {"type": "string", "default": "r"}},
        "required": ["left"],
        "additionalProperties": False,
    }
    assert a.validate({"left": 1}) == Pair(1, "r")
    assert a.dump(Pair(1, "x")) == {"left": 1, "right": "x"}


def test_recursive_dataclass_uses_defs() -> None:
    a = TypeAdapter(Node)
    node_schema = {
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
        },
        "required": ["value"],
        "additionalProperties": False,
    }
    assert a.json_schema == {**node_schema, "$defs": {"Node": node_schema}}
    tree = a.validate({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})
    assert tree == Node(1, [Node(2, [Node(3)])])
    assert message(Node, {"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}) == (
        "children[0].children[0].value: expected integer, got string 'x'"
    )


def test_mutually_recursive_dataclasses() -> None:
    a = TypeAdapter(list[Parent])
    schema = a.json_schema
    assert schema["items"] == {"$ref": "#/$defs/Parent"}  # type: ignore[index]
    assert set(schema["$defs"]) == {"Parent"}  # type: ignore[arg-type]
    assert a.validate([{"name": "p", "child": {"name": "c", "parent": {"name": "q"}}}]) == [
        Parent("p", Child("c", Parent("q")))
    ]
    json.dumps(schema)  # no cycles in the schema itself


def test_a_type_used_twice_is_inlined_twice() -> None:
    schema = TypeAdapter(tuple[Point, Point]).json_schema
    assert "$defs" not in schema


# ---------------------------------------------------------------------------
# Annotated
# ---------------------------------------------------------------------------


def test_annotated_description_and_other_metadata() -> None:
    assert TypeAdapter(Annotated[str, "The name."]).json_schema == {"type": "string", "description": "The name."}
    assert TypeAdapter(Annotated[int, object(), "Count."]).json_schema == {"type": "integer", "description": "Count."}
    assert TypeAdapter(Annotated[int, 42]).json_schema == {"type": "integer"}
    assert TypeAdapter(list[Annotated[int, "n"]]).json_schema == {
        "type": "array",
        "items": {"type": "integer", "description": "n"},
    }
    assert TypeAdapter(Annotated[int, "n"]).validate(1) == 1


# ---------------------------------------------------------------------------
# Unsupported hints, caching, dump
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "name"),
    [
        (Plain, "Plain"),
        (Callable[[int], str], "Callable"),
        (bytes, "bytes"),
        (TV, "TV"),
        (list[Plain], "Plain"),
        (Literal[b"x"], "Literal"),
    ],
)
def test_unsupported_hints_fail_at_creation(tp: object, name: str) -> None:
    with pytest.raises(UserError, match=name):
        TypeAdapter(tp)


def test_unsupported_field_names_its_place() -> None:
    @dataclass
    class Holder:
        callback: int

    Holder.__annotations__["callback"] = Plain  # a hint get_type_hints can resolve
    with pytest.raises(UserError, match=r"Plain.*field 'callback' of .*Holder"):
        TypeAdapter(Holder)


def test_unresolvable_forward_reference() -> None:
    with pytest.raises(UserError, match="Missing"):
        TypeAdapter("Missing")


def test_adapter_for_caches() -> None:
    assert adapter_for(list[int]) is adapter_for(list[int])
    unhashable = Annotated[int, {"not": "hashable"}]
    assert adapter_for(unhashable).validate(1) == 1


def test_dump() -> None:
    assert TypeAdapter(Any).dump({"p": Point(1, 2), "c": Color.RED, "t": (1, 2), "s": {3}}) == {
        "p": {"x": 1, "y": 2},
        "c": "red",
        "t": [1, 2],
        "s": [3],
    }
    assert TypeAdapter(Union[Pair, int]).dump(Pair(1, "a")) == {"left": 1, "right": "a"}
    assert TypeAdapter(Optional[Color]).dump(None) is None


# ---------------------------------------------------------------------------
# FunctionSchema
# ---------------------------------------------------------------------------


def get_order(order_id: str, verbose: bool = False) -> str:
    """Look up an order.

    Returns its status as text.

    Args:
        order_id: The order's id,
            as printed on the receipt.
        verbose (bool): Say more.

    Returns:
        The status.
    """
    return order_id


def test_function_schema() -> None:
    fs = FunctionSchema.from_function(get_order)
    assert fs.name == "get_order"
    assert fs.description == "Look up an order.\n\nReturns its status as text.\n\nReturns:\n    The status."
    assert fs.json_schema == {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "description": "The order's id, as printed on the receipt."},
            "verbose": {"type": "boolean", "description": "Say more.", "default": False},
        },
        "required": ["order_id"],
        "additionalProperties": False,
    }


def test_function_validate() -> None:
    fs = FunctionSchema.from_function(get_order)
    assert fs.validate({"order_id": "123"}) == {"order_id": "123", "verbose": False}
    assert fs.validate({"order_id": "1", "verbose": True}) == {"order_id": "1", "verbose": True}


def test_function_validate_reports_everything_together() -> None:
    fs = FunctionSchema.from_function(get_order)
    with pytest.raises(ValidationError) as info:
        fs.validate({"verbose": "yes", "limit": 5})
    assert [str(i) for i in info.value.issues] == [
        "<root>: missing required argument 'order_id'",
        "verbose: expected boolean, got string 'yes'",
        "limit: unexpected argument (known: order_id, verbose)",
    ]
    with pytest.raises(ValidationError, match="order_id: expected string, got integer 5"):
        fs.validate({"order_id": 5})
    with pytest.raises(ValidationError, match=r"<root>: expected an object of arguments, got array"):
        fs.validate([1])


def sphinx_style(city: str, days: int = 3) -> str:
    """Get the forecast.

    :param city: The city,
        in English.
    :type city: str
    :param int days: How many days.
    :returns: The forecast.
    """
    return city


def numpy_style(city: str, days: int = 3) -> str:
    """Get the forecast.

    Parameters
    ----------
    city : str
        The city,
        in English.
    days : int
        How many days.

    Returns
    -------
    str
        The forecast.
    """
    return city


def test_sphinx_docstring() -> None:
    fs = FunctionSchema.from_function(sphinx_style)
    assert fs.description == "Get the forecast.\n\n:returns: The forecast."
    props = fs.json_schema["properties"]
    assert props["city"]["description"] == "The city, in English."  # type: ignore[index]
    assert props["days"]["description"] == "How many days."  # type: ignore[index]


def test_numpy_docstring() -> None:
    fs = FunctionSchema.from_function(numpy_style)
    assert fs.description == "Get the forecast.\n\nReturns\n-------\nstr\n    The forecast."
    props = fs.json_schema["properties"]
    assert props["city"]["description"] == "The city, in English."  # type: ignore[index]
    assert props["days"]["description"] == "How many days."  # type: ignore[index]


def test_google_arguments_section_and_annotated_wins() -> None:
    def f(a: Annotated[int, "From Annotated."], b: str) -> None:
        """Do it.

        Arguments:
            a: From the docstring.
            b (str): B.
        """

    fs = FunctionSchema.from_function(f)
    assert fs.description == "Do it."
    props = fs.json_schema["properties"]
    assert props["a"]["description"] == "From Annotated."  # type: ignore[index]
    assert props["b"]["description"] == "B."  # type: ignore[index]


def test_function_without_docstring_or_params() -> None:
    def ping() -> str:
        return "pong"

    fs = FunctionSchema.from_function(ping)
    assert fs.description == ""
    assert fs.json_schema == {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    assert fs.validate({}) == {}
    with pytest.raises(ValidationError, match=r"x: unexpected argument \(known: none\)"):
        fs.validate({"x": 1})


def test_function_defaults_that_are_not_json_are_left_out() -> None:
    sentinel = object()

    def f(a: Any = sentinel, b: Color = Color.GREEN, c: tuple[int, ...] = (1, 2)) -> None:
        pass

    fs = FunctionSchema.from_function(f)
    props = fs.json_schema["properties"]
    assert "default" not in props["a"]  # type: ignore[operator]
    assert props["b"]["default"] == "green"  # type: ignore[index]
    assert props["c"]["default"] == [1, 2]  # type: ignore[index]
    assert fs.validate({})["a"] is sentinel


def test_function_skip_first() -> None:
    class Ctx:
        pass

    def f(ctx: Ctx, query: str) -> str:
        return query

    fs = FunctionSchema.from_function(f, skip_first=True)
    assert list(fs.json_schema["properties"]) == ["query"]  # type: ignore[call-overload]
    assert fs.validate({"query": "q"}) == {"query": "q"}
    with pytest.raises(UserError, match="Ctx"):
        FunctionSchema.from_function(f)


def test_function_with_nested_dataclass_and_recursion() -> None:
    def plant(tree: Node, order: Order) -> None:
        pass

    fs = FunctionSchema.from_function(plant)
    schema = fs.json_schema
    assert schema["properties"]["tree"] == {"$ref": "#/$defs/Node"}  # type: ignore[index]
    assert "Node" in schema["$defs"]  # type: ignore[operator]
    kwargs = fs.validate({"tree": {"value": 1}, "order": {"order_id": "o", "items": []}})
    assert kwargs == {"tree": Node(1), "order": Order("o", [])}


def test_function_methods_and_callables() -> None:
    class Service:
        def lookup(self, key: str) -> str:
            """Find a key."""
            return key

        def __call__(self, n: int) -> int:
            return n

    assert list(FunctionSchema.from_function(Service().lookup).json_schema["properties"]) == ["key"]  # type: ignore[call-overload]
    assert FunctionSchema.from_function(Service()).validate({"n": 1}) == {"n": 1}


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("def f(*args: int) -> None: ...", r"\*args"),
        ("def f(**kwargs: int) -> None: ...", r"\*\*kwargs"),
        ("def f(a: int, /) -> None: ...", "positional-only"),
        ("def f(a) -> None: ...", "no type annotation"),
        ("def f(a: 'Nope') -> None: ...", "Nope"),
    ],
)
def test_function_schema_rejects_bad_signatures(source: str, match: str) -> None:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(UserError, match=match):
        FunctionSchema.from_function(namespace["f"])


# ---------------------------------------------------------------------------
# pydantic, by duck typing
# ---------------------------------------------------------------------------


try:
    import pydantic
except ImportError:  # pragma: no cover
    pydantic = None  # type: ignore[assignment]
else:

    class Address(pydantic.BaseModel):
        city: str
        zip: int

    class Person(pydantic.BaseModel):
        name: str
        address: Address

    class Tree(pydantic.BaseModel):
        label: str
        kids: list[Tree] = []


def test_pydantic_model() -> None:
    pytest.importorskip("pydantic")
    a = TypeAdapter(list[Person])
    schema = a.json_schema
    assert schema["items"]["properties"]["address"] == {"$ref": "#/$defs/Address"}  # type: ignore[index]
    assert "Address" in schema["$defs"]  # type: ignore[operator]
    people = a.validate([{"name": "a", "address": {"city": "c", "zip": 1}}])
    assert people[0].address.city == "c"
    assert a.dump(people) == [{"name": "a", "address": {"city": "c", "zip": 1}}]
    found = messages(list[Person], [{"address": {"city": 5, "zip": 1}}])
    assert found[0] == "[0]: missing required field 'name'"
    assert found[1].startswith("[0].address.city: Input should be a valid string, got integer 5")

    def f(p: Person) -> None:
        pass

    fs = FunctionSchema.from_function(f)
    assert fs.json_schema["properties"]["p"]["properties"]["address"] == {"$ref": "#/$defs/Address"}  # type: ignore[index]
    assert fs.validate({"p": {"name": "n", "address": {"city": "c", "zip": 2}}})["p"].name == "n"  # type: ignore[attr-defined]


def test_unresolvable_context_hint_does_not_matter_when_skipped() -> None:
    namespace: dict[str, Any] = {}
    exec("def f(ctx: 'OnlyForTypeCheckers', query: 'list[int]') -> None: ...", namespace)
    fs = FunctionSchema.from_function(namespace["f"], skip_first=True)
    assert fs.json_schema["properties"] == {"query": {"type": "array", "items": {"type": "integer"}}}
    with pytest.raises(UserError, match="OnlyForTypeCheckers"):
        FunctionSchema.from_function(namespace["f"])


def test_pydantic_recursive_model_at_the_root_is_inlined() -> None:
    pytest.importorskip("pydantic")
    schema = TypeAdapter(Tree).json_schema
    assert schema["type"] == "object"
    assert schema["properties"]["kids"]["items"] == {"$ref": "#/$defs/Tree"}  # type: ignore[index]
    assert "Tree" in schema["$defs"]  # type: ignore[operator]
    tree = TypeAdapter(Tree).validate({"label": "a", "kids": [{"label": "b"}]})
    assert tree.kids[0].label == "b"


def test_pydantic_defs_with_clashing_names_are_renamed() -> None:
    pytest.importorskip("pydantic")
    # A recursive dataclass also called "Tree", built with real (not string) annotations.
    local_tree = make_dataclass("Tree", [("label", str), ("parent", Any, field(default=None))])
    local_tree.__annotations__["parent"] = Optional[local_tree]
    both = make_dataclass("Both", [("person", Person), ("mine", local_tree), ("theirs", Tree)])
    schema = TypeAdapter(both).json_schema
    defs = schema["$defs"]
    assert sorted(defs) == ["Address", "Tree", "Tree2"]  # type: ignore[arg-type]
    assert schema["properties"]["mine"] == {"$ref": "#/$defs/Tree"}  # type: ignore[index]
    assert defs["Tree"]["properties"]["parent"] == {  # type: ignore[index]
        "anyOf": [{"$ref": "#/$defs/Tree"}, {"type": "null"}],
        "default": None,
    }
    assert defs["Tree2"]["properties"]["kids"]["items"] == {"$ref": "#/$defs/Tree2"}  # type: ignore[index]
    assert schema["properties"]["theirs"]["properties"]["kids"]["items"] == {"$ref": "#/$defs/Tree2"}  # type: ignore[index]
    value = TypeAdapter(both).validate(
        {"person": {"name": "p", "address": {"city": "c", "zip": 1}}, "mine": {"label": "m"}, "theirs": {"label": "t"}}
    )
    assert value.mine == local_tree("m")


def test_float_rejects_integers_too_large_for_a_float() -> None:
    text = message(float, 10**400)
    assert text.startswith("<root>: expected number, got integer 1000")
    assert text.endswith("which is too large for a float")


def test_function_schema_survives_replace() -> None:
    import dataclasses

    fs = dataclasses.replace(FunctionSchema.from_function(get_order), name="renamed")
    assert fs.name == "renamed"
    assert fs.validate({"order_id": "1"}) == {"order_id": "1", "verbose": False}
    with pytest.raises(UserError):
        FunctionSchema("n", "d", {}).validate({})


# ---------------------------------------------------------------------------
# validate_json: a JSON schema checked with the nodes of type hints
# ---------------------------------------------------------------------------


def json_messages(schema: Mapping[str, Any], value: object) -> list[str]:
    """The issues `validate_json` reports, as "path: message" strings; empty when the value fits."""
    try:
        validate_json(schema, value)
    except ValidationError as error:
        return [str(issue) for issue in error.issues]
    return []


def test_validate_json_speaks_as_the_type_does() -> None:
    schema = TypeAdapter(Order).json_schema
    bad = {"order_id": 1, "items": [{"name": "a", "qty": 1.5}], "color": 9, "extra": True}
    assert json_messages(schema, bad) == messages(Order, bad) == [
        "order_id: expected string, got integer 1",
        "items[0].qty: expected integer, got number 1.5",
        "color: expected one of 'red', 'green', got 9",
        "extra: unexpected field (known: order_id, items, color)",
    ]
    assert json_messages(schema, {"order_id": "1", "items": [{"name": "a", "qty": 2.0}]}) == []


def test_validate_json_follows_references_and_recursion() -> None:
    schema = TypeAdapter(Node).json_schema
    assert json_messages(schema, {"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}) == [
        "children[0].children[0].value: expected integer, got string 'x'"
    ]
    root: dict[str, Any] = {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}, "required": ["next"]}
    assert json_messages(root, {"next": {"next": None}}) == []
    assert json_messages(root, {"next": {"next": 3}}) == ["next.next: expected object or null, got integer 3"]
    loop = {"$ref": "#/$defs/A", "$defs": {"A": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"$ref": "#/$defs/A"}}]}}}
    assert json_messages(loop, ["a", ["b", 1]]) == []  # a cycle through no object is not followed further
    assert json_messages(loop, 1) == ["<root>: expected string or array, got integer 1"]


@pytest.mark.parametrize(
    ("schema", "value", "found"),
    [
        ({"const": "yes"}, "no", ["<root>: expected 'yes', got 'no'"]),
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, None, ["<root>: expected integer or string, got null"]),
        ({"type": ["integer", "null"]}, None, []),
        ({"type": ["integer", "null"]}, "1", ["<root>: expected integer or null, got string '1'"]),
        ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}, {"a": 1, "b": 2}, []),
        ({"properties": {"a": {"type": "integer"}}, "additionalProperties": False}, {"b": 2}, ["b: unexpected field (known: a)"]),
        ({"type": "object", "additionalProperties": False}, {"b": 2}, ["b: unexpected field (known: none)"]),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, {"b": "2"}, ["b: expected integer, got string '2'"]),
        ({"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}}, [1, 2], []),
        ({"type": "array", "prefixItems": [{"type": "integer"}], "minItems": 1, "items": False}, [1, 2], ["<root>: expected array of 1 item, got array of 2 items"]),
        ({"$ref": "#/$defs/Missing"}, 1, []),
        ({"type": "string", "minLength": 5}, "ab", []),  # constraints no type hint makes are left to the tool
        ({"allOf": [{"type": "string"}]}, 1, []),
    ],
)
def test_validate_json_keywords(schema: Mapping[str, Any], value: object, found: list[str]) -> None:
    assert json_messages(schema, value) == found


def test_validate_json_of_a_pydantic_schema() -> None:
    pytest.importorskip("pydantic")
    schema = TypeAdapter(Person).json_schema
    assert json_messages(schema, {"name": "n", "address": {"city": "c", "zip": 1}, "age": 3}) == []  # pydantic ignores extras
    assert json_messages(schema, {"name": "n", "address": {"city": "c"}}) == ["address: missing required field 'zip'"]
    assert json_messages(schema, {"name": "n", "address": "home"}) == ["address: expected Address object, got string 'home'"]
    tree = TypeAdapter(Tree).json_schema
    assert json_messages(tree, {"label": "a", "kids": [{"label": "b", "kids": [{"label": 1}]}]}) == [
        "kids[0].kids[0].label: expected string, got integer 1"
    ]
