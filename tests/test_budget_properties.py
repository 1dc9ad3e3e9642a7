"""Property tests: compression keeps conversations well formed, over random conversations and limits.

Invariants: a tool call and its result stay or go together; a reasoning item
keeps what follows it; the instructions and the current (last) user message
stay; dropping only removes (never reorders or edits); and a request still
over the limit has nothing left that could go.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlet.core.budget import (
    SUMMARY_PREFIX,
    DropOldestTurns,
    SummarizeOlderTurns,
    TokenBudgeter,
    TrimToolResults,
    units,
)
from runlet.core.messages import Message, Part, ReasoningPart, TextPart, ToolCallPart
from runlet.core.models import Capabilities, ModelRequest, Usage
from runlet.testing import FunctionProvider

texts = st.text(alphabet=st.sampled_from("abc xyz{}\":,\n中文0123"), max_size=300)


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    ids = itertools.count()
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message.system("instructions " + draw(texts)))
    for _ in range(draw(st.integers(0, 6))):
        messages.append(Message.user(draw(texts)))
        for _ in range(draw(st.integers(0, 3))):
            parts: list[Part] = []
            if draw(st.booleans()):
                reasoning = ReasoningPart("openai", {"id": f"rs_{next(ids)}"}, draw(texts))
                if draw(st.booleans()):  # a reasoning item alone in its message, the rest in the next
                    messages.append(Message.assistant((reasoning,)))
                else:
                    parts.append(reasoning)
            calls = [ToolCallPart(f"call_{next(ids)}", "t", '{"q": 1}') for _ in range(draw(st.integers(0, 3)))]
            if calls:
                parts.extend(calls)
            else:
                parts.append(TextPart(draw(texts)))
            messages.append(Message.assistant(tuple(parts)))
            order = draw(st.permutations(calls))
            for call in order:
                size = draw(st.integers(0, 3_000))
                messages.append(Message.tool_result(call.call_id, "r" * size, name="t"))
    if draw(st.booleans()) or not messages:
        messages.append(Message.user("the current question " + draw(texts)))
    return messages


def run(coroutine: object) -> ModelRequest:
    result = asyncio.run(coroutine)  # type: ignore[arg-type]
    assert isinstance(result, ModelRequest)
    return result


def check_well_formed(before: Sequence[Message], after: Sequence[Message]) -> None:
    """The invariants every strategy keeps."""
    calls_before = {p.call_id for m in before for p in m.tool_calls}
    calls = {p.call_id for m in after for p in m.tool_calls}
    results = {p.call_id for m in after for p in m.tool_results}
    assert calls == results & calls_before | (calls - {p.call_id for m in before for p in m.tool_results})
    assert results <= calls
    # A reasoning item is followed by what followed it before.
    for i, message in enumerate(after):
        if message.parts and isinstance(message.parts[-1], ReasoningPart):
            j = next(k for k, m in enumerate(before) if m is message)
            if j + 1 < len(before):
                assert i + 1 < len(after) and after[i + 1] is before[j + 1]
    # The current user message stays, last among the user messages.
    users = [m for m in before if m.role == "user"]
    if users:
        assert any(m is users[-1] for m in after)
        assert [m for m in after if m.role == "user"][-1] is users[-1]
    # The instructions stay.
    for message in before:
        if message.role == "system" and not message.text.startswith(SUMMARY_PREFIX):
            assert any(m is message for m in after)


def is_subsequence(short: Sequence[Message], long: Sequence[Message]) -> bool:
    position = iter(long)
    return all(any(m is n for n in position) for m in short)


def by_length(request: ModelRequest) -> int:
    return sum(
        10 + (len(p.text) if isinstance(p, TextPart) else len(p.content) if hasattr(p, "content") else 5)  # type: ignore[attr-defined]
        for m in request.messages
        for p in m.parts
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(0, 20_000), st.integers(0, 4), st.booleans())
def test_dropping_keeps_conversations_well_formed(
    messages: list[Message], limit: int, keep_last: int, keep_first_user: bool
) -> None:
    request = ModelRequest(messages)
    strategy = DropOldestTurns(keep_last=keep_last, keep_first_user=keep_first_user)
    after = run(strategy.apply(request, limit, by_length))
    check_well_formed(messages, after.messages)
    assert is_subsequence(after.messages, messages)
    if keep_first_user and any(m.role == "user" for m in messages):
        first = next(m for m in messages if m.role == "user")
        assert any(m is first for m in after.messages)
    if by_length(after) > limit:
        # Nothing that could go is left: every remaining unit is protected.
        assert run(strategy.apply(after, limit, by_length)) is after
    elif after is not request:
        # Dropping stopped as soon as it fit: putting the last dropped unit back is over the limit.
        kept = {id(m) for m in after.messages}
        dropped = [unit for unit in units(messages) if id(unit[0]) not in kept]
        assert dropped
        assert by_length(after) + by_length(ModelRequest(dropped[-1])) > limit


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(0, 5_000))
def test_trimming_keeps_every_message_and_part(messages: list[Message], max_chars: int) -> None:
    request = ModelRequest(messages)
    after = run(TrimToolResults(max_chars=max_chars).apply(request, 0, by_length))
    assert len(after.messages) == len(messages)
    for old, new in zip(messages, after.messages):
        assert (old.role, [type(p) for p in old.parts]) == (new.role, [type(p) for p in new.parts])
        for old_result, new_result in zip(old.tool_results, new.tool_results):
            assert new_result.call_id == old_result.call_id
            if len(old_result.content) <= max_chars:
                assert new_result.content == old_result.content
            else:
                keep = max_chars // 2
                assert new_result.content.startswith(old_result.content[:keep])
                assert new_result.content.endswith(old_result.content[len(old_result.content) - keep :])
                assert "characters cut here" in new_result.content
        if old.tool_results == new.tool_results:
            assert new is old


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(0, 20_000), st.integers(0, 4))
def test_the_budgeter_with_every_strategy_keeps_conversations_well_formed(
    messages: list[Message], limit: int, keep_last: int
) -> None:
    summariser = FunctionProvider(lambda request: "summary", capabilities=Capabilities(4_000, 500))
    budgeter = TokenBudgeter(
        strategies=(
            TrimToolResults(max_chars=500),
            SummarizeOlderTurns(summariser, keep_last=keep_last),
            DropOldestTurns(keep_last=keep_last),
        )
    )
    request = ModelRequest(messages)
    compression = asyncio.run(budgeter.compress(request, limit))
    after = compression.request.messages
    assert compression.removed_messages == len(messages) - len(after)
    # Trimming replaces tool messages: compare against the trimmed conversation, matched by position.
    trimmed = run(TrimToolResults(max_chars=500).apply(request, 0, by_length)).messages
    originals = {id(t): o for t, o in zip(trimmed, messages)}
    check_well_formed(messages, [originals.get(id(m), m) for m in after])
    summaries = [m for m in after if m.text.startswith(SUMMARY_PREFIX)]
    assert len(summaries) <= 1
    if budgeter.count(compression.request).tokens > limit and not summaries:
        # Over the limit: only protected units are left.
        assert run(DropOldestTurns(keep_last=keep_last).apply(compression.request, limit, budgeter.count_uncalibrated)) is compression.request


@settings(max_examples=200, deadline=None)
@given(conversations(), st.data())
def test_cached_and_calibrated_counts_agree_with_counting_afresh(messages: list[Message], data: st.DataObject) -> None:
    split = data.draw(st.integers(0, len(messages)))
    budgeter = TokenBudgeter()
    budgeter.count(ModelRequest(messages[:split]))
    assert budgeter.count(ModelRequest(messages)).tokens == TokenBudgeter().count(ModelRequest(messages)).tokens
    if split:
        reported = data.draw(st.integers(1, 100_000))
        calibrated = TokenBudgeter()
        calibrated.observe(ModelRequest(messages[:split]), Usage(input_tokens=reported))
        fresh = TokenBudgeter()
        added = fresh.count(ModelRequest(messages)).tokens - fresh.count(ModelRequest(messages[:split])).tokens
        count = calibrated.count(ModelRequest(messages))
        assert (count.source, count.tokens) == ("calibrated", reported + added)
