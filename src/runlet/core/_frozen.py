"""`@frozen`: how Runlet declares its data, a frozen slotted dataclass that is cheap to define.

`@frozen` is `@dataclasses.dataclass(frozen=True, slots=True)`: the result is a
real dataclass (`dataclasses.fields`, `replace`, `asdict`, `__match_args__`,
`__dataclass_params__.frozen`) that the type checkers treat as one. The
difference is the cost of defining the class. The standard decorator compiles
six methods from generated source for every class, which made `import runlet`
spend most of its time in `compile()`. Here only `__init__` is generated and
compiled, once per class; `__setattr__` and `__delattr__` (which refuse to
change a field, raising `FrozenInstanceError`), `__eq__`, `__hash__` and
`__repr__` are closures over the class's fields, with the same behaviour as
the generated ones (same fields compared, hashed and shown, same output,
`NotImplemented` for other classes). A slotted class gets `__getstate__` and
`__setstate__`, as the standard decorator gives it, so that `copy` and
`pickle` can rebuild an instance. A subclass of a dataclass is made by the
standard decorator (dataclasses checks that base and subclass agree on being
frozen), then given the closures `__eq__`, `__hash__` and `__repr__`.
`InitVar` fields are not supported. A class that writes its own `__repr__`
(or inherits one written by hand) keeps it. Equality compares the fields as
one tuple, as Python 3.10-3.12's dataclasses do (3.13's compare them one by one, which differs only for a
value not equal to itself, such as the same NaN on both sides). See
docs/performance.md for what it saves.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, cast, overload

from typing_extensions import dataclass_transform

C = TypeVar("C", bound=type[Any])
T = TypeVar("T")

_Values = Callable[[object], tuple[object, ...]]


@overload
def frozen(cls: C, /) -> C: ...


@overload
def frozen(*, init: bool = True, kw_only: bool = False, slots: bool = True) -> Callable[[C], C]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: C | None = None, /, *, init: bool = True, kw_only: bool = False, slots: bool = True) -> C | Callable[[C], C]:
    """Make `cls` a frozen dataclass, slotted unless `slots=False` (`init` and `kw_only` as for `dataclasses.dataclass`).

    `slots=False` keeps the fields in the instance's `__dict__`, which `replace`
    below copies in one step: for a value the loop replaces several times a step.
    """

    def build(cls: C) -> C:
        # slots=True makes a new class: the one returned is the dataclass.
        if any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:]):
            made = dataclasses.dataclass(frozen=True, slots=slots, init=init, kw_only=kw_only, eq=False, repr=False)(cls)
        else:
            made = dataclasses.dataclass(slots=slots, init=False, kw_only=kw_only, eq=False, repr=False)(cls)
            made.__dataclass_params__.frozen = True
            made.__dataclass_params__.init = init
            _add_frozen_methods(made, init=init, slots=slots)
        _add_value_methods(made)
        return cast(C, made)

    return build if cls is None else build(cls)


def _add_frozen_methods(cls: type[Any], *, init: bool, slots: bool) -> None:
    """`__init__`, `__setattr__` and `__delattr__` of a frozen dataclass (and, slotted, its pickling methods)."""
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    field_names = frozenset(names)

    def __setattr__(self: object, name: str, value: object) -> None:
        if self.__class__ is cls or name in field_names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: object, name: str) -> None:
        if self.__class__ is cls or name in field_names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    def __getstate__(self: object) -> list[object]:
        return [getattr(self, name) for name in names]

    def __setstate__(self: object, state: list[object]) -> None:
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    methods: list[Callable[..., Any]] = [__setattr__, __delattr__]
    if slots:
        methods += [__getstate__, __setstate__]
    if init:
        methods.append(_init_method(cls, fields))
    for method in methods:
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        method.__module__ = cls.__module__
        setattr(cls, method.__name__, method)


class _FactoryDefault:
    """The default of a parameter whose field has a `default_factory`: the factory is called when it is seen."""

    def __repr__(self) -> str:
        return "<factory>"  # as the standard decorator's, in `inspect.signature`


_FACTORY_DEFAULT = _FactoryDefault()


def _init_method(cls: type[Any], fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """The `__init__` the standard decorator generates for a frozen class, compiled from one source."""
    namespace: dict[str, Any] = {"__frozen_setattr__": object.__setattr__, "__factory_default__": _FACTORY_DEFAULT}
    positional: list[str] = []
    keyword_only: list[str] = []
    body: list[str] = []
    for f in fields:
        default = f"__default_{f.name}__"
        has_factory = f.default_factory is not dataclasses.MISSING
        if has_factory:
            namespace[default] = f.default_factory
        elif f.default is not dataclasses.MISSING:
            namespace[default] = f.default
        if f.init:
            if has_factory:
                parameter, value = f"{f.name}=__factory_default__", f"{default}() if {f.name} is __factory_default__ else {f.name}"
            elif f.default is not dataclasses.MISSING:
                parameter, value = f"{f.name}={default}", f.name
            else:
                parameter, value = f.name, f.name
            (keyword_only if f.kw_only else positional).append(parameter)
        elif has_factory:
            value = f"{default}()"
        elif f.default is not dataclasses.MISSING:
            value = default
        else:
            continue
        body.append(f"    __frozen_setattr__(self, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    parameters = ", ".join(["self", *positional, *(["*", *keyword_only] if keyword_only else [])])
    exec(f"def __init__({parameters}):\n" + ("\n".join(body) or "    pass"), namespace)
    made: Callable[..., None] = namespace["__init__"]
    made.__annotations__ = {**{f.name: f.type for f in fields if f.init}, "return": None}
    return made


def _add_value_methods(cls: type[Any]) -> None:
    fields = dataclasses.fields(cls)
    compared = _values([f.name for f in fields if f.compare])
    hashed = _values([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    shown = [f.name for f in fields if f.repr]
    shown_values = _values(shown)

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: object) -> int:
        return hash(hashed(self))

    @reprlib.recursive_repr()
    def __repr__(self: object) -> str:
        shown_fields = ", ".join(f"{name}={value!r}" for name, value in zip(shown, shown_values(self)))
        return f"{self.__class__.__qualname__}({shown_fields})"

    __repr__.__dict__["made_by_frozen"] = True
    written: object = getattr(cls, "__repr__")
    own_repr = written is not object.__repr__ and not getattr(written, "made_by_frozen", False)
    for method in (__eq__, __hash__) if own_repr else (__eq__, __hash__, __repr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        method.__module__ = cls.__module__
        setattr(cls, method.__name__, method)


def _values(names: list[str]) -> _Values:
    """The named attributes of an object as a tuple (what the generated methods compare, hash or show)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    several: _Values = attrgetter(*names)
    return several


