"""The store conformance suite: what every `StateStore` promises, as checks anyone can run on their own store.

Published by `runlet.testing`. Each check is an async function of a store
and, optionally, a second handle on the same data (another connection, as
another host would have); it raises `AssertionError` naming what broke.
The checks write sessions named `runlet-check-...` with random suffixes,
so a scratch database (or key prefix) is the place to run them.

    @pytest.mark.parametrize("check", store_checks(), ids=str)
    async def test_my_store(check: StoreCheck) -> None:
        async with MyStore(...) as store, MyStore(...) as other:
            await check(store, other)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from runlet.core.json import JsonValue
from runlet.core.messages import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from runlet.core.state import SessionConflict, StateStore

__all__ = ["StoreCheck", "check_store", "store_checks"]


@dataclass(frozen=True)
class StoreCheck:
    """One promise of the `StateStore` contract, checked: `await check(store)` or `await check(store, other)`.

    `other` is a second handle on the same data (a second store object on the
    same database, as another process or host would have); without it the
    checks use `store` twice.
    """

    name: str
    """A short identifier, such as `_racing_appends_have_one_winner`."""
    description: str
    """What the store must do, in a sentence."""
    run: Callable[[StateStore, StateStore], Awaitable[None]]

    async def __call__(self, store: StateStore, other: StateStore | None = None) -> None:
        """Run the check; `AssertionError` says what the store did wrong."""
        await self.run(store, store if other is None else other)

    def __str__(self) -> str:
        return self.name


def store_checks() -> tuple[StoreCheck, ...]:
    """Every check of the suite, in the order `check_store` runs them (for a parametrised test)."""
    return _CHECKS


async def check_store(store: StateStore, other: StateStore | None = None) -> None:
    """Run every check on `store` (and `other`, a second handle on the same data); raise at the first failure."""
    for check in _CHECKS:
        try:
            await check(store, other)
        except AssertionError as error:
            raise AssertionError(f"store check {check.name!r} failed: {error}") from error


# Helpers


def _session(name: str) -> str:
    return f"runlet-check-{name}-{uuid.uuid4().hex[:12]}"


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise AssertionError(problem)


def _same(got: object, expected: object, what: str) -> None:
    if got != expected:
        raise AssertionError(f"{what}: expected {_short(expected)}, got {_short(got)}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 300 else f"{text[:300]}... ({len(text)} characters)"


async def _conflicts(append: Awaitable[int], session: str, *, expected: int, actual: int) -> None:
    try:
        length = await append
    except SessionConflict as conflict:
        _same(
            (conflict.session, conflict.expected, conflict.actual),
            (session, expected, actual),
            "SessionConflict's (session, expected, actual)",
        )
        return
    raise AssertionError(
        f"append(expected_length={expected}) to a session of {actual} messages returned {length} "
        "instead of raising SessionConflict"
    )


def _texts(count: int, tag: str) -> list[Message]:
    return [Message.user(f"{tag}-{index}") for index in range(count)]


# The checks


async def _unknown_session_is_empty(store: StateStore, other: StateStore) -> None:
    """A session never written to loads as `()` and has no state."""
    session = _session("unknown")
    _same(await store.load(session), (), "load of an unknown session")
    _same(await store.get_state(session, "key"), None, "get_state of an unknown session")


async def _append_returns_the_new_length(store: StateStore, other: StateStore) -> None:
    """`append` returns the session's new length; `load` returns every message, oldest first, on any handle."""
    session = _session("append")
    first = (Message.user("hi"), Message.assistant("hello"))
    _same(await store.append(session, first, expected_length=0), 2, "append to a new session returned")
    _same(await store.append(session, [Message.user("more")]), 3, "append without expected_length returned")
    _same(await other.append(session, (Message.assistant("ok"),), expected_length=3), 4, "append on the other handle returned")
    expected = (*first, Message.user("more"), Message.assistant("ok"))
    _same(await store.load(session), expected, "load")
    _same(await other.load(session), expected, "load on the other handle")


async def _expected_length_guards_the_append(store: StateStore, other: StateStore) -> None:
    """An append whose `expected_length` is not the session's length raises `SessionConflict` and stores nothing."""
    session = _session("expected")
    await store.append(session, _texts(3, "first"), expected_length=0)
    await _conflicts(store.append(session, _texts(2, "stale"), expected_length=2), session, expected=2, actual=3)
    await _conflicts(other.append(session, _texts(2, "ahead"), expected_length=4), session, expected=4, actual=3)
    await _conflicts(store.append(session, _texts(1, "new"), expected_length=0), session, expected=0, actual=3)
    _same(await other.load(session), tuple(_texts(3, "first")), "the session after refused appends")
    _same(await other.append(session, _texts(1, "next"), expected_length=3), 4, "append with the right length returned")


