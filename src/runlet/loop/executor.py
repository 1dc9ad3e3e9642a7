"""The seam through which a run executes its model calls and tool calls.

The loop never calls a provider or a tool itself: it asks the runtime's
`Executor`. `LocalExecutor` (the default) calls them in this process. A
durable-execution integration replaces it to run each call as an activity or
a step of its engine, with the loop, its hooks, events, budgets and limits
unchanged. Timeouts, retries and validation stay in the loop, around the seam.
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any, Protocol

from runlet.core._frozen import frozen
from runlet.core.context import RunContext
from runlet.core.json import JsonValue
from runlet.core.models import ModelRequest, ModelResponse, ModelStreamEvent, Provider
from runlet.core.tools import Tool, ToolContent

__all__ = ["Executor", "LocalExecutor", "RaisedElsewhere", "current_call"]

current_call: ContextVar[tuple[str, str, str] | None] = ContextVar("runlet.current_call", default=None)
"""The run id, the event span id and the agent's name of the model call or tool call being executed, else `None`.

The loop sets it while it calls an executor other than `LocalExecutor`
(while `complete` and `call_tool` are called and awaited; while `stream` is
called), so that an executor that sends the call to another process can send
the call's tracing context with it, and find the agent (after a handoff, or in
an agent run as a tool) whose model or tool it is (`runlet.durable` does).
"""


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


class RaisedElsewhere(Exception):
    """What a tool raised in another process (a durable engine's activity), with the tool's own traceback.

    An executor that runs tools elsewhere raises it (or a subclass named after
    the original exception's class) in place of the exception it cannot bring
    back; the `tool.failed` event shows `remote_traceback`, not the frames of
    the executor that raised this.
    """

    def __init__(self, message: str, remote_traceback: str = "", frames: tuple[tuple[str, int, str], ...] = ()) -> None:
        super().__init__(message)
        self.remote_traceback: str = remote_traceback
        """The traceback as Python printed it where the tool raised (causes included)."""
        self.frames: tuple[tuple[str, int, str], ...] = frames
        """The frames of that traceback: file, line, function."""

    @staticmethod
    def describe(error: BaseException) -> tuple[str, tuple[tuple[str, int, str], ...]]:
        """The traceback of `error` as Python prints it, and its frames: what `RaisedElsewhere` carries."""
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        frames = tuple((f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(error.__traceback__))
        return text, frames
