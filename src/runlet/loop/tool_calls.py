"""Running a turn's tool calls: checks, hooks, timeouts, concurrency, and the answers of a resumed call.

Each call ends in one `ToolOutcome`: completed, failed, timed out, denied, or
waiting for a human. Each outcome maps to exactly one event. Whatever goes
wrong in a call (an unknown tool, a tool the step did not offer, bad
arguments, a tool that raises or times out) becomes an error result the model
sees, and the run goes on; unless the tool raised and its failures are fatal
(`Runtime.fatal_tool_errors`, `@tool(fatal_errors=...)`): then, once the
turn's calls are done and reported, the run fails with `FatalToolError`.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Awaitable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast

from typing_extensions import TypeAlias, assert_never

from runlet.core._frozen import frozen
from runlet.core.asking import HumanInputRequired, current_answers
from runlet.core.context import RunContext
from runlet.core.errors import (
    AgentToolInterrupted,
    FatalToolError,
    HookError,
    ToolError,
    ToolTimeout,
    UsageLimitExceeded,
    ValidationError,
)
from runlet.core.hooks import HookDecision, HookOutcome, Interrupted, Proceed, Vetoed
from runlet.core.messages import MEDIA_PARTS, MediaPart, Message, ToolCallPart, ToolResultPart
from runlet.core.run_state import RunState
from runlet.core.tools import Tool
from runlet.loop.executor import RaisedElsewhere, current_call
from runlet.loop.run import Run
from runlet.loop.scope import CallScope
from runlet.loop.step_tools import StepTools

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core import events, human
    from runlet.core.human import HumanRequest, HumanResponse
else:
    from runlet.core._deferred import DeferredModule
    from runlet.core._frozen import replace

    events = DeferredModule("runlet.core.events")
    human = DeferredModule("runlet.core.human")

V = TypeVar("V")


# Outcomes


@frozen(kw_only=True)
class Completed:
    """The tool ran (or a hook answered for it) and returned `result`."""

    call: ToolCallPart
    result: ToolResultPart
    span: str
    duration_ms: float = 0.0
    decisions: tuple[HookDecision, ...] = ()


@frozen(kw_only=True)
class Failed:
    """The call could not run or the tool raised; `result` tells the model what went wrong."""

    call: ToolCallPart
    result: ToolResultPart
    span: str
    error: str
    """What went wrong, as the `tool.failed` event shows it."""
    error_type: str
    """The exception's class name, or `UnknownTool` / `ToolNotOffered`."""
    duration_ms: float = 0.0
    decisions: tuple[HookDecision, ...] = ()
    exception: Exception | None = None
    """What the tool raised, if it raised."""
    fatal: bool = False
    """Whether the failure fails the run (the tool raised, and its failures are fatal)."""
    replaced: bool = False
    """Whether an after-hook replaced what the model sees (a redaction, say): the event then shows that, not what was raised."""


@frozen(kw_only=True)
class TimedOut:
    """The tool took longer than its timeout."""

    call: ToolCallPart
    result: ToolResultPart
    span: str
    timeout: float
    duration_ms: float = 0.0
    decisions: tuple[HookDecision, ...] = ()


@frozen(kw_only=True)
class Denied:
    """A hook vetoed the call, or a human rejected it."""

    call: ToolCallPart
    result: ToolResultPart
    span: str
    reason: str
    hook: str
    """The hook that vetoed, or `human`."""
    decisions: tuple[HookDecision, ...] = ()


@frozen(kw_only=True)
class Waiting:
    """The call waits for a human: a hook interrupted it, or the tool asked."""

    call: ToolCallPart
    span: str
    request: HumanRequest
    decisions: tuple[HookDecision, ...] = ()


ToolOutcome: TypeAlias = Union[Completed, Failed, TimedOut, Denied, Waiting]
"""How one tool call ended."""

Answered: TypeAlias = Union[Completed, Failed, TimedOut, Denied]
"""An outcome with a result for the model."""


@frozen
class TurnResults:
    """A turn's tool calls done: the state with their results (or the calls waiting for a human)."""

    state: RunState
    waiting: tuple[Waiting, ...]


# The turn


async def announce(run: Run, calls: Sequence[ToolCallPart]) -> tuple[str, ...]:
    """Emit `tool.started` for each call before any runs; their spans."""
    emitter = run.emitter
    spans = tuple([emitter.span() for _ in calls])
    if emitter.listening:
        for call, span in zip(calls, spans):
            await emitter.emit(
                lambda: events.ToolStarted(**emitter.under_step(span), tool=call.name, call_id=call.call_id, arguments=call.arguments)
            )
    return spans


