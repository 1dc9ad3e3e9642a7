"""Human-in-the-loop mistakes both checkers must reject."""

from __future__ import annotations

from dataclasses import dataclass

from runlet import (
    Agent,
    Answer,
    ApprovalRequest,
    Approve,
    Checkpoint,
    EditArguments,
    HumanRequest,
    InputRequest,
    RunContext,
    RunInterrupted,
    Runtime,
    ToolCallPart,
    ask_human,
)
from runlet.hooks import Decision, RequireApproval
from runlet.testing import ScriptedProvider


@dataclass(frozen=True)
class Deps:
    limit: float


agent: Agent[Deps, str] = Agent(name="support", model=ScriptedProvider(["ok"]))


async def mistakes(runtime: Runtime, checkpoint: Checkpoint, approval: ApprovalRequest, question: InputRequest, any_request: HumanRequest) -> None:
    question.approve()  # expect-error
    approval.answer("yes")  # expect-error
    any_request.approve()  # expect-error
    approval.edit({"amount": object()})  # expect-error
    Approve()  # expect-error
    EditArguments("c1/0", ["not", "an", "object"])  # expect-error
    Answer("c1/0", object())  # expect-error
    await runtime.resume(agent, checkpoint, [approval])  # expect-error
    await runtime.resume(agent, checkpoint, ["yes"])  # expect-error
    await runtime.resume(agent, checkpoint, [Approve("c1/0")])  # expect-error
    await runtime.resume(agent, checkpoint, [Approve("c1/0")], deps="wrong")  # expect-error
    await runtime.resume(agent, checkpoint.to_json(), [Approve("c1/0")], deps=Deps(1.0))  # expect-error
    runtime.resume_stream(agent, checkpoint, [Approve("c1/0")])  # expect-error
    approval.id = "other"  # expect-error


def hooks_and_tools(stop: RunInterrupted) -> None:
    RequireApproval(tools={"refund"}, when=lambda call: "yes")  # expect-error
    RequireApproval(tools="refund", reason=42)  # expect-error
    Decision.interrupt()  # expect-error
    number: int = ask_human("How many?")  # expect-error
    text: str = ask_human("How many?", int)  # expect-error
    stop.pending[0].question  # expect-error
    stop.checkpoint = stop.checkpoint  # expect-error


def interrupt_in_wrong_type(ctx: RunContext[object], call: ToolCallPart) -> Decision[ToolCallPart] | None:
    return Decision.interrupt("x")
