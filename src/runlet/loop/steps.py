"""The steps of a run. Each takes the state and says what comes next.

A step is an async generator: it yields the run's events as they happen and
ends with one `Transition`, the new `RunState` and the `Next` thing to do:
start, resume, call the model, run tools, retry the output, finish, or wait
for humans. `runlet.loop.driver` dispatches on `Next` until the run is done.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncGenerator, Sequence
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
    """Run the tool calls of the model's turn."""

    calls: tuple[ToolCallPart, ...]
    tools: StepTools
    """The step's tools; a call of one its request did not offer is refused, never run."""


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


Next: TypeAlias = Union[Start, Resume, CallModel, RunTools, RetryOutput, Finish, AwaitHumans, Done]
"""What the run does next."""


@frozen
class Transition:
    """The end of a step: the state it left, and what comes next."""

    state: RunState
    next: Next


Step: TypeAlias = AsyncGenerator["events.Event | Transition", None]


def step(run: Run, state: RunState, next: Next) -> Step:
    """The step that does `next`."""
    match next:
        case Start(input=text):
            return start(run, state, text)
        case Resume(checkpoint=checkpoint, tools=tools):
            return resume(run, state, checkpoint, tools)
        case CallModel():
            return ask_model(run, state)
        case RunTools(calls=calls, tools=tools):
            return use_tools(run, state, calls, tools)
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


async def start(run: Run, state: RunState, text: str) -> Step:
    """Begin the run: `run.started`, the session's history, the instructions."""
    emitter = run.emitter
    media = tuple(part.summary() for part in state.new[-1].media) if state.new else ()
    await emitter.emit(lambda: events.RunStarted(**emitter.of_run(), input=text, media=media, parent_run_id=emitter.parent_run))
    if state.session is not None:
        state = await load_session(run, state, state.session)
    if run.agent.handoffs and state.history:
        state = await continue_history(run, state)
    instructions = run.agent.instructions
    if not isinstance(instructions, str):
        instructions = await agent_instructions(run, state)
    if instructions:
        state = replace(state, context=(Message.system(instructions), *state.context))
    yield Transition(state, CallModel())


async def ask_model(run: Run, state: RunState) -> Step:
    """Begin a step and call the model; then its tool calls, or its final answer checked."""
    agent, emitter = run.agent, run.emitter
    if state.step >= agent.max_steps:
        raise MaxStepsExceeded(
            f"agent {agent.name!r} made {state.step} model calls without a final answer (max_steps={agent.max_steps})"
        )
    state = replace(state, step=state.step + 1)
    emitter.begin_step(state.step)
    await emitter.emit(lambda: events.StepStarted(**emitter.of_step()))
    if run.streaming:
        turn: ModelTurn | None = None
        async with aclosing(stream_model(run, state)) as streamed:  # closing the step closes the stream at once
            async for item in streamed:
                if isinstance(item, ModelTurn):
                    turn = item
                else:
                    yield item
        assert turn is not None, "stream_model ends with the turn"
    else:
        turn = await call_model(run, state)
    response, state = turn.response, turn.state
    calls = response.tool_calls
    if calls:
        yield Transition(state, RunTools(calls, turn.tools))
        return
    try:
        output = run.output.parse(response.text)
    except ValidationError as error:
        yield Transition(state, RetryOutput(error))
        return
    try:
        output = await _validated(run, state, output)
    except OutputRetry as refusal:
        yield Transition(state, RetryOutput(refusal))
        return
    yield Transition(state, Finish(output))


async def _validated(run: Run, state: RunState, output: object) -> object:
    """The output after the agent's validators, in order; `OutputRetry` from one of them propagates."""
    validators = run.agent.output_validators
    if validators:
        ctx = run.context(state)
        for validate in validators:
            checked = validate(ctx, output)
            output = await checked if inspect.isawaitable(checked) else checked
    return output


async def use_tools(run: Run, state: RunState, calls: tuple[ToolCallPart, ...], tools: StepTools) -> Step:
    """Run the turn's tool calls (within `max_tool_calls`) that name a tool offered in the step; then the next model call."""
    run.runtime.limits.check_tool_calls(state.tool_calls, len(calls))
    state = replace(state, tool_calls=state.tool_calls + len(calls))
    spans = await announce(run, calls)
    for event in run.emitter.drain():
        yield event
    yield await _tools_done(run, state, calls, tools, spans, len(calls))


async def retry_output(run: Run, state: RunState, error: ValidationError | OutputRetry) -> Step:
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
    yield Transition(state, CallModel())


async def finish(run: Run, state: RunState, output: object) -> Step:
    """Complete the run: save the session, `run.completed`, the result."""
    from runlet.runtime import RunResult

    emitter = run.emitter
    await emitter.emit(lambda: events.StepCompleted(**emitter.of_step(), tool_calls=0))
    if state.session is not None:
        state = await save_session(run, state, state.session)
    result = RunResult(output, (*state.history, *state.new), state.new, state.usage, state.run_id, state.step)
    await emitter.emit(
        lambda: events.RunCompleted(**emitter.of_run(), output=run.output.dump(output), usage=state.usage, steps=state.step)
    )
    yield Transition(state, Done(result))


async def await_humans(run: Run, state: RunState, waiting: tuple[Waiting, ...]) -> Step:
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
    for event in emitter.drain():
        yield event
    raise human.RunInterrupted(human.Interruption(requests, checkpoint))


async def resume(run: Run, state: RunState, checkpoint: human.Checkpoint, tools: StepTools) -> Step:
    """Finish the interrupted turn: run the waiting calls with the humans' responses, keep the others' results."""
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
    spans = await announce(run, calls)
    yield await _tools_done(run, state, calls, tools, spans, len(state.turn))


async def _tools_done(
    run: Run, state: RunState, calls: Sequence[ToolCallPart], tools: StepTools, spans: Sequence[str], made: int
) -> Transition:
    """Run the calls; then the next model call, or the wait for humans."""
    results = await run_tools(run, state, calls, tools, spans)
    if run.after_turn:  # handoffs, agents run as tools
        results = await end_turn(run, results)
    if results.waiting:
        return Transition(results.state, AwaitHumans(results.waiting))
    emitter = run.emitter
    await emitter.emit(lambda: events.StepCompleted(**emitter.of_step(), tool_calls=made))
    return Transition(results.state, CallModel())
