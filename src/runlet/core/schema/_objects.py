"""Validator nodes of JSON objects with fixed properties (dataclass, TypedDict, NamedTuple, arguments) and of pydantic models."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from runlet.core.json import JsonValue
from runlet.core.schema._issues import Issue, got, prefix_issues
from runlet.core.schema._nodes import INVALID, MISSING, DescribedNode, Missing, Node, Schema, dump_any, json_default

if TYPE_CHECKING:
    from runlet.core.schema._generate import SchemaGen


class Field:
    """One property of an object node: its node, whether it is required, its default and description."""

    __slots__ = ("default", "description", "name", "node", "required")

    def __init__(self, name: str, node: Node, required: bool, default: object, description: str) -> None:
        self.name = name
        self.node = node
        self.required = required
        self.default = default  # `MISSING` when there is none (or only a factory)
        self.description = description


class ObjectNode(Node):
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
        closed: bool = True,
    ) -> None:
        self.title = title
        self.desc = f"{title} object" if title else "object"
        self.factory = factory
        self.noun = noun
        self.fill_defaults = fill_defaults
        self.closed = closed
        """Whether keys other than the fields are refused: always for types; for `validate_json`, as the schema says."""
        self.fields: tuple[Field, ...] = ()
        self.names: frozenset[str] = frozenset()
        self.description = ""

    def set_fields(self, fields_: list[Field]) -> None:
        """Give the node its fields (an `Annotated` description moves to the field)."""
        for f in fields_:
            if isinstance(f.node, DescribedNode):  # Annotated wins over the docstring
                f.description = f.node.description
                f.node = f.node.inner
        self.fields = tuple(fields_)
        self.names = frozenset(f.name for f in fields_)

    def validate(self, value: object, issues: list[Issue]) -> object:
        if not isinstance(value, Mapping):
            return self._mismatch(value, issues)
        mapping = cast("Mapping[str, object]", value)
        start = len(issues)
        out: dict[str, object] = {}
        seen = 0
        for f in self.fields:
            name = f.name
            item = mapping.get(name, MISSING)
            if item is not MISSING:
                seen += 1
                before = len(issues)
                out[name] = f.node.validate(item, issues)
                if len(issues) != before:
                    prefix_issues(issues, before, name)
            elif f.required:
                issues.append(Issue(f"missing required {self.noun} '{name}'"))
            elif self.fill_defaults:
                out[name] = f.default
        if seen != len(mapping) and self.closed:
            known = ", ".join(f.name for f in self.fields) or "none"
            for key in mapping:
                if key not in self.names:
                    issues.append(Issue(f"unexpected {self.noun} (known: {known})", [key]))
        if len(issues) != start:
            return INVALID
        if self.factory is None:
            return out
        try:
            return self.factory(**out)
        except (TypeError, ValueError, AssertionError) as error:
            issues.append(Issue(f"invalid {self.title}: {error}"))
            return INVALID

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

    def schema(self, gen: SchemaGen) -> Schema:
        if self in gen.recursive:
            return gen.ref(self)
        return self.inline_schema(gen)

    def inline_schema(self, gen: SchemaGen) -> Schema:
        """The object's schema written out (not a reference)."""
        properties: dict[str, JsonValue] = {}
        required: list[JsonValue] = []
        for f in self.fields:
            prop = f.node.schema(gen)
            if f.description:
                prop["description"] = f.description
            if not f.required and f.default is not MISSING:
                default = json_default(f.node, f.default)
                if not isinstance(default, Missing):
                    prop["default"] = default
            properties[f.name] = prop
            if f.required:
                required.append(f.name)
        out: Schema = {"type": "object"}
        if self.description:
            out["description"] = self.description
        out["properties"] = properties
        out["required"] = required
        out["additionalProperties"] = False
        return out

    def children(self) -> tuple[Node, ...]:
        return tuple(f.node for f in self.fields)


class PydanticNode(Node):
    """A pydantic model, by duck typing: its own schema, validation and dump."""

    kinds = frozenset({"object"})

    def __init__(self, cls: type[object]) -> None:
        self.cls = cls
        self.desc = f"{cls.__name__} object"
        self._validate: Callable[[object], object] = getattr(cls, "model_validate")
        self._schema: Callable[[], Mapping[str, JsonValue]] = getattr(cls, "model_json_schema")

    def validate(self, value: object, issues: list[Issue]) -> object:
        try:
            return self._validate(value)
        except ValueError as error:
            errors_method = getattr(error, "errors", None)
            if not callable(errors_method):
                issues.append(Issue(f"invalid {self.cls.__name__}: {error}"))
                return INVALID
            for raw in cast("list[Mapping[str, object]]", errors_method()):
                loc = list(cast("Iterable[str | int]", raw.get("loc", ())))
                message = str(raw.get("msg", "invalid value"))
                kind = raw.get("type")
                if kind == "missing" and loc:
                    message = f"missing required field '{loc.pop()}'"
                elif kind == "extra_forbidden":
                    message = "unexpected field"
                elif "input" in raw:
                    message = f"{message}, got {got(raw['input'])}"
                issues.append(Issue(message, loc[::-1]))
            return INVALID

    def dump(self, value: Any) -> JsonValue:
        return dump_any(value)

    def schema(self, gen: SchemaGen) -> Schema:
        schema: Schema = copy.deepcopy(dict(self._schema()))
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
                schema = cast(Schema, _rename_refs(schema, renames))
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

