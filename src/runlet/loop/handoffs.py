"""Handoffs in the loop: the run goes on with another agent after a transfer tool's call, or after a history's.

`end_turn` runs once a turn's tool calls are done, for a run with handoffs
or agents run as tools: it adds what those agents used, then
`hand_over`: if a transfer call of the turn succeeded, the run emits
`agent.handoff` and goes on with the target (`Run.hand_off`): its
instructions replace the previous agent's at the head of the context, and
`RunState.active_agent` records it for checkpoints. `continue_history` runs
at the start of a run: a history (a session's, say) whose handoffs lead to
another agent continues with that agent.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from runlet.core.handoffs import follow, handed_to
from runlet.core.messages import Message
from runlet.core.run_state import RunState
from runlet.loop.run import Run
from runlet.loop.tool_calls import TurnResults

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core import events
    from runlet.core.agent import Agent
else:
    from runlet.core._deferred import DeferredModule
    from runlet.core._frozen import replace

    events = DeferredModule("runlet.core.events")


async def instructions(run: Run, state: RunState) -> str:
    """The run's agent's instructions at `state`: its string, or what its function of the run context returns."""
    given = run.agent.instructions
    if isinstance(given, str):
        return given
    value = given(run.context(state))
    return await value if inspect.isawaitable(value) else value


async def end_turn(run: Run, results: TurnResults) -> TurnResults:
    """The end of a turn whose run has handoffs or ran agents as tools (`Run.after_turn`).

    What the agents run as tools used is added to the state and checked
    against the limits (also for a turn that waits for humans: the checkpoint
    keeps it); then, unless the turn waits, a transfer of the turn hands the
    run over.
    """
    state, delegated = results.state, run.delegated
    if delegated is not None:  # agents run as tools: what they used is the run's, within its limits
        state = delegated.added_to(state)
        run.delegated, run.after_turn = None, bool(run.agent.handoff_targets)
        run.runtime.limits.check_totals(state.model_requests, state.tool_calls, state.usage)
    if not results.waiting and run.agent.handoff_targets:
        state = await hand_over(run, state)
    return TurnResults(state, results.waiting)


async def hand_over(run: Run, state: RunState) -> RunState:
    """After a turn's tool calls (their message last in `state.new`): the state, handed to the turn's transfer target if any."""
    handoff = handed_to(run.agent, state.new[-1])
    if handoff is None:
        return state
    target, call_id = handoff
    emitter, previous = run.emitter, run.agent.name
    await emitter.emit(lambda: events.Handoff(**emitter.of_step(), from_agent=previous, to_agent=target.name, call_id=call_id))
    return await _switch(run, state, target)


async def continue_history(run: Run, state: RunState) -> RunState:
    """At the start of a run: the state, with the agent the history's handoffs lead to (a session's last handoff)."""
    target = follow(run.agent, state.history)
    if target is run.agent:
        return state
    run.hand_off(target, state)
    return _active(state, target)  # its instructions are added next, as any agent's


async def _switch(run: Run, state: RunState, target: Agent[Any, Any]) -> RunState:
    """Go on with `target`: the run's services, its instructions at the head of the context, the active agent recorded."""
    context = state.context
    if context and context[0].role == "system" and (not state.history or context[0] != state.history[0]):
        context = context[1:]  # the previous agent's instructions, which the run put in front
    run.hand_off(target, state)
    state = _active(replace(state, context=context), target)
    text = await instructions(run, state)
    return replace(state, context=(Message.system(text), *context)) if text else state


def _active(state: RunState, target: Agent[Any, Any]) -> RunState:
    return replace(state, active_agent=None if target.name == state.agent else target.name)
