"""The driving loop, shared by `run`, `stream`, `run_sync`, `resume` and `resume_stream`.

It starts from a `RunState` and a first `Next` (start or resume), runs the
step that each `Next` names, and passes on the steps' events; it ends with the
`RunResult`. A failure, a cancellation or an interruption emits its event and
raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from runlet.core.errors import ResumeError, UsageLimitExceeded, UserError
from runlet.core.handoffs import find_agent, handoff_graph
from runlet.core.messages import Message
from runlet.core.models import ModelSettings
from runlet.core.run_state import RunState
from runlet.core.state import validate_session_id
from runlet.loop.run import Run
from runlet.loop.step_tools import StepTools, resolve
from runlet.loop.steps import CallModel, Done, Next, Resume, Start, Transition, ask_model_streamed, step

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core import events, human
    from runlet.core.agent import Agent
    from runlet.runtime import Runtime, RunResult
else:
    from runlet.core._deferred import DeferredModule
    from runlet.core._frozen import replace

    events = DeferredModule("runlet.core.events")
    human = DeferredModule("runlet.core.human")


async def drive(run: Run, state: RunState, next: Next) -> AsyncGenerator[events.Event | RunResult[Any], None]:
    """Run the steps until the run is done, yielding each event once it has reached the sinks, then the result."""
    emitter = run.emitter
    try:
        while not isinstance(next, Done):
            if run.streaming and isinstance(next, CallModel):  # the one step whose events stream as they happen
                async with aclosing(ask_model_streamed(run, state)) as streamed:  # leaving early closes the model's stream
                    async for item in streamed:
                        if isinstance(item, Transition):
                            state, next = item.state, item.next
                        else:
                            yield item
            else:
                done = await step(run, state, next)
                state, next = done.state, done.next
            if emitter.outbox:
                for event in emitter.drain():
                    yield event
    except (asyncio.CancelledError, GeneratorExit):
        await emitter.emit(lambda: events.RunCancelled(**emitter.of_run(), reason="cancelled"))
        raise
    except Exception as error:
        run.ended = state
        if isinstance(error, UsageLimitExceeded):
            await emitter.emit(
                lambda: events.PolicyStopped(**emitter.of_step(), limit=error.limit, value=error.value, maximum=error.maximum)
            )
        if not isinstance(error, human.RunInterrupted):
            await emitter.emit(
                lambda: events.RunFailed(**emitter.of_run(), error_type=type(error).__name__, message=str(error))
            )
        for event in emitter.drain():
            yield event
        raise
    run.ended = state
    yield next.result


def new_run(
    runtime: Runtime,
    agent: Agent[Any, Any],
    input: str | Sequence[Message],
    deps: object,
    history: Sequence[Message],
    session: str | None,
    *,
    streaming: bool,
    settings: ModelSettings | None = None,
) -> AsyncGenerator[events.Event | RunResult[Any], None]:
    """The loop of a new run; raises `UserError` at once for arguments that do not fit."""
    if session is not None and history:
        raise UserError("pass history= or session=, not both: a session loads its own history from the store")
    if session is not None:
        validate_session_id(session)
    if agent.handoff_targets:
        handoff_graph(agent)  # calls the targets given as functions; UserError for names that clash
    messages = (Message.user(input),) if isinstance(input, str) else tuple(input)
    state = RunState(
        run_id=runtime.clock.new_id(),
        agent=agent.name,
        session=session,
        history=tuple(history),
        new=messages,
        context=(*history, *messages),
    )
    run = Run(runtime, agent, deps, state, streaming=streaming, settings=settings)
    return drive(run, state, Start(messages[-1].text if messages else ""))


def resumed_run(
    runtime: Runtime,
    agent: Agent[Any, Any],
    checkpoint: human.Checkpoint,
    responses: Sequence[human.HumanResponse],
    deps: object,
    *,
    streaming: bool,
    settings: ModelSettings | None = None,
) -> AsyncGenerator[events.Event | RunResult[Any], None]:
    """The loop that continues `checkpoint`, once it is verified, the responses fit it, and it is claimed."""
    if not isinstance(checkpoint, human.Checkpoint):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise UserError(f"resume() needs a Checkpoint (Checkpoint.from_json(...)), not {type(checkpoint).__name__}")
    return _resumed(runtime, agent, checkpoint, tuple(responses), deps, streaming=streaming, settings=settings)


async def _resumed(
    runtime: Runtime,
    agent: Agent[Any, Any],
    checkpoint: human.Checkpoint,
    responses: tuple[human.HumanResponse, ...],
    deps: object,
    *,
    streaming: bool,
    settings: ModelSettings | None,
) -> AsyncGenerator[events.Event | RunResult[Any], None]:
    """Verify, check, claim, then drive; each check raises before the first event, having changed nothing.

    The signature comes first (`CheckpointTampered`): nothing of a checkpoint
    is read before it is known to be the one the runtime made. Then its agent,
    and the one a handoff left it with (`ResumeError`), the responses
    (`InvalidHumanResponse`), and the claim in the store (`CheckpointConsumed`).
    """
    key = await human.checkpoint_key(runtime.store, runtime.checkpoint_key)
    human.verify_checkpoint(checkpoint, key)
    if checkpoint.agent != agent.name:
        raise ResumeError(
            f"checkpoint {checkpoint.id} is of agent {checkpoint.agent!r}, not {agent.name!r}: resume it with the same agent"
        )
    active = checkpoint.state.active_agent
    if agent.handoff_targets or active is not None:  # the agent a handoff left the run with, in the checked graph
        agent = find_agent(agent, agent.name if active is None else active)
    run = Run(runtime, agent, deps, checkpoint.state, streaming=streaming, settings=settings)
    tools = await resumed_tools(run, checkpoint)
    answers = human.match_responses(checkpoint, responses, tools.tools)
    state = replace(checkpoint.state, answers=answers)
    await human.claim_checkpoint(runtime.store, checkpoint, resumed_at=runtime.clock.time())
    async with aclosing(drive(run, state, Resume(checkpoint, tools))) as loop:
        async for item in loop:
            yield item


async def resumed_tools(run: Run, checkpoint: human.Checkpoint) -> StepTools:
    """The interrupted step's tools, resolved again, offering the waiting calls' tools (offered in their step)."""
    static = run.static_tools
    tools = static.tools if static is not None else await resolve(run.agent, run.context(checkpoint.state))
    return StepTools(tools, (), frozenset(pending.call.name for pending in checkpoint.pending))
