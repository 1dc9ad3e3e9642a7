"""Type-to-node compilation: a type hint becomes a tree of validator nodes, once."""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import inspect
import types
import typing
from typing import Any, TypeVar, Union, cast

import typing_extensions as te

from runlet.core.errors import UserError
from runlet.core.json import JsonValue
from runlet.core.schema._docstrings import parse_docstring
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
    DescribedNode,
    DictNode,
    Node,
    TupleNode,
    union_of,
)
from runlet.core.schema._objects import Field, ObjectNode, PydanticNode


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


def type_name(tp: object) -> str:
    """The hint as messages name it: `Point`, `list[int]`."""
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


def type_hints(obj: object, what: str) -> dict[str, Any]:
    """`obj`'s resolved type hints (extras kept); `UserError` naming `what` when they cannot be resolved."""
    try:
        return te.get_type_hints(obj, include_extras=True)
    except Exception as error:
        raise UserError(
            f"cannot resolve the type hints of {what}: {error} "
            "(names used in annotations must be importable from the module)"
        ) from error


def param_hint(func: object, param: inspect.Parameter, what: str) -> object:
    """One parameter's resolved hint, in `func`'s globals (so another parameter's unresolvable hint cannot spoil it)."""
    annotation: object = param.annotation
    if annotation is inspect.Parameter.empty:
        return annotation
    holder = types.SimpleNamespace(
        __annotations__={param.name: annotation},
        __globals__=getattr(func, "__globals__", {}),
    )
    return type_hints(holder, what).get(param.name, annotation)


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