async def _empty_append_changes_nothing(store: StateStore, other: StateStore) -> None:
    """Appending no messages returns the length and stores nothing; it still checks `expected_length`."""
    session = _session("empty")
    _same(await store.append(session, [], expected_length=0), 0, "empty append to a new session returned")
    await store.append(session, _texts(2, "m"))
    _same(await store.append(session, []), 2, "empty append returned")
    await _conflicts(other.append(session, [], expected_length=1), session, expected=1, actual=2)
    _same(len(await store.load(session)), 2, "messages after empty appends")


async def _every_message_round_trips(store: StateStore, other: StateStore) -> None:
    """Every part kind and any text (unpaired surrogates, NUL, a megabyte) comes back equal to what was stored."""
    session = _session("round-trip")
    strange = "héllo ✓ 你好 🎉 \x00 \x1f \u2028 \\ \" ' {} \ud83d\ude00 \ud800 x\udfff"
    messages = (
        Message.system("be brief"),
        Message.user(strange),
        Message.user(""),
        Message.assistant(
            (
                ReasoningPart(
                    "openai",
                    {"id": "rs_1", "n": [1, -2.5, 1e300, 2**70, None, True, False], "nested": {"a": {"b": []}}},
                    "thinking " + strange,
                ),
                TextPart("let me look"),
                ToolCallPart("c1", "lookup", '{"id": 1, "text": "\\u0000"}'),
                ToolCallPart("c2", "lookup", "not json at all"),
            )
        ),
        Message(
            "tool",
            (
                ToolResultPart("c1", "lookup", "x" * 1_000_000),
                ToolResultPart("c2", "lookup", "boom " + strange, is_error=True),
            ),
        ),
        Message.assistant(strange),
    )
    await store.append(session, messages, expected_length=0)
    loaded = await other.load(session)
    _same(len(loaded), len(messages), "messages loaded")
    for index, (got, sent) in enumerate(zip(loaded, messages)):
        _same(got, sent, f"message {index}")


async def _long_histories_keep_their_order(store: StateStore, other: StateStore) -> None:
    """A session of 1,050 messages appended in 30 batches loads in order (positions past 9, 99 and 999 included)."""
    session = _session("long")
    sent: list[Message] = []
    for batch in range(30):
        messages = _texts(35, f"b{batch}")
        length = await (store if batch % 2 else other).append(session, messages, expected_length=len(sent))
        sent += messages
        _same(length, len(sent), f"length after batch {batch}")
    _same(await store.load(session), tuple(sent), "the long session")


async def _racing_appends_have_one_winner(store: StateStore, other: StateStore) -> None:
    """Of appends racing with the same `expected_length`, on both handles, exactly one is stored; the others conflict."""
    session = _session("race")
    stored: list[Message] = []
    for race in range(3):
        batches = [_texts(3, f"r{race}-w{writer}") for writer in range(12)]
        handles = [store if writer % 2 else other for writer in range(12)]
        results = await asyncio.gather(
            *(handle.append(session, batch, expected_length=len(stored)) for handle, batch in zip(handles, batches)),
            return_exceptions=True,
        )
        winners = [index for index, result in enumerate(results) if isinstance(result, int)]
        _expect(len(winners) == 1, f"race {race}: {len(winners)} appends won (results: {_short(results)})")
        (winner,) = winners
        _same(results[winner], len(stored) + 3, f"race {race}: the winner's new length")
        for index, result in enumerate(results):
            if index != winner:
                _expect(isinstance(result, SessionConflict), f"race {race}: a loser raised {result!r}, not SessionConflict")
        stored += batches[winner]
        _same(await store.load(session), tuple(stored), f"the session after race {race}")


async def _concurrent_appends_never_interleave(store: StateStore, other: StateStore) -> None:
    """Concurrent appends without `expected_length` are all stored, each as one unbroken run, none lost or doubled."""
    session = _session("concurrent")

    async def writer(handle: StateStore, name: str) -> None:
        for batch in range(5):
            await handle.append(session, _texts(3, f"{name}-{batch}"))

    await asyncio.gather(*(writer(store if index % 2 else other, f"w{index}") for index in range(8)))
    texts = [message.text for message in await store.load(session)]
    _same(len(texts), 8 * 5 * 3, "messages stored")
    runs = [texts[start : start + 3] for start in range(0, len(texts), 3)]
    for run in runs:
        tag = run[0].rsplit("-", 1)[0]
        _same(run, [f"{tag}-{index}" for index in range(3)], "a batch (interleaved with another?)")
    for index in range(8):
        mine = [run[0].rsplit("-", 1)[0] for run in runs if run[0].startswith(f"w{index}-")]
        _same(mine, [f"w{index}-{batch}" for batch in range(5)], f"writer {index}'s batches, in order")


async def _a_checkpoint_is_claimed_once(store: StateStore, other: StateStore) -> None:
    """Of many `append(session, [marker], expected_length=0)` at once (how a checkpoint is claimed), exactly one succeeds."""
    session = _session("claim")
    claims = [
        (store if index % 2 else other).append(session, [Message.system(f"claim {index}")], expected_length=0)
        for index in range(16)
    ]
    results = await asyncio.gather(*claims, return_exceptions=True)
    won = [result for result in results if result == 1]
    _expect(len(won) == 1, f"{len(won)} claims succeeded (results: {_short(results)})")
    odd = [result for result in results if result != 1 and not (isinstance(result, SessionConflict) and result.actual == 1)]
    _expect(not odd, f"claims that neither won nor raised SessionConflict(actual=1): {_short(odd)}")
    _same(len(await other.load(session)), 1, "markers stored")