async def run_tools(
    run: Run, state: RunState, calls: Sequence[ToolCallPart], tools: StepTools, spans: Sequence[str]
) -> TurnResults:
    """Run the calls concurrently and add the turn's results to the conversation, in the order the model made the calls.

    A call of a tool the step's request did not offer (`tools.offered`) is
    refused: the model gets an error result, and the tool is not called.
    Results already in `state.completed` (a resumed turn) are kept. When a call
    needs a human, the others still run and their results stay in
    `state.completed`; nothing is added to the conversation yet. A fatal
    failure raises `FatalToolError` once every call is done and reported.
    """
    ctx = run.context(state)
    if len(calls) == 1:
        outcomes = [await _run_one(run, state, ctx, calls[0], tools, spans[0])]
    else:
        outcomes = await _gather([_run_one(run, state, ctx, call, tools, span) for call, span in zip(calls, spans)])
    answered: list[Answered] = []
    waiting: list[Waiting] = []
    for outcome in outcomes:
        if isinstance(outcome, Waiting):
            waiting.append(outcome)
        else:
            answered.append(outcome)
    emitter = run.emitter
    for outcome in (*answered, *waiting):  # answered calls first, then the requests to humans
        if outcome.decisions:
            await emitter.report_hooks(outcome.decisions)
        if emitter.listening:
            await emitter.emit(lambda: _event(run, outcome))
    for fatal in answered:
        if isinstance(fatal, Failed) and fatal.fatal:
            raise FatalToolError(
                f"tool {fatal.call.name!r} (call {fatal.call.call_id}) raised {fatal.error_type}, and its failures are "
                f"fatal, so the run stops: {fatal.error}. Fix the tool, or let the model see its failures "
                "(Runtime(fatal_tool_errors=False), @tool(fatal_errors=False))",
                tool=fatal.call.name,
                call_id=fatal.call.call_id,
            ) from fatal.exception
    completed = [*state.completed, *[outcome.result for outcome in answered]]
    if waiting:
        return TurnResults(replace(state, completed=tuple(completed)), tuple(waiting))
    if len(completed) == 1:
        message = Message("tool", (completed[0],))
    else:
        results = {result.call_id: result for result in completed}
        message = Message("tool", tuple(results[c.call_id] for c in state.turn if c.call_id in results))
    if state.completed or state.answers:  # a resumed turn: its results and answers are used up now
        state = replace(state, completed=(), answers={})
    return TurnResults(state.appended(message), ())


def _event(run: Run, outcome: ToolOutcome) -> events.Event:
    """The one event that reports `outcome`."""
    meta = run.emitter.under_step(outcome.span)
    call = outcome.call
    match outcome:
        case Completed(result=result, duration_ms=duration_ms):
            return events.ToolCompleted(
                **meta,
                tool=call.name,
                call_id=call.call_id,
                result=result.content,
                duration_ms=duration_ms,
                media=tuple(part.summary() for part in result.media),
            )
        case Failed(error=error, error_type=error_type, duration_ms=duration_ms, exception=exception, replaced=replaced):
            return events.ToolFailed(
                **meta,
                tool=call.name,
                call_id=call.call_id,
                error=error,
                error_type=error_type,
                traceback=_traceback(exception, error if replaced else None),
                duration_ms=duration_ms,
            )
        case TimedOut(timeout=timeout):
            return events.ToolTimedOut(**meta, tool=call.name, call_id=call.call_id, timeout_seconds=timeout)
        case Denied(reason=reason, hook=hook):
            return events.ToolDenied(**meta, tool=call.name, call_id=call.call_id, reason=reason, hook=hook)
        case Waiting(request=request):
            return events.HumanRequested(
                **meta,
                request_id=request.id,
                kind=request.kind,
                tool=call.name,
                call_id=call.call_id,
                prompt=request.reason if isinstance(request, human.ApprovalRequest) else request.question,
                requested_by=request.requested_by,
            )
        case _:
            assert_never(outcome)


# One call


async def _run_one(
    run: Run, state: RunState, ctx: RunContext[Any], call: ToolCallPart, tools: StepTools, span: str
) -> ToolOutcome:
    """One call with the human answers it has been given (a resumed call), hooks before and after."""
    given = state.answers.get(call.call_id, ())
    token = current_answers.set(CallScope(given, run, state, span))
    try:
        outcome, ran = await _decide_and_call(run, ctx, call, tools, span, given)
    finally:
        current_answers.reset(token)
    if isinstance(outcome, Waiting):
        return outcome
    if "after_tool_call" not in run.hooks.points:
        return outcome
    after = await run.hooks.decide("after_tool_call", ctx, outcome.result, (ran,), ToolResultPart)
    if not after.decisions or not isinstance(after, Proceed):
        return outcome
    result = _answering(call, after.value)
    decisions = (*outcome.decisions, *after.decisions)
    if isinstance(outcome, Failed) and result.content != outcome.result.content:
        # the event shows what the model sees, its traceback too
        return replace(outcome, result=result, error=result.content, decisions=decisions, replaced=True)
    return replace(outcome, result=result, decisions=decisions)


