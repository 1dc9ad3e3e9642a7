"""Schema-to-node compilation: a JSON schema back into the validator nodes type hints compile to.

A checkpoint keeps the JSON schema of what a human must give (the answer to
an `ask_human` question, a tool's arguments), not the Python type, since it
may be resumed in another process. `validate_json` compiles that schema into
the same nodes a type hint gives, so a human's answer is judged by the rules
(and with the messages) of tool arguments: ``5.0`` is an integer, ``true`` is
not, a tuple has its exact length, an object refuses unknown keys when its
schema says ``"additionalProperties": false``.
"""

from __future__ import annotations

from collections.abc import Mapping
from runlet.core.json import JsonObject, JsonValue
from runlet.core.schema._issues import Issue, json_array, to_validation_error
from runlet.core.schema._nodes import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    MISSING,
    NULL,
    STR,
    ArrayNode,
    ChoiceNode,
    DictNode,
    Node,
    TupleNode,
    union_of,
)
from runlet.core.schema._objects import Field, ObjectNode

_SCALARS: dict[str, Node] = {"string": STR, "integer": INT, "number": FLOAT, "boolean": BOOL, "null": NULL}
_DEFS = "#/$defs/"


def validate_json(schema: JsonObject, value: object, *, noun: str = "field") -> None:
    """Check decoded JSON against `schema`; raises `ValidationError` listing every problem.

    Every schema Runlet makes from a type hint is understood in full (`$defs`
    and recursion included), and so are ``const``, ``oneOf`` and lists of
    types. What type hints cannot express (length, range and pattern
    constraints, ``allOf``, ...) is not checked here: the tool checks it when
    it validates the value into its type. `noun` is what messages call the
    keys of the top object (``"argument"`` for a tool's arguments).
    """
    issues: list[Issue] = []
    _SchemaCompiler(schema, noun).compile(schema).validate(value, issues)
    if issues:
        raise to_validation_error(issues)


class _SchemaCompiler:
    def __init__(self, root: JsonObject, noun: str) -> None:
        self.root = root
        self.noun = noun
        self.refs: dict[str, Node] = {}

    def compile(self, schema: JsonValue) -> Node:
        """The node of a (sub)schema; what it does not understand accepts anything."""
        if not isinstance(schema, Mapping):
            return ANY  # `true`, or a schema this check does not understand
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._ref(ref)
        if "const" in schema:
            return _choice([schema["const"]])
        choices = json_array(schema.get("enum"))
        if choices is not None:
            return _choice(choices)
        for key in ("anyOf", "oneOf"):
            branches = json_array(schema.get(key))
            if branches is not None:
                return union_of([self.compile(branch) for branch in branches])
        type_ = schema.get("type")
        if isinstance(type_, str):
            return self._typed(schema, type_)
        types = json_array(type_)
        if types is not None:
            return union_of([self._typed(schema, t) for t in types if isinstance(t, str)])
        if "properties" in schema:
            return self._typed(schema, "object")
        return ANY

    def _typed(self, schema: JsonObject, type_: str) -> Node:
        if type_ == "object":
            return self._object(schema, None)
        if type_ == "array":
            return self._array(schema)
        return _SCALARS.get(type_, ANY)

    def _array(self, schema: JsonObject) -> Node:
        prefix = json_array(schema.get("prefixItems"))
        if prefix is not None:
            n = len(prefix)
            if schema.get("minItems") == n and (schema.get("maxItems") == n or schema.get("items") is False):
                return TupleNode([self.compile(item) for item in prefix])
            return ArrayNode(ANY, list, False)  # a tuple of varying length: only "an array" is checked
        return ArrayNode(self.compile(schema.get("items", True)), list, False)

    def _object(self, schema: JsonObject, ref: str | None) -> Node:
        properties = schema.get("properties")
        extra = schema.get("additionalProperties", True)
        if not isinstance(properties, Mapping) and extra is not False:
            return DictNode(self.compile(extra))
        title = schema.get("title")
        if not isinstance(title, str):
            title = ref[len(_DEFS) :] if ref is not None and ref.startswith(_DEFS) else ""
        noun = self.noun if schema is self.root else "field"
        node = ObjectNode(title, factory=None, noun=noun, closed=extra is False)
        if ref is not None:
            self.refs[ref] = node  # before the fields, which may refer to it
        required = json_array(schema.get("required")) or []
        props: JsonObject = properties if isinstance(properties, Mapping) else {}
        node.set_fields([Field(name, self.compile(prop), name in required, MISSING, "") for name, prop in props.items()])
        return node

    def _ref(self, ref: str) -> Node:
        known = self.refs.get(ref)
        if known is not None:
            return known
        target = self._resolve(ref)
        if target is None:
            return ANY
        self.refs[ref] = ANY  # a reference cycle that no object breaks is not followed further
        if target.get("type") == "object" or "properties" in target:
            node = self._object(target, ref)
        else:
            node = self.compile(target)
        self.refs[ref] = node
        return node

    def _resolve(self, ref: str) -> JsonObject | None:
        if ref == "#":
            return self.root
        defs = self.root.get("$defs")
        if not ref.startswith(_DEFS) or not isinstance(defs, Mapping):
            return None
        target = defs.get(ref[len(_DEFS) :])
        return target if isinstance(target, Mapping) else None


def _choice(values: list[JsonValue]) -> Node:
    return ChoiceNode([(value, value) for value in values], None)
