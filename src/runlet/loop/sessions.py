"""A run's session: its history loaded from the store before the first step, its new messages appended at the end.

Both go through the `before_state` and `after_state` hooks. The append is one
atomic step that extends exactly the history the run loaded
(`expected_length`), so of two runs racing on a session the second fails with
`SessionConflict` and stores nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from typing_extensions import assert_never

from runlet.core.errors import HookError
from runlet.core.hooks import Interrupted, Proceed, Replace, StateOperation, Vetoed
from runlet.core.run_state import RunState
from runlet.core.state import StateVetoed
from runlet.loop.run import Run

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core import events
else:
    from runlet.core._deferred import DeferredModule
    from runlet.core._frozen import replace

    events = DeferredModule("runlet.core.events")


async def load_session(run: Run, state: RunState, session: str) -> RunState:
    """The state with the session's history (after hooks) in front of the run's input."""
    ctx = run.context(state)
    operation = StateOperation("load", session, ())
    before = await run.hooks.decide("before_state", ctx, operation, (), StateOperation)
    await run.emitter.report_hooks(before.decisions)
    match before:
        case Vetoed(hook=hook, reason=reason):
            raise StateVetoed(f"hook {hook!r} vetoed loading session {session!r}: {reason}", hook=hook, reason=reason)
        case Proceed(value=value):
            _check_replacement("before_state", operation, value, before)
        case Interrupted():
            raise AssertionError("only before_tool_call hooks interrupt")  # the hook engine refuses it
        case _:
            assert_never(before)
    span = run.emitter.span()
    stored = await run.runtime.store.load(session)
    loaded = StateOperation("load", session, tuple(stored))
    after = await run.hooks.decide("after_state", ctx, loaded, (), StateOperation)
    await run.emitter.report_hooks(after.decisions)
    history = loaded.messages
    if isinstance(after, Proceed):
        _check_replacement("after_state", loaded, after.value, after)
        history = after.value.messages
    emitter = run.emitter
    await emitter.emit(
        lambda: events.StateLoaded(**emitter.meta(span, emitter.run_span), session=session, messages=len(history))
    )
    return replace(
        state, session=session, stored_length=len(stored), history=history, context=(*history, *state.context)
    )


async def save_session(run: Run, state: RunState, session: str) -> RunState:
    """Append the run's new messages; a veto stores nothing (the run still completes)."""
    ctx = run.context(state)
    operation = StateOperation("append", session, state.new)
    before = await run.hooks.decide("before_state", ctx, operation, (), StateOperation)
    await run.emitter.report_hooks(before.decisions)
    if not isinstance(before, Proceed):
        return state
    _check_replacement("before_state", operation, before.value, before)
    operation = before.value
    span = run.emitter.span()
    await run.runtime.store.append(session, operation.messages, expected_length=state.stored_length)
    state = replace(state, stored_length=state.stored_length + len(operation.messages))
    after = await run.hooks.decide("after_state", ctx, operation, (), StateOperation)
    await run.emitter.report_hooks(after.decisions)
    emitter = run.emitter
    saved = len(operation.messages)
    await emitter.emit(lambda: events.StateSaved(**emitter.meta(span, emitter.run_span), session=session, messages=saved))
    return state


def _check_replacement(point: str, operation: StateOperation, replacement: StateOperation, outcome: Proceed[StateOperation]) -> None:
    """A hook may change what is loaded or appended, not the kind of operation or its session."""
    if replacement.kind == operation.kind and replacement.session == operation.session:
        return
    hook = next((d.hook for d in reversed(outcome.decisions) if isinstance(d.decision, Replace)), "")
    raise HookError(
        f"hook {hook!r} at {point} replaced the {operation.kind} of session {operation.session!r} with a "
        f"{replacement.kind} of session {replacement.session!r}; a replacement keeps the kind and session",
        hook=hook,
        point=point,
    )
