"""Toolsets and prepare functions for other deps, which the type checkers must reject."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runlet import Agent, RunContext, Tool, ToolDefinition, Toolset, tool
from runlet.testing import ScriptedProvider
from runlet.toolsets import combined, filtered, of, prefixed

provider = ScriptedProvider(["ok"])


@dataclass(frozen=True)
class Deps:
    admin: bool


@dataclass(frozen=True)
class OtherDeps:
    count: int


@tool
def other_lookup(ctx: RunContext[OtherDeps], order_id: str) -> str:
    """A tool for other deps."""
    return order_id


@tool
def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """A tool for these deps."""
    return order_id


class OtherTools:
    async def tools(self, ctx: RunContext[OtherDeps]) -> Sequence[Tool[OtherDeps]]:
        return [other_lookup]


def other_prepare(ctx: RunContext[OtherDeps], definition: ToolDefinition) -> ToolDefinition | None:
    return definition


def other_prepare_tools(ctx: RunContext[OtherDeps], definitions: tuple[ToolDefinition, ...]) -> Sequence[ToolDefinition]:
    return definitions


@tool(prepare=other_prepare)
def prepared_for_others() -> str:
    """A tool whose prepare reads other deps."""
    return ""


a: Agent[Deps, str] = Agent(name="a", model=provider, tools=(OtherTools(),))  # expect-error
b: Agent[Deps, str] = Agent(name="b", model=provider, tools=(of(other_lookup),))  # expect-error
c: Agent[Deps, str] = Agent(name="c", model=provider, tools=(prefixed(of(other_lookup), "x"),))  # expect-error
d: Agent[Deps, str] = Agent(name="d", model=provider, tools=(filtered(OtherTools(), lambda ctx, t: True),))  # expect-error
e: Agent[Deps, str] = Agent(name="e", model=provider, tools=(prepared_for_others,))  # expect-error
f: Agent[Deps, str] = Agent(name="f", model=provider, tools=(lookup,), prepare_tools=other_prepare_tools)  # expect-error
g: Toolset[Deps] = combined(of(lookup), OtherTools())  # expect-error
h = filtered(of(lookup), lambda ctx, t: ctx.deps.count > 1)  # expect-error
i = Agent(name="i", model=provider, tools=(of(lookup),))
