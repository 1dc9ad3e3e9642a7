"""Hooks that the type checkers must reject: replacements of the wrong type, wrong signatures, other deps."""

from __future__ import annotations

from dataclasses import dataclass

from runlet import Agent, ModelRequest, ModelResponse, RunContext, Runtime, ToolCallPart, ToolResultPart, tool
from runlet.hooks import BaseHook, Decision, Hooks, StateOperation, ToolApproval
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["ok"])
Ctx = RunContext[object]


def rewrite_request(ctx: Ctx, call: ToolCallPart) -> Decision[ModelRequest]:
    return Decision.replace(ModelRequest(messages=()))


def answer_with_text(ctx: Ctx, request: ModelRequest, response: ModelResponse) -> Decision[str]:
    return Decision.replace("hello")


def response_for_a_tool(ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> Decision[ModelResponse]:
    return Decision.replace(ModelResponse(()))


def tool_result_for_state(ctx: Ctx, operation: StateOperation) -> Decision[ToolResultPart] | None:
    return None


def too_few_parameters(ctx: Ctx) -> None:
    return None


def returns_a_bare_value(ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> ToolResultPart:
    return result


Hooks(before_tool_call=rewrite_request)  # expect-error
Hooks(after_model_call=answer_with_text)  # expect-error
Hooks(after_tool_call=response_for_a_tool)  # expect-error
Hooks(before_state=tool_result_for_state)  # expect-error
Hooks(before_model_call=too_few_parameters)  # expect-error
Hooks(after_tool_call=returns_a_bare_value)  # expect-error
Hooks(after_tool_call=lambda ctx, call, result: Decision.replace("redacted"))  # expect-error
Hooks(before_tol_call=rewrite_request)  # expect-error
wrong: Decision[ToolResultPart] = Decision.replace(ToolCallPart("c", "t"))  # expect-error
Decision.veto()  # expect-error


class WrongSignature:
    """`after_tool_call` lacks the call; everything else fits."""

    def before_model_call(self, ctx: Ctx, request: ModelRequest) -> None:
        return None

    def after_model_call(self, ctx: Ctx, request: ModelRequest, response: ModelResponse) -> None:
        return None

    def before_tool_call(self, ctx: Ctx, call: ToolCallPart) -> None:
        return None

    def after_tool_call(self, ctx: Ctx, result: ToolResultPart) -> None:
        return None

    def before_compression(self, ctx: Ctx, request: ModelRequest) -> None:
        return None

    def after_compression(self, ctx: Ctx, before: ModelRequest, after: ModelRequest) -> None:
        return None

    def before_state(self, ctx: Ctx, operation: StateOperation) -> None:
        return None

    def after_state(self, ctx: Ctx, operation: StateOperation) -> None:
        return None


class WrongReplacement:
    """`after_model_call` may only replace the response, not answer with a string."""

    def before_model_call(self, ctx: Ctx, request: ModelRequest) -> None:
        return None

    def after_model_call(self, ctx: Ctx, request: ModelRequest, response: ModelResponse) -> Decision[str]:
        return Decision.replace(response.text)

    def before_tool_call(self, ctx: Ctx, call: ToolCallPart) -> None:
        return None

    def after_tool_call(self, ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> None:
        return None

    def before_compression(self, ctx: Ctx, request: ModelRequest) -> None:
        return None

    def after_compression(self, ctx: Ctx, before: ModelRequest, after: ModelRequest) -> None:
        return None

    def before_state(self, ctx: Ctx, operation: StateOperation) -> None:
        return None

    def after_state(self, ctx: Ctx, operation: StateOperation) -> None:
        return None


class OnlySome:
    """Misses six of the eight points: use `Hooks(...)` or subclass `BaseHook` instead."""

    def before_tool_call(self, ctx: Ctx, call: ToolCallPart) -> None:
        return None

    def after_tool_call(self, ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> None:
        return None


Agent(name="a", model=provider, hooks=(WrongSignature(),))  # expect-error
Runtime(hooks=(WrongSignature(),))  # expect-error
Runtime(hooks=(WrongReplacement(),))  # expect-error
Agent(name="a", model=provider, hooks=(OnlySome(),))  # expect-error
Runtime(hooks=(rewrite_request,))  # expect-error
ToolApproval(lambda call: 1.5, tools={"refund"})  # expect-error
ToolApproval(lambda ctx, call: True, tools={"refund"})  # expect-error


# Deps: a hook reads typed deps, and fits only agents with those deps.


@dataclass(frozen=True)
class Deps:
    user: str


@dataclass(frozen=True)
class OtherDeps:
    count: int


@tool
def count(ctx: RunContext[OtherDeps]) -> int:
    """A tool for other deps."""
    return ctx.deps.count


def guard(ctx: RunContext[Deps], call: ToolCallPart) -> None:
    print(ctx.deps.usr)  # expect-error


def for_no_deps(ctx: RunContext[None], call: ToolCallPart) -> None:
    return None


class Audit(BaseHook[Deps]):
    def before_tool_call(self, ctx: RunContext[Deps], call: ToolCallPart) -> None:
        print(ctx.deps.user)


class Mixed(BaseHook[Deps]):
    def before_tool_call(self, ctx: RunContext[OtherDeps], call: ToolCallPart) -> None:  # expect-error
        return None


for_other: Agent[OtherDeps, str] = Agent(name="a", model=provider, hooks=(Hooks(before_tool_call=guard),))  # expect-error
class_for_other: Agent[OtherDeps, str] = Agent(name="a", model=provider, hooks=(Audit(),))  # expect-error
with_tools: Agent[OtherDeps, str] = Agent(name="a", model=provider, tools=(count,), hooks=(Audit(),))  # expect-error
Runtime(hooks=(Hooks(before_tool_call=guard),))  # expect-error
Runtime(hooks=(Audit(),))  # expect-error
Runtime(hooks=(Hooks(before_tool_call=for_no_deps),))  # expect-error


async def main() -> None:
    await Runtime().run(Agent(name="a", model=provider, hooks=(Audit(),)), "hi")  # expect-error
    await Runtime().run(Agent(name="a", model=provider, hooks=(Audit(),)), "hi", deps=OtherDeps(1))  # expect-error
