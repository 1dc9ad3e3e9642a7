"""Property tests of runlet.core.schema.

Random nested type hints are built from the supported constructors, each with
a strategy for its values and one for JSON values of a wrong shape. For every
hint: `validate(dump(v)) == v`, wrong shapes raise `ValidationError`, any
JSON value either validates or raises `ValidationError` (never another error),
and `validate_json` with the hint's JSON schema judges every value as the
type's own validator does.
"""

from __future__ import annotations

import enum
import itertools
import json
from dataclasses import dataclass, field, make_dataclass
from typing import Annotated, Any, Callable, Literal, Optional, Union

import pytest
import typing_extensions as te
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlet.core.errors import ValidationError
from runlet.core.schema import TypeAdapter, validate_json
from runlet.providers.strict_schema import to_strict_schema

_names = itertools.count()

Strategy = st.SearchStrategy[Any]


@dataclass
class Case:
    """A type hint with strategies for its values, their JSON, and wrong JSON."""

    hint: Any
    values: Strategy
    bad: Strategy  # JSON values the hint must reject; never None at the top level
    hashable: bool = False
    json: Strategy = field(init=False)

    def __post_init__(self) -> None:
        self.json = self.values.map(TypeAdapter(self.hint).dump)

    def __repr__(self) -> str:
        return f"Case({self.hint!r})"


_texts = st.text(max_size=4)
_containers = st.sampled_from([[], {}, [1], {"k": "v"}])


def _leaves() -> Strategy:
    literal_values = ("a", "b", 1, True)
    return st.sampled_from(
        [
            Case(str, _texts, st.integers() | st.booleans() | _containers, hashable=True),
            Case(int, st.integers(), _texts | st.booleans() | st.just(0.5) | _containers, hashable=True),
            Case(
                float,
                st.floats(allow_nan=False, allow_infinity=False),
                _texts | st.booleans() | _containers,
            ),
            Case(bool, st.booleans(), st.integers() | _texts | _containers, hashable=True),
            Case(type(None), st.none(), st.integers() | _texts | _containers),
            Case(
                Literal[literal_values],  # type: ignore[valid-type]
                st.sampled_from(literal_values),
                _texts.filter(lambda s: s not in ("a", "b")) | st.just(2) | st.just(False) | _containers,
                hashable=True,
            ),
            Case(Union[str, int], _texts | st.integers(), st.booleans() | _containers | st.just(1.5)),
        ]
    ) | st.builds(_enum_case)


def _enum_case() -> Case:
    cls = enum.Enum(f"E{next(_names)}", {"A": "a", "B": 2, "C": 2.5, "D": False})  # type: ignore[misc]
    return Case(cls, st.sampled_from(list(cls)), st.just("z") | st.just(True) | _containers, hashable=True)


def _list_bad(child: Case) -> Strategy:
    with_bad_item = st.tuples(st.lists(child.json, max_size=2), child.bad, st.integers(0, 2)).map(
        lambda t: t[0][: t[2]] + [t[1]] + t[0][t[2] :]
    )
    return with_bad_item | st.just({"a": 1}) | st.just("text")


def _list_case(child: Case) -> Case:
    return Case(list[child.hint], st.lists(child.values, max_size=3), _list_bad(child))


def _tuple_case(child: Case) -> Case:
    return Case(
        tuple[child.hint, ...],
        st.lists(child.values, max_size=3).map(tuple),
        _list_bad(child),
        hashable=child.hashable,
    )


def _pair_case(children: tuple[Case, Case]) -> Case:
    first, second = children
    wrong_length = st.tuples(first.json).map(list)
    bad_item = st.tuples(first.bad, second.json).map(list) | st.tuples(first.json, second.bad).map(list)
    return Case(
        tuple[first.hint, second.hint],
        st.tuples(first.values, second.values),
        wrong_length | bad_item | st.just({}),
        hashable=first.hashable and second.hashable,
    )


def _set_case(child: Case) -> Case:
    return Case(set[child.hint], st.sets(child.values, max_size=3), _list_bad(child))


def _frozenset_case(child: Case) -> Case:
    return Case(
        frozenset[child.hint],
        st.frozensets(child.values, max_size=3),
        _list_bad(child),
        hashable=True,
    )


def _dict_case(child: Case) -> Case:
    bad = st.tuples(_texts, child.bad).map(lambda t: {t[0]: t[1]}) | st.just([1]) | st.just("text")
    return Case(dict[str, child.hint], st.dictionaries(_texts, child.values, max_size=3), bad)


def _optional_case(child: Case) -> Case:
    return Case(Optional[child.hint], st.none() | child.values, child.bad, hashable=child.hashable)


