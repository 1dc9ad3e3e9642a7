"""Validator nodes: one compiled type each, which validates, dumps and describes itself.

Objects (dataclasses, TypedDicts, NamedTuples, tool arguments) and pydantic
models have their nodes in `runlet.core.schema._objects`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from runlet.core.json import JsonValue
from runlet.core.schema._issues import ALL_KINDS, NUMBER_KINDS, Issue, format_path, got, json_kind, prefix_issues, show

if TYPE_CHECKING:
    from runlet.core.schema._generate import SchemaGen

Schema = dict[str, JsonValue]
"""A schema being built (a mutable JSON object)."""



def dump_any(value: object) -> JsonValue:
    """Convert a Python value to JSON by looking at its runtime type."""
    if isinstance(value, enum.Enum):
        return dump_any(cast(object, value.value))
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump_any(getattr(value, f.name)) for f in dataclasses.fields(value)}
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump) and not isinstance(value, type):
        return cast(JsonValue, model_dump(mode="json"))
    if isinstance(value, tuple):
        items = cast("tuple[object, ...]", value)
        fields_: tuple[str, ...] | None = getattr(items, "_fields", None)
        if fields_ is None:
            return [dump_any(item) for item in items]
        return {name: dump_any(item) for name, item in zip(fields_, items)}
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        return {str(dump_any(k)): dump_any(v) for k, v in mapping.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [dump_any(item) for item in cast("Iterable[object]", value)]
    raise TypeError(f"cannot convert a {type(value).__name__} to JSON")


class Missing:
    """The type of `MISSING`: no value (a field without a default, a key not given)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = Missing()
INVALID = object()


def json_default(node: Node, value: object) -> JsonValue | Missing:
    """`value` dumped for a schema's "default", or `MISSING` when not JSON-able."""
    try:
        dumped = node.dump(value)
        json.dumps(dumped, allow_nan=False)
    except Exception:
        return MISSING
    return dumped


class Node:
    """One compiled type: validates, dumps and describes itself."""

    desc: str = "value"
    """What the node expects, for messages: "string", "Point object"."""
    kinds: frozenset[str] = ALL_KINDS
    """The JSON kinds of value the node may accept (picks the branch a union reports)."""

    def validate(self, value: object, issues: list[Issue]) -> object:
        """The value converted to the type, or `INVALID` with the problems appended to `issues`."""
        raise NotImplementedError

    def dump(self, value: Any) -> JsonValue:
        """A value of the type as JSON-able data."""
        return dump_any(value)

    def schema(self, gen: SchemaGen) -> Schema:
        """The node's JSON schema (recursive objects as references, through `gen`)."""
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        """The nodes inside this one (to find recursion)."""
        return ()

    def _mismatch(self, value: object, issues: list[Issue]) -> object:
        issues.append(Issue(f"expected {self.desc}, got {got(value)}"))
        return INVALID


class AnyNode(Node):
    """`Any` and `object`: every value."""

    desc = "any value"

    def validate(self, value: object, issues: list[Issue]) -> object:
        return value

    def schema(self, gen: SchemaGen) -> Schema:
        return {}


class StrNode(Node):
    """`str`."""

    desc = "string"
    kinds = frozenset({"string"})

    def validate(self, value: object, issues: list[Issue]) -> object:
        if isinstance(value, str):
            return value
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(str, value)

    def schema(self, gen: SchemaGen) -> Schema:
        return {"type": "string"}


class IntNode(Node):
    """`int` (an integral float too)."""

    desc = "integer"
    kinds = NUMBER_KINDS

    def validate(self, value: object, issues: list[Issue]) -> object:
        if type(value) is int:
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(int, value)

    def schema(self, gen: SchemaGen) -> Schema:
        return {"type": "integer"}


class FloatNode(Node):
    """`float` (an `int` too)."""

    desc = "number"
    kinds = NUMBER_KINDS

    def validate(self, value: object, issues: list[Issue]) -> object:
        if type(value) is float:
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                issues.append(Issue(f"expected number, got {got(value)}, which is too large for a float"))
                return INVALID
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(float, value)

    def schema(self, gen: SchemaGen) -> Schema:
        return {"type": "number"}


class BoolNode(Node):
    """`bool`."""

    desc = "boolean"
    kinds = frozenset({"boolean"})

    def validate(self, value: object, issues: list[Issue]) -> object:
        if isinstance(value, bool):
            return value
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(bool, value)

    def schema(self, gen: SchemaGen) -> Schema:
        return {"type": "boolean"}


class NullNode(Node):
    """`None`."""

    desc = "null"
    kinds = frozenset({"null"})

    def validate(self, value: object, issues: list[Issue]) -> object:
        if value is None:
            return None
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return None

    def schema(self, gen: SchemaGen) -> Schema:
        return {"type": "null"}


ANY = AnyNode()
STR = StrNode()
INT = IntNode()
FLOAT = FloatNode()
BOOL = BoolNode()
NULL = NullNode()