async def _a_cancelled_append_is_all_or_nothing(store: StateStore, other: StateStore) -> None:
    """An append whose task is cancelled stores all its messages or none; a load made after the task is done sees which."""
    session = _session("cancel")
    length = 0
    for round_ in range(6):
        batch = _texts(200, f"c{round_}")
        task = asyncio.ensure_future(store.append(session, batch, expected_length=length))
        for _ in range(round_):
            await asyncio.sleep(0)
        task.cancel()
        try:
            _same(await task, length + len(batch), "a cancelled append that completed returned")
        except asyncio.CancelledError:
            pass
        loaded = await store.load(session)
        _expect(len(loaded) in (length, length + len(batch)), f"a cancelled append left {len(loaded) - length} of {len(batch)} messages")
        if len(loaded) > length:
            _same(loaded[length:], tuple(batch), "the messages of a cancelled append")
        length = len(loaded)
        _same(await store.append(session, [], expected_length=length), length, "the length after a cancelled append")


async def _state_round_trips(store: StateStore, other: StateStore) -> None:
    """`set_state` keeps any JSON value per session and key; `get_state` returns an equal, fresh copy; the last write wins."""
    session, neighbour = _session("state"), _session("state")
    values: list[JsonValue] = [
        {"lang": "fr", "tags": ["a", "b"], "n": 3, "x": 0.1, "ok": True, "none": None, "nested": {"deep": [[], {}]}},
        "héllo ✓ 你好 🎉 \x00 \ud800 \ud83d\ude00",
        2**70,
        -1e-300,
        False,
        [],
        "",
    ]
    for index, value in enumerate(values):
        await store.set_state(session, f"key{index}", value)
    for index, value in enumerate(values):
        _same(await other.get_state(session, f"key{index}"), value, f"state value {index}")
    got = await store.get_state(session, "key0")
    _expect(isinstance(got, dict), f"a stored object came back as {type(got).__name__}")
    if isinstance(got, dict):
        got["lang"] = "changed by the caller"
    _same(await store.get_state(session, "key0"), values[0], "a stored object after the caller changed its copy")
    await other.set_state(session, "key0", 7)
    _same(await store.get_state(session, "key0"), 7, "a value after it was replaced")
    await store.set_state(session, "cleared", None)
    _same(await store.get_state(session, "cleared"), None, "a stored null")
    _same(await store.get_state(neighbour, "key0"), None, "another session's state")
    try:
        await store.set_state(session, "bad", float("nan"))
    except ValueError:
        pass
    else:
        raise AssertionError("set_state(NaN) did not raise ValueError")
    _same(await store.get_state(session, "bad"), None, "state after a refused NaN")


async def _state_and_messages_are_apart(store: StateStore, other: StateStore) -> None:
    """The key-value space and the messages of a session do not touch: writing one leaves the other as it was."""
    session = _session("apart")
    await store.set_state(session, "prefs", {"lang": "fr"})
    _same(await other.load(session), (), "messages after set_state")
    _same(await store.append(session, _texts(2, "m"), expected_length=0), 2, "the first append after set_state returned")
    _same(await other.get_state(session, "prefs"), {"lang": "fr"}, "state after an append")


async def _sessions_are_kept_apart(store: StateStore, other: StateStore) -> None:
    """Sessions whose names look alike (prefixes, separators, braces, quotes, globs) never share messages or state."""
    base = _session("names")
    suffixes: Sequence[str] = (
        "", ":messages", ":state", "}", "{x}", "}:messages", " ", "/", "\\", "*", "?", "[a]", "%", "_", "'", '"',
        ";", "ä", "🎉", "\t", "\n",
    )
    names = [base + suffix for suffix in suffixes] + [base[:-1]]
    for name in names:
        await store.append(name, [Message.user(name)], expected_length=0)
        await store.set_state(name, "name", name)
    for name in names:
        _same(await other.load(name), (Message.user(name),), f"the messages of session {name!r}")
        _same(await other.get_state(name, "name"), name, f"the state of session {name!r}")


_CHECKS: tuple[StoreCheck, ...] = tuple(
    StoreCheck(function.__name__.lstrip("_"), (function.__doc__ or "").strip(), function)
    for function in (
        _unknown_session_is_empty,
        _append_returns_the_new_length,
        _expected_length_guards_the_append,
        _empty_append_changes_nothing,
        _every_message_round_trips,
        _long_histories_keep_their_order,
        _racing_appends_have_one_winner,
        _concurrent_appends_never_interleave,
        _a_checkpoint_is_claimed_once,
        _a_cancelled_append_is_all_or_nothing,
        _state_round_trips,
        _state_and_messages_are_apart,
        _sessions_are_kept_apart,
    )
)
