"""Toolsets: sources of tools, asked for the tools of each step of a run.

A `Toolset` is anything with `async def tools(ctx)`: static tools, an MCP
server, another agent's tools, or a set that changes with the deps or the
step. Give toolsets in `Agent(tools=...)` beside function tools and hosted
tools; every step asks each toolset for its tools, and a step's tool names
must be unique (`runlet.toolsets.prefixed` gives a toolset's tools a prefix).

The combinators (`of`, `prefixed`, `filtered`, `combined`) are published in
`runlet.toolsets`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol

from typing_extensions import TypeVar

from runlet.core.context import RunContext
from runlet.core.errors import UserError
from runlet.core.json import JsonObject, JsonValue
from runlet.core.models import ToolDefinition
from runlet.core.tools import Tool, ToolContent, ToolPrepare

DepsT = TypeVar("DepsT")
DepsT_contra = TypeVar("DepsT_contra", contravariant=True)


class Toolset(Protocol[DepsT_contra]):
    """A source of tools, asked for the tools of each step of a run."""

    async def tools(self, ctx: RunContext[DepsT_contra]) -> Sequence[Tool[DepsT_contra]]:
        """The tools this toolset offers in the step `ctx` describes; their names unique."""
        ...


def source_name(toolset: object) -> str:
    """How errors name a toolset: its own `repr` when its class writes one, else its class's name."""
    if type(toolset).__repr__ is object.__repr__:
        return f"toolset {type(toolset).__name__}"
    return f"toolset {toolset!r}"


def merged(sources: Sequence[tuple[str, Sequence[Tool[Any]]]], reserved: Mapping[str, str] | None = None) -> dict[str, Tool[Any]]:
    """The tools of several sources by name; a name given twice raises `UserError` naming both sources.

    `sources` are `(what errors call the source, its tools)`; `reserved` maps
    names taken already (hosted tools, say) to what took them.
    """
    found: dict[str, Tool[Any]] = {}
    where: dict[str, tuple[int, str]] = {name: (-1, source) for name, source in (reserved or {}).items()}
    for index, (source, tools) in enumerate(sources):
        for tool in tools:
            name = tool.name
            other = where.get(name)
            if other is not None:
                both = f"both from {source}" if other[0] == index else f"one from {other[1]}, one from {source}"
                raise UserError(
                    f"two tools named {name!r} in one step ({both}): a step's tool names must be unique; "
                    "rename one, or give a toolset's tools a prefix with runlet.toolsets.prefixed(toolset, 'prefix')"
                )
            where[name] = (index, source)
            found[name] = tool
    return found


# The combinators, published in runlet.toolsets


class _Static(Generic[DepsT]):
    __slots__ = ("_tools",)

    def __init__(self, tools: Sequence[Tool[DepsT]]) -> None:
        self._tools: tuple[Tool[DepsT], ...] = tuple(tools)

    async def tools(self, ctx: RunContext[DepsT]) -> Sequence[Tool[DepsT]]:
        return self._tools

    def __repr__(self) -> str:
        return f"of({', '.join(t.name for t in self._tools)})"


