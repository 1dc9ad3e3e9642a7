"""Budgeting: counting, caching, calibration, compression strategies, and the runtime's budget step."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from runlet import Agent, Runtime, tool
from runlet.core.budget import (
    SUMMARY_PREFIX,
    DropOldestTurns,
    SummarizeOlderTurns,
    TokenBudgeter,
    TrimToolResults,
    units,
)
from runlet.core.token_estimates import MESSAGE_OVERHEAD, estimate_tokens
from runlet.core.context import RunContext
from runlet.core.errors import ContextBudgetExceeded
from runlet.core.events import ContextBudgetChecked, ContextCompressed, HookDecided, RunFailed
from runlet.core.hooks import Decision, Hooks
from runlet.core.messages import Message, ReasoningPart, TextPart, ToolCallPart
from runlet.core.models import Capabilities, ModelRequest, ModelResponse, OutputSchema, ToolDefinition, Usage
from runlet.sinks import MemorySink
from runlet.testing import FunctionProvider, ScriptedProvider, call

Ctx = RunContext[object]


class Recorder:
    """A counter that counts one token per character and records what it was asked."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text: str) -> int:
        self.texts.append(text)
        return len(text)


def conversation(turns: int, *, size: int = 40) -> list[Message]:
    """System, then `turns` of user / assistant tool call / tool result / assistant answer."""
    messages = [Message.system("You help.")]
    for i in range(turns):
        messages.append(Message.user(f"question {i} " + "q" * size))
        messages.append(Message.assistant((ToolCallPart(f"c{i}", "lookup", '{"id": "%d"}' % i),)))
        messages.append(Message.tool_result(f"c{i}", f"result {i} " + "r" * size, name="lookup"))
        messages.append(Message.assistant(f"answer {i} " + "a" * size))
    return messages


def by_chars(request: ModelRequest) -> int:
    return sum(len(p.text) if isinstance(p, TextPart) else 10 for m in request.messages for p in m.parts)


# Counting


def test_a_count_covers_messages_tools_and_the_output_schema() -> None:
    counter = Recorder()
    budgeter = TokenBudgeter(counter=counter)
    tool_def = ToolDefinition("lookup", "Look up.", {"type": "object"})
    output = OutputSchema("Answer", {"type": "object"})
    request = ModelRequest([Message.system("abc"), Message.user("hello")], tools=[tool_def], output=output)
    count = budgeter.count(request)
    tool_tokens = MESSAGE_OVERHEAD + len('lookupLook up.{"type": "object"}')
    output_tokens = MESSAGE_OVERHEAD + len('Answer{"type": "object"}')
    assert count.tokens == (MESSAGE_OVERHEAD + 3) + (MESSAGE_OVERHEAD + 5) + tool_tokens + output_tokens
    assert count.source == "exact"
    assert TokenBudgeter().count(request).source == "estimate"


def test_counting_an_extended_request_counts_only_the_new_messages() -> None:
    counter = Recorder()
    budgeter = TokenBudgeter(counter=counter)
    history = conversation(200)
    first = budgeter.count(ModelRequest(history)).tokens
    counter.texts.clear()
    extended = [*history, Message.user("one more")]
    second = budgeter.count(ModelRequest(extended)).tokens
    assert counter.texts == ["one more"]
    assert second == first + MESSAGE_OVERHEAD + len("one more")
    # A longer history costs no more per step.
    counter.texts.clear()
    budgeter.count(ModelRequest([*extended, Message.assistant("ok")]))
    assert counter.texts == ["ok"]


def test_an_edited_earlier_message_is_counted_again() -> None:
    budgeter = TokenBudgeter(counter=len)
    history = conversation(3)
    budgeter.count(ModelRequest(history))
    edited = [history[0], Message.user("x" * 500), *history[2:]]
    assert budgeter.count(ModelRequest(edited)).tokens == TokenBudgeter(counter=len).count(ModelRequest(edited)).tokens


def test_calibration_counts_from_the_reported_input_tokens() -> None:
    budgeter = TokenBudgeter(counter=len)
    tools = (ToolDefinition("lookup", "Look up.", {"type": "object"}),)
    history = conversation(5)
    request = ModelRequest(history, tools=tools)
    budgeter.observe(request, Usage(input_tokens=1_000))
    added = [Message.assistant("next"), Message.user("and then?")]
    count = budgeter.count(ModelRequest([*history, *added], tools=tools))
    assert count.source == "calibrated"
    assert count.tokens == 1_000 + (MESSAGE_OVERHEAD + 4) + (MESSAGE_OVERHEAD + 9)
    # Still calibrated a step later, without a new report.
    later = budgeter.count(ModelRequest([*history, *added, Message.user("x")], tools=tools))
    assert (later.source, later.tokens) == ("calibrated", count.tokens + MESSAGE_OVERHEAD + 1)


