"""The steps of a run. Each takes the state and says what comes next.

A step is a coroutine that emits the run's events (into the emitter's outbox,
which the driver passes on after each step) and returns one `Transition`, the
new `RunState` and the `Next` thing to do: start, resume, call the model,
run tools, retry the output, finish, or wait for humans.
`runlet.loop.driver` dispatches on `Next` until the run is done. One step has
a second form: a model call under `stream()` is an async generator
(`ask_model_streamed`) that yields its events, deltas included, as they
happen, and ends with its `Transition`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncGenerator, Coroutine
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Union

from typing_extensions import TypeAlias, assert_never

from runlet.core._frozen import frozen
from runlet.core.errors import MaxStepsExceeded, OutputRetry, OutputValidationError, ValidationError
from runlet.core.messages import Message, ToolCallPart
from runlet.core.run_state import RunState
from runlet.loop.handoffs import continue_history, end_turn
from runlet.loop.handoffs import instructions as agent_instructions
from runlet.loop.model_calls import ModelTurn, call_model, stream_model
from runlet.loop.run import Run
from runlet.loop.sessions import load_session, save_session
from runlet.loop.step_tools import StepTools
from runlet.loop.tool_calls import Waiting, announce, run_tools

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core import events, human
    from runlet.runtime import RunResult
else:
    from runlet.core._deferred import DeferredModule
    from runlet.core._frozen import replace

    events = DeferredModule("runlet.core.events")
    human = DeferredModule("runlet.core.human")


# What comes next


@frozen
class Start:
    """Begin a new run: load its session, add the instructions."""

    input: str
    """The text of the last input message, for `run.started`."""


@frozen
class Resume:
    """Continue an interrupted run: finish the turn whose tool calls waited for humans."""

    checkpoint: human.Checkpoint
    tools: StepTools
    """The tools of the interrupted step, resolved again, offering the waiting calls' tools."""


@frozen
class CallModel:
    """Begin a step: ask the model."""


@frozen
class RunTools:
    """Run the tool calls of the model's turn (or the waiting calls of a resumed one), once announced (`tool.started`)."""

    calls: tuple[ToolCallPart, ...]
    tools: StepTools
    """The step's tools; a call of one its request did not offer is refused, never run."""
    spans: tuple[str, ...]
    """The span of each call, as `tool.started` announced it."""


@frozen
class RetryOutput:
    """The final answer did not validate, or a validator refused it: send the model back with the reason."""

    error: ValidationError | OutputRetry


@frozen
class Finish:
    """The final answer validated: save the session and complete the run."""

    output: object


@frozen
class AwaitHumans:
    """Some tool calls wait for a human: checkpoint the run and stop it."""

    waiting: tuple[Waiting, ...]


@frozen
class Done:
    """The run completed with `result`."""

    result: RunResult[Any]


CALL_MODEL = CallModel()
"""The one `CallModel` (it has no fields)."""

Next: TypeAlias = Union[Start, Resume, CallModel, RunTools, RetryOutput, Finish, AwaitHumans, Done]
"""What the run does next."""


@frozen
class Transition:
    """The end of a step: the state it left, and what comes next."""

    state: RunState
    next: Next


Step: TypeAlias = Coroutine[Any, Any, Transition]


def step(run: Run, state: RunState, next: Next) -> Step:
    """The step that does `next` (a model call under `stream()` is `ask_model_streamed` instead)."""
    match next:  # the members a step goes through most often first
        case CallModel():
            return ask_model(run, state)
        case RunTools(calls=calls, tools=tools, spans=spans):
            return use_tools(run, state, calls, tools, spans)
        case Start(input=text):
            return start(run, state, text)
        case Resume(checkpoint=checkpoint, tools=tools):
            return resume(run, state, checkpoint, tools)
        case RetryOutput(error=error):
            return retry_output(run, state, error)
        case Finish(output=output):
            return finish(run, state, output)
        case AwaitHumans(waiting=waiting):
            return await_humans(run, state, waiting)
        case Done():
            raise AssertionError("a completed run has no next step")
        case _:
            assert_never(next)


