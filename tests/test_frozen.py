"""`@frozen` (runlet.core._frozen) behaves as `@dataclass(frozen=True, slots=True)` does."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from runlet.core._frozen import frozen
from runlet.core.events import RunStarted
from runlet.core.messages import Message, TextPart, ToolCallPart
from runlet.core.models import ModelRequest, Usage


@frozen
class Point:
    x: int
    y: float = 0.0
    label: str = field(default="", repr=False)
    note: str = field(default="", compare=False)
    tags: tuple[str, ...] = field(default=(), hash=False)


@dataclass(frozen=True, slots=True)
class StdPoint:
    x: int
    y: float = 0.0
    label: str = field(default="", repr=False)
    note: str = field(default="", compare=False)
    tags: tuple[str, ...] = field(default=(), hash=False)


@frozen
class Empty:
    pass


@frozen
class One:
    value: object


@frozen(kw_only=True)
class Named:
    a: int
    b: str = "b"


@frozen
class Holder:
    items: list[object] = field(default_factory=list[object])


CASES: list[tuple[Any, ...]] = [
    (1,),
    (1, 2.5),
    (1, 2.5, "hidden", "ignored", ("a",)),
]


@pytest.mark.parametrize("args", CASES)
def test_repr_eq_and_hash_match_the_standard_decorator(args: tuple[Any, ...]) -> None:
    mine, theirs = Point(*args), StdPoint(*args)
    assert repr(mine) == repr(theirs).replace("StdPoint", "Point")
    assert (mine == Point(*args)) == (theirs == StdPoint(*args))
    assert hash(mine) == hash(theirs)
    assert dataclasses.astuple(mine) == dataclasses.astuple(theirs)
    assert Point.__match_args__ == StdPoint.__match_args__


def test_fields_compare_as_a_tuple_so_an_identical_nan_is_equal() -> None:
    nan = float("nan")
    assert Point(0, nan) == Point(0, nan)  # as Python 3.10-3.12's dataclasses; 3.13's compare field by field
    assert Point(0, nan) != Point(0, float("nan"))


def test_compare_and_hash_flags_are_honoured() -> None:
    assert Point(1, note="a") == Point(1, note="b")  # compare=False
    assert Point(1, tags=("a",)) != Point(1, tags=("b",))  # compared, not hashed
    assert hash(Point(1, tags=("a",))) == hash(Point(1, tags=("b",)))
    assert "label" not in repr(Point(1, label="secret"))


def test_other_classes_are_not_equal() -> None:
    assert Point(1).__eq__(StdPoint(1)) is NotImplemented
    assert Point(1) != StdPoint(1)
    assert Point(1) != (1, 0.0, "", "", ())
    assert One(1) != One(2) and One(1) == One(1)
    assert Empty() == Empty() and hash(Empty()) == hash(Empty())


def test_it_is_a_frozen_slotted_dataclass() -> None:
    point = Point(1)
    assert dataclasses.is_dataclass(point)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "label", "note", "tags"]
    assert dataclasses.replace(point, x=2) == Point(2)
    assert dataclasses.asdict(point) == {"x": 1, "y": 0.0, "label": "", "note": "", "tags": ()}
    assert not hasattr(point, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    match point:
        case Point(x, y):
            assert (x, y) == (1, 0.0)
        case _:
            pytest.fail("positional match failed")


def test_keyword_only_and_default_factories() -> None:
    assert Named(a=1) == Named(a=1, b="b")
    with pytest.raises(TypeError):
        Named(1)  # type: ignore[misc]  # pyright: ignore[reportCallIssue]
    first, second = Holder(), Holder()
    assert first.items is not second.items
    with pytest.raises(TypeError, match="unhashable"):
        hash(Holder([[]]))


def test_copy_and_pickle_round_trip() -> None:
    point = Point(1, 2.0, "l", "n", ("t",))
    assert copy.copy(point) == point and copy.deepcopy(point) == point
    assert pickle.loads(pickle.dumps(point)) == point


def test_a_recursive_value_repr_does_not_recurse_forever() -> None:
    loop: list[object] = []
    holder = Holder(loop)
    loop.append(holder)
    assert repr(holder) == "Holder(items=[...])"


def test_methods_are_named_after_their_class() -> None:
    assert Point.__eq__.__qualname__ == "Point.__eq__"
    assert Point.__repr__.__qualname__ == "Point.__repr__"
    assert Point.__hash__.__module__ == __name__


def test_runlets_data_keeps_value_semantics() -> None:
    message = Message("assistant", (TextPart("hi"), ToolCallPart("c1", "lookup", "{}")))
    assert message == Message("assistant", (TextPart("hi"), ToolCallPart("c1", "lookup", "{}")))
    assert len({message, dataclasses.replace(message)}) == 1
    assert repr(TextPart("hi")) == "TextPart(text='hi')"
    assert Usage(1, 2) + Usage(3, 4) == Usage(4, 6)
    assert ModelRequest(messages=(message,)) == ModelRequest(messages=(message,))
    event = RunStarted(run_id="r", agent="a", step=0, seq=0, timestamp=1.0, span_id="s", parent_span_id=None, input="x")
    assert event == dataclasses.replace(event) and event != dataclasses.replace(event, seq=1)
    assert repr(event).startswith("RunStarted(run_id='r', agent='a', step=0,")


@frozen
class Tagged:
    text: str
    kind: str = field(default="tagged", init=False, repr=False)
    checked: list[str] = field(default_factory=list[str], init=False, compare=False)

    def __post_init__(self) -> None:
        self.checked.append(self.text)


@frozen
class Base:
    a: int


@frozen
class Derived(Base):
    b: str = "b"


def test_the_init_is_the_standard_decorators() -> None:
    import inspect

    assert str(inspect.signature(Point)) == str(inspect.signature(StdPoint))
    assert str(inspect.signature(Named)) == "(*, a: 'int', b: 'str' = 'b') -> None"
    assert str(inspect.signature(Holder)) == "(items: 'list[object]' = <factory>) -> None"
    tagged = Tagged("hi")
    assert (tagged.kind, tagged.checked) == ("tagged", ["hi"])  # init=False fields set, then __post_init__
    with pytest.raises(TypeError):
        Tagged("hi", "other")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    assert Derived(1) == Derived(1, "b") and Derived(1).a == 1


def test_subclasses_agree_on_being_frozen() -> None:
    for cls in (Point, Derived):
        params: Any = getattr(cls, "__dataclass_params__")
        assert params.frozen and params.init

    @dataclass(frozen=True, slots=True)
    class Std(Point):
        z: int = 0

    assert Std(1, z=2).z == 2
    with pytest.raises(TypeError, match="non-frozen dataclass from a frozen one"):

        @dataclass  # pyright: ignore[reportGeneralTypeIssues]  # the type checkers reject it too
        class Thawed(Point):  # type: ignore[misc]  # pyright: ignore[reportUnusedClass]
            z: int = 0

    derived = Derived(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        derived.b = "c"  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    assert pickle.loads(pickle.dumps(derived)) == derived and copy.deepcopy(Tagged("x")) == Tagged("x")