def _choice_key(value: object) -> tuple[str, object] | None:
    """A key under which JSON scalars compare as JSON does (1 == 1.0, true != 1)."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    return None


def _json_type(value: object) -> str:
    return {
        "null": "null",
        "boolean": "boolean",
        "integer": "integer",
        "number": "number",
        "string": "string",
    }.get(json_kind(value), "other")


class ChoiceNode(Node):
    """`Literal[...]` and `Enum`: one of a fixed set of JSON scalars."""

    def __init__(self, choices: list[tuple[JsonValue, object]], enum_cls: type[enum.Enum] | None) -> None:
        # choices: (JSON value, Python result)
        self.values: list[JsonValue] = [json_value for json_value, _ in choices]
        self.lookup: dict[tuple[str, object], object] = {}
        for json_value, result in choices:
            key = _choice_key(json_value)
            if key is not None:
                self.lookup.setdefault(key, result)
        self.enum_cls = enum_cls
        self.description = ""
        shown = ", ".join(show(v) for v in self.values)
        self.desc = f"one of {shown}" if len(self.values) != 1 else shown
        kinds: set[str] = set()
        for v in self.values:
            k = json_kind(v)
            kinds.update(NUMBER_KINDS if k in NUMBER_KINDS else {k})
        self.kinds = frozenset(kinds)

    def validate(self, value: object, issues: list[Issue]) -> object:
        if self.enum_cls is not None and isinstance(value, self.enum_cls):
            return value
        try:
            key = _choice_key(value)
            if key is not None:
                found = self.lookup.get(key, MISSING)
                if found is not MISSING:
                    return found
        except TypeError:  # pragma: no cover - unhashable scalar subclass
            pass
        issues.append(Issue(f"expected {self.desc}, got {show(value)}"))
        return INVALID

    def dump(self, value: Any) -> JsonValue:
        if isinstance(value, enum.Enum):
            return cast(JsonValue, value.value)
        return cast(JsonValue, value)

    def schema(self, gen: SchemaGen) -> Schema:
        types_ = {_json_type(v) for v in self.values}
        if types_ == {"integer", "number"}:
            types_ = {"number"}
        out: Schema = {}
        if len(types_) == 1 and "other" not in types_:
            out["type"] = types_.pop()
        out["enum"] = list(self.values)
        if self.description:
            out["description"] = self.description
        return out


class OptionalNode(Node):
    """`T | None`, the most common union, without the general union's bookkeeping."""

    def __init__(self, inner: Node, null_first: bool) -> None:
        self.inner = inner
        self.null_first = null_first
        self.desc = f"{inner.desc} or null"
        self.kinds = inner.kinds | {"null"}

    def validate(self, value: object, issues: list[Issue]) -> object:
        if value is None:
            return None
        start = len(issues)
        result = self.inner.validate(value, issues)
        if len(issues) != start and json_kind(value) not in self.inner.kinds:
            del issues[start:]
            issues.append(Issue(f"expected {self.desc}, got {got(value)}"))
        return result

    def dump(self, value: Any) -> JsonValue:
        return None if value is None else self.inner.dump(value)

    def schema(self, gen: SchemaGen) -> Schema:
        branches: list[JsonValue] = [self.inner.schema(gen), {"type": "null"}]
        if self.null_first:
            branches.reverse()
        return {"anyOf": branches}

    def children(self) -> tuple[Node, ...]:
        return (self.inner,)


class UnionNode(Node):
    """A union of two or more members (not `T | None` alone), tried in order."""

    def __init__(self, branches: list[Node]) -> None:
        self.branches = branches
        self.desc = " or ".join(b.desc for b in branches)
        kinds: frozenset[str] = frozenset()
        for b in branches:
            kinds |= b.kinds
        self.kinds = kinds

    def validate(self, value: object, issues: list[Issue]) -> object:
        attempts: list[list[Issue]] = []
        for branch in self.branches:
            branch_issues: list[Issue] = []
            result = branch.validate(value, branch_issues)
            if not branch_issues:
                return result
            attempts.append(branch_issues)
        kind = json_kind(value)
        candidates = [i for i, b in enumerate(self.branches) if kind in b.kinds]
        if len(candidates) == 1:
            issues.extend(attempts[candidates[0]])
        elif not candidates:
            issues.append(Issue(f"expected {self.desc}, got {got(value)}"))
        else:
            parts: list[str] = []
            for i in candidates:
                first = attempts[i][0]
                where = format_path(first.rpath)
                parts.append(f"as {self.branches[i].desc}: {where + ': ' if where else ''}{first.message}")
            issues.append(Issue(f"matches none of the allowed types ({'; '.join(parts)})"))
        return INVALID

    def dump(self, value: Any) -> JsonValue:
        return dump_any(value)

    def schema(self, gen: SchemaGen) -> Schema:
        return {"anyOf": [b.schema(gen) for b in self.branches]}

    def children(self) -> tuple[Node, ...]:
        return tuple(self.branches)


