"""The public adapters: `TypeAdapter` (one type hint, compiled once; `adapter_for` caches them) and
`FunctionSchema` (a function's parameters as one object schema, and the validator of its arguments)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Generic, TypeVar, cast, overload

import typing_extensions as te

from runlet.core._frozen import frozen
from runlet.core.errors import UserError, ValidationError, ValidationIssue
from runlet.core.json import JsonObject, JsonValue
from runlet.core.schema._compile import Compiler, param_hint, type_name
from runlet.core.schema._docstrings import parse_docstring
from runlet.core.schema._generate import SchemaGen
from runlet.core.schema._issues import Issue, got, to_validation_error
from runlet.core.schema._nodes import MISSING
from runlet.core.schema._objects import Field, ObjectNode

T = TypeVar("T")
_U = TypeVar("_U")


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
        compiler = Compiler()
        self._node = compiler.compile(tp)
        self._schema: JsonObject = SchemaGen(self._node).document(self._node)

    @property
    def json_schema(self) -> JsonObject:
        """The JSON schema of the type (the draft 2020-12 subset OpenAI accepts).

        Recursive types put their definitions in ``$defs``. The returned
        mapping is shared: do not modify it.
        """
        return self._schema

    def validate(self, value: object) -> T:
        """Convert decoded JSON into the type; raises `ValidationError` listing every problem."""
        issues: list[Issue] = []
        result = self._node.validate(value, issues)
        if issues:
            raise to_validation_error(issues)
        return cast(T, result)

    def dump(self, value: T) -> JsonValue:
        """Convert a value of the type into JSON-able data (the inverse of `validate`)."""
        return self._node.dump(value)

    def __repr__(self) -> str:
        return f"TypeAdapter({type_name(self._type)})"


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
    _node: ObjectNode | None = field(default=None, repr=False, compare=False)
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
        description, docs = parse_docstring(inspect.getdoc(target) if callable(target) else None)

        params = list(signature.parameters.values())
        if skip_first:
            if not params:
                raise UserError(f"{name} has no first parameter to take the context")
            params = params[1:]
        compiler = Compiler()
        fields_: list[Field] = []
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
                hint = param_hint(target, param, f"function {name}")
            if hint is inspect.Parameter.empty:
                raise UserError(f"{where} has no type annotation")
            compiler.where.append(where)
            try:
                node = compiler.compile(hint)
            finally:
                compiler.where.pop()
            has_default = param.default is not inspect.Parameter.empty
            default = param.default if has_default else MISSING
            fields_.append(Field(param.name, node, not has_default, default, docs.get(param.name, "")))
        root = ObjectNode("", factory=None, noun="argument", fill_defaults=True)
        root.set_fields(fields_)
        schema = SchemaGen(root).document(root)
        return cls(name=name, description=description, json_schema=schema, _node=root)

    def validate(self, arguments: object) -> dict[str, object]:
        """Turn decoded JSON arguments into keyword arguments for the function.

        Missing optional parameters get their defaults. Every problem (missing,
        unknown and ill-typed arguments) is reported in one `ValidationError`.
        """
        node = self._node
        if node is None:
            raise UserError("this FunctionSchema was not made by FunctionSchema.from_function")
        issues: list[Issue] = []
        if not isinstance(arguments, Mapping):
            raise ValidationError([ValidationIssue("", f"expected an object of arguments, got {got(arguments)}")])
        result = node.validate(cast(object, arguments), issues)
        if issues:
            raise to_validation_error(issues)
        return cast("dict[str, object]", result)

