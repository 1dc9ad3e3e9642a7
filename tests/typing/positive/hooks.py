"""Hooks as users write them: a class fitting `Hook`, `Hooks(...)` of typed functions, decisions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from typing_extensions import Never, assert_type

from runlet import (
    Agent,
    ModelRequest,
    ModelResponse,
    RunContext,
    Runtime,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
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
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["ok"])


@dataclass(frozen=True)
class Deps:
    user: str


# Decisions are typed by what they carry; a veto fits every point.
request = ModelRequest(messages=())
assert_type(Decision.replace(request), Decision[ModelRequest])
assert_type(Decision.replace(request, reason="rewritten").value, ModelRequest | None)
assert_type(Decision.veto("no"), Decision[Never])
vetoed: Decision[ToolResultPart] = Decision.veto("no")
answer: Decision[ToolCallPart | ToolResultPart] = Decision.replace(ToolResultPart("c", "t", "done"))


class Audit:
    """Fits `Hook` by shape: all eight points, sync or async, narrower return types welcome."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def before_model_call(self, ctx: RunContext[Deps], request: ModelRequest) -> Decision[ModelResponse] | None:
        self.seen.append(ctx.deps.user)
        if not request.messages:
            return Decision.replace(ModelResponse((TextPart("nothing to say"),)))
        return None

    def after_model_call(self, ctx: RunContext[Deps], request: ModelRequest, response: ModelResponse) -> None:
        return None

    def before_tool_call(self, ctx: RunContext[Deps], call: ToolCallPart) -> Decision[ToolCallPart] | None:
        return Decision.veto("read-only user") if ctx.deps.user == "guest" else None

    async def after_tool_call(
        self, ctx: RunContext[Deps], call: ToolCallPart, result: ToolResultPart
    ) -> Decision[ToolResultPart]:
        return Decision.replace(dataclasses.replace(result, content=result.content.strip()))

    def before_compression(self, ctx: RunContext[Deps], request: ModelRequest) -> None:
        return None

    def after_compression(self, ctx: RunContext[Deps], before: ModelRequest, after: ModelRequest) -> None:
        return None

    def before_state(self, ctx: RunContext[Deps], operation: StateOperation) -> Decision[StateOperation] | None:
        if operation.kind == "append":
            return Decision.replace(dataclasses.replace(operation, messages=operation.messages[-10:]))
        return None

    def after_state(self, ctx: RunContext[Deps], operation: StateOperation) -> None:
        return None


audit: Hook = Audit()


class OnlyTools(BaseHook):
    """Or subclass `BaseHook` and override the points you need."""

    def before_tool_call(self, ctx: RunContext[object], call: ToolCallPart) -> Decision[ToolCallPart] | None:
        return None


def redact(ctx: RunContext[Deps], call: ToolCallPart, result: ToolResultPart) -> Decision[ToolResultPart] | None:
    return Decision.replace(dataclasses.replace(result, content="[hidden]"))


async def cached(ctx: RunContext[Deps], request: ModelRequest) -> Decision[ModelResponse] | None:
    return None


def cap(ctx: RunContext[Deps], call: ToolCallPart) -> Decision[ToolCallPart | ToolResultPart]:
    return Decision.veto("no")


functions = Hooks(after_tool_call=redact, before_model_call=cached, before_tool_call=cap, name="mine")
lambdas = Hooks(after_model_call=lambda ctx, request, response: Decision.replace(response))


async def ask(call: ToolCallPart) -> bool | str:
    return call.name != "refund" or "no refunds today"


ready_made: tuple[Hook, ...] = (
    ToolApproval(ask, tools={"refund"}),
    ToolApproval(lambda call: True, tools=["wipe"], denied="nobody approved it"),
    Redact(r"\d{16}", "[card]", tools={"lookup"}),
    RedactEmails(),
    ResponseCache(),
    BudgetGuard(max_cost=1.0, input_per_million=2.5, output_per_million=10.0),
    OnlyTools(),
)

agent: Agent[Deps, str] = Agent(name="a", model=provider, hooks=(audit, functions, lambdas, *ready_made))
runtime = Runtime(hooks=(Audit(), Hooks(before_model_call=cached), RedactEmails()))
assert_type(ResponseCache.key(request), str)
assert_type(BudgetGuard(max_cost=1, input_per_million=1, output_per_million=1).cost(ModelResponse(()).usage), float)
