"""Toolsets and prepare functions keep the agent's deps type."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from typing_extensions import assert_type

from runlet import Agent, FunctionTool, RunContext, Tool, ToolDefinition, ToolPrepare, Toolset, WebSearch, tool
from runlet.testing import ScriptedProvider
from runlet.toolsets import combined, filtered, of, prefixed

provider = ScriptedProvider(["ok"])


@dataclass(frozen=True)
class Deps:
    admin: bool


@tool
def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up."""
    return order_id


@tool
def ping() -> str:
    """Answer pong."""
    return "pong"


class AdminTools:
    """A toolset of one's own: any class with `async def tools(ctx)`."""

    async def tools(self, ctx: RunContext[Deps]) -> Sequence[Tool[Deps]]:
        return [lookup] if ctx.deps.admin else []


def only_admins(ctx: RunContext[Deps], definition: ToolDefinition) -> ToolDefinition | None:
    return definition if ctx.deps.admin else None


async def anytime(ctx: RunContext[object], definition: ToolDefinition) -> ToolDefinition:
    return dataclasses.replace(definition, description=f"step {ctx.step}")


@tool(prepare=only_admins)
def close(ctx: RunContext[Deps], account: str) -> str:
    """Close an account."""
    return account


@tool(prepare=anytime)
def hello() -> str:
    """Say hello."""
    return "hello"


closing: FunctionTool[Deps, ..., str] = close
hello_tool: Tool[object] = hello  # its prepare reads no deps: it fits every agent
assert_type(hello, FunctionTool[object, [], str])
assert_type(close.prepare, ToolPrepare[Deps] | None)

mine: Toolset[Deps] = AdminTools()
static = of(lookup)
assert_type(static, Toolset[Deps])
assert_type(prefixed(static, "crm"), Toolset[Deps])
assert_type(filtered(static, lambda ctx, t: ctx.deps.admin), Toolset[Deps])
assert_type(combined(static, mine), Toolset[Deps])
anyone = of(ping)


def first_two(ctx: RunContext[Deps], definitions: tuple[ToolDefinition, ...]) -> Sequence[ToolDefinition]:
    return definitions[:2]


agent: Agent[Deps, str] = Agent(
    name="a",
    model=provider,
    tools=(lookup, close, hello, WebSearch(), mine, prefixed(anyone, "x"), combined(static, mine)),
    prepare_tools=first_two,
)
assert_type(agent.toolsets, tuple[Toolset[Deps], ...])
no_deps = Agent(name="b", model=provider, tools=(of(ping), hello))
assert_type(no_deps, Agent[object, str])


class AnyoneTools:
    """A toolset whose tools read no deps fits every agent, and combines with one that does."""

    async def tools(self, ctx: RunContext[object]) -> Sequence[Tool[object]]:
        return []


mixed: Agent[Deps, str] = Agent(name="m", model=provider, tools=(combined(AnyoneTools(), AdminTools()), AnyoneTools()))
anywhere: Agent[None, str] = Agent(name="n", model=provider, tools=(AnyoneTools(),))