def _annotated_case(child: Case) -> Case:
    return Case(Annotated[child.hint, "some description"], child.values, child.bad, hashable=child.hashable)


def _object_bad(names: list[str], children: list[Case]) -> Strategy:
    good = st.fixed_dictionaries({name: c.json for name, c in zip(names, children)})
    options: list[Strategy] = [
        st.just("text"),
        st.just([]),
        good.map(lambda d: {**d, "zz_unknown": 1}),
    ]
    for index, (name, child) in enumerate(zip(names, children)):
        options.append(good.map(lambda d, name=name: {k: v for k, v in d.items() if k != name}))
        options.append(st.tuples(good, child.bad).map(lambda t, name=name: {**t[0], name: t[1]}))
        del index
    return st.one_of(options)


def _dataclass_case(children: list[Case]) -> Case:
    names = [f"f{i}" for i in range(len(children))]
    cls = make_dataclass(f"D{next(_names)}", [(n, c.hint) for n, c in zip(names, children)])
    values = st.builds(cls, **{n: c.values for n, c in zip(names, children)})
    return Case(cls, values, _object_bad(names, children))


def _typeddict_case(children: list[Case]) -> Case:
    names = [f"k{i}" for i in range(len(children))]
    cls = te.TypedDict(f"T{next(_names)}", {n: c.hint for n, c in zip(names, children)})  # type: ignore[operator]
    values = st.fixed_dictionaries({n: c.values for n, c in zip(names, children)})
    return Case(cls, values, _object_bad(names, children))


def _extend(children: Strategy) -> Strategy:
    hashable = children.filter(lambda c: c.hashable)
    return st.one_of(
        children.map(_list_case),
        children.map(_tuple_case),
        st.tuples(children, children).map(_pair_case),
        hashable.map(_set_case),
        hashable.map(_frozenset_case),
        children.map(_dict_case),
        children.filter(lambda c: c.hint is not type(None)).map(_optional_case),
        children.map(_annotated_case),
        st.lists(children, min_size=1, max_size=3).map(_dataclass_case),
        st.lists(children, min_size=1, max_size=3).map(_typeddict_case),
    )


cases = st.recursive(_leaves(), _extend, max_leaves=5)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3),
    max_leaves=8,
)

_settings = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@_settings
@given(st.data())
def test_round_trip(data: st.DataObject) -> None:
    case = data.draw(cases, label="case")
    adapter = TypeAdapter(case.hint)
    value = data.draw(case.values, label="value")
    dumped = adapter.dump(value)
    json.dumps(dumped)  # JSON-able
    assert adapter.validate(dumped) == value
    assert adapter.validate(json.loads(json.dumps(dumped))) == value


@_settings
@given(st.data())
def test_wrong_shapes_are_rejected(data: st.DataObject) -> None:
    case = data.draw(cases, label="case")
    bad = data.draw(case.bad, label="bad")
    with pytest.raises(ValidationError) as info:
        TypeAdapter(case.hint).validate(bad)
    assert info.value.issues
    for issue in info.value.issues:
        assert issue.message


@_settings
@given(st.data())
def test_any_json_validates_or_raises_validation_error(data: st.DataObject) -> None:
    case = data.draw(cases, label="case")
    value = data.draw(json_values, label="value")
    try:
        TypeAdapter(case.hint).validate(value)
    except ValidationError as error:
        assert error.issues


@_settings
@given(cases)
def test_schema_is_json_and_strict_conversion_is_total(case: Case) -> None:
    schema = TypeAdapter(case.hint).json_schema
    assert json.loads(json.dumps(schema)) == schema
    strict = to_strict_schema(schema)
    if strict is not None:
        assert to_strict_schema(strict) == strict


def _problems(check: Callable[[], object]) -> list[str] | None:
    """The paths of the problems `check` raises, or `None` when it passes."""
    try:
        check()
    except ValidationError as error:
        return [issue.path for issue in error.issues]
    return None


@_settings
@given(st.data())
def test_the_schema_validates_as_the_type_does(data: st.DataObject) -> None:
    case = data.draw(cases, label="case")
    adapter = TypeAdapter(case.hint)
    value = data.draw(case.json | case.bad | json_values, label="value")
    expected = _problems(lambda: adapter.validate(value))
    assert _problems(lambda: validate_json(adapter.json_schema, value)) == expected


def test_dump_then_validate_keeps_types() -> None:
    # A fixed example of the property, readable on failure.
    hint: Callable[..., Any] = make_dataclass("Fixed", [("a", tuple[int, str]), ("b", Optional[frozenset[int]])])
    adapter = TypeAdapter(hint)
    value = hint((1, "x"), frozenset({1, 2}))
    assert adapter.validate(adapter.dump(value)) == value