async def _decide_and_call(
    run: Run, ctx: RunContext[Any], call: ToolCallPart, tools: StepTools, span: str, given: tuple[HumanResponse, ...]
) -> tuple[ToolOutcome, ToolCallPart]:
    """The outcome of the call, and the call as it ran (a before-hook may have changed its arguments)."""
    tool = tools.tools.get(call.name)
    if tool is None:
        known = ", ".join(sorted(tools.offered)) or "none"
        error = f"unknown tool {call.name!r}; the tools are: {known}"
        return Failed(call=call, result=_result(call, f"Error: {error}.", True), span=span, error=error, error_type="UnknownTool"), call
    if call.name not in tools.offered:
        available = ", ".join(sorted(tools.offered)) or "none"
        error = f"the tool {call.name!r} is not available in this step; the tools offered are: {available}"
        return Failed(call=call, result=_result(call, f"Error: {error}.", True), span=span, error=error, error_type="ToolNotOffered"), call
    rejected = next((a for a in given if isinstance(a, human.Reject)), None) if given else None
    if rejected is not None:
        reason = rejected.reason
        return Denied(call=call, result=_result(call, f"Denied: {reason}", True), span=span, reason=reason, hook="human"), call
    if "before_tool_call" not in run.hooks.points:
        return await _call(run, ctx, tool, call, span, len(given)), call
    before: HookOutcome[ToolCallPart | ToolResultPart] = await run.hooks.decide(
        "before_tool_call", ctx, call, (), (ToolCallPart, ToolResultPart)
    )
    match before:
        case Interrupted(hook=hook, reason=reason, decisions=decisions):
            request = human.make_request(call, len(given), reason, hook)
            return Waiting(call=call, span=span, request=request, decisions=decisions), call
        case Vetoed(hook=hook, reason=reason, decisions=decisions):
            denied = _result(call, f"Denied: {reason}", True)
            return Denied(call=call, result=denied, span=span, reason=reason, hook=hook, decisions=decisions), call
        case Proceed(value=value, decisions=decisions):
            if isinstance(value, ToolResultPart):
                return _answered(call, _answering(call, value), span, decisions), call
            _check_same_call(call, value, decisions)
            outcome = await _call(run, ctx, tool, value, span, len(given))
            if isinstance(outcome, Completed) and any(isinstance(a, human.EditArguments) for a in given):
                note = f"(a human changed the arguments to {call.arguments})\n"
                outcome = replace(outcome, result=replace(outcome.result, content=note + outcome.result.content))
            return (replace(outcome, decisions=decisions) if decisions else outcome), value
        case _:
            assert_never(before)


def _answered(call: ToolCallPart, answer: ToolResultPart, span: str, decisions: tuple[HookDecision, ...]) -> Completed | Failed:
    """A before-hook answered the call for the tool."""
    if answer.is_error:
        return Failed(call=call, result=answer, span=span, error=answer.content, error_type="ToolError", decisions=decisions)
    return Completed(call=call, result=answer, span=span, decisions=decisions)


def _check_same_call(call: ToolCallPart, replacement: ToolCallPart, decisions: tuple[HookDecision, ...]) -> None:
    """A before-hook may change a call's arguments, not its tool or id."""
    if (replacement.call_id, replacement.name) == (call.call_id, call.name):
        return
    culprit = next((d.hook for d in decisions if getattr(d.decision, "value", None) is replacement), "?")
    raise HookError(
        f"hook {culprit!r} at before_tool_call replaced the call {call.name!r} ({call.call_id}) "
        f"with {replacement.name!r} ({replacement.call_id}); a hook may change a call's arguments, "
        "not its tool or id (veto it, or answer it with a ToolResultPart)",
        hook=culprit,
        point="before_tool_call",
    )


