"""`TypeAdapter`: the schema and validator of one type hint, compiled once; `adapter_for` caches them."""

from __future__ import annotations

import functools
from typing import Any, Generic, TypeVar, cast, overload

from runlet.core.json import JsonObject, JsonValue
from runlet.core.schema._compile import Compiler, type_name
from runlet.core.schema._generate import SchemaGen
from runlet.core.schema._issues import Issue, to_validation_error

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