# The steps


async def start(run: Run, state: RunState, text: str) -> Transition:
    """Begin the run: `run.started`, the session's history, the instructions."""
    emitter = run.emitter
    if emitter.listening:
        media = tuple(part.summary() for part in state.new[-1].media) if state.new else ()
        await emitter.emit(lambda: events.RunStarted(**emitter.of_run(), input=text, media=media, parent_run_id=emitter.parent_run))
    if state.session is not None:
        state = await load_session(run, state, state.session)
    if run.agent.handoff_targets and state.history:
        state = await continue_history(run, state)
    instructions = run.agent.instructions
    if not isinstance(instructions, str):
        instructions = await agent_instructions(run, state)
    if instructions:
        state = replace(state, context=(Message.system(instructions), *state.context))
    return Transition(state, CALL_MODEL)


async def ask_model(run: Run, state: RunState) -> Transition:
    """Begin a step and call the model; then its tool calls, or its final answer checked."""
    state = _next_step(run, state)
    emitter = run.emitter
    if emitter.listening:
        await emitter.emit(lambda: events.StepStarted(**emitter.of_step()))
    return await _answered(run, await call_model(run, state))


async def ask_model_streamed(run: Run, state: RunState) -> AsyncGenerator[events.Event | Transition, None]:
    """`ask_model` with a streamed call: its events as they happen (deltas included), then the `Transition`."""
    state = _next_step(run, state)
    emitter = run.emitter
    await emitter.emit(lambda: events.StepStarted(**emitter.of_step()))
    turn: ModelTurn | None = None
    async with aclosing(stream_model(run, state)) as streamed:  # closing the step closes the stream at once
        async for item in streamed:
            if isinstance(item, ModelTurn):
                turn = item
            else:
                yield item
    assert turn is not None, "stream_model ends with the turn"
    yield await _answered(run, turn)


def _next_step(run: Run, state: RunState) -> RunState:
    """The state one step on (within `max_steps`); events from now on are the new step's."""
    agent = run.agent
    if state.step >= agent.max_steps:
        raise MaxStepsExceeded(
            f"agent {agent.name!r} made {state.step} model calls without a final answer (max_steps={agent.max_steps})"
        )
    state = replace(state, step=state.step + 1)
    run.emitter.begin_step(state.step)
    return state


async def _answered(run: Run, turn: ModelTurn) -> Transition:
    """What the model's turn asks for: its tool calls run, or its final answer, once it validates."""
    response, state, calls = turn.response, turn.state, turn.calls
    if calls:  # counted in the turn's state; announced now, so that a stream shows them before any runs
        return Transition(state, RunTools(calls, turn.tools, await announce(run, calls)))
    try:
        output = run.output.parse(response.text)
    except ValidationError as error:
        return Transition(state, RetryOutput(error))
    try:
        output = await _validated(run, state, output)
    except OutputRetry as refusal:
        return Transition(state, RetryOutput(refusal))
    return Transition(state, Finish(output))


async def _validated(run: Run, state: RunState, output: object) -> object:
    """The output after the agent's validators, in order; `OutputRetry` from one of them propagates."""
    validators = run.agent.output_validators
    if validators:
        ctx = run.context(state)
        for validate in validators:
            checked = validate(ctx, output)
            output = await checked if inspect.isawaitable(checked) else checked
    return output


async def use_tools(run: Run, state: RunState, calls: tuple[ToolCallPart, ...], tools: StepTools, spans: tuple[str, ...]) -> Transition:
    """Run the calls that name a tool offered in their step; then the next model call, or the wait for humans."""
    results = await run_tools(run, state, calls, tools, spans)
    if run.after_turn:  # handoffs, agents run as tools
        results = await end_turn(run, results)
    if results.waiting:
        return Transition(results.state, AwaitHumans(results.waiting))
    emitter = run.emitter
    if emitter.listening:  # the turn's calls, the resumed ones' kept results included
        await emitter.emit(lambda: events.StepCompleted(**emitter.of_step(), tool_calls=len(state.turn)))
    return Transition(results.state, CALL_MODEL)