def test_calibration_needs_the_same_prefix_and_tools() -> None:
    budgeter = TokenBudgeter(counter=len)
    history = conversation(5)
    budgeter.observe(ModelRequest(history), Usage(input_tokens=1_000))
    other_tools = (ToolDefinition("other", "", {}),)
    assert budgeter.count(ModelRequest([*history, Message.user("a")], tools=other_tools)).source == "exact"
    redacted = [history[0], Message.user("[redacted]"), *history[2:], Message.user("a")]
    assert budgeter.count(ModelRequest(redacted)).source == "exact"
    budgeter.observe(ModelRequest(conversation(1)), Usage(input_tokens=0))  # no report: nothing learned
    assert budgeter.count(ModelRequest(conversation(1))).source == "exact"


async def test_compression_scales_counts_up_when_the_report_shows_an_undercount() -> None:
    budgeter = TokenBudgeter(counter=len, strategies=(DropOldestTurns(keep_last=1),))
    history = conversation(10)
    raw = budgeter.count_uncalibrated(ModelRequest(history))
    budgeter.observe(ModelRequest(history), Usage(input_tokens=2 * raw))
    request = ModelRequest([*history, Message.user("now")])
    before = budgeter.count(request)
    assert before.source == "calibrated"
    scale = before.tokens / budgeter.count_uncalibrated(request)
    assert scale > 1.9
    limit = before.tokens // 2
    compression = await budgeter.compress(request, limit)
    after = budgeter.count(compression.request)
    assert after.tokens <= limit
    assert after.tokens == math.ceil(scale * budgeter.count_uncalibrated(compression.request))  # scaled, not raw


async def test_a_request_that_fits_is_not_compressed() -> None:
    budgeter = TokenBudgeter()
    request = ModelRequest(conversation(2))
    compression = await budgeter.compress(request, 1_000_000)
    assert compression.request is request
    assert (compression.strategies, compression.removed_messages) == ((), 0)


# Units


def test_units_keep_tool_calls_with_their_results() -> None:
    call_a = ToolCallPart("a", "t")
    call_b = ToolCallPart("b", "t")
    messages = [
        Message.user("go"),
        Message.assistant((call_a, call_b)),
        Message.tool_result("a", "A"),
        Message.tool_result("b", "B"),
        Message.assistant("done"),
    ]
    assert units(messages) == [(messages[0],), tuple(messages[1:4]), (messages[4],)]


def test_units_span_from_a_call_to_a_late_result() -> None:
    messages = [
        Message.assistant((ToolCallPart("a", "t"),)),
        Message.user("meanwhile"),
        Message.tool_result("a", "A"),
        Message.user("next"),
    ]
    assert units(messages) == [tuple(messages[:3]), (messages[3],)]


def test_units_keep_a_reasoning_item_with_what_follows() -> None:
    thinking = Message.assistant((ReasoningPart("openai", {"id": "rs_1"}),))
    answer = Message.assistant((ToolCallPart("a", "t"),))
    result = Message.tool_result("a", "A")
    messages = [Message.user("go"), thinking, answer, result, Message.user("more")]
    assert units(messages) == [(messages[0],), (thinking, answer, result), (messages[4],)]


# Strategies


async def test_trim_keeps_head_and_tail_and_says_what_was_cut() -> None:
    content = "H" * 100 + "m" * 800 + "T" * 100
    request = ModelRequest([Message.user("go"), Message.tool_result("c", content, name="read")])
    trimmed = await TrimToolResults(max_chars=200).apply(request, 0, by_chars)
    (part,) = trimmed.messages[1].tool_results
    assert part.content.startswith("H" * 100) and part.content.endswith("T" * 100)
    assert "[... 800 of 1000 characters cut here to fit the context window ...]" in part.content
    assert (part.call_id, part.name) == ("c", "read")
    assert trimmed.messages[0] is request.messages[0]
    small = ModelRequest([Message.tool_result("c", "short")])
    assert await TrimToolResults(max_chars=200).apply(small, 0, by_chars) is small


async def test_drop_oldest_keeps_instructions_current_message_and_latest_turns() -> None:
    history = conversation(6)
    current = Message.user("the question now")
    request = ModelRequest([*history, current])
    dropped = await DropOldestTurns(keep_last=2).apply(request, 0, by_chars)
    assert dropped.messages[0] is history[0]
    assert dropped.messages[-1] is current
    assert list(dropped.messages) == [history[0], history[-1], current]
    kept_first = await DropOldestTurns(keep_last=1, keep_first_user=True).apply(request, 0, by_chars)
    assert list(kept_first.messages) == [history[0], history[1], current]