class Compiler:
    """Compiles type hints into nodes; one per adapter or function, so recursive classes share their node."""

    def __init__(self) -> None:
        self.classes: dict[object, Node] = {}
        self.where: list[str] = []

    def fail(self, message: str) -> UserError:
        """The error for an unsupported hint, saying where it was found."""
        where = f" (in {self.where[-1]})" if self.where else ""
        return UserError(message + where)

    def compile(self, tp: object) -> Node:
        """The node of the type hint `tp`; `UserError` when it is not supported."""
        if tp is Any or tp is object:
            return ANY
        if tp is None or tp is type(None):
            return NULL
        if tp is str or tp is te.LiteralString:
            return STR
        if tp is bool:
            return BOOL
        if tp is int:
            return INT
        if tp is float:
            return FLOAT
        origin = te.get_origin(tp)
        args = te.get_args(tp)
        if origin is te.Annotated:
            inner, description = _peel_annotated(tp)
            node = self.compile(inner)
            return DescribedNode(node, description) if description else node
        if origin in _UNION_ORIGINS:
            return union_of([self.compile(arg) for arg in args])
        if origin in _LITERAL_ORIGINS:
            return self._literal(tp, args)
        if origin in _REQUIRED or origin in _NOT_REQUIRED or origin in _QUALIFIERS:
            return self.compile(args[0]) if args else ANY
        if isinstance(tp, (str, typing.ForwardRef)):
            raise self.fail(
                f"cannot resolve the forward reference {tp!r} here; "
                "pass the class itself or use it inside a class or function annotation"
            )
        if isinstance(tp, TypeVar):
            raise self.fail(f"unsupported type hint {type_name(tp)}: a type variable has no JSON schema")
        supertype = getattr(tp, "__supertype__", None)
        if supertype is not None and callable(tp):  # NewType
            return self.compile(supertype)
        if origin is not None:
            return self._generic(tp, origin, args)
        if tp is tuple:
            return ArrayNode(ANY, tuple, False)
        if tp in _LIST_ORIGINS:
            return ArrayNode(ANY, list, False)
        if tp in _SET_ORIGINS:
            return ArrayNode(ANY, set, True)
        if tp is frozenset:
            return ArrayNode(ANY, frozenset, True)
        if tp in _DICT_ORIGINS:
            return DictNode(ANY)
        if isinstance(tp, type):
            return self._class(tp)
        raise self.fail(f"unsupported type hint {type_name(tp)}")

    def _literal(self, tp: object, args: tuple[Any, ...]) -> Node:
        choices: list[tuple[JsonValue, object]] = []
        for arg in cast("tuple[object, ...]", args):
            json_value: object = arg.value if isinstance(arg, enum.Enum) else arg
            if json_value is not None and not isinstance(json_value, (str, int, float, bool)):
                raise self.fail(f"unsupported type hint {type_name(tp)}: Literal values must be JSON scalars")
            choices.append((json_value, arg))
        return ChoiceNode(choices, None)

    def _generic(self, tp: object, origin: object, args: tuple[Any, ...]) -> Node:
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return ArrayNode(self.compile(args[0]), tuple, False)
            if not args:
                if tp is typing.Tuple:  # bare typing.Tuple  # noqa: UP006
                    return ArrayNode(ANY, tuple, False)
                return TupleNode([])
            if args == ((),):  # tuple[()] on Python 3.10
                return TupleNode([])
            return TupleNode([self.compile(arg) for arg in args])
        if origin in _LIST_ORIGINS:
            return ArrayNode(self.compile(args[0]) if args else ANY, list, False)
        if origin in _SET_ORIGINS:
            return ArrayNode(self.compile(args[0]) if args else ANY, set, True)
        if origin is frozenset:
            return ArrayNode(self.compile(args[0]) if args else ANY, frozenset, True)
        if origin in _DICT_ORIGINS:
            if args:
                key = _peel_annotated(args[0])[0]
                if key is not str and key is not Any and key is not object:
                    raise self.fail(
                        f"unsupported type hint {type_name(tp)}: dictionary keys must be str "
                        "(JSON object keys are strings)"
                    )
            return DictNode(self.compile(args[1]) if len(args) == 2 else ANY)
        raise self.fail(f"unsupported type hint {type_name(tp)}")

    def _class(self, cls: type[object]) -> Node:
        known = self.classes.get(cls)
        if known is not None:
            return known
        name = cls.__qualname__
        if issubclass(cls, enum.Enum):
            return self._enum(cls)
        if callable(getattr(cls, "model_json_schema", None)) and callable(getattr(cls, "model_validate", None)):
            node: Node = PydanticNode(cls)
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

    def _enum(self, cls: type[enum.Enum]) -> Node:
        choices: list[tuple[JsonValue, object]] = []
        for member in cls:
            value: object = member.value
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise self.fail(f"unsupported Enum {cls.__qualname__}: member values must be JSON scalars")
            choices.append((value, member))
        node = ChoiceNode(choices, cls)
        doc = _class_doc(cls)
        if doc:
            node.description = parse_docstring(doc)[0]
        self.classes[cls] = node
        return node

    def _object_fields(self, owner: str, entries: list[tuple[str, object, bool, object]], docs: dict[str, str]) -> list[Field]:
        out: list[Field] = []
        for name, hint, required, default in entries:
            self.where.append(f"field '{name}' of {owner}")
            try:
                node = self.compile(hint)
            finally:
                self.where.pop()
            out.append(Field(name, node, required, default, docs.get(name, "")))
        return out

    def _dataclass(self, cls: type[object]) -> Node:
        node = ObjectNode(cls.__name__, factory=cls)
        self.classes[cls] = node
        hints = type_hints(cls, f"dataclass {cls.__qualname__}")
        description, docs = parse_docstring(_class_doc(cls))
        node.description = description
        entries: list[tuple[str, object, bool, object]] = []
        for f in dataclasses.fields(cast(Any, cls)):
            if not f.init:
                continue
            has_default = f.default is not dataclasses.MISSING
            has_factory = f.default_factory is not dataclasses.MISSING
            default: object = f.default if has_default else MISSING
            entries.append((f.name, hints.get(f.name, f.type), not (has_default or has_factory), default))
        node.set_fields(self._object_fields(cls.__qualname__, entries, docs))
        return node

    def _typeddict(self, cls: type[object]) -> Node:
        node = ObjectNode(cls.__name__, factory=None)
        self.classes[cls] = node
        hints = type_hints(cls, f"TypedDict {cls.__qualname__}")
        required_keys = cast("frozenset[str]", getattr(cls, "__required_keys__", frozenset[str]()))
        description, docs = parse_docstring(_class_doc(cls))
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
            entries.append((name, inner, required, MISSING))
        node.set_fields(self._object_fields(cls.__qualname__, entries, docs))
        return node

    def _namedtuple(self, cls: type[object]) -> Node:
        node = ObjectNode(cls.__name__, factory=cls)
        self.classes[cls] = node
        hints = type_hints(cls, f"NamedTuple {cls.__qualname__}")
        defaults = cast("dict[str, object]", getattr(cls, "_field_defaults", {}))
        description, docs = parse_docstring(_class_doc(cls))
        node.description = description
        entries: list[tuple[str, object, bool, object]] = []
        for name in cast("tuple[str, ...]", getattr(cls, "_fields")):
            if name not in hints:
                raise self.fail(f"field '{name}' of {cls.__qualname__} has no type annotation")
            default = defaults.get(name, MISSING)
            entries.append((name, hints[name], default is MISSING, default))
        node.set_fields(self._object_fields(cls.__qualname__, entries, docs))
        return node

