"""`@frozen`: how Runlet declares its data, a frozen slotted dataclass that is cheap to define.

`@frozen` is `@dataclasses.dataclass(frozen=True, slots=True)`: the result is a
real dataclass (`dataclasses.fields`, `replace`, `asdict`, `__match_args__`)
that the type checkers treat as one. The difference is the cost of defining
the class. The standard decorator compiles six methods from generated source
for every class, which made `import runlet` spend most of its time in
`compile()`. Here `__eq__`, `__hash__` and `__repr__` are closures over the
class's fields instead, with the same behaviour as the generated ones (same
fields compared, hashed and shown, same output, `NotImplemented` for other
classes); only `__init__`, `__setattr__` and `__delattr__` are still
generated. A class that writes its own `__repr__` (or inherits one written
by hand) keeps it. Equality compares the fields as one tuple, as Python 3.10-3.12's
dataclasses do (3.13's compare them one by one, which differs only for a
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
        made = dataclasses.dataclass(frozen=True, slots=slots, init=init, kw_only=kw_only, eq=False, repr=False)(cls)
        _add_value_methods(made)
        return cast(C, made)

    return build if cls is None else build(cls)


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
