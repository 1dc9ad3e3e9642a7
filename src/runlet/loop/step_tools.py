"""The tools of one step: the agent's tools and toolsets resolved, prepared, and checked.

Every model call offers the tools its step resolves: the agent's function
tools and each toolset's (`Toolset.tools(ctx)`), names unique; then each
tool's `prepare` and the agent's `prepare_tools` choose and describe the ones
offered. An agent without toolsets or prepare functions offers the same tools
in every step: those are resolved once per run (`static_tools`), so its steps
cost nothing more. Only the offered tools can run (`runlet.loop.tool_calls`).
"""

from __future__ import annotations

import inspect
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runlet.core._frozen import frozen
from runlet.core.context import RunContext
from runlet.core.errors import UserError
from runlet.core.models import ToolDefinition
from runlet.core.tools import Tool, tool_definition
from runlet.core.toolsets import merged, resolve_all, source_name

if TYPE_CHECKING:
    from runlet.core.agent import Agent


@frozen
class StepTools:
    """The tools of one step: every tool resolved for it, and the ones its request offers."""

    tools: Mapping[str, Tool[Any]]
    """Every tool the step resolved, by name (offered or not)."""
    definitions: tuple[ToolDefinition, ...]
    """The tools as the step's request offers them."""
    offered: frozenset[str]
    """The names of the offered tools: the only ones the model's calls may run."""

    def offering(self, definitions: Sequence[ToolDefinition]) -> StepTools:
        """These tools with what a request really offered (a hook changed its tools)."""
        return StepTools(self.tools, tuple(definitions), frozenset(d.name for d in definitions))


def static_tools(agent: Agent[Any, Any]) -> StepTools | None:
    """The agent's tools when every step offers the same ones (no toolsets, no prepare); `None` when steps resolve their own."""
    if agent.toolsets or agent.prepare_tools is not None:
        return None
    tools = agent.tools
    for tool in tools:
        if getattr(tool, "prepare", None) is not None:
            return None
    by_name = {t.name: t for t in tools}
    return StepTools(by_name, tuple(tool_definition(t) for t in tools), frozenset(by_name))


async def resolve(agent: Agent[Any, Any], ctx: RunContext[Any]) -> dict[str, Tool[Any]]:
    """Every tool of the step at `ctx`: the agent's function tools, then each toolset's; a name twice is a `UserError`."""
    toolsets = agent.toolsets
    sources: list[tuple[str, Sequence[Tool[Any]]]] = [("the agent's tools", agent.tools)]
    if toolsets:
        found = await resolve_all(toolsets, ctx)
        sources.extend((source_name(toolset), tools) for toolset, tools in zip(toolsets, found))
    reserved: dict[str, str] = {t.name: "the agent's hosted tools" for t in agent.hosted_tools}
    return merged(sources, reserved)


async def prepared(agent: Agent[Any, Any], ctx: RunContext[Any], tools: Mapping[str, Tool[Any]]) -> StepTools:
    """The step's tools with the offered ones chosen: each tool's `prepare`, then the agent's `prepare_tools`."""
    definitions: list[ToolDefinition] = []
    for tool in tools.values():
        definition = tool_definition(tool)
        prepare = getattr(tool, "prepare", None)
        if prepare is not None:
            made = prepare(ctx, definition)
            if inspect.isawaitable(made):
                made = await made
            if made is None:
                continue
            _check_definition(made, f"the prepare function of tool {definition.name!r}", (definition.name,))
            definition = made
        definitions.append(definition)
    prepare_tools = agent.prepare_tools
    if prepare_tools is not None:
        chosen = prepare_tools(ctx, tuple(definitions))
        if inspect.isawaitable(chosen):
            chosen = await chosen
        names = [d.name for d in definitions]
        given: set[str] = set()
        for definition in chosen:
            _check_definition(definition, f"prepare_tools of agent {agent.name!r}", names)
            if definition.name in given:
                raise UserError(f"prepare_tools of agent {agent.name!r} returned tool {definition.name!r} twice: return each at most once")
            given.add(definition.name)
        definitions = list(chosen)
    return StepTools(tools, tuple(definitions), frozenset(d.name for d in definitions))


async def step_tools(agent: Agent[Any, Any], ctx: RunContext[Any]) -> StepTools:
    """The tools of the step at `ctx`, resolved and prepared."""
    return await prepared(agent, ctx, await resolve(agent, ctx))


def _check_definition(definition: object, source: str, names: Collection[str]) -> None:
    if not isinstance(definition, ToolDefinition):
        raise UserError(f"{source} returned a {type(definition).__name__}, not a ToolDefinition (or None to leave a tool out)")
    if definition.name not in names:
        known = ", ".join(repr(n) for n in names) or "none"
        raise UserError(
            f"{source} returned a definition named {definition.name!r}, which is not a tool of the step ({known}): "
            "a prepare function may leave tools out or change their descriptions and schemas, not rename or add "
            "tools (rename a tool with @tool(name=...) or runlet.toolsets.prefixed; add one to the agent or a toolset)"
        )