async def _call(run: Run, ctx: RunContext[Any], tool: Tool[Any], call: ToolCallPart, span: str, asked: int) -> ToolOutcome:
    """Decode the arguments and call the tool through the executor, within its timeout."""
    clock = run.runtime.clock
    started = clock.monotonic()

    def failed(content: str, error: str, error_type: str, raised: Exception | None = None, fatal: bool = False) -> Failed:
        ms = (clock.monotonic() - started) * 1000
        result = _result(call, content, True)
        return Failed(
            call=call, result=result, span=span, error=error, error_type=error_type, duration_ms=ms, exception=raised, fatal=fatal
        )

    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError as error:
        message = f"the arguments of {call.name!r} are not valid JSON ({error})"
        return failed(f"Error: {message}. Send the arguments as a JSON object.", message, type(error).__name__)
    own: float | None = getattr(tool, "timeout", None)
    timeout = run.deadline.time_left(run.runtime.tool_timeout if own is None else None)  # the tool's own timeout wins
    calling = current_call.set((ctx.run_id, span, ctx.agent_name)) if run.remote else None
    try:
        called = run.runtime.executor.call_tool(tool, ctx, arguments)
        if timeout is not None:
            called = _within(called, timeout)
        if run.semaphore is not None:
            async with run.semaphore:
                content = await called
        else:
            content = await called
    except ValidationError as error:
        message = f"invalid arguments for {call.name!r}: {error}"
        return failed(f"Error: {message}. Fix the arguments and call the tool again.", message, type(error).__name__)
    except HumanInputRequired as ask:
        return Waiting(call=call, span=span, request=human.make_request(call, asked, ask, "tool"))
    except ToolTimeout as error:
        ms = (clock.monotonic() - started) * 1000
        return TimedOut(call=call, result=_result(call, f"Error: {error}", True), span=span, timeout=error.timeout, duration_ms=ms)
    except ToolError as error:
        return failed(f"Error: {error}", str(error), type(error).__name__, error)
    except (UsageLimitExceeded, AgentToolInterrupted):
        raise  # an agent run as a tool hit the run's limits, or asked a human: the run stops
    except Exception as error:
        message = f"{call.name!r} raised {type(error).__name__}: {error}"
        chosen: bool | None = getattr(tool, "fatal_errors", None)
        fatal = run.runtime.fatal_tool_errors if chosen is None else chosen  # the tool's own choice wins
        return failed(f"Error: the tool {message}", message, type(error).__name__, error, fatal)
    finally:
        if calling is not None:
            current_call.reset(calling)
    if isinstance(content, str):
        result = _result(call, content, False)
    else:
        media = _media(content)
        if media is None:
            message = f"{call.name!r} returned {type(content).__name__}, not str or a tuple of str and media parts"
            return failed(f"Error: the tool {message}", message, "TypeError")
        texts = "\n".join(item for item in content if isinstance(item, str))
        result = ToolResultPart(call.call_id, call.name, texts, False, media)
    ms = (clock.monotonic() - started) * 1000
    return Completed(call=call, result=result, span=span, duration_ms=ms)


def _media(content: object) -> tuple[MediaPart, ...] | None:
    """The media parts of a tool's content (a tuple of texts and media), or `None` when it is not one (a tool typed loosely)."""
    if not isinstance(content, tuple):
        return None
    items = cast("tuple[object, ...]", content)
    if not all(isinstance(item, (str, *MEDIA_PARTS)) for item in items):
        return None
    return tuple(item for item in items if isinstance(item, MEDIA_PARTS))


def _traceback(exception: Exception | None, replaced: str | None) -> str:
    """The traceback of what a tool raised, as Python prints it; empty when it raised nothing.

    When a hook `replaced` what the model sees, the traceback keeps where the
    exception was raised (files, lines, functions) but says what the hook let
    through instead of the exception's text, its causes' and the source lines,
    any of which may hold what the hook removed.
    """
    if exception is None:
        return ""
    if isinstance(exception, RaisedElsewhere):  # the tool's own traceback, not the executor's frames
        if replaced is None:
            return exception.remote_traceback
        frames: Iterable[tuple[str, int | None, str]] = exception.frames
    elif replaced is None:
        return "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    else:
        frames = ((f.filename, f.lineno, f.name) for f in traceback.extract_tb(exception.__traceback__))
    lines = "".join(f'  File "{filename}", line {line}, in {name}\n' for filename, line, name in frames)
    return f"Traceback (most recent call last):\n{lines}{type(exception).__name__}: {replaced}\n"


def _result(call: ToolCallPart, content: str, is_error: bool) -> ToolResultPart:
    return ToolResultPart(call.call_id, call.name, content, is_error)


def _answering(call: ToolCallPart, result: ToolResultPart) -> ToolResultPart:
    """`result` as the answer to `call`: a hook's result always pairs with the call the model made."""
    if (result.call_id, result.name) == (call.call_id, call.name):
        return result
    return ToolResultPart(call.call_id, call.name, result.content, result.is_error, result.media)


async def _within(awaitable: Awaitable[V], timeout: float) -> V:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise ToolTimeout(timeout) from None


async def _gather(coroutines: Sequence[Awaitable[V]]) -> list[V]:
    """Run all at once; if one raises, cancel the others and wait for them before raising."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        pending = [task for task in tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