async def test_drop_oldest_stops_as_soon_as_the_request_fits() -> None:
    history = conversation(6)
    request = ModelRequest(history)
    limit = by_chars(request) - 1
    dropped = await DropOldestTurns().apply(request, limit, by_chars)
    assert by_chars(dropped) <= limit
    assert len(dropped.messages) == len(history) - 1  # the first user message alone was enough
    assert dropped.messages[1] is history[2]  # only the first question went; the tool call kept its result
    assert await DropOldestTurns().apply(request, by_chars(request), by_chars) is request


async def test_drop_oldest_never_separates_a_call_from_its_result() -> None:
    history = conversation(4)
    request = ModelRequest(history)
    for limit in range(0, by_chars(request), 7):
        dropped = await DropOldestTurns(keep_last=1).apply(request, limit, by_chars)
        calls = {p.call_id for m in dropped.messages for p in m.tool_calls}
        results = {p.call_id for m in dropped.messages for p in m.tool_results}
        assert calls == results


def summariser(text: str = "They asked about orders 0 to 3; all shipped.") -> FunctionProvider:
    return FunctionProvider(lambda request: text, capabilities=Capabilities(context_window=8_000, max_output_tokens=500))


async def test_summarise_replaces_older_turns_with_one_summary() -> None:
    provider = summariser()
    history = conversation(6, size=200)
    current = Message.user("and order 9?")
    request = ModelRequest([*history, current])
    strategy = SummarizeOlderTurns(provider, keep_last=2, max_summary_tokens=300)
    smaller = await strategy.apply(request, 0, by_chars)
    summary = smaller.messages[1]
    assert summary.role == "system" and summary.text.startswith(SUMMARY_PREFIX)
    assert "all shipped" in summary.text
    assert list(smaller.messages) == [history[0], summary, history[-1], current]
    (sent,) = provider.requests
    assert sent.max_output_tokens == 300
    transcript = sent.messages[-1].text
    assert "question 0" in transcript and "[calls lookup(" in transcript and "[result of lookup: result 0" in transcript
    assert "and order 9?" not in transcript  # the current message is kept, not summarised


async def test_summaries_roll_up_and_a_useless_summary_changes_nothing() -> None:
    provider = summariser("short")
    history = conversation(6, size=200)
    request = ModelRequest([*history, Message.user("now")])
    once = await SummarizeOlderTurns(provider, keep_last=1).apply(request, 0, by_chars)
    more = ModelRequest([*once.messages, *conversation(3, size=200)[1:], Message.user("later")])
    twice = await SummarizeOlderTurns(provider, keep_last=1).apply(more, 0, by_chars)
    assert sum(m.text.startswith(SUMMARY_PREFIX) for m in twice.messages) == 1
    assert "Summary of the earlier conversation" in provider.requests[1].messages[-1].text
    verbose = summariser("x" * 100_000)
    assert await SummarizeOlderTurns(verbose).apply(request, 0, by_chars) is request
    empty = summariser("  ")
    assert await SummarizeOlderTurns(empty).apply(request, 0, by_chars) is request


async def test_the_summariser_gets_what_fits_its_window() -> None:
    provider = FunctionProvider(lambda request: "s", capabilities=Capabilities(context_window=1_500, max_output_tokens=100))
    request = ModelRequest([*conversation(40, size=300), Message.user("now")])
    await SummarizeOlderTurns(provider, max_summary_tokens=200).apply(request, 0, by_chars)
    (sent,) = provider.requests
    transcript = sent.messages[-1].text
    assert transcript.startswith("[") and "older messages left out]" in transcript
    assert estimate_tokens(transcript) <= 1_500 - 200


async def test_strategies_run_in_order_and_stop_once_it_fits() -> None:
    provider = summariser("brief")
    budgeter = TokenBudgeter(strategies=(TrimToolResults(), SummarizeOlderTurns(provider), DropOldestTurns()))
    request = ModelRequest([*conversation(10, size=400), Message.user("now")])
    limit = budgeter.count(request).tokens // 3
    compression = await budgeter.compress(request, limit)
    assert compression.strategies == ("summarize_older_turns",)
    assert budgeter.count(compression.request).tokens <= limit
    assert compression.removed_messages == len(request.messages) - len(compression.request.messages)


# Through the runtime


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id}: " + "details " * 1_000