def union_of(nodes: list[Node]) -> Node:
    """The node of a union of `nodes`: duplicates dropped, `Any` absorbing, `T | None` as `OptionalNode`.

    An ``int`` member is moved before a ``float`` member, so that ``5`` stays an ``int``.
    """
    unique: list[Node] = []
    for node in nodes:
        if node not in unique:
            unique.append(node)
    if any(n is ANY for n in unique):
        return ANY
    if len(unique) == 1:
        return unique[0]
    if len(unique) == 2 and NULL in unique:
        inner = unique[0] if unique[1] is NULL else unique[1]
        return OptionalNode(inner, null_first=unique[0] is NULL)
    if INT in unique and FLOAT in unique:
        i, f = unique.index(INT), unique.index(FLOAT)
        if f < i:
            unique[i], unique[f] = unique[f], unique[i]
    return UnionNode(unique)


class DescribedNode(Node):
    """`Annotated[T, "description"]`."""

    def __init__(self, inner: Node, description: str) -> None:
        self.inner = inner
        self.description = description
        self.desc = inner.desc
        self.kinds = inner.kinds

    def validate(self, value: object, issues: list[Issue]) -> object:
        return self.inner.validate(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return self.inner.dump(value)

    def schema(self, gen: SchemaGen) -> Schema:
        out = self.inner.schema(gen)
        out["description"] = self.description
        return out

    def children(self) -> tuple[Node, ...]:
        return (self.inner,)


class ArrayNode(Node):
    """list, Sequence, tuple[T, ...], set and frozenset."""

    desc = "array"
    kinds = frozenset({"array"})

    def __init__(self, item: Node, factory: Callable[[list[object]], object], unique: bool) -> None:
        self.item = item
        self.factory = factory
        self.unique = unique

    def validate(self, value: object, issues: list[Issue]) -> object:
        if not isinstance(value, (list, tuple)):
            return self._mismatch(value, issues)
        item = self.item
        start = len(issues)
        out: list[object] = []
        append = out.append
        for index, element in enumerate(cast("list[object]", value)):
            before = len(issues)
            append(item.validate(element, issues))
            if len(issues) != before:
                prefix_issues(issues, before, index)
        if len(issues) != start:
            return INVALID
        if self.factory is list:
            return out
        try:
            return self.factory(out)
        except TypeError as error:  # unhashable items in a set
            issues.append(Issue(f"cannot build a set of these items ({error})"))
            return INVALID

    def dump(self, value: Any) -> JsonValue:
        item = self.item
        return [item.dump(v) for v in cast("Iterable[object]", value)]

    def schema(self, gen: SchemaGen) -> Schema:
        out: Schema = {"type": "array", "items": self.item.schema(gen)}
        if self.unique:
            out["uniqueItems"] = True
        return out

    def children(self) -> tuple[Node, ...]:
        return (self.item,)


class TupleNode(Node):
    """tuple[A, B, C]: a fixed-length array."""

    kinds = frozenset({"array"})

    def __init__(self, items: list[Node]) -> None:
        self.items = items
        self.desc = f"array of {len(items)} item{'' if len(items) == 1 else 's'}"

    def validate(self, value: object, issues: list[Issue]) -> object:
        if not isinstance(value, (list, tuple)):
            return self._mismatch(value, issues)
        elements = cast("list[object]", value)
        if len(elements) != len(self.items):
            return self._mismatch(elements, issues)
        start = len(issues)
        out: list[object] = []
        for index, (node, element) in enumerate(zip(self.items, elements)):
            before = len(issues)
            out.append(node.validate(element, issues))
            if len(issues) != before:
                prefix_issues(issues, before, index)
        if len(issues) != start:
            return INVALID
        return tuple(out)

    def dump(self, value: Any) -> JsonValue:
        return [node.dump(v) for node, v in zip(self.items, cast("tuple[object, ...]", value))]

    def schema(self, gen: SchemaGen) -> Schema:
        n = len(self.items)
        return {
            "type": "array",
            "prefixItems": [node.schema(gen) for node in self.items],
            "items": False,
            "minItems": n,
            "maxItems": n,
        }

    def children(self) -> tuple[Node, ...]:
        return tuple(self.items)


class DictNode(Node):
    """dict[str, T] and Mapping[str, T]."""

    desc = "object"
    kinds = frozenset({"object"})

    def __init__(self, value_node: Node) -> None:
        self.value_node = value_node

    def validate(self, value: object, issues: list[Issue]) -> object:
        if not isinstance(value, Mapping):
            return self._mismatch(value, issues)
        node = self.value_node
        start = len(issues)
        out: dict[str, object] = {}
        for key, item in cast("Mapping[object, object]", value).items():
            if not isinstance(key, str):
                issues.append(Issue(f"expected a string key, got {got(key)}"))
                continue
            before = len(issues)
            out[key] = node.validate(item, issues)
            if len(issues) != before:
                prefix_issues(issues, before, key)
        if len(issues) != start:
            return INVALID
        return out

    def dump(self, value: Any) -> JsonValue:
        node = self.value_node
        return {str(k): node.dump(v) for k, v in cast("Mapping[object, object]", value).items()}

    def schema(self, gen: SchemaGen) -> Schema:
        value_schema = self.value_node.schema(gen)
        out: Schema = {"type": "object"}
        if value_schema:
            out["additionalProperties"] = value_schema
        return out

    def children(self) -> tuple[Node, ...]:
        return (self.value_node,)
