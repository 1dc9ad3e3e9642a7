"""Hooks as users write them: a class fitting `Hook`, `Hooks(...)` of typed functions, decisions, typed deps."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
    tool,
)
from runlet.hooks import AnyHook, Interrupt, Replace, Veto
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


@dataclass(frozen=True)
class OtherDeps:
    count: int


@tool
def whoami(ctx: RunContext[Deps]) -> str:
    """Who is asking."""
    return ctx.deps.user


# Decisions are typed by what they carry; a veto fits every point.
request = ModelRequest(messages=())
assert_type(Decision.replace(request), Replace[ModelRequest])
assert_type(Decision.replace(request, reason="rewritten").value, ModelRequest)
assert_type(Decision.veto("no"), Veto)
assert_type(Decision.interrupt("ask first"), Interrupt)
never: Decision[Never] = Decision.veto("no")
vetoed: Decision[ToolResultPart] = Decision.veto("no")
answer: Decision[ToolCallPart | ToolResultPart] = Decision.replace(ToolResultPart("c", "t", "done"))


class Audit:
    """Fits `Hook` by shape: all eight points, sync or async, narrower return types welcome."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def before_model_call(self, ctx: RunContext[Deps], request: ModelRequest) -> Decision[ModelResponse] | None:
        assert_type(ctx.deps, Deps)
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


audit: Hook[Deps] = Audit()


class OnlyTools(BaseHook):
    """Or subclass `BaseHook` and override the points you need."""

    def before_tool_call(self, ctx: RunContext[object], call: ToolCallPart) -> Decision[ToolCallPart] | None:
        return None


class GuestsReadOnly(BaseHook[Deps]):
    """A `BaseHook[Deps]` reads typed deps: it is for agents with those deps."""

    def before_tool_call(self, ctx: RunContext[Deps], call: ToolCallPart) -> Decision[ToolCallPart] | None:
        return Decision.veto("read-only user") if ctx.deps.user == "guest" else None


guests: Hook[Deps] = GuestsReadOnly()


def redact(ctx: RunContext[Deps], call: ToolCallPart, result: ToolResultPart) -> Decision[ToolResultPart] | None:
    assert_type(ctx.deps, Deps)
    return Decision.replace(dataclasses.replace(result, content="[hidden]"))


async def cached(ctx: RunContext[Deps], request: ModelRequest) -> Decision[ModelResponse] | None:
    return None


def cap(ctx: RunContext[Deps], call: ToolCallPart) -> Decision[ToolCallPart | ToolResultPart]:
    return Decision.veto("no")


def stamp(ctx: RunContext[object], request: ModelRequest) -> None:
    """Reads no deps: fits every agent."""
    return None


# `Hooks(...)` takes its deps from its functions; lambdas and no functions leave them open.
functions = Hooks(after_tool_call=redact, before_model_call=cached, before_tool_call=cap, name="mine")
assert_type(functions, Hooks[Deps])
assert_type(Hooks(before_tool_call=cap), Hooks[Deps])
assert_type(Hooks(before_model_call=stamp), Hooks[object])
assert_type(Hooks(before_model_call=stamp, after_tool_call=redact), Hooks[Deps])
lambdas = Hooks(after_model_call=lambda ctx, request, response: Decision.replace(response))
assert_type(lambdas, Hooks[Any])


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

agent: Agent[Deps, str] = Agent(
    name="a", model=provider, hooks=(audit, guests, functions, lambdas, Hooks(before_model_call=stamp), *ready_made)
)


class Trace(BaseHook[object]):
    """Reads no deps: fits every agent, and the runtime."""

    def before_model_call(self, ctx: RunContext[object], request: ModelRequest) -> None:
        print(ctx.agent_name, ctx.step)


# A hook that reads no deps fits agents of any deps, and agents without deps.
generic = (Trace(), Hooks(before_model_call=stamp), RedactEmails())
for_deps: Agent[Deps, str] = Agent(name="a", model=provider, hooks=generic)
for_other: Agent[OtherDeps, str] = Agent(name="b", model=provider, hooks=generic)
for_none: Agent[None, str] = Agent(name="c", model=provider, hooks=generic)
everywhere: Hook[object] = RedactEmails()

# An agent's deps come from its tools and hooks; hooks that read no deps leave them to the others.
assert_type(Agent(name="a", model=provider, tools=(whoami,), hooks=generic), Agent[Deps, str])
assert_type(Agent(name="a", model=provider, hooks=(functions, Hooks(before_model_call=stamp))), Agent[Deps, str])
assert_type(Agent(name="a", model=provider, hooks=(Audit(),)), Agent[Deps, str])
assert_type(Agent(name="a", model=provider, hooks=generic), Agent[object, str])
assert_type(for_deps.hooks, tuple[AnyHook[Deps], ...])


async def with_and_without_deps() -> None:
    anywhere = Agent(name="a", model=provider, hooks=(Trace(), RedactEmails(), ResponseCache()))
    result = await Runtime().run(anywhere, "hi")
    assert_type(result.output, str)
    await Runtime().run(anywhere, "hi", deps=Deps("ann"))


# The runtime's hooks serve every agent: hooks that read no deps.
runtime = Runtime(hooks=(*generic, lambdas, *ready_made))
assert_type(runtime.hooks, Sequence[AnyHook[object]])

# A bare `Hook`, `Hooks`, `AnyHook` or `BaseHook` leaves the deps unchecked, as before hooks were generic.
unchecked: Hook = Audit()
kept: list[AnyHook] = [Audit(), functions, OnlyTools()]
old_style: Agent[Deps, str] = Agent(name="d", model=provider, hooks=(unchecked, *kept))
assert_type(ResponseCache.key(request), str)
assert_type(BudgetGuard(max_cost=1, input_per_million=1, output_per_million=1).cost(ModelResponse(()).usage), float)