def small(window: int, output: int = 100) -> Capabilities:
    return Capabilities(context_window=window, max_output_tokens=output)


async def test_a_request_that_fits_goes_out_unchanged() -> None:
    provider = ScriptedProvider(["hello"], capabilities=small(2_000))
    sink = MemorySink()
    history = conversation(2)
    await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider), "hi", history=history)
    (request,) = provider.requests
    assert list(request.messages[:-1]) == history
    (checked,) = sink.of_type(ContextBudgetChecked)
    assert (checked.limit, checked.window, checked.source) == (1_900, 2_000, "estimate")
    assert checked.tokens == TokenBudgeter().count(request).tokens
    assert sink.of_type(ContextCompressed) == []


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_request_too_big_is_compressed_and_the_events_say_so(streaming: bool) -> None:
    provider = ScriptedProvider(["ok"], capabilities=small(10_000, 1_000))
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,))
    history = conversation(60, size=200)
    agent = Agent(name="a", model=provider, instructions="Be brief.")
    if streaming:
        async for _ in runtime.stream(agent, "the question", history=history):
            pass
    else:
        await runtime.run(agent, "the question", history=history)
    (request,) = provider.requests
    assert request.messages[0] == Message.system("Be brief.")
    assert request.messages[-1] == Message.user("the question")
    (checked,) = sink.of_type(ContextBudgetChecked)
    (compressed,) = sink.of_type(ContextCompressed)
    assert checked.tokens > 9_000
    assert compressed.tokens_before == checked.tokens
    assert compressed.tokens_after <= 9_000
    assert compressed.strategies == ("drop_oldest_turns",)
    assert compressed.removed_messages == len(history) + 2 - len(request.messages)
    assert TokenBudgeter().count(request).tokens == compressed.tokens_after


async def test_an_oversized_tool_result_is_trimmed_between_steps() -> None:
    provider = ScriptedProvider([call("lookup", order_id="1"), "done"], capabilities=small(1_200, 200))
    sink = MemorySink()
    budgeter = TokenBudgeter(strategies=(TrimToolResults(max_chars=600), DropOldestTurns()))
    await Runtime(sinks=(sink,), budgeter=budgeter).run(Agent(name="a", model=provider, tools=(lookup,)), "go")
    (compressed,) = sink.of_type(ContextCompressed)
    assert compressed.strategies == ("trim_tool_results",)
    (result,) = provider.requests[1].messages[-1].tool_results
    assert "characters cut here to fit the context window" in result.content
    assert result.content.startswith("order 1: details")


async def test_an_impossible_request_fails_with_numbers_and_nothing_is_sent() -> None:
    provider = ScriptedProvider(["never"], capabilities=small(1_000, 200))
    sink = MemorySink()
    with pytest.raises(ContextBudgetExceeded) as info:
        await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider), "word " * 2_000)
    error = info.value
    assert error.available == 800
    assert error.needed > 800
    assert f"{error.needed - 800} more than the 800 available" in str(error)
    assert "window 1000 less 200 reserved for output" in str(error)
    assert "nothing was sent" in str(error)
    assert provider.requests == []
    (failed,) = sink.of_type(RunFailed)
    assert failed.error_type == "ContextBudgetExceeded"


async def test_the_agent_overrides_the_window_and_the_reserve() -> None:
    provider = ScriptedProvider(["ok"], capabilities=small(1_000_000))
    sink = MemorySink()
    agent = Agent(name="a", model=provider, capabilities=small(3_000, 500), max_output_tokens=1_000)
    await Runtime(sinks=(sink,)).run(agent, "hi")
    (checked,) = sink.of_type(ContextBudgetChecked)
    assert (checked.window, checked.limit) == (3_000, 2_000)


async def test_tool_schemas_and_instructions_count_against_the_window() -> None:
    instructions = "Answer briefly. " * 50
    schema = ToolDefinition(lookup.name, lookup.description, lookup.parameters)
    without = TokenBudgeter().count(ModelRequest([Message.system(instructions), Message.user("hi")])).tokens
    with_tool = TokenBudgeter().count(ModelRequest([Message.system(instructions), Message.user("hi")], tools=[schema]))
    assert with_tool.tokens > without + estimate_tokens(lookup.description)
    capabilities = small(100 + (without + with_tool.tokens) // 2, 100)  # room for all but the tool schema
    sink = MemorySink()
    provider = ScriptedProvider(["ok"], capabilities=capabilities)
    with pytest.raises(ContextBudgetExceeded):
        await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=(lookup,), instructions=instructions), "hi")
    (checked,) = sink.of_type(ContextBudgetChecked)
    assert checked.tokens == with_tool.tokens
    provider = ScriptedProvider(["ok"], capabilities=capabilities)
    assert (await Runtime().run(Agent(name="a", model=provider, instructions=instructions), "hi")).output == "ok"


