"""Human in the loop as users write it: typed requests, responses, checkpoints and resume."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

from typing_extensions import assert_never, assert_type

from runlet import (
    Agent,
    Answer,
    ApprovalRequest,
    Approve,
    Checkpoint,
    CheckpointTampered,
    EditArguments,
    HumanRequest,
    HumanResponse,
    InputRequest,
    Interruption,
    JsonValue,
    Reject,
    RunContext,
    RunInterrupted,
    RunResult,
    RunStream,
    Runtime,
    ToolCallPart,
    ask_human,
    load_checkpoint,
    require_approval,
    save_checkpoint,
    tool,
)
from runlet.events import Event
from runlet.hooks import Decision, Hooks, RequireApproval
from runlet.stores import SQLiteStore
from runlet.testing import ScriptedProvider


@dataclass(frozen=True)
class Deps:
    limit: float


@dataclass(frozen=True)
class Address:
    street: str
    city: str


@tool
async def refund(ctx: RunContext[Deps], order_id: str, amount: float) -> str:
    """Refund an order."""
    if amount > ctx.deps.limit:
        require_approval(f"refund of {amount} needs a manager")
    return "refunded"


@tool
def ship(order_id: str) -> str:
    """Ship an order."""
    address = ask_human("Where to?", Address)
    assert_type(address, Address)
    note = ask_human("Any note?")
    assert_type(note, str)
    return address.street + note


def needs_manager(call: ToolCallPart) -> bool:
    return call.name == "refund"


def interrupting(ctx: RunContext[object], call: ToolCallPart) -> Decision[ToolCallPart] | None:
    return Decision.interrupt("check this") if call.name == "refund" else None


agent: Agent[Deps, str] = Agent(
    name="support",
    model=ScriptedProvider(["ok"]),
    tools=(refund, ship),
    hooks=(RequireApproval(tools={"refund"}, when=needs_manager, reason="over the limit"), Hooks(before_tool_call=interrupting)),
)


def decide(request: HumanRequest) -> HumanResponse:
    match request:
        case ApprovalRequest():
            assert_type(request.call, ToolCallPart)
            assert_type(request.arguments, JsonValue)
            if request.reason:
                return request.approve()
            return request.edit({"order_id": "1", "amount": 50.0})
        case InputRequest():
            assert_type(request.question, str)
            return request.answer({"street": "1 Main St", "city": "Springfield"})
        case _:
            assert_never(request)


async def flow(runtime: Runtime, store: SQLiteStore) -> str:
    try:
        result = await runtime.run(agent, "Refund 500 on order 9.", deps=Deps(100.0))
        assert_type(result, RunResult[str])
        return result.output
    except RunInterrupted as stop:
        assert_type(stop.interruption, Interruption)
        assert_type(stop.pending, tuple[HumanRequest, ...])
        checkpoint = stop.checkpoint
        assert_type(checkpoint, Checkpoint)
        assert_type(checkpoint.signature, str)
        await save_checkpoint(store, checkpoint)
        text = checkpoint.dumps()
    again = Checkpoint.loads(text)
    same = await load_checkpoint(store, again.id)
    responses: list[HumanResponse] = [decide(r) for r in same.requests]
    responses.append(Reject("call_9/0", "no"))
    responses.append(Approve("call_8/0"))
    responses.append(EditArguments("call_7/0", {"amount": 1}))
    responses.append(Answer("call_6/0", ["any", "json", 1, None]))
    try:
        resumed = await runtime.resume(agent, same, responses, deps=Deps(100.0))
    except CheckpointTampered as tampered:
        assert_type(tampered.checkpoint_id, str)
        raise
    assert_type(resumed, RunResult[str])
    assert_type(resumed.output, str)
    return resumed.output


async def no_deps(runtime: Runtime, checkpoint: Checkpoint, responses: Sequence[HumanResponse]) -> None:
    simple = Agent(name="simple", model=ScriptedProvider(["ok"]))
    result = await runtime.resume(simple, checkpoint, responses)
    assert_type(result.output, str)
    events = runtime.resume_stream(simple, checkpoint, responses)
    assert_type(events, RunStream[str])
    as_before: AsyncGenerator[Event, None] = events
    async for event in as_before:
        if event.type == "run.suspended":
            break
