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

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import field
from typing import Any, Generic, Literal, Protocol, Union, cast

from typing_extensions import Never, TypeAlias, TypeVar, assert_never

from runlet.core._frozen import frozen
from runlet.core.asking import current_answers
from runlet.core.context import RunContext
from runlet.core.errors import HookError
from runlet.core.messages import Message, ToolCallPart, ToolResultPart
from runlet.core.models import ModelRequest, ModelResponse

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
DepsT_contra = TypeVar("DepsT_contra", contravariant=True, default=Any)
"""The deps a hook reads; a bare `Hook`, `Hooks`, `AnyHook` or `BaseHook` leaves them unchecked (`Any`)."""


class Decision(Generic[T_co]):
    """What a hook decided: one of `Replace`, `Veto` or `Interrupt`, made with the constructors below.

    `Decision` is closed: the runtime matches a hook's decision against exactly
    these three classes (`AnyDecision`), and no other subclass can be made.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ != __name__:
            raise TypeError("Decision is closed: return Decision.replace(...), .veto(...) or .interrupt(...)")

    @staticmethod
    def replace(value: T, *, reason: str = "") -> Replace[T]:
        """Use `value` instead (a rewritten request, a cached response, a redacted result)."""
        return Replace(value, reason)

    @staticmethod
    def veto(reason: str) -> Veto:
        """Refuse the operation. A vetoed tool call tells the model `reason`; a vetoed model call stops the run.

        The reason is required: the model, the events and the error all show it.
        """
        return Veto(reason)

    @staticmethod
    def interrupt(reason: str) -> Interrupt:
        """Stop the run until a human approves, rejects or edits this tool call (`before_tool_call` only).

        The run raises `RunInterrupted` with an `ApprovalRequest` carrying
        `reason` and a checkpoint; `Runtime.resume` continues it. On resume the
        hook is asked again and its interrupt counts as the human's approval.
        At any other point an interrupt fails the run with `HookError`.
        """
        return Interrupt(reason)


@frozen
class Replace(Decision[T_co]):
    """Use `value` instead of what the hook was shown."""

    value: T_co
    reason: str = ""


@frozen
class Veto(Decision[Never]):
    """Refuse the operation, saying why."""

    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("a veto needs a reason: the model, the events and the error show it")


@frozen
class Interrupt(Decision[Never]):
    """Stop the run for a human's decision on this tool call, saying why."""

    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("an interrupt needs a reason: the person deciding sees it")


AnyDecision: TypeAlias = Union[Replace[T], Veto, Interrupt]
"""Every decision a hook can make; the runtime matches it exhaustively."""


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


# The engine: how the runtime runs the hooks of one point.

BEFORE_POINTS: frozenset[str] = frozenset(("before_model_call", "before_tool_call", "before_compression", "before_state"))
"""The points that run before an operation: they may veto it (and `before_tool_call` may interrupt)."""

V = TypeVar("V")
HookFunction: TypeAlias = Callable[..., Any]


@frozen
class HookDecision:
    """One hook's decision at one point, as the `hook.decided` event reports it."""

    hook: str
    point: str
    decision: Replace[object] | Veto


@frozen
class Proceed(Generic[V]):
    """Go on with `value`: what the operation was given, or the last hook's replacement."""

    value: V
    decisions: tuple[HookDecision, ...] = ()


@frozen
class Vetoed:
    """A before-hook refused the operation."""

    hook: str
    reason: str
    decisions: tuple[HookDecision, ...]


@frozen
class Interrupted:
    """A `before_tool_call` hook stopped the run for a human's decision."""

    hook: str
    reason: str
    decisions: tuple[HookDecision, ...]


HookOutcome: TypeAlias = Union[Proceed[V], Vetoed, Interrupted]
"""What the hooks of one point decided, taken together."""