async def test_calibration_through_the_runtime() -> None:
    def respond(request: ModelRequest) -> ModelResponse:
        if len(provider.requests) == 1:
            return ModelResponse((call("lookup", order_id="7"),), Usage(input_tokens=5_000, requests=1), "tool_calls")
        return ModelResponse((TextPart("done"),), Usage(input_tokens=6_000, requests=1))

    provider = FunctionProvider(respond, capabilities=small(100_000))
    sink = MemorySink()
    budgeter = TokenBudgeter()
    await Runtime(sinks=(sink,), budgeter=budgeter).run(Agent(name="a", model=provider, tools=(lookup,)), "go")
    first, second = sink.of_type(ContextBudgetChecked)
    assert first.source == "estimate"
    assert second.source == "calibrated"
    added = provider.requests[1].messages[len(provider.requests[0].messages) :]
    assert second.tokens == 5_000 + sum(budgeter.count_uncalibrated(ModelRequest([m])) for m in added)


Veto = Callable[[Ctx, ModelRequest], "Decision[ModelRequest] | None"]


async def test_a_hook_can_veto_compression() -> None:
    provider = ScriptedProvider(["never"], capabilities=small(2_000, 100))
    sink = MemorySink()
    hooks = Hooks(before_compression=lambda ctx, request: Decision.veto("keep everything"), name="keeper")
    agent = Agent(name="a", model=provider, hooks=(hooks,))
    with pytest.raises(ContextBudgetExceeded, match="hook 'keeper' vetoed compression: keep everything"):
        await Runtime(sinks=(sink,)).run(agent, "now", history=conversation(40, size=100))
    assert provider.requests == []
    (decided,) = sink.of_type(HookDecided)
    assert (decided.point, decided.action) == ("before_compression", "veto")


async def test_hooks_can_replace_the_request_before_and_after_compression() -> None:
    seen: list[int] = []

    def own_compression(ctx: Ctx, request: ModelRequest) -> Decision[ModelRequest]:
        seen.append(len(request.messages))
        return Decision.replace(ModelRequest([request.messages[0], request.messages[-1]]))

    provider = ScriptedProvider(["ok"], capabilities=small(2_000, 100))
    sink = MemorySink()
    agent = Agent(name="a", model=provider, instructions="Rules.", hooks=(Hooks(before_compression=own_compression),))
    await Runtime(sinks=(sink,)).run(agent, "now", history=conversation(40, size=100))
    (request,) = provider.requests
    assert [m.text for m in request.messages] == ["Rules.", "now"]
    (compressed,) = sink.of_type(ContextCompressed)
    assert compressed.strategies == ()  # the hook's request already fit

    def add_note(ctx: Ctx, before: ModelRequest, after: ModelRequest) -> Decision[ModelRequest]:
        return Decision.replace(ModelRequest([*after.messages[:-1], Message.system("Some turns were dropped."), after.messages[-1]]))

    provider = ScriptedProvider(["ok"], capabilities=small(2_000, 100))
    agent = Agent(name="a", model=provider, hooks=(Hooks(after_compression=add_note),))
    await Runtime().run(agent, "now", history=conversation(40, size=100))
    (request,) = provider.requests
    assert request.messages[-2] == Message.system("Some turns were dropped.")
    assert request.messages[-1] == Message.user("now")


async def test_a_summarys_model_call_counts_in_the_runs_usage() -> None:
    summary_usage = Usage(input_tokens=700, output_tokens=40, requests=1)
    summarizer = FunctionProvider(
        lambda request: ModelResponse((TextPart("Earlier: orders 0 to 59, all shipped."),), summary_usage),
        capabilities=Capabilities(context_window=100_000, max_output_tokens=500),
    )
    answer = ModelResponse((TextPart("ok"),), Usage(input_tokens=50, output_tokens=2, requests=1))
    provider = FunctionProvider(lambda request: answer, capabilities=small(10_000, 1_000))
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), budgeter=TokenBudgeter(strategies=(SummarizeOlderTurns(summarizer),)))
    result = await runtime.run(Agent(name="a", model=provider), "the question", history=conversation(60, size=200))
    assert len(summarizer.requests) == 1
    assert result.usage == answer.usage + summary_usage
    (compressed,) = sink.of_type(ContextCompressed)
    assert compressed.strategies == ("summarize_older_turns",) and compressed.usage == summary_usage

