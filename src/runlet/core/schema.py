# pyright: strict
"""JSON Schema generation and validation for Python type hints.

`TypeAdapter` compiles a type hint once into a tree of small validator nodes;
`validate` then walks that tree with no further introspection, collecting
every problem (with a path such as ``items[2].name``) into one
`ValidationError`. `FunctionSchema` does the same for a function's parameters
(the `@tool` decorator), and `to_strict_schema` checks a schema against
OpenAI's "strict" subset.

Supported hints, nested in any combination: ``str``, ``int``, ``float``,
``bool``, ``None``, ``Any``/``object``, unions (``Optional``, ``Union``,
``X | Y``), ``Literal``, ``Enum``, ``list``/``Sequence``, ``tuple`` (both
``tuple[int, ...]`` and ``tuple[int, str]``), ``set``/``frozenset``,
``dict``/``Mapping`` with ``str`` keys, dataclasses, ``TypedDict``,
``NamedTuple``, ``NewType``, ``Annotated`` (a ``str`` metadata item is the
description) and pydantic models (duck-typed: a class with
``model_json_schema`` and ``model_validate``). Anything else raises
`UserError` when the adapter is created.

Conversion rules (what `validate` accepts beyond the exact JSON type):

* ``int`` accepts a float with an integral value (``5.0`` becomes ``5``),
  since models sometimes write integers that way; it rejects ``bool`` and
  other floats. There is no string coercion: ``"5"`` is not an ``int``.
* ``float`` accepts an ``int`` (converted to ``float``), never a ``bool``.
* ``tuple``, ``set`` and ``frozenset`` accept a JSON array; sets drop
  duplicates.
* ``Enum`` accepts a member's value (or the member itself).
* Objects (dataclasses, TypedDicts, NamedTuples, tool arguments) reject
  unknown keys.
* A union tries its members in declaration order and returns the first that
  validates, except that an ``int`` member is tried before a ``float`` member.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import enum
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from typing import Any, Generic, TypeVar, Union, cast, overload

import typing_extensions as te

from runlet.core._frozen import frozen
from runlet.core.errors import UserError, ValidationError, ValidationIssue
from runlet.core.json import JsonObject, JsonValue

__all__ = ["FunctionSchema", "T", "TypeAdapter", "adapter_for", "to_strict_schema"]

T = TypeVar("T")
_U = TypeVar("_U")

_Schema = dict[str, JsonValue]


# ---------------------------------------------------------------------------
# Issues and messages
# ---------------------------------------------------------------------------


class _Issue:
    """A problem found during validation; `rpath` is the path in reverse order."""

    __slots__ = ("message", "rpath")

    def __init__(self, message: str, rpath: list[str | int] | None = None) -> None:
        self.message = message
        self.rpath: list[str | int] = rpath if rpath is not None else []


def _prefix(issues: list[_Issue], start: int, key: str | int) -> None:
    for index in range(start, len(issues)):
        issues[index].rpath.append(key)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _format_path(rpath: Iterable[str | int]) -> str:
    out = ""
    for key in reversed(list(rpath)):
        if isinstance(key, int):
            out += f"[{key}]"
        elif _IDENTIFIER.match(key):
            out += f".{key}" if out else key
        else:
            out += f"[{json.dumps(key, ensure_ascii=False)}]"
    return out


def _to_validation_error(issues: list[_Issue]) -> ValidationError:
    return ValidationError([ValidationIssue(_format_path(i.rpath), i.message) for i in issues])


def _short_str(text: str) -> str:
    if len(text) > 60:
        return repr(text[:57]) + "..."
    return repr(text)


def _got(value: object) -> str:
    """The value as an error message shows it: its JSON kind and a short form."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean true" if value else "boolean false"
    if isinstance(value, int):
        return f"integer {_short_num(value)}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {_short_str(value)}"
    if isinstance(value, (list, tuple)):
        count = len(cast("list[object]", value))
        return f"array of {count} item{'' if count == 1 else 's'}"
    if isinstance(value, Mapping):
        return "object"
    return f"a Python {type(value).__name__}"


def _short_num(value: int) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _show(value: object) -> str:
    """A JSON scalar as messages quote it: 'text', 5, true, null."""
    if isinstance(value, enum.Enum):
        value = cast(object, value.value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _short_num(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _short_str(value)
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return f"a Python {type(value).__name__}"


_ALL_KINDS = frozenset({"null", "boolean", "integer", "number", "string", "array", "object", "other"})
_NUMBER_KINDS = frozenset({"integer", "number"})


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "other"


# ---------------------------------------------------------------------------
# Dumping Python values to JSON
# ---------------------------------------------------------------------------


def _dump_any(value: object) -> JsonValue:
    """Convert a Python value to JSON by looking at its runtime type."""
    if isinstance(value, enum.Enum):
        return _dump_any(cast(object, value.value))
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump_any(getattr(value, f.name)) for f in dataclasses.fields(value)}
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump) and not isinstance(value, type):
        return cast(JsonValue, model_dump(mode="json"))
    if isinstance(value, tuple):
        items = cast("tuple[object, ...]", value)
        fields_: tuple[str, ...] | None = getattr(items, "_fields", None)
        if fields_ is None:
            return [_dump_any(item) for item in items]
        return {name: _dump_any(item) for name, item in zip(fields_, items)}
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        return {str(_dump_any(k)): _dump_any(v) for k, v in mapping.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_dump_any(item) for item in cast("Iterable[object]", value)]
    raise TypeError(f"cannot convert a {type(value).__name__} to JSON")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
_INVALID = object()


def _json_default(node: _Node, value: object) -> JsonValue | _Missing:
    """`value` dumped for a schema's "default", or `_MISSING` when not JSON-able."""
    try:
        dumped = node.dump(value)
        json.dumps(dumped, allow_nan=False)
    except Exception:
        return _MISSING
    return dumped


# ---------------------------------------------------------------------------
# Validator nodes
# ---------------------------------------------------------------------------