class HookEngine:
    """The hooks of one run, in the order each point runs them, and the rules for deciding."""

    __slots__ = ("points",)

    def __init__(self, runtime_hooks: Sequence[AnyHook], agent_hooks: Sequence[AnyHook]) -> None:
        self.points: dict[str, tuple[tuple[str, HookFunction], ...]] = _compile(runtime_hooks, agent_hooks)
        """For each point that has hooks, (name, function) in the order they run."""

    async def decide(
        self,
        point: str,
        ctx: RunContext[Any],
        value: V,
        before: tuple[object, ...],
        expected: type[Any] | tuple[type[Any], ...],
    ) -> HookOutcome[V]:
        """Run the hooks of one point in order, each seeing what the previous one left.

        A before-hook that answers (a `ModelResponse` or a `ToolResultPart`)
        ends the chain: later hooks and the operation itself are skipped.
        """
        functions = self.points.get(point)
        if not functions:
            return Proceed(value)
        current: Any = value
        decisions: list[HookDecision] = []
        for name, function in functions:
            decision = await _ask(name, function, point, ctx, before, current)
            match decision:
                case None:
                    continue
                case Interrupt(reason=reason):
                    if point != "before_tool_call":
                        raise HookError(
                            f"hook {name!r} interrupted at {point}; only before_tool_call hooks can interrupt a run",
                            hook=name,
                            point=point,
                        )
                    answers = current_answers.get()
                    if answers is not None and _approves(answers.next()):
                        continue  # a human approved this call when the run was resumed
                    return Interrupted(name, reason, tuple(decisions))
                case Veto(reason=reason):
                    decisions.append(HookDecision(name, point, decision))
                    if point not in BEFORE_POINTS:
                        raise HookError(f"hook {name!r} vetoed at {point}; only before-hooks can veto", hook=name, point=point)
                    return Vetoed(name, reason, tuple(decisions))
                case Replace(value=replacement):
                    decisions.append(HookDecision(name, point, decision))
                    if not isinstance(replacement, expected):
                        raise HookError(
                            f"hook {name!r} at {point} returned a replacement of type "
                            f"{type(replacement).__name__}; expected {_names(expected)}",
                            hook=name,
                            point=point,
                        )
                    current = replacement
                    if point in BEFORE_POINTS and isinstance(replacement, (ModelResponse, ToolResultPart)):
                        break  # answered: later hooks and the operation itself are skipped
                case _:
                    assert_never(decision)
        return Proceed(current, tuple(decisions))


async def _ask(
    name: str, function: HookFunction, point: str, ctx: RunContext[Any], before: tuple[object, ...], value: object
) -> AnyDecision[object] | None:
    """One hook's decision, checked to be a `Decision` or `None`."""
    try:
        decided = function(ctx, *before, value)
        if inspect.isawaitable(decided):
            decided = await decided
    except Exception as error:
        raise HookError(f"hook {name!r} raised at {point}: {type(error).__name__}: {error}", hook=name, point=point) from error
    if decided is None or isinstance(decided, (Replace, Veto, Interrupt)):
        return cast("AnyDecision[object] | None", decided)
    raise HookError(
        f"hook {name!r} at {point} returned {type(decided).__name__}, not a Decision or None", hook=name, point=point
    )


def _approves(response: object) -> bool:
    kind = getattr(response, "kind", None)
    return kind in ("approve", "edit")


def _names(types: type[Any] | tuple[type[Any], ...]) -> str:
    return " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))


def _compile(
    runtime_hooks: Sequence[AnyHook], agent_hooks: Sequence[AnyHook]
) -> dict[str, tuple[tuple[str, HookFunction], ...]]:
    """For each point, the hook functions in the order they run.

    Runtime hooks wrap agent hooks, and the first hook of a list is the
    outermost: before-points run runtime then agent hooks, each list in order;
    after-points run exactly the reverse (agent hooks last-first, then runtime
    hooks last-first), like nested middleware.
    """
    nested = (*runtime_hooks, *agent_hooks)
    points: dict[str, tuple[tuple[str, HookFunction], ...]] = {}
    for point in HOOK_POINTS:
        functions: list[tuple[str, HookFunction]] = []
        for hook in nested if point in BEFORE_POINTS else nested[::-1]:
            function: HookFunction | None = getattr(hook, point)
            if function is not None:
                functions.append((hook.name if isinstance(hook, Hooks) else type(hook).__name__, function))
        if functions:
            points[point] = tuple(functions)
    return points
