"""The seam through which a run executes its model calls and tool calls.

The loop never calls a provider or a tool itself: it asks the runtime's
`Executor`. `LocalExecutor` (the default) calls them in this process. A
durable-execution integration replaces it to run each call as an activity or
a step of its engine, with the loop, its hooks, events, budgets and limits
unchanged. Timeouts, retries and validation stay in the loop, around the seam.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from runlet.core._frozen import frozen
from runlet.core.context import RunContext
from runlet.core.json import JsonValue
from runlet.core.models import ModelRequest, ModelResponse, ModelStreamEvent, Provider
from runlet.core.tools import Tool, ToolContent

__all__ = ["Executor", "LocalExecutor"]


class Executor(Protocol):
    """Executes one model call or one tool call for the loop."""

    async def complete(self, model: Provider, request: ModelRequest) -> ModelResponse:
        """The model's response to `request`."""
        ...

    def stream(self, model: Provider, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """The model's response to `request`, as it streams; the last item is `ResponseCompleted`."""
        ...

    async def call_tool(self, tool: Tool[Any], ctx: RunContext[Any], arguments: JsonValue) -> ToolContent:
        """What `tool` returns for the model's decoded `arguments`: text, or text and media."""
        ...


@frozen
class LocalExecutor:
    """Calls the provider and the tool directly, in this process and event loop."""

    async def complete(self, model: Provider, request: ModelRequest) -> ModelResponse:
        return await model.complete(request)

    def stream(self, model: Provider, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        return model.stream(request)

    async def call_tool(self, tool: Tool[Any], ctx: RunContext[Any], arguments: JsonValue) -> ToolContent:
        return await tool.call(ctx, arguments)