def of(*tools: Tool[DepsT]) -> Toolset[DepsT]:
    """The same tools in every step, as a toolset (to prefix, filter or combine them); their names must be unique."""
    names = [t.name for t in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UserError(f"of(...) has more than one tool named {', '.join(map(repr, duplicates))}: a toolset's tool names must be unique")
    return _Static(tools)


class _PrefixedTool(Generic[DepsT]):
    """`tool` under the name `f"{prefix}_{tool.name}"`; everything else (timeout, errors, prepare) is the tool's."""

    __slots__ = ("_tool", "_name")

    def __init__(self, tool: Tool[DepsT], prefix: str) -> None:
        self._tool = tool
        self._name = f"{prefix}_{tool.name}"

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._tool.description

    @property
    def parameters(self) -> JsonObject:
        return self._tool.parameters

    @property
    def timeout(self) -> float | None:
        timeout: float | None = getattr(self._tool, "timeout", None)
        return timeout

    @property
    def fatal_errors(self) -> bool | None:
        fatal: bool | None = getattr(self._tool, "fatal_errors", None)
        return fatal

    @property
    def prepare(self) -> ToolPrepare[DepsT] | None:
        """The tool's own `prepare`, seeing its own name and giving back the prefixed one."""
        inner: ToolPrepare[DepsT] | None = getattr(self._tool, "prepare", None)
        if inner is None:
            return None
        own, prefixed = self._tool.name, self._name

        async def prepare(ctx: RunContext[DepsT], definition: ToolDefinition) -> ToolDefinition | None:
            prepared = inner(ctx, _renamed(definition, own))
            if inspect.isawaitable(prepared):
                prepared = await prepared
            if prepared is None or prepared.name != own:
                return prepared  # None, or a renamed definition the loop refuses
            return _renamed(prepared, prefixed)

        return prepare

    async def call(self, ctx: RunContext[DepsT], arguments: JsonValue) -> ToolContent:
        return await self._tool.call(ctx, arguments)

    def __repr__(self) -> str:
        return f"{self._name} ({self._tool!r})"


def _renamed(definition: ToolDefinition, name: str) -> ToolDefinition:
    return ToolDefinition(name, definition.description, definition.parameters, definition.strict)


class _Prefixed(Generic[DepsT]):
    __slots__ = ("_toolset", "_prefix")

    def __init__(self, toolset: Toolset[DepsT], prefix: str) -> None:
        self._toolset = toolset
        self._prefix = prefix

    async def tools(self, ctx: RunContext[DepsT]) -> Sequence[Tool[DepsT]]:
        prefix = self._prefix
        return [_PrefixedTool(tool, prefix) for tool in await self._toolset.tools(ctx)]

    @property
    def parts(self) -> tuple[object, ...]:
        """The toolsets this one is made of."""
        return (self._toolset,)

    def __repr__(self) -> str:
        return f"prefixed({_shown(self._toolset)}, {self._prefix!r})"


def prefixed(toolset: Toolset[DepsT], prefix: str) -> Toolset[DepsT]:
    """`toolset` with each tool's name `f"{prefix}_{name}"`: two sources with the same tool names side by side."""
    if not prefix or not prefix.replace("_", "a").replace("-", "a").isalnum():
        raise UserError(f"prefixed(..., {prefix!r}): a prefix is a non-empty name of letters, digits, '_' and '-'")
    return _Prefixed(toolset, prefix)


class _Filtered(Generic[DepsT]):
    __slots__ = ("_toolset", "_keep")

    def __init__(self, toolset: Toolset[DepsT], keep: Callable[[RunContext[DepsT], Tool[DepsT]], bool]) -> None:
        self._toolset = toolset
        self._keep = keep

    async def tools(self, ctx: RunContext[DepsT]) -> Sequence[Tool[DepsT]]:
        keep = self._keep
        return [tool for tool in await self._toolset.tools(ctx) if keep(ctx, tool)]

    @property
    def parts(self) -> tuple[object, ...]:
        """The toolsets this one is made of."""
        return (self._toolset,)

    def __repr__(self) -> str:
        return f"filtered({_shown(self._toolset)})"


def filtered(toolset: Toolset[DepsT], keep: Callable[[RunContext[DepsT], Tool[DepsT]], bool]) -> Toolset[DepsT]:
    """The tools of `toolset` that `keep(ctx, tool)` keeps, decided in every step."""
    return _Filtered(toolset, keep)


class _Combined(Generic[DepsT]):
    __slots__ = ("_toolsets",)

    def __init__(self, toolsets: Sequence[Toolset[DepsT]]) -> None:
        self._toolsets = tuple(toolsets)

    async def tools(self, ctx: RunContext[DepsT]) -> Sequence[Tool[DepsT]]:
        found = await resolve_all(self._toolsets, ctx)
        return list(merged([(source_name(t), tools) for t, tools in zip(self._toolsets, found)]).values())

    @property
    def parts(self) -> tuple[object, ...]:
        """The toolsets this one is made of."""
        return self._toolsets

    def __repr__(self) -> str:
        return f"combined({', '.join(map(_shown, self._toolsets))})"


def combined(*toolsets: Toolset[DepsT]) -> Toolset[DepsT]:
    """The tools of all `toolsets`, in order; a name two of them give is an error (`prefixed` one of them)."""
    return _Combined(toolsets)


async def resolve_all(toolsets: Sequence[Toolset[DepsT]], ctx: RunContext[DepsT]) -> list[Sequence[Tool[DepsT]]]:
    """Each toolset's tools for the step, asked at once when there are several."""
    if len(toolsets) == 1:
        return [await toolsets[0].tools(ctx)]
    return list(await asyncio.gather(*(toolset.tools(ctx) for toolset in toolsets)))


def sources(toolset: object) -> tuple[object, ...]:
    """The toolsets that `toolset` is made of through `prefixed`, `filtered` and `combined` (itself when it is none of them)."""
    if isinstance(toolset, (_Prefixed, _Filtered, _Combined)):
        parts: tuple[object, ...] = toolset.parts
        return tuple(found for part in parts for found in sources(part))
    return (toolset,)


def _shown(toolset: object) -> str:
    return source_name(toolset).removeprefix("toolset ")
