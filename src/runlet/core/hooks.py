"""Hooks: observe, replace or veto what the runtime is about to do, or has done.

A hook is any object with the eight methods of `Hook`; each returns `None` to
let things be, or a `Decision`: `Decision.replace(value)` or
`Decision.veto(reason)`. `Hooks(...)` takes plain functions instead, for just
the points you need; agents and runtimes accept both. Every method and function
may be sync or async.

Hooks are generic over the deps they read: `Hook[DepsT]` and `Hooks[DepsT]`
receive a `RunContext[DepsT]`, and are contravariant in `DepsT`, like `Tool`.
A hook for `Deps` fits an `Agent[Deps, ...]` only; a hook that reads no deps
(`RunContext[object]`) fits every agent and the runtime.

Order: the hooks of a run are the runtime's, then the agent's, and they nest
like middleware, the first one outermost. Before an operation they run in that
order; after it, in the reverse order. So runtime hooks wrap agent hooks: they
see a request first and its result last.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import field
from typing import Any, Generic, Literal, Protocol, Union

from typing_extensions import Never, TypeAlias, TypeVar

from runlet.core._frozen import frozen
from runlet.core.context import RunContext
from runlet.core.messages import Message, ToolCallPart, ToolResultPart
from runlet.core.models import ModelRequest, ModelResponse

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
DepsT_contra = TypeVar("DepsT_contra", contravariant=True, default=Any)
"""The deps a hook reads; a bare `Hook`, `Hooks`, `AnyHook` or `BaseHook` leaves them unchecked (`Any`)."""


@frozen
class Decision(Generic[T_co]):
    """What a hook decided: `replace` a value, `veto` the operation with a reason, or `interrupt` the run for a human."""

    action: Literal["replace", "veto", "interrupt"]
    value: T_co | None = None
    reason: str = ""

    @staticmethod
    def replace(value: T, *, reason: str = "") -> Decision[T]:
        """Use `value` instead (a rewritten request, a cached response, a redacted result)."""
        return Decision("replace", value, reason)

    @staticmethod
    def veto(reason: str) -> Decision[Never]:
        """Refuse the operation. A vetoed tool call tells the model `reason`; a vetoed model call stops the run.

        The reason is required: the model, the events and the error all show it.
        """
        if not reason.strip():
            raise ValueError("a veto needs a reason: the model, the events and the error show it")
        return Decision("veto", None, reason)

    @staticmethod
    def interrupt(reason: str) -> Decision[Never]:
        """Stop the run until a human approves, rejects or edits this tool call (`before_tool_call` only).

        The run raises `RunInterrupted` with an `ApprovalRequest` carrying
        `reason` and a checkpoint; `Runtime.resume` continues it. On resume the
        hook is asked again and its interrupt counts as the human's approval.
        At any other point an interrupt fails the run with `HookError`.
        """
        if not reason.strip():
            raise ValueError("an interrupt needs a reason: the person deciding sees it")
        return Decision("interrupt", None, reason)


@frozen
class StateOperation:
    """A state store operation: load a session's history, or append a run's new messages."""

    kind: Literal["load", "append"]
    session: str
    messages: tuple[Message, ...]


HookResult: TypeAlias = Union["Decision[T]", None, Awaitable[Union["Decision[T]", None]]]
"""What a hook returns: nothing, or a `Decision`, directly or awaitable."""

Ctx: TypeAlias = RunContext[object]
"""The context of a hook that reads no deps, and so fits every agent (the ready-made hooks take it)."""


class Hook(Protocol[DepsT_contra]):
    """Hook points around model calls, tool calls, compression and state.

    `ctx` is a `RunContext[DepsT]`: the hook reads typed deps. A `Hook[Deps]`
    fits `Agent[Deps, ...]` only; a `Hook[object]` reads no deps and fits
    every agent, so `Runtime(hooks=...)` takes those.

    Each method returns `None` (let things be) or a `Decision`, directly or
    from an `async def`. Before-hooks may replace what is about to happen or
    veto it; after-hooks may replace the result (they cannot veto: it has
    happened). A replacement must have the type of the point, which the type
    checkers enforce through the return annotations below.

    Runtime hooks wrap agent hooks, and within each list the first hook is the
    outermost: before an operation the hooks run runtime-first in list order,
    after it in exactly the reverse order.
    """

    def before_model_call(
        self, ctx: RunContext[DepsT_contra], request: ModelRequest
    ) -> HookResult[ModelRequest | ModelResponse]:
        """Replace the request, answer it (a `ModelResponse` skips the call), or veto (the run stops)."""
        ...

    def after_model_call(
        self, ctx: RunContext[DepsT_contra], request: ModelRequest, response: ModelResponse
    ) -> HookResult[ModelResponse]:
        """Replace the response."""
        ...

    def before_tool_call(
        self, ctx: RunContext[DepsT_contra], call: ToolCallPart
    ) -> HookResult[ToolCallPart | ToolResultPart]:
        """Replace the call (new arguments), answer it (a `ToolResultPart` skips the tool), or veto (the model is told)."""
        ...

    def after_tool_call(
        self, ctx: RunContext[DepsT_contra], call: ToolCallPart, result: ToolResultPart
    ) -> HookResult[ToolResultPart]:
        """Replace the result the model will see."""
        ...

    def before_compression(self, ctx: RunContext[DepsT_contra], request: ModelRequest) -> HookResult[ModelRequest]:
        """Replace the request to compress (your own compression), or veto compression."""
        ...

    def after_compression(
        self, ctx: RunContext[DepsT_contra], before: ModelRequest, after: ModelRequest
    ) -> HookResult[ModelRequest]:
        """Replace the compressed request."""
        ...

    def before_state(self, ctx: RunContext[DepsT_contra], operation: StateOperation) -> HookResult[StateOperation]:
        """Replace what is about to be loaded or appended, or veto the operation."""
        ...

    def after_state(self, ctx: RunContext[DepsT_contra], operation: StateOperation) -> HookResult[StateOperation]:
        """Replace what was loaded (for `load`)."""
        ...


@frozen
class Hooks(Generic[DepsT_contra]):
    """Hook functions (sync or async), one per point you need; the others let things be.

    The deps come from the functions: `Hooks(before_tool_call=f)` with
    `f(ctx: RunContext[Deps], call)` is a `Hooks[Deps]`, for agents with those deps.
    """

    before_model_call: (
        Callable[[RunContext[DepsT_contra], ModelRequest], HookResult[ModelRequest | ModelResponse]] | None
    ) = None
    after_model_call: (
        Callable[[RunContext[DepsT_contra], ModelRequest, ModelResponse], HookResult[ModelResponse]] | None
    ) = None
    before_tool_call: (
        Callable[[RunContext[DepsT_contra], ToolCallPart], HookResult[ToolCallPart | ToolResultPart]] | None
    ) = None
    after_tool_call: (
        Callable[[RunContext[DepsT_contra], ToolCallPart, ToolResultPart], HookResult[ToolResultPart]] | None
    ) = None
    before_compression: Callable[[RunContext[DepsT_contra], ModelRequest], HookResult[ModelRequest]] | None = None
    after_compression: (
        Callable[[RunContext[DepsT_contra], ModelRequest, ModelRequest], HookResult[ModelRequest]] | None
    ) = None
    before_state: Callable[[RunContext[DepsT_contra], StateOperation], HookResult[StateOperation]] | None = None
    after_state: Callable[[RunContext[DepsT_contra], StateOperation], HookResult[StateOperation]] | None = None
    name: str = field(default="Hooks", compare=False)
    """How events and errors name this hook."""


AnyHook: TypeAlias = Union[Hook[DepsT_contra], Hooks[DepsT_contra]]
"""A hook (`Hook` or `Hooks`) for agents with deps `DepsT`; `Runtime(hooks=...)` takes `AnyHook[object]`."""

HOOK_POINTS: tuple[str, ...] = (  # the methods of `Hook`, and the fields of `Hooks`
    "before_model_call",
    "after_model_call",
    "before_tool_call",
    "after_tool_call",
    "before_compression",
    "after_compression",
    "before_state",
    "after_state",
)