async def retry_output(run: Run, state: RunState, error: ValidationError | OutputRetry) -> Transition:
    """Tell the model why its answer was not accepted (within `max_output_retries`)."""
    agent, emitter = run.agent, run.emitter
    attempt = state.output_retries + 1
    match error:
        case ValidationError():
            failure = f"did not validate as {run.output.name}"
            retry = Message.user(
                f"Your answer does not match the required output schema: {error}. "
                "Answer again with JSON that follows the schema exactly."
            )
        case OutputRetry():
            failure = "was refused by an output validator"
            retry = Message.user(f"Your answer was not accepted: {error}. Answer again.")
        case _:
            assert_never(error)
    if attempt > agent.max_output_retries:
        raise OutputValidationError(f"the final answer {failure} after {attempt} attempts: {error}") from error
    await emitter.emit(lambda: events.OutputValidationFailed(**emitter.of_step(), error=str(error), attempt=attempt))
    state = replace(state, output_retries=attempt).appended(retry)
    await emitter.emit(lambda: events.StepCompleted(**emitter.of_step(), tool_calls=0))
    return Transition(state, CALL_MODEL)


async def finish(run: Run, state: RunState, output: object) -> Transition:
    """Complete the run: save the session, `run.completed`, the result."""
    from runlet.runtime import RunResult

    emitter = run.emitter
    await emitter.emit(lambda: events.StepCompleted(**emitter.of_step(), tool_calls=0))
    if state.session is not None:
        state = await save_session(run, state, state.session)
    result = RunResult(output, (*state.history, *state.new), state.new, state.usage, state.run_id, state.step)
    if emitter.listening:
        await emitter.emit(
            lambda: events.RunCompleted(**emitter.of_run(), output=run.output.dump(output), usage=state.usage, steps=state.step)
        )
    return Transition(state, Done(result))


async def await_humans(run: Run, state: RunState, waiting: tuple[Waiting, ...]) -> Transition:
    """Stop the run for humans: `run.suspended`, then `RunInterrupted` with the checkpoint, signed."""
    emitter = run.emitter
    clock = run.runtime.clock
    checkpoint_id = clock.new_id()
    requests = tuple(w.request for w in waiting)
    await emitter.emit(
        lambda: events.RunSuspended(
            **emitter.of_run(), checkpoint_id=checkpoint_id, requests=tuple(r.id for r in requests), usage=state.usage, steps=state.step
        )
    )
    made = human.Checkpoint(id=checkpoint_id, created_at=clock.time(), state=run.snapshot(state), requests=requests)
    checkpoint = human.sign_checkpoint(made, await human.checkpoint_key(run.runtime.store, run.runtime.checkpoint_key))
    raise human.RunInterrupted(human.Interruption(requests, checkpoint))  # the driver passes on run.suspended


async def resume(run: Run, state: RunState, checkpoint: human.Checkpoint, tools: StepTools) -> Transition:
    """Continue the interrupted turn: the humans' responses, then the waiting calls announced (the others' results are kept)."""
    emitter = run.emitter
    await emitter.emit(lambda: events.RunResumed(**emitter.of_run(), checkpoint_id=checkpoint.id, responses=len(checkpoint.requests)))
    emitter.begin_step(state.step)
    await emitter.emit(lambda: events.StepStarted(**emitter.of_step()))
    calls: list[ToolCallPart] = []
    for pending in checkpoint.pending:
        answers = state.answers[pending.call.call_id]
        response = answers[-1]
        await emitter.emit(
            lambda: events.HumanResponded(
                **emitter.of_step(),
                request_id=response.request_id,
                tool=pending.call.name,
                call_id=pending.call.call_id,
                response=response.kind,
                detail=human.response_detail(response),
            )
        )
        edits = [a for a in answers if isinstance(a, human.EditArguments)]
        call = pending.call
        if edits:
            call = ToolCallPart(call.call_id, call.name, json.dumps(edits[-1].arguments, ensure_ascii=False))
        calls.append(call)
    return Transition(state, RunTools(tuple(calls), tools, await announce(run, calls)))