class _Node:
    """One compiled type: validates, dumps and describes itself."""

    desc: str = "value"
    """What the node expects, for messages: "string", "Point object"."""
    kinds: frozenset[str] = _ALL_KINDS
    """The JSON kinds of value the node may accept (picks the branch a union reports)."""

    def validate(self, value: object, issues: list[_Issue]) -> object:
        raise NotImplementedError

    def dump(self, value: Any) -> JsonValue:
        return _dump_any(value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        raise NotImplementedError

    def children(self) -> tuple[_Node, ...]:
        return ()

    def _mismatch(self, value: object, issues: list[_Issue]) -> object:
        issues.append(_Issue(f"expected {self.desc}, got {_got(value)}"))
        return _INVALID


class _AnyNode(_Node):
    desc = "any value"

    def validate(self, value: object, issues: list[_Issue]) -> object:
        return value

    def schema(self, gen: _SchemaGen) -> _Schema:
        return {}


class _StrNode(_Node):
    desc = "string"
    kinds = frozenset({"string"})

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if isinstance(value, str):
            return value
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(str, value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        return {"type": "string"}


class _IntNode(_Node):
    desc = "integer"
    kinds = _NUMBER_KINDS

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if type(value) is int:
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(int, value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        return {"type": "integer"}


class _FloatNode(_Node):
    desc = "number"
    kinds = _NUMBER_KINDS

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if type(value) is float:
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                issues.append(_Issue(f"expected number, got {_got(value)}, which is too large for a float"))
                return _INVALID
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(float, value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        return {"type": "number"}


class _BoolNode(_Node):
    desc = "boolean"
    kinds = frozenset({"boolean"})

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if isinstance(value, bool):
            return value
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return cast(bool, value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        return {"type": "boolean"}


class _NullNode(_Node):
    desc = "null"
    kinds = frozenset({"null"})

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if value is None:
            return None
        return self._mismatch(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return None

    def schema(self, gen: _SchemaGen) -> _Schema:
        return {"type": "null"}


_ANY = _AnyNode()
_STR = _StrNode()
_INT = _IntNode()
_FLOAT = _FloatNode()
_BOOL = _BoolNode()
_NULL = _NullNode()


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
    }.get(_kind(value), "other")


class _ChoiceNode(_Node):
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
        shown = ", ".join(_show(v) for v in self.values)
        self.desc = f"one of {shown}" if len(self.values) != 1 else shown
        kinds: set[str] = set()
        for v in self.values:
            k = _kind(v)
            kinds.update(_NUMBER_KINDS if k in _NUMBER_KINDS else {k})
        self.kinds = frozenset(kinds)

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if self.enum_cls is not None and isinstance(value, self.enum_cls):
            return value
        try:
            key = _choice_key(value)
            if key is not None:
                found = self.lookup.get(key, _MISSING)
                if found is not _MISSING:
                    return found
        except TypeError:  # pragma: no cover - unhashable scalar subclass
            pass
        issues.append(_Issue(f"expected {self.desc}, got {_show(value)}"))
        return _INVALID

    def dump(self, value: Any) -> JsonValue:
        if isinstance(value, enum.Enum):
            return cast(JsonValue, value.value)
        return cast(JsonValue, value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        types_ = {_json_type(v) for v in self.values}
        if types_ == {"integer", "number"}:
            types_ = {"number"}
        out: _Schema = {}
        if len(types_) == 1 and "other" not in types_:
            out["type"] = types_.pop()
        out["enum"] = list(self.values)
        if self.description:
            out["description"] = self.description
        return out


class _OptionalNode(_Node):
    """`T | None`, the most common union, without the general union's bookkeeping."""

    def __init__(self, inner: _Node, null_first: bool) -> None:
        self.inner = inner
        self.null_first = null_first
        self.desc = f"{inner.desc} or null"
        self.kinds = inner.kinds | {"null"}

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if value is None:
            return None
        start = len(issues)
        result = self.inner.validate(value, issues)
        if len(issues) != start and _kind(value) not in self.inner.kinds:
            del issues[start:]
            issues.append(_Issue(f"expected {self.desc}, got {_got(value)}"))
        return result

    def dump(self, value: Any) -> JsonValue:
        return None if value is None else self.inner.dump(value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        branches: list[JsonValue] = [self.inner.schema(gen), {"type": "null"}]
        if self.null_first:
            branches.reverse()
        return {"anyOf": branches}

    def children(self) -> tuple[_Node, ...]:
        return (self.inner,)


class _UnionNode(_Node):
    def __init__(self, branches: list[_Node]) -> None:
        self.branches = branches
        self.desc = " or ".join(b.desc for b in branches)
        kinds: frozenset[str] = frozenset()
        for b in branches:
            kinds |= b.kinds
        self.kinds = kinds

    def validate(self, value: object, issues: list[_Issue]) -> object:
        attempts: list[list[_Issue]] = []
        for branch in self.branches:
            branch_issues: list[_Issue] = []
            result = branch.validate(value, branch_issues)
            if not branch_issues:
                return result
            attempts.append(branch_issues)
        kind = _kind(value)
        candidates = [i for i, b in enumerate(self.branches) if kind in b.kinds]
        if len(candidates) == 1:
            issues.extend(attempts[candidates[0]])
        elif not candidates:
            issues.append(_Issue(f"expected {self.desc}, got {_got(value)}"))
        else:
            parts: list[str] = []
            for i in candidates:
                first = attempts[i][0]
                where = _format_path(first.rpath)
                parts.append(f"as {self.branches[i].desc}: {where + ': ' if where else ''}{first.message}")
            issues.append(_Issue(f"matches none of the allowed types ({'; '.join(parts)})"))
        return _INVALID

    def dump(self, value: Any) -> JsonValue:
        return _dump_any(value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        return {"anyOf": [b.schema(gen) for b in self.branches]}

    def children(self) -> tuple[_Node, ...]:
        return tuple(self.branches)


class _DescribedNode(_Node):
    """`Annotated[T, "description"]`."""

    def __init__(self, inner: _Node, description: str) -> None:
        self.inner = inner
        self.description = description
        self.desc = inner.desc
        self.kinds = inner.kinds

    def validate(self, value: object, issues: list[_Issue]) -> object:
        return self.inner.validate(value, issues)

    def dump(self, value: Any) -> JsonValue:
        return self.inner.dump(value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        out = self.inner.schema(gen)
        out["description"] = self.description
        return out

    def children(self) -> tuple[_Node, ...]:
        return (self.inner,)


class _ArrayNode(_Node):
    """list, Sequence, tuple[T, ...], set and frozenset."""

    desc = "array"
    kinds = frozenset({"array"})

    def __init__(self, item: _Node, factory: Callable[[list[object]], object], unique: bool) -> None:
        self.item = item
        self.factory = factory
        self.unique = unique

    def validate(self, value: object, issues: list[_Issue]) -> object:
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
                _prefix(issues, before, index)
        if len(issues) != start:
            return _INVALID
        if self.factory is list:
            return out
        try:
            return self.factory(out)
        except TypeError as error:  # unhashable items in a set
            issues.append(_Issue(f"cannot build a set of these items ({error})"))
            return _INVALID

    def dump(self, value: Any) -> JsonValue:
        item = self.item
        return [item.dump(v) for v in cast("Iterable[object]", value)]

    def schema(self, gen: _SchemaGen) -> _Schema:
        out: _Schema = {"type": "array", "items": self.item.schema(gen)}
        if self.unique:
            out["uniqueItems"] = True
        return out

    def children(self) -> tuple[_Node, ...]:
        return (self.item,)


class _TupleNode(_Node):
    """tuple[A, B, C]: a fixed-length array."""

    kinds = frozenset({"array"})

    def __init__(self, items: list[_Node]) -> None:
        self.items = items
        self.desc = f"array of {len(items)} item{'' if len(items) == 1 else 's'}"

    def validate(self, value: object, issues: list[_Issue]) -> object:
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
                _prefix(issues, before, index)
        if len(issues) != start:
            return _INVALID
        return tuple(out)

    def dump(self, value: Any) -> JsonValue:
        return [node.dump(v) for node, v in zip(self.items, cast("tuple[object, ...]", value))]

    def schema(self, gen: _SchemaGen) -> _Schema:
        n = len(self.items)
        return {
            "type": "array",
            "prefixItems": [node.schema(gen) for node in self.items],
            "items": False,
            "minItems": n,
            "maxItems": n,
        }

    def children(self) -> tuple[_Node, ...]:
        return tuple(self.items)


class _DictNode(_Node):
    """dict[str, T] and Mapping[str, T]."""

    desc = "object"
    kinds = frozenset({"object"})

    def __init__(self, value_node: _Node) -> None:
        self.value_node = value_node

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if not isinstance(value, Mapping):
            return self._mismatch(value, issues)
        node = self.value_node
        start = len(issues)
        out: dict[str, object] = {}
        for key, item in cast("Mapping[object, object]", value).items():
            if not isinstance(key, str):
                issues.append(_Issue(f"expected a string key, got {_got(key)}"))
                continue
            before = len(issues)
            out[key] = node.validate(item, issues)
            if len(issues) != before:
                _prefix(issues, before, key)
        if len(issues) != start:
            return _INVALID
        return out

    def dump(self, value: Any) -> JsonValue:
        node = self.value_node
        return {str(k): node.dump(v) for k, v in cast("Mapping[object, object]", value).items()}

    def schema(self, gen: _SchemaGen) -> _Schema:
        value_schema = self.value_node.schema(gen)
        out: _Schema = {"type": "object"}
        if value_schema:
            out["additionalProperties"] = value_schema
        return out

    def children(self) -> tuple[_Node, ...]:
        return (self.value_node,)


class _Field:
    __slots__ = ("default", "description", "name", "node", "required")

    def __init__(self, name: str, node: _Node, required: bool, default: object, description: str) -> None:
        self.name = name
        self.node = node
        self.required = required
        self.default = default  # `_MISSING` when there is none (or only a factory)
        self.description = description


class _ObjectNode(_Node):
    """A JSON object with fixed properties: dataclass, TypedDict, NamedTuple, tool arguments.

    Created empty and filled by `set_fields`, so that a recursive type can
    refer to its own node.
    """

    kinds = frozenset({"object"})

    def __init__(
        self,
        title: str,
        *,
        factory: Callable[..., object] | None,
        noun: str = "field",
        fill_defaults: bool = False,
    ) -> None:
        self.title = title
        self.desc = f"{title} object" if title else "object"
        self.factory = factory
        self.noun = noun
        self.fill_defaults = fill_defaults
        self.fields: tuple[_Field, ...] = ()
        self.names: frozenset[str] = frozenset()
        self.description = ""

    def set_fields(self, fields_: list[_Field]) -> None:
        for f in fields_:
            if isinstance(f.node, _DescribedNode):  # Annotated wins over the docstring
                f.description = f.node.description
                f.node = f.node.inner
        self.fields = tuple(fields_)
        self.names = frozenset(f.name for f in fields_)

    def validate(self, value: object, issues: list[_Issue]) -> object:
        if not isinstance(value, Mapping):
            return self._mismatch(value, issues)
        mapping = cast("Mapping[str, object]", value)
        start = len(issues)
        out: dict[str, object] = {}
        seen = 0
        for f in self.fields:
            name = f.name
            item = mapping.get(name, _MISSING)
            if item is not _MISSING:
                seen += 1
                before = len(issues)
                out[name] = f.node.validate(item, issues)
                if len(issues) != before:
                    _prefix(issues, before, name)
            elif f.required:
                issues.append(_Issue(f"missing required {self.noun} '{name}'"))
            elif self.fill_defaults:
                out[name] = f.default
        if seen != len(mapping):
            known = ", ".join(f.name for f in self.fields) or "none"
            for key in mapping:
                if key not in self.names:
                    issues.append(_Issue(f"unexpected {self.noun} (known: {known})", [key]))
        if len(issues) != start:
            return _INVALID
        if self.factory is None:
            return out
        try:
            return self.factory(**out)
        except (TypeError, ValueError, AssertionError) as error:
            issues.append(_Issue(f"invalid {self.title}: {error}"))
            return _INVALID

    def dump(self, value: Any) -> JsonValue:
        out: dict[str, JsonValue] = {}
        if self.factory is None:  # TypedDict: a dict, optional keys may be absent
            mapping = cast("Mapping[str, object]", value)
            for f in self.fields:
                if f.name in mapping:
                    out[f.name] = f.node.dump(mapping[f.name])
            return out
        for f in self.fields:
            out[f.name] = f.node.dump(getattr(value, f.name))
        return out

    def schema(self, gen: _SchemaGen) -> _Schema:
        if self in gen.recursive:
            return gen.ref(self)
        return self.inline_schema(gen)

    def inline_schema(self, gen: _SchemaGen) -> _Schema:
        properties: dict[str, JsonValue] = {}
        required: list[JsonValue] = []
        for f in self.fields:
            prop = f.node.schema(gen)
            if f.description:
                prop["description"] = f.description
            if not f.required and f.default is not _MISSING:
                default = _json_default(f.node, f.default)
                if not isinstance(default, _Missing):
                    prop["default"] = default
            properties[f.name] = prop
            if f.required:
                required.append(f.name)
        out: _Schema = {"type": "object"}
        if self.description:
            out["description"] = self.description
        out["properties"] = properties
        out["required"] = required
        out["additionalProperties"] = False
        return out

    def children(self) -> tuple[_Node, ...]:
        return tuple(f.node for f in self.fields)


class _PydanticNode(_Node):
    """A pydantic model, by duck typing: its own schema, validation and dump."""

    kinds = frozenset({"object"})

    def __init__(self, cls: type[object]) -> None:
        self.cls = cls
        self.desc = f"{cls.__name__} object"
        self._validate: Callable[[object], object] = getattr(cls, "model_validate")
        self._schema: Callable[[], Mapping[str, JsonValue]] = getattr(cls, "model_json_schema")

    def validate(self, value: object, issues: list[_Issue]) -> object:
        try:
            return self._validate(value)
        except ValueError as error:
            errors_method = getattr(error, "errors", None)
            if not callable(errors_method):
                issues.append(_Issue(f"invalid {self.cls.__name__}: {error}"))
                return _INVALID
            for raw in cast("list[Mapping[str, object]]", errors_method()):
                loc = list(cast("Iterable[str | int]", raw.get("loc", ())))
                message = str(raw.get("msg", "invalid value"))
                kind = raw.get("type")
                if kind == "missing" and loc:
                    message = f"missing required field '{loc.pop()}'"
                elif kind == "extra_forbidden":
                    message = "unexpected field"
                elif "input" in raw:
                    message = f"{message}, got {_got(raw['input'])}"
                issues.append(_Issue(message, loc[::-1]))
            return _INVALID

    def dump(self, value: Any) -> JsonValue:
        return _dump_any(value)

    def schema(self, gen: _SchemaGen) -> _Schema:
        schema: _Schema = copy.deepcopy(dict(self._schema()))
        defs = cast("dict[str, JsonValue] | None", schema.pop("$defs", None))
        if defs:
            renames: dict[str, str] = {}
            for name, definition in defs.items():
                if name in gen.defs and gen.defs[name] == definition:
                    continue
                new_name = gen.reserve(name)
                if new_name != name:
                    renames[name] = new_name
            if renames:
                schema = cast(_Schema, _rename_refs(schema, renames))
                defs = cast("dict[str, JsonValue]", _rename_refs(defs, renames))  # pyright: ignore[reportUnnecessaryCast]  # mypy needs it
            for name, definition in defs.items():
                gen.defs[renames.get(name, name)] = definition
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and len(schema) == 1:
            # A recursive model's schema is a bare reference: inline its target.
            target = gen.defs.get(ref[len("#/$defs/") :])
            if isinstance(target, Mapping):
                return dict(target)
        return schema


def _rename_refs(value: JsonValue, renames: Mapping[str, str]) -> JsonValue:
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/"):
                name = item[len("#/$defs/") :]
                out[key] = "#/$defs/" + renames.get(name, name)
            else:
                out[key] = _rename_refs(item, renames)
        return out
    if isinstance(value, list):
        items: list[JsonValue] = value
        return [_rename_refs(item, renames) for item in items]
    return value


# ---------------------------------------------------------------------------
# Schema generation
# ---------------------------------------------------------------------------


def _find_recursive(root: _Node) -> set[_Node]:
    """The nodes that are reached again from inside themselves (cycle entries)."""
    recursive: set[_Node] = set()
    on_path: set[_Node] = set()
    done: set[_Node] = set()

    def visit(node: _Node) -> None:
        if node in on_path:
            recursive.add(node)
            return
        if node in done:
            return
        on_path.add(node)
        for child in node.children():
            visit(child)
        on_path.discard(node)
        done.add(node)

    visit(root)
    return recursive


class _SchemaGen:
    """Builds one schema document: recursive objects go to `$defs`."""

    def __init__(self, root: _Node) -> None:
        self.recursive = _find_recursive(root)
        self.defs: dict[str, JsonValue] = {}
        self.names: dict[_Node, str] = {}
        self.used: set[str] = set()

    def reserve(self, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "Model"
        candidate = base
        counter = 2
        while candidate in self.used:
            candidate = f"{base}{counter}"
            counter += 1
        self.used.add(candidate)
        return candidate

    def ref(self, node: _ObjectNode) -> _Schema:
        name = self.names.get(node)
        if name is None:
            name = self.reserve(node.title)
            self.names[node] = name
            self.defs[name] = {}
            self.defs[name] = node.inline_schema(self)
        return {"$ref": f"#/$defs/{name}"}

    def document(self, root: _Node) -> _Schema:
        """The root's schema, inline even when recursive, with `$defs` last."""
        if isinstance(root, _ObjectNode):
            schema = root.inline_schema(self)
        else:
            schema = root.schema(self)
        if self.defs:
            schema["$defs"] = dict(self.defs)
        return schema


# ---------------------------------------------------------------------------
# Compilation of type hints
# ---------------------------------------------------------------------------

_LIST_ORIGINS: frozenset[object] = frozenset(
    {
        list,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
        collections.abc.Iterable,
        collections.abc.Collection,
    }
)
_SET_ORIGINS: frozenset[object] = frozenset({set, collections.abc.Set, collections.abc.MutableSet})
_DICT_ORIGINS: frozenset[object] = frozenset({dict, collections.abc.Mapping, collections.abc.MutableMapping})
_UNION_ORIGINS: frozenset[object] = frozenset({Union, types.UnionType})
_LITERAL_ORIGINS: frozenset[object] = frozenset({typing.Literal, te.Literal})


def _special(*names: str) -> frozenset[object]:
    found: set[object] = set()
    for module in (typing, te):
        for name in names:
            item = getattr(module, name, None)
            if item is not None:
                found.add(item)
    return frozenset(found)


_REQUIRED = _special("Required")
_NOT_REQUIRED = _special("NotRequired")
_QUALIFIERS = _special("ReadOnly", "Final", "ClassVar")


def _type_name(tp: object) -> str:
    if isinstance(tp, type) and te.get_origin(tp) is None:
        return tp.__qualname__
    return repr(tp).replace("typing_extensions.", "").replace("typing.", "")


def _class_doc(cls: type[object]) -> str | None:
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return None
    if doc.startswith(f"{cls.__name__}(") or doc == "An enumeration.":  # generated ones
        return None
    return doc


def _hints(obj: object, what: str) -> dict[str, Any]:
    try:
        return te.get_type_hints(obj, include_extras=True)
    except Exception as error:
        raise UserError(
            f"cannot resolve the type hints of {what}: {error} "
            "(names used in annotations must be importable from the module)"
        ) from error


def _param_hint(func: object, param: inspect.Parameter, what: str) -> object:
    annotation: object = param.annotation
    if annotation is inspect.Parameter.empty:
        return annotation
    holder = types.SimpleNamespace(
        __annotations__={param.name: annotation},
        __globals__=getattr(func, "__globals__", {}),
    )
    return _hints(holder, what).get(param.name, annotation)


def _peel_annotated(tp: object) -> tuple[object, str]:
    """Strip `Annotated`, returning the inner hint and the first string metadata."""
    description = ""
    while te.get_origin(tp) is te.Annotated:
        if not description:
            for meta in cast("tuple[object, ...]", getattr(tp, "__metadata__", ())):
                if isinstance(meta, str):
                    description = meta
                    break
        tp = te.get_args(tp)[0]
    return tp, description


class _Compiler:
    def __init__(self) -> None:
        self.classes: dict[object, _Node] = {}
        self.where: list[str] = []

    def fail(self, message: str) -> UserError:
        where = f" (in {self.where[-1]})" if self.where else ""
        return UserError(message + where)

    def compile(self, tp: object) -> _Node:
        if tp is Any or tp is object:
            return _ANY
        if tp is None or tp is type(None):
            return _NULL
        if tp is str or tp is te.LiteralString:
            return _STR
        if tp is bool:
            return _BOOL
        if tp is int:
            return _INT
        if tp is float:
            return _FLOAT
        origin = te.get_origin(tp)
        args = te.get_args(tp)
        if origin is te.Annotated:
            inner, description = _peel_annotated(tp)
            node = self.compile(inner)
            return _DescribedNode(node, description) if description else node
        if origin in _UNION_ORIGINS:
            return self._union([self.compile(arg) for arg in args])
        if origin in _LITERAL_ORIGINS:
            return self._literal(tp, args)
        if origin in _REQUIRED or origin in _NOT_REQUIRED or origin in _QUALIFIERS:
            return self.compile(args[0]) if args else _ANY
        if isinstance(tp, (str, typing.ForwardRef)):
            raise self.fail(
                f"cannot resolve the forward reference {tp!r} here; "
                "pass the class itself or use it inside a class or function annotation"
            )
        if isinstance(tp, TypeVar):
            raise self.fail(f"unsupported type hint {_type_name(tp)}: a type variable has no JSON schema")
        supertype = getattr(tp, "__supertype__", None)
        if supertype is not None and callable(tp):  # NewType
            return self.compile(supertype)
        if origin is not None:
            return self._generic(tp, origin, args)
        if tp is tuple:
            return _ArrayNode(_ANY, tuple, False)
        if tp in _LIST_ORIGINS:
            return _ArrayNode(_ANY, list, False)
        if tp in _SET_ORIGINS:
            return _ArrayNode(_ANY, set, True)
        if tp is frozenset:
            return _ArrayNode(_ANY, frozenset, True)
        if tp in _DICT_ORIGINS:
            return _DictNode(_ANY)
        if isinstance(tp, type):
            return self._class(tp)
        raise self.fail(f"unsupported type hint {_type_name(tp)}")

    def _union(self, nodes: list[_Node]) -> _Node:
        unique: list[_Node] = []
        for node in nodes:
            if node not in unique:
                unique.append(node)
        if any(n is _ANY for n in unique):
            return _ANY
        if len(unique) == 1:
            return unique[0]
        if len(unique) == 2 and _NULL in unique:
            inner = unique[0] if unique[1] is _NULL else unique[1]
            return _OptionalNode(inner, null_first=unique[0] is _NULL)
        if _INT in unique and _FLOAT in unique:
            i, f = unique.index(_INT), unique.index(_FLOAT)
            if f < i:
                unique[i], unique[f] = unique[f], unique[i]
        return _UnionNode(unique)

    def _literal(self, tp: object, args: tuple[Any, ...]) -> _Node:
        choices: list[tuple[JsonValue, object]] = []
        for arg in cast("tuple[object, ...]", args):
            json_value: object = arg.value if isinstance(arg, enum.Enum) else arg
            if json_value is not None and not isinstance(json_value, (str, int, float, bool)):
                raise self.fail(f"unsupported type hint {_type_name(tp)}: Literal values must be JSON scalars")
            choices.append((json_value, arg))
        return _ChoiceNode(choices, None)

    def _generic(self, tp: object, origin: object, args: tuple[Any, ...]) -> _Node:
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return _ArrayNode(self.compile(args[0]), tuple, False)
            if not args:
                if tp is typing.Tuple:  # bare typing.Tuple  # noqa: UP006
                    return _ArrayNode(_ANY, tuple, False)
                return _TupleNode([])
            if args == ((),):  # tuple[()] on Python 3.10
                return _TupleNode([])
            return _TupleNode([self.compile(arg) for arg in args])
        if origin in _LIST_ORIGINS:
            return _ArrayNode(self.compile(args[0]) if args else _ANY, list, False)
        if origin in _SET_ORIGINS:
            return _ArrayNode(self.compile(args[0]) if args else _ANY, set, True)
        if origin is frozenset:
            return _ArrayNode(self.compile(args[0]) if args else _ANY, frozenset, True)
        if origin in _DICT_ORIGINS:
            if args:
                key = _peel_annotated(args[0])[0]
                if key is not str and key is not Any and key is not object:
                    raise self.fail(
                        f"unsupported type hint {_type_name(tp)}: dictionary keys must be str "
                        "(JSON object keys are strings)"
                    )
            return _DictNode(self.compile(args[1]) if len(args) == 2 else _ANY)
        raise self.fail(f"unsupported type hint {_type_name(tp)}")

    def _class(self, cls: type[object]) -> _Node:
        known = self.classes.get(cls)
        if known is not None:
            return known
        name = cls.__qualname__
        if issubclass(cls, enum.Enum):
            return self._enum(cls)
        if callable(getattr(cls, "model_json_schema", None)) and callable(getattr(cls, "model_validate", None)):
            node: _Node = _PydanticNode(cls)
            self.classes[cls] = node
            return node
        if dataclasses.is_dataclass(cls):
            return self._dataclass(cls)
        if te.is_typeddict(cls):
            return self._typeddict(cls)
        if hasattr(cls, "_fields") and issubclass(cls, tuple):
            return self._namedtuple(cast("type[object]", cls))
        raise self.fail(
            f"unsupported type hint {name}: use a dataclass, TypedDict, NamedTuple, "
            "Enum, pydantic model or a JSON type"
        )

    def _enum(self, cls: type[enum.Enum]) -> _Node:
        choices: list[tuple[JsonValue, object]] = []
        for member in cls:
            value: object = member.value
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise self.fail(f"unsupported Enum {cls.__qualname__}: member values must be JSON scalars")
            choices.append((value, member))
        node = _ChoiceNode(choices, cls)
        doc = _class_doc(cls)
        if doc:
            node.description = _parse_docstring(doc)[0]
        self.classes[cls] = node
        return node

    def _object_fields(self, owner: str, entries: list[tuple[str, object, bool, object]], docs: dict[str, str]) -> list[_Field]:
        out: list[_Field] = []
        for name, hint, required, default in entries:
            self.where.append(f"field '{name}' of {owner}")
            try:
                node = self.compile(hint)
            finally:
                self.where.pop()
            out.append(_Field(name, node, required, default, docs.get(name, "")))
        return out

    def _dataclass(self, cls: type[object]) -> _Node:
        node = _ObjectNode(cls.__name__, factory=cls)
        self.classes[cls] = node
        hints = _hints(cls, f"dataclass {cls.__qualname__}")
        description, docs = _parse_docstring(_class_doc(cls))
        node.description = description
        entries: list[tuple[str, object, bool, object]] = []
        for f in dataclasses.fields(cast(Any, cls)):
            if not f.init:
                continue
            has_default = f.default is not dataclasses.MISSING
            has_factory = f.default_factory is not dataclasses.MISSING
            default: object = f.default if has_default else _MISSING
            entries.append((f.name, hints.get(f.name, f.type), not (has_default or has_factory), default))
        node.set_fields(self._object_fields(cls.__qualname__, entries, docs))
        return node

    def _typeddict(self, cls: type[object]) -> _Node:
        node = _ObjectNode(cls.__name__, factory=None)
        self.classes[cls] = node
        hints = _hints(cls, f"TypedDict {cls.__qualname__}")
        required_keys = cast("frozenset[str]", getattr(cls, "__required_keys__", frozenset[str]()))
        description, docs = _parse_docstring(_class_doc(cls))
        node.description = description
        entries: list[tuple[str, object, bool, object]] = []
        for name, hint in hints.items():
            required = name in required_keys
            inner: object = hint
            found_description = ""
            while True:  # Required/NotRequired may sit inside or outside Annotated
                origin = te.get_origin(inner)
                if origin is te.Annotated:
                    inner, text = _peel_annotated(inner)
                    found_description = found_description or text
                elif origin in _REQUIRED:
                    required, inner = True, te.get_args(inner)[0]
                elif origin in _NOT_REQUIRED:
                    required, inner = False, te.get_args(inner)[0]
                elif origin in _QUALIFIERS:
                    inner = te.get_args(inner)[0]
                else:
                    break
            if found_description:
                inner = te.Annotated[inner, found_description]
            entries.append((name, inner, required, _MISSING))
        node.set_fields(self._object_fields(cls.__qualname__, entries, docs))
        return node

    def _namedtuple(self, cls: type[object]) -> _Node:
        node = _ObjectNode(cls.__name__, factory=cls)
        self.classes[cls] = node
        hints = _hints(cls, f"NamedTuple {cls.__qualname__}")
        defaults = cast("dict[str, object]", getattr(cls, "_field_defaults", {}))
        description, docs = _parse_docstring(_class_doc(cls))
        node.description = description
        entries: list[tuple[str, object, bool, object]] = []
        for name in cast("tuple[str, ...]", getattr(cls, "_fields")):
            if name not in hints:
                raise self.fail(f"field '{name}' of {cls.__qualname__} has no type annotation")
            default = defaults.get(name, _MISSING)
            entries.append((name, hints[name], default is _MISSING, default))
        node.set_fields(self._object_fields(cls.__qualname__, entries, docs))
        return node


# ---------------------------------------------------------------------------
# Docstrings
# ---------------------------------------------------------------------------

_GOOGLE_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "kwargs",
        "other parameters",
        "attributes",
    }
)
_NUMPY_SECTIONS = frozenset({"parameters", "other parameters", "attributes"})
_GOOGLE_HEADER = re.compile(r"\s*([A-Za-z][A-Za-z ]*?)\s*:\s*\Z")
_GOOGLE_ENTRY = re.compile(r"\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:(?:\s+(.*))?\Z")
_NUMPY_ENTRY = re.compile(r"\*{0,2}(\w+)(?:\s*:\s*(.*))?\Z")
_DASHES = re.compile(r"\s*-{3,}\s*\Z")
_SPHINX_PARAM = re.compile(
    r":(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*?\s+)?\*{0,2}(\w+)\s*:\s*(.*)\Z"
)
_SPHINX_TYPE = re.compile(r":(?:type|vartype)\s+\*{0,2}\w+\s*:")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _next_content(lines: list[str], index: int) -> int | None:
    while index < len(lines):
        if lines[index].strip():
            return index
        index += 1
    return None


def _parse_google(lines: list[str], index: int, header_indent: int, params: dict[str, str]) -> int:
    entry_indent: int | None = None
    current: str | None = None
    parts: list[str] = []

    def flush() -> None:
        if current is not None:
            params.setdefault(current, " ".join(p for p in parts if p).strip())

    while index < len(lines):
        line = lines[index]
        if not line.strip():
            following = _next_content(lines, index)
            if following is None or _indent(lines[following]) <= header_indent:
                break
            index += 1
            continue
        indent = _indent(line)
        if indent <= header_indent:
            break
        if entry_indent is None:
            entry_indent = indent
        match = _GOOGLE_ENTRY.match(line.strip()) if indent <= entry_indent else None
        if match:
            flush()
            current = match.group(1)
            parts = [match.group(3) or ""]
        else:
            parts.append(line.strip())
        index += 1
    flush()
    return index


def _parse_numpy(lines: list[str], index: int, header_indent: int, params: dict[str, str]) -> int:
    current: str | None = None
    parts: list[str] = []

    def flush() -> None:
        if current is not None:
            params.setdefault(current, " ".join(p for p in parts if p).strip())

    while index < len(lines):
        line = lines[index]
        if not line.strip():
            following = _next_content(lines, index)
            if following is None or _indent(lines[following]) <= header_indent:
                break
            index += 1
            continue
        indent = _indent(line)
        if indent < header_indent:
            break
        if indent == header_indent:
            if index + 1 < len(lines) and _DASHES.match(lines[index + 1]):
                break  # the next section
            match = _NUMPY_ENTRY.match(line.strip())
            if not match:
                break
            flush()
            current = match.group(1)
            parts = []
        else:
            parts.append(line.strip())
        index += 1
    flush()
    return index


def _parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a docstring into its text (without parameter sections) and parameter descriptions.

    Understands Google (``Args:``), Sphinx (``:param x:``) and numpydoc
    (``Parameters`` / ``----------``) styles.
    """
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        indent = _indent(line)
        if (
            stripped.lower() in _NUMPY_SECTIONS
            and index + 1 < len(lines)
            and _DASHES.match(lines[index + 1])
        ):
            index = _parse_numpy(lines, index + 2, indent, params)
            continue
        header = _GOOGLE_HEADER.match(line)
        if header and header.group(1).lower() in _GOOGLE_SECTIONS:
            index = _parse_google(lines, index + 1, indent, params)
            continue
        sphinx = _SPHINX_PARAM.match(stripped)
        if sphinx or _SPHINX_TYPE.match(stripped):
            parts = [sphinx.group(2)] if sphinx else []
            index += 1
            while index < len(lines) and lines[index].strip() and _indent(lines[index]) > indent:
                parts.append(lines[index].strip())
                index += 1
            if sphinx:
                params.setdefault(sphinx.group(1), " ".join(p for p in parts if p).strip())
            continue
        kept.append(line.rstrip())
        index += 1
    text = "\n".join(kept).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, params


# ---------------------------------------------------------------------------
# Public interface
# ---------------------------------------------------------------------------


class TypeAdapter(Generic[T]):
    """Schema and validation for one type.

    The hint is compiled once, when the adapter is created; an unsupported
    hint raises `UserError` then. Prefer `adapter_for`, which caches adapters.
    """

    __slots__ = ("_node", "_schema", "_type")

    @overload
    def __init__(self: TypeAdapter[_U], tp: type[_U]) -> None: ...

    @overload
    def __init__(self, tp: Any) -> None: ...

    def __init__(self, tp: Any) -> None:
        self._type: object = tp
        compiler = _Compiler()
        self._node = compiler.compile(tp)
        self._schema: JsonObject = _SchemaGen(self._node).document(self._node)

    @property
    def json_schema(self) -> JsonObject:
        """The JSON schema of the type (the draft 2020-12 subset OpenAI accepts).

        Recursive types put their definitions in ``$defs``. The returned
        mapping is shared: do not modify it.
        """
        return self._schema

    def validate(self, value: object) -> T:
        """Convert decoded JSON into the type; raises `ValidationError` listing every problem."""
        issues: list[_Issue] = []
        result = self._node.validate(value, issues)
        if issues:
            raise _to_validation_error(issues)
        return cast(T, result)

    def dump(self, value: T) -> JsonValue:
        """Convert a value of the type into JSON-able data (the inverse of `validate`)."""
        return self._node.dump(value)

    def __repr__(self) -> str:
        return f"TypeAdapter({_type_name(self._type)})"


@functools.lru_cache(maxsize=1024)
def _cached_adapter(tp: object) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def adapter_for(tp: Any) -> TypeAdapter[Any]:
    """The (cached) `TypeAdapter` of a type hint; unhashable hints get a fresh adapter."""
    try:
        hash(tp)
    except TypeError:
        return TypeAdapter(tp)
    return _cached_adapter(tp)


@frozen
class FunctionSchema:
    """The parameters of a function as a JSON object schema.

    Build it with `from_function`; `validate` turns the model's decoded
    arguments into keyword arguments for the function. Functions may not have
    ``*args``, ``**kwargs`` or positional-only parameters (apart from a skipped
    first context parameter), since the arguments are passed by name.
    """

    name: str
    description: str
    """The docstring's text, without its parameter section."""
    json_schema: JsonObject
    """``{"type": "object", "properties": ..., "required": [...], "additionalProperties": False}``."""
    _node: _ObjectNode | None = field(default=None, repr=False, compare=False)
    """The compiled validator (private; `dataclasses.replace` keeps it)."""

    @classmethod
    def from_function(cls, func: Callable[..., object], *, skip_first: bool = False) -> FunctionSchema:
        """Describe `func`'s parameters; `skip_first` leaves out a leading context parameter.

        Raises `UserError` for a parameter without a type hint, an unsupported
        hint, ``*args``/``**kwargs`` or a positional-only parameter.
        """
        name = cast(str, getattr(func, "__name__", None) or type(func).__name__)
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError) as error:
            raise UserError(f"cannot read the signature of {name}: {error}") from error
        target: object = inspect.unwrap(func)
        while isinstance(target, functools.partial):
            target = cast("functools.partial[object]", target).func
        if not (inspect.isroutine(target) or isinstance(target, type)) and callable(target):
            target = type(target).__call__
        try:
            hints: dict[str, Any] | None = te.get_type_hints(target, include_extras=True)
        except Exception:  # e.g. a context parameter's hint imported under TYPE_CHECKING
            hints = None
        description, docs = _parse_docstring(inspect.getdoc(target) if callable(target) else None)

        params = list(signature.parameters.values())
        if skip_first:
            if not params:
                raise UserError(f"{name} has no first parameter to take the context")
            params = params[1:]
        compiler = _Compiler()
        fields_: list[_Field] = []
        for param in params:
            where = f"parameter '{param.name}' of {name}"
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                raise UserError(f"{where}: *{param.name} is not supported (tool arguments are passed by name)")
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                raise UserError(f"{where}: **{param.name} is not supported (declare each argument)")
            if param.kind is inspect.Parameter.POSITIONAL_ONLY:
                raise UserError(f"{where}: positional-only parameters are not supported (arguments are passed by name)")
            if hints is not None:
                hint = hints.get(param.name, param.annotation)
            else:  # resolve this parameter alone, so the skipped one cannot spoil it
                hint = _param_hint(target, param, f"function {name}")
            if hint is inspect.Parameter.empty:
                raise UserError(f"{where} has no type annotation")
            compiler.where.append(where)
            try:
                node = compiler.compile(hint)
            finally:
                compiler.where.pop()
            has_default = param.default is not inspect.Parameter.empty
            default = param.default if has_default else _MISSING
            fields_.append(_Field(param.name, node, not has_default, default, docs.get(param.name, "")))
        root = _ObjectNode("", factory=None, noun="argument", fill_defaults=True)
        root.set_fields(fields_)
        schema = _SchemaGen(root).document(root)
        return cls(name=name, description=description, json_schema=schema, _node=root)

    def validate(self, arguments: object) -> dict[str, object]:
        """Turn decoded JSON arguments into keyword arguments for the function.

        Missing optional parameters get their defaults. Every problem (missing,
        unknown and ill-typed arguments) is reported in one `ValidationError`.
        """
        node = self._node
        if node is None:
            raise UserError("this FunctionSchema was not made by FunctionSchema.from_function")
        issues: list[_Issue] = []
        if not isinstance(arguments, Mapping):
            raise ValidationError([ValidationIssue("", f"expected an object of arguments, got {_got(arguments)}")])
        result = node.validate(cast(object, arguments), issues)
        if issues:
            raise _to_validation_error(issues)
        return cast("dict[str, object]", result)


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


def to_strict_schema(schema: JsonObject) -> JsonObject | None:
    """`schema` in the form OpenAI's strict mode accepts, or `None` when it cannot be.

    Strict mode requires every object to list all its properties in
    ``"required"`` and to set ``"additionalProperties": false``, and accepts
    only a subset of keywords (no ``prefixItems``, ``uniqueItems``,
    ``default``, ...). A schema that already qualifies comes back with the same
    meaning (``"additionalProperties": false`` is added to objects with fixed
    properties where it is missing); one with optional properties, open
    dictionaries, untyped values (``Any``) or other keywords gives `None`.
    Whether the root must be an object is left to the caller.
    """
    result = _strict(schema)
    return result


def _strict(schema: object) -> _Schema | None:
    if not isinstance(schema, Mapping):
        return None
    mapping = cast("Mapping[str, JsonValue]", schema)
    if any(key not in _STRICT_KEYWORDS for key in mapping):
        return None
    if not any(key in mapping for key in ("type", "anyOf", "$ref", "enum", "const")):
        return None
    out: _Schema = dict(mapping)
    type_ = mapping.get("type")
    is_object = (
        type_ == "object"
        or (isinstance(type_, list) and "object" in type_)
        or "properties" in mapping
    )
    if is_object:
        properties = mapping.get("properties")
        if not isinstance(properties, Mapping):
            return None
        if mapping.get("additionalProperties", False) is not False:
            return None
        required = mapping.get("required", [])
        if not isinstance(required, list) or set(cast("list[object]", required)) != set(properties):
            return None
        new_properties: dict[str, JsonValue] = {}
        for name, prop in properties.items():
            converted = _strict(prop)
            if converted is None:
                return None
            new_properties[name] = converted
        out["properties"] = new_properties
        required_list: list[JsonValue] = required
        out["required"] = list(required_list)
        out["additionalProperties"] = False
    if type_ == "array" or (isinstance(type_, list) and "array" in type_):
        if "items" not in mapping:
            return None
    if "items" in mapping:
        items = _strict(mapping["items"])
        if items is None:
            return None
        out["items"] = items
    if "anyOf" in mapping:
        branches = mapping["anyOf"]
        if not isinstance(branches, list):
            return None
        new_branches: list[JsonValue] = []
        branch_list: list[JsonValue] = branches
        for branch in branch_list:
            converted = _strict(branch)
            if converted is None:
                return None
            new_branches.append(converted)
        out["anyOf"] = new_branches
    if "$defs" in mapping:
        defs = mapping["$defs"]
        if not isinstance(defs, Mapping):
            return None
        new_defs: dict[str, JsonValue] = {}
        for name, definition in defs.items():
            converted = _strict(definition)
            if converted is None:
                return None
            new_defs[name] = converted
        out["$defs"] = new_defs
    return out
