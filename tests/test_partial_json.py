"""`PartialJson`: the value of a streaming JSON object, as far as it is known, whatever the cuts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from hypothesis import given
from hypothesis import strategies as st

from runlet.core.json import JsonValue
from runlet.core.partial_json import PartialJson


def values_after_each(pieces: Sequence[str]) -> list[JsonValue]:
    """The value after each piece that changed it."""
    parser = PartialJson()
    return [parser.value() for piece in pieces if parser.feed(piece)]


def grows_into(small: JsonValue, big: JsonValue) -> bool:
    """Whether `small` is `big` as known earlier: members and items completed so far, the last one maybe still growing."""
    if isinstance(small, Mapping) and isinstance(big, Mapping):
        return all(key in big and grows_into(value, big[key]) for key, value in small.items())
    if isinstance(small, list) and isinstance(big, list):
        if len(small) > len(big):
            return False
        return all(a == b for a, b in zip(small[:-1], big)) and (not small or grows_into(small[-1], big[len(small) - 1]))
    return small == big and type(small) is type(big)


def test_fields_appear_as_they_complete() -> None:
    pieces = ['{"ci', 'ty": "Pa', 'ris", "temp', '": 2', "1", ', "ok": tr', "ue, ", '"tags": ["a"', ', "b"]}']
    assert values_after_each(pieces) == [
        {},
        {"city": "Paris"},
        {"city": "Paris", "temp": 21},
        {"city": "Paris", "temp": 21, "ok": True},
        {"city": "Paris", "temp": 21, "ok": True, "tags": ["a"]},
        {"city": "Paris", "temp": 21, "ok": True, "tags": ["a", "b"]},
    ]


def test_nested_containers_appear_when_they_open() -> None:
    assert values_after_each(['{"a": {"b": [', "1, ", "{"]) == [{"a": {"b": []}}, {"a": {"b": [1]}}, {"a": {"b": [1, {}]}}]


def test_a_number_completes_only_when_something_follows_it() -> None:
    parser = PartialJson()
    assert parser.feed('{"n": 12')
    assert parser.value() == {}
    assert not parser.feed("3")
    assert parser.feed("}")
    assert parser.value() == {"n": 123}


def test_escapes_cut_anywhere() -> None:
    text = json.dumps({"s": 'a "quoted" \\ back\nslash \u00e9 \U0001f600'})
    for cut in range(1, len(text)):
        parser = PartialJson()
        parser.feed(text[:cut])
        parser.feed(text[cut:])
        assert parser.value() == json.loads(text), cut


def test_text_around_the_object_is_skipped() -> None:
    parser = PartialJson()
    assert not parser.feed("Here you are:\n```json\n")
    assert parser.feed('{"a": 1}\n```')
    assert parser.value() == {"a": 1}
    assert not parser.feed('{"b": 2}')


def test_what_is_not_json_stops_it_keeping_what_was_known() -> None:
    parser = PartialJson()
    assert parser.feed('{"a": 1, "b": ')
    assert not parser.feed("nope")
    assert not parser.feed('2, "c": 3}')
    assert parser.value() == {"a": 1}


def test_values_handed_out_never_change() -> None:
    parser = PartialJson()
    parser.feed('{"a": [1, {"b": 2, ')
    first = parser.value()
    kept = json.dumps(first)
    parser.feed('"c": 3}, 4], "d": {"e": 5}}')
    assert json.dumps(first) == kept
    assert parser.value() == {"a": [1, {"b": 2, "c": 3}, 4], "d": {"e": 5}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(value=st.dictionaries(st.text(max_size=5), json_values, max_size=5), cuts=st.lists(st.integers(0, 10_000)), data=st.data())
def test_any_object_cut_anywhere_grows_into_itself(value: dict[str, JsonValue], cuts: list[int], data: st.DataObject) -> None:
    text = json.dumps(value, ensure_ascii=data.draw(st.booleans()), indent=data.draw(st.sampled_from([None, 1])))
    points = sorted({cut % (len(text) + 1) for cut in cuts} | {0, len(text)})
    pieces = [text[a:b] for a, b in zip(points, points[1:])]
    seen = values_after_each(pieces)
    assert seen[-1] == json.loads(text)
    for earlier, later in zip(seen, seen[1:]):
        assert grows_into(earlier, later), (earlier, later)