_copied: dict[type[Any], tuple[frozenset[str], bool]] = {}


def replace(obj: T, /, **changes: Any) -> T:
    """`dataclasses.replace`, in a fraction of its time for an instance of a `@frozen(slots=False)` class.

    The loop replaces its `RunState` a few times per step. The standard
    function walks the class's fields and calls `__init__` with every one of
    them; for a class whose fields live in its `__dict__`, this copies that
    dict once with the changes applied. The result is the same: the same
    class, the changed fields, `__post_init__` run, and `TypeError` for a name
    that is not a field. Modules import it under `TYPE_CHECKING` as
    `dataclasses.replace`, so the type checkers still check every name and type.
    """
    instance: Any = obj
    cls: type[Any] = instance.__class__
    known = _copied.get(cls)
    if known is None:
        if "__dict__" not in dir(cls) or not dataclasses.is_dataclass(cls):  # slotted: nothing to copy at once
            copied: T = dataclasses.replace(instance, **changes)
            return copied
        known = _copied[cls] = (frozenset(f.name for f in dataclasses.fields(cls)), hasattr(cls, "__post_init__"))
    names, post_init = known
    if not names.issuperset(changes):
        unknown = sorted(set(changes) - names)
        raise TypeError(f"{cls.__name__} has no field {', '.join(map(repr, unknown))}")
    new = object.__new__(cls)
    object.__setattr__(new, "__dict__", {**instance.__dict__, **changes})
    if post_init:
        new.__post_init__()
    made: T = new
    return made
