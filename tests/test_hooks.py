"""Hooks: the points, their order, replace and veto, failures, events, and the ready-made hooks."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runlet import Agent, Message, RunContext, Runtime, tool
from runlet.core.hooks import Interrupt, Replace, Veto
from runlet.core.errors import ContextBudgetExceeded, HookError, ModelCallVetoed
from runlet.core.events import (
    ContextCompressed,
    HookDecided,
    ModelRequested,
    RunFailed,
    ToolCompleted,
    ToolDenied,
    ToolFailed,
)
from runlet.core.messages import TextPart, ToolCallPart, ToolResultPart
from runlet.core.models import Capabilities, ModelRequest, ModelResponse, Usage
from runlet.hooks import (
    BaseHook,
    BudgetGuard,
    Decision,
    Hook,
    Hooks,
    Redact,
    RedactEmails,
    ResponseCache,
    StateOperation,
    ToolApproval,
)
from runlet.runtime import RunResult
from runlet.sinks import MemorySink
from runlet.stores import MemoryStore
from runlet.testing import FunctionProvider, ScriptedProvider, call

Mode = Literal["run", "stream"]
MODES: tuple[Mode, ...] = ("run", "stream")
Ctx = RunContext[Any]


@tool
def lookup(order_id: str) -> str:
    """Look an order up by id."""
    return f"order {order_id}: shipped to ann@example.com"


@tool
def refund(order_id: str, amount: float = 0.0) -> str:
    """Refund an order."""
    return f"refunded {order_id} ({amount})"


@tool
def explode(order_id: str) -> str:
    """Fails, naming a customer."""
    raise RuntimeError(f"order {order_id} of bob@example.org is locked")


TOOLS = (lookup, refund, explode)


async def drive(
    runtime: Runtime, agent: Agent[None, str], text: str = "hi", mode: Mode = "run"
) -> RunResult[str] | None:
    """Run with `run()` or `stream()`; the result for `run()`."""
    if mode == "run":
        return await runtime.run(agent, text)
    async for _ in runtime.stream(agent, text):
        pass
    return None


def results_of(request: ModelRequest) -> list[ToolResultPart]:
    return [part for message in request.messages for part in message.tool_results]


def assert_paired(messages: Sequence[Message]) -> None:
    """Every tool call is answered by exactly one result, in the tool message right after it."""
    for index, message in enumerate(messages):
        if not message.tool_calls:
            continue
        assert index + 1 < len(messages), "a tool call is left without its result"
        answered = [part.call_id for part in messages[index + 1].tool_results]
        assert sorted(answered) == sorted(c.call_id for c in message.tool_calls)
    called = {c.call_id for m in messages for c in m.tool_calls}
    assert {r.call_id for m in messages for r in m.tool_results} <= called


def decisions(sink: MemorySink) -> list[tuple[str, str, str, str]]:
    return [(e.hook, e.point, e.action, e.reason) for e in sink.of_type(HookDecided)]


class Recorder(BaseHook):
    """Logs every point it is called at, under its own label."""

    def __init__(self, label: str, log: list[tuple[str, str]]) -> None:
        self.label = label
        self.log = log

    def before_model_call(self, ctx: Ctx, request: ModelRequest) -> None:
        self.log.append((self.label, "before_model_call"))

    async def after_model_call(self, ctx: Ctx, request: ModelRequest, response: ModelResponse) -> None:
        self.log.append((self.label, "after_model_call"))

    def before_tool_call(self, ctx: Ctx, call: ToolCallPart) -> None:
        self.log.append((self.label, "before_tool_call"))

    async def after_tool_call(self, ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> None:
        self.log.append((self.label, "after_tool_call"))

    def before_compression(self, ctx: Ctx, request: ModelRequest) -> None:
        self.log.append((self.label, "before_compression"))

    def after_compression(self, ctx: Ctx, before: ModelRequest, after: ModelRequest) -> None:
        self.log.append((self.label, "after_compression"))

    def before_state(self, ctx: Ctx, operation: StateOperation) -> None:
        self.log.append((self.label, f"before_state:{operation.kind}"))

    async def after_state(self, ctx: Ctx, operation: StateOperation) -> None:
        self.log.append((self.label, f"after_state:{operation.kind}"))


# Order


@pytest.mark.parametrize("mode", MODES)
async def test_runtime_hooks_wrap_agent_hooks_like_nested_middleware(mode: Mode) -> None:
    log: list[tuple[str, str]] = []
    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(Recorder("A1", log), Recorder("A2", log)))
    runtime = Runtime(hooks=(Recorder("R1", log), Recorder("R2", log)))
    await drive(runtime, agent, mode=mode)

    def order(point: str) -> list[str]:
        return [label for label, p in log if p == point][:4]

    for point in ("before_model_call", "before_tool_call"):
        assert order(point) == ["R1", "R2", "A1", "A2"]
    for point in ("after_model_call", "after_tool_call"):
        assert order(point) == ["A2", "A1", "R2", "R1"]
    # Per step: all before-hooks, the call, then all after-hooks.
    assert [p for _, p in log[:8]] == ["before_model_call"] * 4 + ["after_model_call"] * 4


async def test_compression_hooks_run_in_the_same_order() -> None:
    log: list[tuple[str, str]] = []
    history = [Message.user("word " * 60), Message.assistant("word " * 60)] * 4
    provider = ScriptedProvider(["done"])
    agent = Agent(
        name="a",
        model=provider,
        capabilities=Capabilities(context_window=300, max_output_tokens=100),
        hooks=(Recorder("A", log),),
    )
    sink = MemorySink()
    await Runtime(sinks=(sink,), hooks=(Recorder("R", log),)).run(agent, "hi", history=history)
    assert log[:4] == [
        ("R", "before_compression"),
        ("A", "before_compression"),
        ("A", "after_compression"),
        ("R", "after_compression"),
    ]
    assert len(sink.of_type(ContextCompressed)) == 1


async def test_state_hooks_run_in_the_same_order_and_see_redacted_results() -> None:
    log: list[tuple[str, str]] = []
    store = MemoryStore()
    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(Recorder("A", log), RedactEmails()))
    await Runtime(store=store, hooks=(Recorder("R", log),)).run(agent, "hi", session="s")
    state = [(label, point) for label, point in log if "state" in point]
    assert state == [
        ("R", "before_state:load"),
        ("A", "before_state:load"),
        ("A", "after_state:load"),
        ("R", "after_state:load"),
        ("R", "before_state:append"),
        ("A", "before_state:append"),
        ("A", "after_state:append"),
        ("R", "after_state:append"),
    ]
    stored = await store.load("s")
    assert_paired(stored)
    assert [part.content for m in stored for part in m.tool_results] == ["order 1: shipped to [email]"]


# Decisions at each point


@pytest.mark.parametrize("mode", MODES)
async def test_each_hook_sees_the_previous_replacement_and_the_model_gets_the_last(mode: Mode) -> None:
    seen: list[int] = []

    def add_note(note: str) -> Hooks:
        def rewrite(ctx: Ctx, request: ModelRequest) -> Decision[ModelRequest]:
            seen.append(len(request.messages))
            messages = (*request.messages, Message.user(note))
            return Decision.replace(dataclasses.replace(request, messages=messages), reason=f"added {note}")

        return Hooks(before_model_call=rewrite, name=f"note-{note}")

    provider = ScriptedProvider(["done"])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, hooks=(add_note("inner"),))
    result = await drive(Runtime(sinks=(sink,), hooks=(add_note("outer"),)), agent, mode=mode)

    assert seen == [1, 2]
    assert [m.text for m in provider.requests[0].messages] == ["hi", "outer", "inner"]
    if result is not None:  # a rewritten request changes what is sent, not the history
        assert [m.text for m in result.messages] == ["hi", "done"]
    assert decisions(sink) == [
        ("note-outer", "before_model_call", "replace", "added outer"),
        ("note-inner", "before_model_call", "replace", "added inner"),
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_an_answered_model_call_is_skipped(mode: Mode) -> None:
    later: list[str] = []

    async def answer(ctx: Ctx, request: ModelRequest) -> Decision[ModelResponse]:
        await asyncio.sleep(0)
        return Decision.replace(ModelResponse((TextPart("from the hook"),)), reason="canned")

    def never(ctx: Ctx, request: ModelRequest) -> None:
        later.append("called")

    provider = ScriptedProvider([])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, hooks=(Hooks(before_model_call=answer), Hooks(before_model_call=never)))
    result = await drive(Runtime(sinks=(sink,)), agent, mode=mode)

    assert provider.requests == [] and later == []
    assert not sink.of_type(ModelRequested)
    assert "model.stream.delta" not in sink.types()
    assert decisions(sink) == [("Hooks", "before_model_call", "replace", "canned")]
    if result is not None:
        assert result.output == "from the hook"


@pytest.mark.parametrize("mode", MODES)
async def test_a_vetoed_model_call_stops_the_run_with_a_typed_error(mode: Mode) -> None:
    class Closed(BaseHook):
        def before_model_call(self, ctx: Ctx, request: ModelRequest) -> Decision[ModelRequest] | None:
            return Decision.veto("the shop is closed") if ctx.step == 2 else None

    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(Closed(),))
    with pytest.raises(ModelCallVetoed, match=r"'Closed' vetoed the model call: the shop is closed"):
        await drive(Runtime(sinks=(sink,)), agent, mode=mode)
    assert len(provider.requests) == 1
    assert decisions(sink) == [("Closed", "before_model_call", "veto", "the shop is closed")]
    failed = sink.last(RunFailed)
    assert failed is not None and failed.error_type == "ModelCallVetoed"
    assert sink.types()[-2:] == ["hook.decided", "run.failed"]


async def test_after_model_call_replaces_the_response() -> None:
    def shout(ctx: Ctx, request: ModelRequest, response: ModelResponse) -> Decision[ModelResponse]:
        return Decision.replace(dataclasses.replace(response, parts=(TextPart(response.text.upper()),)))

    sink = MemorySink()
    agent = Agent(name="a", model=ScriptedProvider(["quiet"]), hooks=(Hooks(after_model_call=shout),))
    result = await Runtime(sinks=(sink,)).run(agent, "hi")
    assert result.output == "QUIET"
    assert result.new_messages[-1].text == "QUIET"
    completed = sink.of_type(HookDecided)
    assert [(e.point, e.action) for e in completed] == [("after_model_call", "replace")]
    assert [e.payload.get("text") for e in sink.events if e.type == "model.completed"] == ["QUIET"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_vetoed_tool_call_tells_the_model_and_the_run_goes_on(mode: Mode) -> None:
    ran: list[str] = []

    @tool
    def wipe(disk: str) -> str:
        """Wipe a disk."""
        ran.append(disk)
        return "wiped"

    def guard(ctx: Ctx, call: ToolCallPart) -> Decision[ToolCallPart] | None:
        return Decision.veto("wiping disks is not allowed") if call.name == "wipe" else None

    provider = ScriptedProvider([[call("wipe", disk="c"), call("lookup", order_id="2")], "ok, I won't"])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=(wipe, lookup), hooks=(Hooks(before_tool_call=guard, name="guard"),))
    result = await drive(Runtime(sinks=(sink,)), agent, mode=mode)

    assert ran == []
    denied, looked_up = results_of(provider.requests[1])
    assert denied.content == "Denied: wiping disks is not allowed" and denied.is_error
    assert denied.name == "wipe" and not looked_up.is_error
    (event,) = sink.of_type(ToolDenied)
    assert (event.tool, event.hook, event.reason) == ("wipe", "guard", "wiping disks is not allowed")
    assert decisions(sink) == [("guard", "before_tool_call", "veto", "wiping disks is not allowed")]
    assert sink.types()[-1] == "run.completed"
    if result is not None:
        assert result.output == "ok, I won't"
        assert_paired(result.messages)


async def test_before_tool_call_may_rewrite_the_arguments() -> None:
    def cap(ctx: Ctx, call: ToolCallPart) -> Decision[ToolCallPart] | None:
        arguments = json.loads(call.arguments)
        if call.name != "refund" or arguments["amount"] <= 50:
            return None
        return Decision.replace(dataclasses.replace(call, arguments=json.dumps({**arguments, "amount": 50})))

    seen: list[ToolCallPart] = []

    def after(ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> None:
        seen.append(call)

    provider = ScriptedProvider([call("refund", order_id="7", amount=500), "done"])
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(Hooks(before_tool_call=cap, after_tool_call=after),))
    result = await Runtime().run(agent, "refund")
    assert results_of(provider.requests[1])[0].content == "refunded 7 (50.0)"
    assert json.loads(seen[0].arguments)["amount"] == 50  # after-hooks see the call that ran
    assert json.loads(result.new_messages[1].tool_calls[0].arguments)["amount"] == 500  # the model's own call is kept


async def test_an_answered_tool_call_skips_the_tool_and_pairs_with_the_call() -> None:
    ran: list[str] = []

    @tool
    def slow(x: str) -> str:
        """Slow."""
        ran.append(x)
        return "slow"

    def cached(ctx: Ctx, call: ToolCallPart) -> Decision[ToolResultPart]:
        return Decision.replace(ToolResultPart("some-old-call", "slow", "from cache"), reason="tool cache")

    provider = ScriptedProvider([call("slow", x="1"), "done"])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=(slow,), hooks=(Hooks(before_tool_call=cached),))
    result = await Runtime(sinks=(sink,)).run(agent, "go")
    assert ran == []
    (answer,) = results_of(provider.requests[1])
    assert answer.content == "from cache"
    assert answer.call_id == result.new_messages[1].tool_calls[0].call_id
    assert [e.result for e in sink.of_type(ToolCompleted)] == ["from cache"]
    assert_paired(result.messages)


async def test_a_hook_may_not_send_a_call_to_another_tool() -> None:
    def reroute(ctx: Ctx, call: ToolCallPart) -> Decision[ToolCallPart]:
        return Decision.replace(dataclasses.replace(call, name="refund"))

    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(Hooks(before_tool_call=reroute, name="reroute"),))
    with pytest.raises(HookError, match=r"'reroute' at before_tool_call replaced the call 'lookup'"):
        await Runtime().run(agent, "go")


@pytest.mark.parametrize("mode", MODES)
async def test_after_tool_call_replaces_what_the_model_and_the_events_see(mode: Mode) -> None:
    async def short(ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> Decision[ToolResultPart]:
        return Decision.replace(ToolResultPart("whatever", "x", result.content[:8]), reason="shortened")

    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(Hooks(after_tool_call=short, name="short"),))
    result = await drive(Runtime(sinks=(sink,)), agent, mode=mode)
    (seen,) = results_of(provider.requests[1])
    assert (seen.content, seen.name) == ("order 1:", "lookup")
    assert [e.result for e in sink.of_type(ToolCompleted)] == ["order 1:"]
    assert decisions(sink) == [("short", "after_tool_call", "replace", "shortened")]
    if result is not None:
        assert_paired(result.messages)


async def test_compression_can_be_vetoed_or_replaced() -> None:
    history = [Message.user("word " * 60), Message.assistant("word " * 60)] * 4
    capabilities = Capabilities(context_window=300, max_output_tokens=100)

    def veto(ctx: Ctx, request: ModelRequest) -> Decision[ModelRequest]:
        return Decision.veto("keep everything")

    agent = Agent(name="a", model=ScriptedProvider(["done"]), capabilities=capabilities)
    vetoing = Runtime(hooks=(Hooks(before_compression=veto, name="keeper"),))
    with pytest.raises(ContextBudgetExceeded, match="'keeper' vetoed compression: keep everything"):
        await vetoing.run(agent, "hi", history=history)

    def mine(ctx: Ctx, before: ModelRequest, after: ModelRequest) -> Decision[ModelRequest]:
        return Decision.replace(dataclasses.replace(after, messages=after.messages[-1:]), reason="latest only")

    provider = ScriptedProvider(["done"])
    agent = Agent(name="a", model=provider, capabilities=capabilities)
    sink = MemorySink()
    await Runtime(sinks=(sink,), hooks=(Hooks(after_compression=mine),)).run(agent, "hi", history=history)
    assert [m.text for m in provider.requests[0].messages] == ["hi"]
    assert decisions(sink) == [("Hooks", "after_compression", "replace", "latest only")]


async def test_observing_hooks_emit_no_decision_events() -> None:
    log: list[tuple[str, str]] = []
    sink = MemorySink()
    agent = Agent(name="a", model=ScriptedProvider([call("lookup", order_id="1"), "done"]), tools=TOOLS)
    await Runtime(sinks=(sink,), hooks=(Recorder("R", log),)).run(agent, "hi")
    assert len(log) == 6
    assert not sink.of_type(HookDecided)


# Failures


RAISING_POINTS = ("before_model_call", "after_model_call", "before_tool_call", "after_tool_call")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("point", RAISING_POINTS)
@pytest.mark.parametrize("is_async", [False, True])
async def test_a_raising_hook_fails_the_run_naming_hook_and_point(point: str, is_async: bool, mode: Mode) -> None:
    def broken(*args: object) -> None:
        raise LookupError("no such thing")

    async def broken_async(*args: object) -> None:
        await asyncio.sleep(0)
        raise LookupError("no such thing")

    hooks = Hooks(name="flaky", **{point: broken_async if is_async else broken})  # pyright: ignore[reportArgumentType]
    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(hooks,))
    with pytest.raises(HookError, match=rf"hook 'flaky' raised at {point}: LookupError: no such thing") as caught:
        await drive(Runtime(sinks=(sink,)), agent, mode=mode)
    assert isinstance(caught.value.__cause__, LookupError)
    failed = sink.last(RunFailed)
    assert failed is not None and failed.error_type == "HookError" and point in failed.message


async def test_a_replacement_of_the_wrong_type_fails_at_run_time() -> None:
    def wrong(ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> Any:
        return Decision.replace("just a string")

    agent = Agent(
        name="a",
        model=ScriptedProvider([call("lookup", order_id="1"), "done"]),
        tools=TOOLS,
        hooks=(Hooks(after_tool_call=wrong, name="sloppy"),),
    )
    with pytest.raises(HookError, match=r"'sloppy' at after_tool_call returned a replacement of type str; expected ToolResultPart"):
        await Runtime().run(agent, "go")


async def test_after_hooks_cannot_veto_and_hooks_must_return_decisions() -> None:
    def late_veto(ctx: Ctx, request: ModelRequest, response: ModelResponse) -> Decision[ModelResponse]:
        return Decision.veto("too late")

    agent = Agent(name="a", model=ScriptedProvider(["x"]), hooks=(Hooks(after_model_call=late_veto, name="late"),))
    with pytest.raises(HookError, match="'late' vetoed at after_model_call; only before-hooks can veto"):
        await Runtime().run(agent, "go")

    def odd(ctx: Ctx, request: ModelRequest) -> Any:
        return True

    agent = Agent(name="a", model=ScriptedProvider(["x"]), hooks=(Hooks(before_model_call=odd, name="odd"),))
    with pytest.raises(HookError, match="'odd' at before_model_call returned bool, not a Decision or None"):
        await Runtime().run(agent, "go")


def test_a_veto_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="a veto needs a reason"):
        Decision.veto("  ")
    with pytest.raises(ValueError, match="an interrupt needs a reason"):
        Decision.interrupt("")
    assert Decision.veto("no") == Veto("no")
    assert Decision.replace(3, reason="why") == Replace(3, "why")
    assert Decision.interrupt("check") == Interrupt("check")


def test_decisions_are_a_closed_union() -> None:
    # The runtime matches Replace | Veto | Interrupt exhaustively: no other kind of Decision can exist.
    with pytest.raises(TypeError, match="Decision is closed"):

        class Maybe(Decision[int]):  # pyright: ignore[reportUnusedClass]
            pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    choices=st.lists(st.sampled_from(["observe", "veto", "answer", "redact"]), min_size=1, max_size=4),
    tools=st.lists(st.sampled_from(["lookup", "refund", "explode", "missing"]), min_size=1, max_size=4),
)
def test_whatever_hooks_decide_every_tool_call_keeps_its_result(choices: list[str], tools: list[str]) -> None:
    steps = iter(choices)

    def decide(ctx: Ctx, call: ToolCallPart) -> Decision[ToolCallPart | ToolResultPart] | None:
        choice = next(steps, "observe")
        if choice == "veto":
            return Decision.veto("no")
        if choice == "answer":
            return Decision.replace(ToolResultPart("x", "y", "answered"))
        return None

    calls = [call(name, order_id="1") for name in tools]
    provider = ScriptedProvider([calls, calls[:1], "done"])
    hooks = (Hooks(before_tool_call=decide), RedactEmails())
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=hooks)
    result = asyncio.run(Runtime(max_parallel_tools=2).run(agent, "go"))
    assert_paired(result.messages)
    assert result.output == "done"
    assert all("@" not in part.content for m in result.messages for part in m.tool_results)


# Shapes of hooks


async def test_a_plain_class_that_fits_the_protocol_works_without_inheriting() -> None:
    class Everything:
        def before_model_call(self, ctx: Ctx, request: ModelRequest) -> None:
            return None

        def after_model_call(self, ctx: Ctx, request: ModelRequest, response: ModelResponse) -> None:
            return None

        def before_tool_call(self, ctx: Ctx, call: ToolCallPart) -> None:
            return None

        async def after_tool_call(self, ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> Decision[ToolResultPart]:
            return Decision.replace(dataclasses.replace(result, content="hidden"), reason="hide")

        def before_compression(self, ctx: Ctx, request: ModelRequest) -> None:
            return None

        def after_compression(self, ctx: Ctx, before: ModelRequest, after: ModelRequest) -> None:
            return None

        def before_state(self, ctx: Ctx, operation: StateOperation) -> None:
            return None

        def after_state(self, ctx: Ctx, operation: StateOperation) -> None:
            return None

    hook: Hook = Everything()
    sink = MemorySink()
    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    await Runtime(sinks=(sink,)).run(Agent(name="a", model=provider, tools=TOOLS, hooks=(hook,)), "go")
    assert results_of(provider.requests[1])[0].content == "hidden"
    assert decisions(sink) == [("Everything", "after_tool_call", "replace", "hide")]


# ToolApproval


@pytest.mark.parametrize("mode", MODES)
async def test_tool_approval_asks_before_sensitive_tools_only(mode: Mode) -> None:
    asked: list[tuple[str, str]] = []

    async def ask(call: ToolCallPart) -> bool | str:
        asked.append((call.name, call.arguments))
        await asyncio.sleep(0)
        return "refunds over 100 need a manager" if json.loads(call.arguments)["amount"] > 100 else True

    provider = ScriptedProvider(
        [[call("refund", order_id="1", amount=500), call("refund", order_id="2", amount=5), call("lookup", order_id="3")], "done"]
    )
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(ToolApproval(ask, tools={"refund"}),))
    await drive(Runtime(sinks=(sink,)), agent, mode=mode)

    assert [name for name, _ in asked] == ["refund", "refund"]
    big, small, looked_up = results_of(provider.requests[1])
    assert big.content == "Denied: refunds over 100 need a manager" and big.is_error
    assert small.content == "refunded 2 (5.0)"
    assert looked_up.content.startswith("order 3")
    (denied,) = sink.of_type(ToolDenied)
    assert (denied.hook, denied.reason) == ("ToolApproval", "refunds over 100 need a manager")
    assert sink.types()[-1] == "run.completed"


async def test_tool_approval_with_a_sync_callback_and_a_plain_no() -> None:
    provider = ScriptedProvider([call("refund", order_id="1"), "done"])
    approval = ToolApproval(lambda call: False, tools=["refund"], denied="nobody approved it")
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(approval,))
    result = await Runtime().run(agent, "go")
    assert results_of(provider.requests[1])[0].content == "Denied: nobody approved it"
    assert_paired(result.messages)


# Redaction


@pytest.mark.parametrize("mode", MODES)
async def test_redact_emails_scrubs_results_before_the_model_and_the_events(mode: Mode) -> None:
    provider = ScriptedProvider([[call("lookup", order_id="1"), call("explode", order_id="2")], "done"])
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(RedactEmails(),))
    result = await drive(Runtime(sinks=(sink,)), agent, mode=mode)

    looked_up, exploded = results_of(provider.requests[1])
    assert looked_up.content == "order 1: shipped to [email]"
    assert "bob@" not in exploded.content and "[email]" in exploded.content and exploded.is_error
    (completed,) = sink.of_type(ToolCompleted)
    assert completed.result == "order 1: shipped to [email]"
    (failed,) = sink.of_type(ToolFailed)
    assert "bob@" not in failed.error and "[email]" in failed.error
    assert failed.traceback.startswith("Traceback") and "[email]" in failed.traceback  # its frames, the redacted text
    assert decisions(sink) == [
        ("RedactEmails", "after_tool_call", "replace", "redacted 1 email address(es)"),
        ("RedactEmails", "after_tool_call", "replace", "redacted 1 email address(es)"),
    ]
    everything = json.dumps([e.payload for e in sink.events], default=str)
    assert "ann@example.com" not in everything and "bob@example.org" not in everything
    if result is not None:
        assert "ann@example.com" not in repr(result.messages)


async def test_redact_a_pattern_in_some_tools() -> None:
    provider = ScriptedProvider([[call("lookup", order_id="1234"), call("refund", order_id="1234")], "done"])
    hook = Redact(r"\d{4}", "####", tools={"refund"})
    agent = Agent(name="a", model=provider, tools=TOOLS, hooks=(hook,))
    await Runtime().run(agent, "go")
    looked_up, refunded = results_of(provider.requests[1])
    assert looked_up.content.startswith("order 1234")
    assert refunded.content == "refunded #### (0.0)"


# ResponseCache


@pytest.mark.parametrize("mode", MODES)
async def test_response_cache_answers_an_identical_request_without_the_model(mode: Mode) -> None:
    def respond(request: ModelRequest) -> ModelResponse:
        return ModelResponse((TextPart(f"answer {len(provider.requests)}"),), Usage(input_tokens=10, output_tokens=2, requests=1))

    provider = FunctionProvider(respond)
    cache = ResponseCache()
    agent = Agent(name="a", model=provider, hooks=(cache,))
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,))

    first = await runtime.run(agent, "same question")
    sink.clear()
    await drive(runtime, agent, "same question", mode=mode)
    second = await runtime.run(agent, "same question")
    other = await runtime.run(agent, "another question")

    assert len(provider.requests) == 2
    assert first.output == second.output == "answer 1" and other.output == "answer 2"
    assert second.usage == Usage()  # nothing was spent
    assert first.usage.input_tokens == 10
    assert (cache.hits, cache.misses) == (2, 2)
    assert ("ResponseCache", "before_model_call", "replace", "cache hit") in decisions(sink)
    assert not [e for e in sink.of_type(ModelRequested) if e.run_id != other.run_id]


async def test_response_cache_stores_under_the_key_it_looked_up() -> None:
    # A hook inside the cache rewrites every request: the next identical request must still hit.
    def stamp(ctx: Ctx, request: ModelRequest) -> Decision[ModelRequest]:
        return Decision.replace(dataclasses.replace(request, options={"x": {"stamp": ctx.run_id}}))

    provider = ScriptedProvider(["cached answer"])
    store: dict[str, ModelResponse] = {}
    agent = Agent(name="a", model=provider, hooks=(ResponseCache(store), Hooks(before_model_call=stamp)))
    await Runtime().run(agent, "q")
    result = await Runtime().run(agent, "q")
    assert result.output == "cached answer" and len(provider.requests) == 1
    assert list(store) == [ResponseCache.key(ModelRequest(messages=[Message.user("q")]))]


def test_response_cache_key_is_a_stable_json_of_the_request() -> None:
    def request(**options: dict[str, object]) -> ModelRequest:
        return ModelRequest(messages=[Message.system("s"), Message.user("q")], options=options)

    key = ResponseCache.key
    assert key(request(openai={"a": 1, "b": 2})) == key(request(openai={"b": 2, "a": 1}))
    assert key(request(openai={"a": 1})) != key(request(openai={"a": 2}))
    assert key(request()) != key(ModelRequest(messages=[Message.system("s"), Message.user("q2")]))
    assert key(request()) != key(dataclasses.replace(request(), max_output_tokens=10))
    tool_call = Message.assistant((ToolCallPart("c1", "lookup", '{"order_id": "1"}'),))
    other_call = Message.assistant((ToolCallPart("c1", "refund", '{"order_id": "1"}'),))
    assert key(ModelRequest(messages=[tool_call])) != key(ModelRequest(messages=[other_call]))
    assert len(key(request())) == 64


# BudgetGuard


def test_budget_guard_cost() -> None:
    guard = BudgetGuard(max_cost=1.0, input_per_million=2.0, output_per_million=8.0, cached_input_per_million=0.5)
    usage = Usage(input_tokens=1_000_000, cached_input_tokens=400_000, output_tokens=100_000)
    assert abs(guard.cost(usage) - (0.6 * 2.0 + 0.4 * 0.5 + 0.1 * 8.0)) < 1e-9
    with pytest.raises(ValueError):
        BudgetGuard(max_cost=-1, input_per_million=1, output_per_million=1)


@pytest.mark.parametrize("mode", MODES)
async def test_budget_guard_vetoes_the_call_that_would_pass_the_limit(mode: Mode) -> None:
    def respond(request: ModelRequest) -> ModelResponse:
        parts = (call("lookup", order_id="1"),) if len(provider.requests) < 3 else (TextPart("done"),)
        return ModelResponse(parts, Usage(input_tokens=100_000, output_tokens=10_000, requests=1))

    provider = FunctionProvider(respond)
    # Each call costs 0.1 * 1.0 + 0.01 * 5.0 = 0.15: after two, 0.3 is spent, past the limit.
    guard = BudgetGuard(max_cost=0.25, input_per_million=1.0, output_per_million=5.0)
    sink = MemorySink()
    agent = Agent(name="a", model=provider, tools=TOOLS)
    with pytest.raises(ModelCallVetoed, match=r"'BudgetGuard' vetoed the model call: .*would pass the limit of 0.25"):
        await drive(Runtime(sinks=(sink,), hooks=(guard,)), agent, mode=mode)
    assert len(provider.requests) == 2
    ((hook, point, action, reason),) = decisions(sink)
    assert (hook, point, action) == ("BudgetGuard", "before_model_call", "veto")
    assert "spent 0.3" in reason


async def test_budget_guard_counts_the_request_about_to_be_sent() -> None:
    guard = BudgetGuard(max_cost=0.01, input_per_million=100.0, output_per_million=100.0)
    agent = Agent(name="a", model=ScriptedProvider(["done"]), hooks=(guard,))
    with pytest.raises(ModelCallVetoed):
        await Runtime().run(agent, "word " * 100)  # ~150 tokens at 100 per million: 0.015 > 0.01
    small = Agent(name="a", model=ScriptedProvider(["done"]), hooks=(guard,))
    assert (await Runtime().run(small, "hi")).output == "done"



async def test_errors_name_the_hook_and_the_point() -> None:
    from runlet import Agent, Runtime
    from runlet.core.errors import HookError, ModelCallVetoed
    from runlet.core.hooks import Decision, Hooks
    from runlet.testing import ScriptedProvider

    def explode(ctx: object, request: object) -> None:
        raise RuntimeError("boom")

    agent = Agent(name="a", model=ScriptedProvider(["x"]), hooks=(Hooks(before_model_call=explode, name="exploder"),))
    with pytest.raises(HookError) as raised:
        await Runtime().run(agent, "hi")
    assert (raised.value.hook, raised.value.point) == ("exploder", "before_model_call")

    def refuse(ctx: object, request: object) -> Decision[object]:
        return Decision.veto("too expensive")

    agent = Agent(name="a", model=ScriptedProvider(["x"]), hooks=(Hooks(before_model_call=refuse, name="guard"),))
    with pytest.raises(ModelCallVetoed) as vetoed:
        await Runtime().run(agent, "hi")
    assert (vetoed.value.hook, vetoed.value.reason) == ("guard", "too expensive")
