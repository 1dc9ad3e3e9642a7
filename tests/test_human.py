"""Human in the loop: interrupting a run, checkpoints, resuming (runlet.core.human, Runtime.resume)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from runlet import Agent, Message, RunContext, Runtime, tool
from runlet.core.errors import CheckpointConsumed, HookError, InvalidHumanResponse, ResumeError, UserError, ValidationError
from runlet.core.events import (
    HumanRequested,
    HumanResponded,
    RunResumed,
    RunSuspended,
    ToolCompleted,
    ToolDenied,
    ToolFailed,
)
from runlet.core.human import (
    Answer,
    ApprovalRequest,
    Approve,
    Checkpoint,
    EditArguments,
    InputRequest,
    Reject,
    RunInterrupted,
    ask_human,
    checkpoint_resumed,
    load_checkpoint,
    require_approval,
    save_checkpoint,
)
from runlet.core.messages import ToolCallPart
from runlet.core.models import ModelRequest
from runlet.core.state import SessionConflict, StateFormatError, UnsupportedStateVersion
from runlet.core.schema import adapter_for, validate_json
from runlet.hooks import Decision, Hooks, RequireApproval
from runlet.sinks import MemorySink
from runlet.stores import MemoryStore, SQLiteStore
from runlet.testing import FunctionProvider, ScriptedProvider, Turn, call

ran: list[tuple[str, object]] = []


@pytest.fixture(autouse=True)
def _reset() -> None:
    ran.clear()


@tool
def refund(order_id: str, amount: float) -> str:
    """Refund an order."""
    ran.append(("refund", amount))
    return f"refunded {amount:g} on {order_id}"


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    ran.append(("lookup", order_id))
    return f"order {order_id} shipped"


@tool
async def big_refund(order_id: str, amount: float) -> str:
    """Refund, asking a manager above 100."""
    if amount > 100:
        require_approval(f"refund of {amount:g} on {order_id}")
    ran.append(("big_refund", amount))
    return f"refunded {amount:g} on {order_id}"


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    kind: Literal["home", "work"] = "home"


@tool
def ship(order_id: str) -> str:
    """Ship an order, asking the user where to (a sync tool: runs in a thread)."""
    address = ask_human(f"Where should order {order_id} go?", Address)
    ran.append(("ship", address))
    return f"shipping {order_id} to {address.street}, {address.city} ({address.kind})"


def large(call: ToolCallPart) -> bool:
    arguments = call.parsed_arguments()
    assert isinstance(arguments, dict)
    amount = arguments.get("amount")
    return isinstance(amount, (int, float)) and amount > 100


def replay(final: str = "All done.") -> FunctionProvider:
    """A model that works from the request (so a fresh process can continue): ask for tools, then answer."""

    def respond(request: ModelRequest) -> Turn:
        last = request.messages[-1]
        if last.role == "tool":
            return final + " " + " | ".join(r.content for r in last.tool_results)
        text = last.text
        if "refund and lookup" in text:
            return [call("refund", order_id="1", amount=500), call("lookup", order_id="2")]
        if "big" in text:
            return [call("big_refund", order_id="7", amount=250), call("lookup", order_id="8")]
        if "ship" in text:
            return call("ship", order_id="3")
        return "?"

    return FunctionProvider(respond)


def approval_agent(provider: Any = None, name: str = "support") -> Agent[None, str]:
    return Agent(
        name=name,
        model=provider or replay(),
        tools=(refund, lookup, big_refund, ship),
        hooks=(RequireApproval(tools={"refund"}, when=large, reason="refunds over 100 need a manager"),),
    )


async def interrupt(runtime: Runtime, agent: Agent[None, str], text: str, **kwargs: Any) -> RunInterrupted:
    with pytest.raises(RunInterrupted) as caught:
        await runtime.run(agent, text, **kwargs)
    return caught.value


# Interrupting


async def test_a_hook_interrupts_and_the_other_calls_run_once() -> None:
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), store=MemoryStore())
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "refund and lookup")
    assert ran == [("lookup", "2")]
    [request] = stopped.pending
    assert isinstance(request, ApprovalRequest)
    assert (request.tool, request.arguments, request.reason) == ("refund", {"order_id": "1", "amount": 500}, "refunds over 100 need a manager")
    assert request.requested_by == "RequireApproval"
    checkpoint = stopped.checkpoint
    assert [r.content for r in checkpoint.completed] == ["order 2 shipped"]
    assert sink.types()[-2:] == ["human.requested", "run.suspended"]
    assert sink.of_type(RunSuspended)[0].checkpoint_id == checkpoint.id
    assert sink.of_type(HumanRequested)[0].request_id == request.id
    assert "refunds over 100 need a manager" in str(stopped)

    result = await runtime.resume(agent, checkpoint, [request.approve()])
    assert ran == [("lookup", "2"), ("refund", 500.0)]  # lookup did not run twice
    assert result.output == "All done. refunded 500 on 1 | order 2 shipped"
    assert result.run_id == checkpoint.run_id
    tool_message = result.messages[2]
    assert [r.call_id for r in tool_message.tool_results] == [c.call_id for c in result.messages[1].tool_calls]
    types = sink.types()
    resumed = types[types.index("run.resumed") :]
    assert resumed[:3] == ["run.resumed", "step.started", "human.responded"]
    assert resumed[-1] == "run.completed"
    seqs = [e.seq for e in sink.events]
    assert seqs == list(range(len(seqs)))  # one run, numbered on across the interruption
    assert {e.run_id for e in sink.events} == {checkpoint.run_id}


async def test_reject_tells_the_model_and_does_not_run() -> None:
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), store=MemoryStore())
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "refund and lookup")
    request = stopped.pending[0]
    result = await runtime.resume(agent, stopped.checkpoint, [request.reject("the manager said no")])
    assert ("refund", 500.0) not in ran
    assert result.messages[2].tool_results[0].content == "Denied: the manager said no"
    assert result.messages[2].tool_results[0].is_error
    denied = sink.of_type(ToolDenied)[0]
    assert (denied.hook, denied.reason) == ("human", "the manager said no")
    responded = sink.of_type(HumanResponded)[0]
    assert (responded.response, responded.detail) == ("reject", "the manager said no")


async def test_edited_arguments_run_and_are_validated_like_the_models() -> None:
    runtime = Runtime(store=MemoryStore())
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "refund and lookup")
    request = stopped.pending[0]
    assert isinstance(request, ApprovalRequest)
    result = await runtime.resume(agent, stopped.checkpoint, [request.edit({"order_id": "1", "amount": 80})])
    assert ran[-1] == ("refund", 80.0)
    content = result.messages[2].tool_results[0].content
    assert content.startswith("(a human changed the arguments to")
    assert content.endswith("refunded 80 on 1")


async def test_edited_arguments_that_do_not_fit_are_refused_before_the_checkpoint_is_claimed() -> None:
    store = MemoryStore()
    runtime = Runtime(store=store)
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "refund and lookup")
    request_id = stopped.pending[0].id
    for arguments, problem in [
        ({"order_id": "1", "amount": "lots"}, "amount: expected number, got string 'lots'"),
        ({"order_id": "1"}, "missing required argument 'amount'"),
        ({"order_id": "1", "amount": 5, "note": "x"}, "note: unexpected argument"),
    ]:
        with pytest.raises(InvalidHumanResponse, match="do not fit the parameters of 'refund'") as caught:
            await runtime.resume(agent, stopped.checkpoint, [EditArguments(request_id, arguments)])
        assert problem in str(caught.value)
    assert not await checkpoint_resumed(store, stopped.checkpoint.id)
    assert not any(name == "refund" for name, _ in ran)
    await runtime.resume(agent, stopped.checkpoint, [EditArguments(request_id, {"order_id": "1", "amount": 5.0})])
    assert ran[-1] == ("refund", 5.0)


async def test_an_edit_that_still_needs_approval_counts_as_approved() -> None:
    runtime = Runtime(store=MemoryStore())
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "refund and lookup")
    result = await runtime.resume(agent, stopped.checkpoint, [EditArguments(stopped.pending[0].id, {"order_id": "1", "amount": 300})])
    assert ran[-1] == ("refund", 300.0)
    assert result.output.endswith("refunded 300 on 1 | order 2 shipped")


async def test_a_tool_asks_for_approval_itself() -> None:
    runtime = Runtime(store=MemoryStore())
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "big refund")
    assert ran == [("lookup", "8")]
    [request] = stopped.pending
    assert isinstance(request, ApprovalRequest)
    assert (request.requested_by, request.reason) == ("tool", "refund of 250 on 7")
    result = await runtime.resume(agent, stopped.checkpoint, [request.approve()])
    assert ran == [("lookup", "8"), ("big_refund", 250.0)]
    assert result.output == "All done. refunded 250 on 7 | order 8 shipped"


async def test_a_tool_asks_a_typed_question() -> None:
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), store=MemoryStore())
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "ship it")
    [request] = stopped.pending
    assert isinstance(request, InputRequest)
    assert request.question == "Where should order 3 go?"
    assert request.schema == adapter_for(Address).json_schema
    assert sink.of_type(HumanRequested)[0].kind == "input"

    with pytest.raises(InvalidHumanResponse, match="does not fit its schema"):
        await runtime.resume(agent, stopped.checkpoint, [request.answer({"street": "1 Main St"})])
    with pytest.raises(InvalidHumanResponse, match="respond with Answer or Reject"):
        await runtime.resume(agent, stopped.checkpoint, [Approve(request.id)])
    assert ran == []  # nothing changed: the checkpoint still resumes
    result = await runtime.resume(
        agent, stopped.checkpoint, [request.answer({"street": "1 Main St", "city": "Springfield", "kind": "work"})]
    )
    assert ran == [("ship", Address("1 Main St", "Springfield", "work"))]
    assert result.output == "All done. shipping 3 to 1 Main St, Springfield (work)"


async def test_a_bad_tuple_answer_is_refused_and_the_checkpoint_still_resumes() -> None:
    @tool
    def pick_slot(order_id: str) -> str:
        """Ask the customer for a delivery day and hour."""
        day, hour = ask_human("Which day and hour?", tuple[str, int])
        ran.append(("pick_slot", (day, hour)))
        return f"{order_id} on {day} at {hour}"

    store = MemoryStore()
    runtime = Runtime(store=store)
    agent = Agent(name="slots", model=ScriptedProvider([call("pick_slot", order_id="4"), "Booked."]), tools=(pick_slot,))
    stopped = await interrupt(runtime, agent, "book a slot")
    [request] = stopped.pending
    assert isinstance(request, InputRequest)
    for bad, problem in [(["monday", "noon"], "[1]: expected integer"), (["monday"], "expected array of 2 items")]:
        with pytest.raises(InvalidHumanResponse, match="does not fit its schema") as caught:
            await runtime.resume(agent, stopped.checkpoint, [request.answer(bad)])
        assert problem in str(caught.value)
    assert not await checkpoint_resumed(store, stopped.checkpoint.id)
    assert ran == []
    result = await runtime.resume(agent, stopped.checkpoint, [request.answer(["monday", 9])])
    assert ran == [("pick_slot", ("monday", 9))]
    assert result.output == "Booked."


async def test_a_call_may_ask_again_after_resuming() -> None:
    @tool
    async def transfer(amount: float) -> str:
        """Transfer money: approval, then a reference from the human."""
        require_approval(f"transfer {amount:g}")
        reference = ask_human("Payment reference?")
        ran.append(("transfer", reference))
        return f"sent {amount:g} ({reference})"

    provider = FunctionProvider(
        lambda r: "ok: " + r.messages[-1].tool_results[0].content if r.messages[-1].role == "tool" else call("transfer", amount=5)
    )
    agent = Agent(name="bank", model=provider, tools=(transfer,))
    runtime = Runtime(store=MemoryStore())
    first = await interrupt(runtime, agent, "pay")
    assert isinstance(first.pending[0], ApprovalRequest)
    with pytest.raises(RunInterrupted) as caught:
        await runtime.resume(agent, first.checkpoint, [first.pending[0].approve()])
    second = caught.value
    question = second.pending[0]
    assert isinstance(question, InputRequest) and question.question == "Payment reference?"
    assert question.id != first.pending[0].id
    assert second.checkpoint.run_id == first.checkpoint.run_id
    with pytest.raises(CheckpointConsumed):
        await runtime.resume(agent, first.checkpoint, [first.pending[0].approve()])
    result = await runtime.resume(agent, second.checkpoint, [question.answer("INV-7")])
    assert ran == [("transfer", "INV-7")]
    assert result.output == "ok: sent 5 (INV-7)"


async def test_several_calls_waiting_need_one_response_each() -> None:
    provider = ScriptedProvider(
        [[call("refund", order_id="1", amount=500), call("refund", order_id="2", amount=700), call("lookup", order_id="3")], "ok"]
    )
    agent = approval_agent(provider)
    runtime = Runtime(store=MemoryStore())
    stopped = await interrupt(runtime, agent, "refund and lookup")
    first, second = stopped.pending
    with pytest.raises(InvalidHumanResponse, match="no response to pending request"):
        await runtime.resume(agent, stopped.checkpoint, [Approve(first.id)])
    with pytest.raises(InvalidHumanResponse, match="two responses"):
        await runtime.resume(agent, stopped.checkpoint, [Approve(first.id), first.reject()])
    result = await runtime.resume(agent, stopped.checkpoint, [second.reject("no"), Approve(first.id)])
    assert ran == [("lookup", "3"), ("refund", 500.0)]
    assert [r.content for r in result.messages[2].tool_results] == ["refunded 500 on 1", "Denied: no", "order 3 shipped"]


# Errors that change nothing


async def test_unknown_request_wrong_kind_and_wrong_agent_change_nothing() -> None:
    store = MemoryStore()
    runtime = Runtime(store=store)
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "refund and lookup")
    checkpoint = stopped.checkpoint
    with pytest.raises(InvalidHumanResponse, match="no pending request 'nope'"):
        await runtime.resume(agent, checkpoint, [Approve("nope")])
    with pytest.raises(InvalidHumanResponse, match="not Answer"):
        await runtime.resume(agent, checkpoint, [Answer(stopped.pending[0].id, 1)])
    with pytest.raises(InvalidHumanResponse, match="must be Approve, Reject"):
        await runtime.resume(agent, checkpoint, ["yes"])  # type: ignore[list-item]
    with pytest.raises(ResumeError, match="not 'other'"):
        await runtime.resume(approval_agent(name="other"), checkpoint, [Approve(stopped.pending[0].id)])
    assert not await checkpoint_resumed(store, checkpoint.id)
    assert ran == [("lookup", "2")]
    await runtime.resume(agent, checkpoint, [Approve(stopped.pending[0].id)])
    assert await checkpoint_resumed(store, checkpoint.id)


async def test_resuming_twice_is_refused_with_both_stores(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "runs.db") as sqlite:
        for store in (MemoryStore(), sqlite):
            ran.clear()
            runtime = Runtime(store=store)
            agent = approval_agent()
            stopped = await interrupt(runtime, agent, "refund and lookup")
            approve = stopped.pending[0]
            assert isinstance(approve, ApprovalRequest)
            await runtime.resume(agent, stopped.checkpoint, [approve.approve()])
            with pytest.raises(CheckpointConsumed) as caught:
                await runtime.resume(agent, Checkpoint.loads(stopped.checkpoint.dumps()), [approve.approve()])
            assert caught.value.checkpoint_id == stopped.checkpoint.id
            assert ran.count(("refund", 500.0)) == 1


async def test_concurrent_resumes_one_wins() -> None:
    runtime = Runtime(store=MemoryStore())
    agent = approval_agent()
    stopped = await interrupt(runtime, agent, "refund and lookup")
    responses = [Approve(stopped.pending[0].id)]
    outcomes = await asyncio.gather(
        *(runtime.resume(agent, stopped.checkpoint, responses) for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, CheckpointConsumed) for o in outcomes if isinstance(o, BaseException))
    assert ran.count(("refund", 500.0)) == 1


async def test_interrupt_outside_before_tool_call_is_a_hook_error() -> None:
    agent = Agent(
        name="a",
        model=ScriptedProvider(["hi"]),
        hooks=(Hooks(before_model_call=lambda ctx, request: Decision.interrupt("why"), name="bad"),),
    )
    with pytest.raises(HookError, match="only before_tool_call hooks can interrupt"):
        await Runtime().run(agent, "hello")
    with pytest.raises(ValueError):
        Decision.interrupt(" ")


async def test_asking_outside_a_tool_is_a_user_error() -> None:
    with pytest.raises(UserError, match="inside a tool call"):
        require_approval("x")
    with pytest.raises(UserError, match="inside a tool call"):
        ask_human("x")


# Checkpoints


async def test_checkpoints_round_trip_as_plain_json() -> None:
    runtime = Runtime(store=MemoryStore())
    agent = Agent(
        name="support",
        instructions="Be kind.",
        model=replay(),
        tools=(refund, lookup, ship),
        hooks=(RequireApproval(tools={"refund"}),),
    )
    stopped = await interrupt(runtime, agent, "refund and lookup")
    checkpoint = stopped.checkpoint
    document = json.loads(json.dumps(checkpoint.to_json()))
    assert document["format"] == "runlet.checkpoint" and document["version"] == 3
    assert document["signature"].startswith("hmac-sha256:")
    assert document["state"]["instructions"] == "Be kind." and document["state"]["context"] is None
    assert Checkpoint.from_json(document) == checkpoint
    assert Checkpoint.loads(checkpoint.dumps()) == checkpoint
    assert checkpoint.state.context[0] == Message.system("Be kind.")
    assert checkpoint.requests == stopped.pending

    with pytest.raises(UnsupportedStateVersion):
        Checkpoint.from_json({**document, "version": 4})
    with pytest.raises(StateFormatError, match="not a runlet checkpoint"):
        Checkpoint.from_json({"format": "other"})
    with pytest.raises(StateFormatError, match="unknown"):
        Checkpoint.from_json({**document, "extra": 1})
    with pytest.raises(StateFormatError, match="not valid JSON"):
        Checkpoint.loads("{")
    broken = json.loads(json.dumps(document))
    broken["requests"][0]["kind"] = "vote"
    with pytest.raises(StateFormatError, match="unknown request kind"):
        Checkpoint.from_json(broken)


async def test_checkpoints_kept_in_stores_resume_in_a_fresh_runtime(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with SQLiteStore(path) as store:
        stopped = await interrupt(Runtime(store=store), approval_agent(), "refund and lookup")
        await save_checkpoint(store, stopped.checkpoint)
    with SQLiteStore(path) as store:
        checkpoint = await load_checkpoint(store, stopped.checkpoint.id)
        assert checkpoint == stopped.checkpoint
        request = checkpoint.requests[0]
        assert isinstance(request, ApprovalRequest)
        result = await Runtime(store=store).resume(approval_agent(), checkpoint, [request.approve()])
        assert result.output.startswith("All done. refunded 500 on 1")
        with pytest.raises(KeyError):
            await load_checkpoint(store, "missing")


async def test_session_bound_runs_store_nothing_until_resumed_and_done() -> None:
    store = MemoryStore()
    runtime = Runtime(store=store)
    agent = approval_agent()
    await runtime.run(Agent(name="support", model=ScriptedProvider(["hello"])), "hi", session="s")
    stopped = await interrupt(runtime, agent, "refund and lookup", session="s")
    assert len(await store.load("s")) == 2  # the interrupted run stored nothing
    assert stopped.checkpoint.state.session == "s" and stopped.checkpoint.state.stored_length == 2
    result = await runtime.resume(agent, stopped.checkpoint, [Approve(stopped.pending[0].id)])
    stored = await store.load("s")
    assert len(stored) == 6 and stored == result.messages
    assert result.new_messages[0] == Message.user("refund and lookup")

    other = await interrupt(runtime, agent, "refund and lookup", session="s")
    await runtime.run(Agent(name="support", model=ScriptedProvider(["meanwhile"])), "hi", session="s")
    with pytest.raises(SessionConflict):
        await runtime.resume(agent, other.checkpoint, [Approve(other.pending[0].id)])


# Streaming


async def test_streaming_ends_with_the_interruption_and_resumes_streaming() -> None:
    runtime = Runtime(store=MemoryStore())
    agent = approval_agent()
    seen: list[str] = []
    with pytest.raises(RunInterrupted) as caught:
        async for event in runtime.stream(agent, "refund and lookup"):
            seen.append(event.type)
    assert seen[-1] == "run.suspended"
    stopped = caught.value
    events = [e async for e in runtime.resume_stream(agent, stopped.checkpoint, [Approve(stopped.pending[0].id)])]
    assert isinstance(events[0], RunResumed) and events[0].checkpoint_id == stopped.checkpoint.id
    assert "model.stream.delta" in [e.type for e in events]
    assert events[-1].type == "run.completed"
    assert [e.seq for e in events][0] > 0
    assert ran == [("lookup", "2"), ("refund", 500.0)]
    assert len([e for e in events if isinstance(e, ToolCompleted)]) == 1

    consumed = runtime.resume_stream(agent, stopped.checkpoint, [Approve(stopped.pending[0].id)])
    with pytest.raises(CheckpointConsumed):
        await anext(aiter(consumed))
    with pytest.raises(InvalidHumanResponse):  # checked before the first event, after the signature
        await anext(aiter(runtime.resume_stream(agent, stopped.checkpoint, [])))


# The answer schema check


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        (str, "x", True),
        (str, 1, False),
        (int, 3, True),
        (int, 3.5, False),
        (int, True, False),
        (float, 2, True),
        (bool, False, True),
        (list[int], [1, 2], True),
        (list[int], [1, "2"], False),
        (dict[str, int], {"a": 1}, True),
        (dict[str, int], {"a": "b"}, False),
        (Address, {"street": "a", "city": "b"}, True),
        (Address, {"street": "a", "city": "b", "kind": "moon"}, False),
        (Address, {"street": "a", "city": "b", "zip": 1}, False),
        (int | None, None, True),
        (Literal["a", "b"], "c", False),
        (tuple[int, str], [1, "a"], True),
        (tuple[int, str], [1, 2], False),
        (tuple[int, str], [1], False),
        (tuple[int, str], [1, "a", "b"], False),
        (set[int], [1, 1], True),
    ],
)
def test_answers_are_checked_by_the_validators_of_their_type(kind: Any, value: object, ok: bool) -> None:
    adapter = adapter_for(kind)
    try:
        validate_json(adapter.json_schema, value)
    except ValidationError:
        assert not ok
        with pytest.raises(ValidationError):
            adapter.validate(value)
    else:
        assert ok
        adapter.validate(value)


def test_responses_are_plain_frozen_data() -> None:
    request = ApprovalRequest("c1/0", ToolCallPart("c1", "refund", '{"amount": 5}'), "why", "tool")
    assert request.approve() == Approve("c1/0")
    assert request.reject("no") == Reject("c1/0", "no")
    assert request.edit({"amount": 1}) == EditArguments("c1/0", {"amount": 1})
    question = InputRequest("c2/0", ToolCallPart("c2", "ship"), "where?", {"type": "string"})
    assert question.answer("home") == Answer("c2/0", "home")
    responses: Sequence[object] = (request.approve(), question.reject())
    assert all(getattr(r, "request_id") for r in responses)


async def test_context_given_to_tools_is_unchanged_by_resuming() -> None:
    seen: list[int] = []

    @tool
    async def step_of(ctx: RunContext[None], n: int) -> str:
        """Report the step."""
        require_approval("check")
        seen.append(ctx.step)
        return str(ctx.step)

    agent = Agent(name="a", model=ScriptedProvider([call("step_of", n=1), "done"]), tools=(step_of,))
    runtime = Runtime(store=MemoryStore())
    stopped = await interrupt(runtime, agent, "go")
    result = await runtime.resume(agent, stopped.checkpoint, [Approve(stopped.pending[0].id)])
    assert seen == [1] and result.steps == 2 and result.output == "done"


async def test_tool_errors_after_resume_are_reported_like_any_other() -> None:
    @tool
    async def flaky() -> str:
        """Fails after approval."""
        require_approval("go?")
        raise RuntimeError("boom")

    sink = MemorySink()
    agent = Agent(name="a", model=ScriptedProvider([call("flaky"), "sorry"]), tools=(flaky,))
    runtime = Runtime(sinks=(sink,), store=MemoryStore())
    stopped = await interrupt(runtime, agent, "go")
    result = await runtime.resume(agent, stopped.checkpoint, [Approve(stopped.pending[0].id)])
    assert result.output == "sorry"
    assert "boom" in sink.of_type(ToolFailed)[0].error
