"""`Runtime`: runs an agent's loop of model calls and tool calls.

One loop serves `run()`, `stream()` and `run_sync()`: `run()` is `stream()`
with the events drained. Per step: budget the request (mandatory), hooks,
model call (streamed or not, retried when retryable), hooks, tool calls
(concurrently), hooks, and events all the way.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypedDict, overload

from typing_extensions import TypeVar, assert_never

from runlet.core._frozen import frozen
from runlet.core._deferred import DeferredModule
from runlet.core.agent import Agent
from runlet.core.budget import Budgeter, TokenBudgeter
from runlet.core.context import RunContext
from runlet.core.errors import (
    ContextBudgetExceeded,
    HookError,
    MalformedResponse,
    MaxStepsExceeded,
    ModelCallVetoed,
    ModelTimeout,
    OutputValidationError,
    ProviderError,
    ResumeError,
    ToolError,
    ToolTimeout,
    UsageLimitExceeded,
    UserError,
    ValidationError,
)
from runlet.core.hooks import HOOK_POINTS, AnyHook, Decision, Hooks, StateOperation
from runlet.core.asking import HumanInputRequired, ToolCallAnswers, current_answers
from runlet.core.limits import Limits
from runlet.core.messages import Message, ToolCallPart, ToolResultPart
from runlet.core.models import (
    Capabilities,
    ModelRequest,
    ModelResponse,
    ReasoningDelta,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
    ToolDefinition,
    Usage,
)
from runlet.core.output import OutputSpec
from runlet.core.state import StateStore, StateVetoed
from runlet.core.tools import Tool
from runlet.stores.memory import shared_memory_store

if TYPE_CHECKING:
    from runlet.core import events, human
else:
    # Event classes are built when a sink or a stream consumer first listens; checkpoints when a run is
    # interrupted or resumed. A run that needs neither never imports them (docs/performance.md).
    events = DeferredModule("runlet.core.events")
    human = DeferredModule("runlet.core.human")

DepsT = TypeVar("DepsT")
OutputT = TypeVar("OutputT")
OutputT_co = TypeVar("OutputT_co", covariant=True)
V = TypeVar("V")
T = TypeVar("T")

logger: logging.Logger = logging.getLogger("runlet")


@frozen
class RunResult(Generic[OutputT_co]):
    """What a completed run produced."""

    output: OutputT_co
    """The final answer, validated into the agent's `output_type`."""
    messages: tuple[Message, ...]
    """The whole conversation: the history given, then `new_messages` (no instructions)."""
    new_messages: tuple[Message, ...]
    """The messages this run added: the input, model turns and tool results."""
    usage: Usage
    """Usage summed over every model call of the run."""
    run_id: str
    steps: int


@frozen
class RetryPolicy:
    """How failed model calls are retried: only errors marked retryable, with exponential backoff and jitter."""

    max_attempts: int = 3
    """Attempts in all, the first included; 1 turns retries off."""
    initial_delay: float = 0.5
    max_delay: float = 8.0
    multiplier: float = 2.0
    jitter: float = 0.25
    """The delay varies by up to this fraction either way."""

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        return max(0.0, base * (1 + random.uniform(-self.jitter, self.jitter)))


@frozen
class Runtime:
    """Configuration for running agents: sinks, hooks, budgeting, retries, tool limits.

    Runtimes are immutable and safe to share between concurrent runs.
    """

    sinks: Sequence[events.EventSink] = ()
    """Where every event goes."""
    hooks: Sequence[AnyHook] = ()
    """Hooks for every agent; they wrap the agent's own hooks."""
    budgeter: Budgeter = field(default_factory=TokenBudgeter)
    """Counts and compresses requests to fit the context window."""
    retry: RetryPolicy = RetryPolicy()
    tool_timeout: float | None = None
    """Seconds a tool call may take, unless the tool sets its own."""
    max_parallel_tools: int | None = None
    """Tool calls of one model turn that may run at once; `None`: all."""
    store: StateStore = field(default_factory=shared_memory_store)
    """Where sessions live (`run(..., session=...)`); by default one `MemoryStore` shared by the process."""
    model_timeout: float | None = None
    """Seconds a model call may take (a streamed one in all); a timeout is retried like other retryable errors."""
    limits: Limits = Limits()
    """Model requests, tool calls, tokens and wall-clock time one run may use."""
    sink_timeout: float = 1.0
    """Seconds an async sink may take over one event before it is dropped for the run."""

    @overload
    async def run(
        self,
        agent: Agent[None, OutputT],
        input: str | Sequence[Message],
        *,
        deps: None = None,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> RunResult[OutputT]: ...

    @overload
    async def run(
        self,
        agent: Agent[DepsT, OutputT],
        input: str | Sequence[Message],
        *,
        deps: DepsT,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> RunResult[OutputT]: ...

    async def run(
        self,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        *,
        deps: Any = None,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> RunResult[Any]:
        """Run the agent on `input` until it gives a final answer; return it with the conversation and usage.

        With `session`, the session's history is loaded from `store` first and the run's
        new messages are appended to it once the run completes (nothing for a failed or
        cancelled run); without it the run is stateless. `history` and `session` do not mix.
        """
        loop = _Run(self, agent, input, deps, history, session, streaming=False)
        async for _ in loop.drive():
            pass
        return loop.result()

    @overload
    def stream(
        self,
        agent: Agent[None, OutputT],
        input: str | Sequence[Message],
        *,
        deps: None = None,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> AsyncGenerator[events.Event, None]: ...

    @overload
    def stream(
        self,
        agent: Agent[DepsT, OutputT],
        input: str | Sequence[Message],
        *,
        deps: DepsT,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> AsyncGenerator[events.Event, None]: ...

    def stream(
        self,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        *,
        deps: Any = None,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> AsyncGenerator[events.Event, None]:
        """Run the agent with a streamed model, yielding every event as it happens.

        Tool calls run between model rounds; the last event is `run.completed`
        (or `run.failed`, after which the error is raised). Leaving the loop
        early cancels the run.
        """
        return _Run(self, agent, input, deps, history, session, streaming=True).drive()

    @overload
    def run_sync(
        self,
        agent: Agent[None, OutputT],
        input: str | Sequence[Message],
        *,
        deps: None = None,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> RunResult[OutputT]: ...

    @overload
    def run_sync(
        self,
        agent: Agent[DepsT, OutputT],
        input: str | Sequence[Message],
        *,
        deps: DepsT,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> RunResult[OutputT]: ...

    def run_sync(
        self,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        *,
        deps: Any = None,
        history: Sequence[Message] = (),
        session: str | None = None,
    ) -> RunResult[Any]:
        """`run()` for scripts: starts an event loop, so not for use inside one."""
        return asyncio.run(self.run(agent, input, deps=deps, history=history, session=session))

    @overload
    async def resume(
        self,
        agent: Agent[None, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: None = None,
    ) -> RunResult[OutputT]: ...

    @overload
    async def resume(
        self,
        agent: Agent[DepsT, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: DepsT,
    ) -> RunResult[OutputT]: ...

    async def resume(
        self,
        agent: Agent[Any, Any],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: Any = None,
    ) -> RunResult[Any]:
        """Continue an interrupted run (`RunInterrupted.checkpoint`) with one response per pending request.

        Approved calls run, rejected ones tell the model `Denied: <reason>`, edited
        ones run with the new arguments; the turn's other calls are not run again.
        The responses are checked first (`InvalidHumanResponse`), then the checkpoint
        is claimed in `store` (`CheckpointConsumed` when it was already resumed):
        either error changes nothing. The run may be interrupted again.
        """
        loop = _Run.resumed(self, agent, checkpoint, responses, deps, streaming=False)
        async for _ in loop.drive():
            pass
        return loop.result()

    @overload
    def resume_stream(
        self,
        agent: Agent[None, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: None = None,
    ) -> AsyncGenerator[events.Event, None]: ...

    @overload
    def resume_stream(
        self,
        agent: Agent[DepsT, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: DepsT,
    ) -> AsyncGenerator[events.Event, None]: ...

    def resume_stream(
        self,
        agent: Agent[Any, Any],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: Any = None,
    ) -> AsyncGenerator[events.Event, None]:
        """`resume()` with a streamed model, yielding every event; the first is `run.resumed`.

        Bad responses raise at the call; a consumed checkpoint raises before the first event.
        """
        return _Run.resumed(self, agent, checkpoint, responses, deps, streaming=True).drive()


class _Meta(TypedDict):
    run_id: str
    agent: str
    step: int
    seq: int
    timestamp: float
    span_id: str
    parent_span_id: str | None


@dataclass(slots=True, eq=False)  # a mutable record: equal only to itself
class _ToolOutcome:
    call: ToolCallPart
    result: ToolResultPart
    status: str
    """"completed", "failed", "timed_out", "denied" or "interrupted" (waits for a human)."""
    span: str
    duration_ms: float
    detail: str = ""
    """The error, or why it was denied or what a human is asked."""
    hook: str = ""
    decisions: list[tuple[str, str, Decision[object]]] = field(default_factory=list[tuple[str, str, Decision[object]]])
    ask: HumanInputRequired | None = None
    """What the tool raised to ask a human (status "interrupted")."""
    request: human.HumanRequest | None = None
    error_type: str = ""
    """For a failed call: the exception's class name, or "UnknownTool"."""
    timeout: float = 0.0
    """For a timed-out call: the limit it hit, in seconds."""


@dataclass(slots=True, eq=False)  # a mutable record: equal only to itself
class _HookChain(Generic[V]):
    value: V
    vetoed_by: str = ""
    veto_reason: str = ""
    interrupted_by: str = ""
    interrupt_reason: str = ""
    decisions: list[tuple[str, str, Decision[object]]] = field(default_factory=list[tuple[str, str, Decision[object]]])


_BEFORE_POINTS = frozenset(("before_model_call", "before_tool_call", "before_compression", "before_state"))


class _Run:
    """The state of one run, and the loop that drives it."""

    _response: ModelResponse
    """The response of a streamed model call, once complete."""
    tool_spans: list[str]
    """The span of each tool call of the current turn."""

    def __init__(
        self,
        runtime: Runtime,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        deps: object,
        history: Sequence[Message],
        session: str | None,
        *,
        streaming: bool,
    ) -> None:
        self.runtime = runtime
        self.agent = agent
        self.deps = deps
        self.streaming = streaming
        self.run_id = os.urandom(16).hex()  # 128 random bits, as a uuid4 (whose module imports `platform`)
        if session is not None and history:
            raise UserError(
                "pass history= or session=, not both: a session loads its own history from the store"
            )
        if session == "":
            raise UserError("session must be a non-empty string (None for a stateless run)")
        self.session = session
        self.stored_length = 0
        """How many messages the session held when loaded: the length the append extends."""
        self.history = tuple(history)
        self.input = (Message.user(input),) if isinstance(input, str) else tuple(input)
        self.new: list[Message] = list(self.input)
        self.context: list[Message] = [*self.history, *self.input]
        self.usage = Usage()
        self.step = 0
        self.seq = 0
        self.spans = 0
        self.run_span = self._span()
        self.step_span = self.run_span
        self.sinks = list(runtime.sinks)
        self.tools: dict[str, Tool[Any]] = {t.name: t for t in agent.tools}
        self.tool_definitions = tuple(
            ToolDefinition(t.name, t.description, t.parameters) for t in agent.tools
        )
        self.output: OutputSpec[Any] = OutputSpec(agent.output_type)
        self.hooks = _compile_hooks((*runtime.hooks,), agent.hooks)
        self.semaphore = (
            asyncio.Semaphore(runtime.max_parallel_tools) if runtime.max_parallel_tools else None
        )
        self._result: RunResult[Any] | None = None
        self.outbox: list[events.Event] = []
        self.listening = streaming or bool(self.sinks)
        """Whether anyone sees the events: a `stream()` consumer or a sink."""
        self.tool_calls_made = 0
        self.started = time.monotonic()
        deadline = runtime.limits.deadline_seconds
        self.deadline = None if deadline is None else self.started + deadline
        self.output_retries = 0
        self.resuming: human.Checkpoint | None = None
        """The checkpoint this run continues from, if it is a resumed run."""
        self.answers: dict[str, tuple[human.HumanResponse, ...]] = {}
        """For each pending call of the checkpoint, the responses it has been given."""
        self.pending_calls: dict[str, ToolCallPart] = {}
        """The calls of a resumed turn as the model made them (before any edited arguments)."""

    @classmethod
    def resumed(
        cls,
        runtime: Runtime,
        agent: Agent[Any, Any],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        deps: object,
        *,
        streaming: bool,
    ) -> _Run:
        """A run that continues `checkpoint`; raises (changing nothing) when the responses do not fit it."""
        if not isinstance(checkpoint, human.Checkpoint):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise UserError(f"resume() needs a Checkpoint (Checkpoint.from_json(...)), not {type(checkpoint).__name__}")
        if checkpoint.agent != agent.name:
            raise ResumeError(
                f"checkpoint {checkpoint.id} is of agent {checkpoint.agent!r}, not {agent.name!r}: resume it with the same agent"
            )
        answers = human.match_responses(checkpoint, responses, {t.name: t for t in agent.tools})
        run = cls(runtime, agent, (), deps, checkpoint.history, None, streaming=streaming)
        run.resuming, run.answers = checkpoint, answers
        run.run_id = checkpoint.run_id
        run.session, run.stored_length = checkpoint.session, checkpoint.stored_length
        run.new = list(checkpoint.new)
        run.context = list(checkpoint.context)
        run.usage = checkpoint.usage
        run.step, run.seq, run.spans = checkpoint.step, checkpoint.seq, checkpoint.spans
        run.tool_calls_made, run.output_retries = checkpoint.tool_calls_made, checkpoint.output_retries
        run.started = time.monotonic() - checkpoint.elapsed
        deadline = runtime.limits.deadline_seconds
        run.deadline = None if deadline is None else run.started + deadline
        return run

    # Events

    def _span(self) -> str:
        self.spans += 1
        return str(self.spans)

    def _meta(self, span: str, parent: str | None) -> _Meta:
        self.seq += 1
        return {
            "run_id": self.run_id,
            "agent": self.agent.name,
            "step": self.step,
            "seq": self.seq - 1,
            "timestamp": time.time(),
            "span_id": span,
            "parent_span_id": parent,
        }

    def _in_step(self) -> _Meta:
        return self._meta(self.step_span, self.run_span)

    async def _emit(self, make: Callable[[], events.Event]) -> None:
        """Make the event, send it to the sinks and keep it for the consumer of `events()`.

        Nothing is made when nobody listens (`run()` with no sinks), so events
        cost nothing then.
        """
        if not self.listening:
            return
        event = make()
        self.outbox.append(event)
        for sink in tuple(self.sinks):
            try:
                pending = sink.emit(event)
                if pending is not None:
                    await asyncio.wait_for(pending, self.runtime.sink_timeout)
            except asyncio.TimeoutError:
                logger.error(
                    "event sink %r took over %g s on %s; it gets no more events of run %s",
                    sink, self.runtime.sink_timeout, event.type, self.run_id,
                )
                self._drop(sink)
            except Exception:
                logger.exception(
                    "event sink %r raised on %s; it gets no more events of run %s",
                    sink, event.type, self.run_id,
                )
                self._drop(sink)

    def _drop(self, sink: events.EventSink) -> None:
        self.sinks.remove(sink)
        self.listening = self.streaming or bool(self.sinks)

    def _drain(self) -> list[events.Event]:
        """The events emitted since the last drain, in order."""
        events, self.outbox = self.outbox, []
        return events

    def result(self) -> RunResult[Any]:
        assert self._result is not None, "the run has not completed"
        return self._result

    def _ctx(self) -> RunContext[Any]:
        return RunContext(self.deps, self.run_id, self.agent.name, self.step, self.usage, tuple(self.context))

    # The loop

    async def drive(self) -> AsyncGenerator[events.Event, None]:
        """Run the loop, yielding each event once it has reached the sinks."""
        resuming = self.resuming
        if resuming is None:
            text = self.input[-1].text if self.input else ""
            await self._emit(lambda: events.RunStarted(**self._meta(self.run_span, None), input=text))
        else:
            await human.claim_checkpoint(self.runtime.store, resuming)  # CheckpointConsumed: nothing has happened
            await self._emit(
                lambda: events.RunResumed(**self._meta(self.run_span, None), checkpoint_id=resuming.id, responses=len(resuming.pending))
            )
        try:
            if resuming is not None:
                await self._resume_turn(resuming)
            elif self.session is not None:
                await self._load_session(self.session)
            capabilities = self.agent.capabilities or self.agent.model.capabilities()
            instructions = await self._instructions() if resuming is None else ""
            if instructions:
                self.context.insert(0, Message.system(instructions))
            output_retries = self.output_retries
            while True:
                for event in self._drain():
                    yield event
                if self.step >= self.agent.max_steps:
                    raise MaxStepsExceeded(
                        f"agent {self.agent.name!r} made {self.step} model calls without a final "
                        f"answer (max_steps={self.agent.max_steps})"
                    )
                self.step += 1
                self.step_span = self._span()
                await self._emit(lambda: events.StepStarted(**self._in_step()))
                request = ModelRequest(
                    messages=self.context,
                    tools=self.tool_definitions,
                    output=self.output.schema,
                    max_output_tokens=self.agent.max_output_tokens,
                    options=self.agent.options,
                )
                request = await self._fit(request, capabilities)
                answer = await self._before_model_call(request)
                span = self._span()
                if isinstance(answer, ModelResponse):
                    response = answer
                else:
                    request = answer
                    await self._emit(
                        lambda: events.ModelRequested(
                            **self._meta(span, self.step_span),
                            provider=type(self.agent.model).__name__,
                            messages=len(request.messages),
                            tools=len(request.tools),
                            streaming=self.streaming,
                        )
                    )
                    if self.streaming:
                        async with aclosing(self._streamed_call(request, span)) as call:
                            async for event in call:  # closing it at once closes the HTTP stream
                                yield event
                        response = self._response
                    else:
                        response = await self._complete_call(request, span)
                    self.runtime.budgeter.observe(request, response.usage)
                response = await self._after_model_call(request, response, span)
                self.context.append(response.message)
                self.new.append(response.message)
                calls = response.tool_calls
                if calls:
                    await self._announce_tools(calls)
                    for event in self._drain():
                        yield event
                    await self._run_tools(calls)
                    await self._emit(lambda: events.StepCompleted(**self._in_step(), tool_calls=len(calls)))
                    continue
                try:
                    output = self.output.parse(response.text)
                except ValidationError as error:
                    output_retries += 1
                    self.output_retries = output_retries
                    if output_retries > self.agent.max_output_retries:
                        raise OutputValidationError(
                            f"the final answer did not validate as {self.agent.output_type.__name__} "
                            f"after {output_retries} attempts: {error}"
                        ) from error
                    await self._emit(
                        lambda: events.OutputValidationFailed(**self._in_step(), error=str(error), attempt=output_retries)
                    )
                    retry = Message.user(
                        f"Your answer does not match the required output schema: {error}. "
                        "Answer again with JSON that follows the schema exactly."
                    )
                    self.context.append(retry)
                    self.new.append(retry)
                    await self._emit(lambda: events.StepCompleted(**self._in_step(), tool_calls=0))
                    continue
                await self._emit(lambda: events.StepCompleted(**self._in_step(), tool_calls=0))
                if self.session is not None:
                    await self._save_session(self.session)
                self._result = RunResult(
                    output, (*self.history, *self.new), tuple(self.new), self.usage, self.run_id, self.step
                )
                await self._emit(
                    lambda: events.RunCompleted(
                        **self._meta(self.run_span, None),
                        output=self.output.dump(output),
                        usage=self.usage,
                        steps=self.step,
                    )
                )
                for event in self._drain():
                    yield event
                return
        except (asyncio.CancelledError, GeneratorExit):
            await self._emit(lambda: events.RunCancelled(**self._meta(self.run_span, None), reason="cancelled"))
            raise
        except human.RunInterrupted:
            for event in self._drain():
                yield event
            raise
        except Exception as error:
            if isinstance(error, UsageLimitExceeded):
                await self._emit(
                    lambda: events.PolicyStopped(**self._in_step(), limit=error.limit, value=error.value, maximum=error.maximum)
                )
            await self._emit(
                lambda: events.RunFailed(**self._meta(self.run_span, None), error_type=type(error).__name__, message=str(error))
            )
            for event in self._drain():
                yield event
            raise

    # State

    async def _load_session(self, session: str) -> None:
        """Load the session's history (hooks: before_state, after_state) before the first step."""
        ctx = self._ctx()
        operation = StateOperation("load", session, ())
        chain = await self._decide("before_state", ctx, operation, (), StateOperation)
        await self._hook_events(chain)
        if chain.vetoed_by:
            raise StateVetoed(
                f"hook {chain.vetoed_by!r} vetoed loading session {session!r}: {chain.veto_reason}",
                hook=chain.vetoed_by,
                reason=chain.veto_reason,
            )
        _check_state_replacement("before_state", operation, chain)
        span = self._span()
        stored = await self.runtime.store.load(session)
        self.stored_length = len(stored)
        loaded = StateOperation("load", session, tuple(stored))
        after = await self._decide("after_state", ctx, loaded, (), StateOperation)
        await self._hook_events(after)
        _check_state_replacement("after_state", loaded, after)
        self.history = tuple(after.value.messages)
        self.context = [*self.history, *self.input]
        await self._emit(
            lambda: events.StateLoaded(**self._meta(span, self.run_span), session=session, messages=len(self.history))
        )

    async def _save_session(self, session: str) -> None:
        """Append the run's new messages in one atomic step, extending the history loaded at the start.

        A veto stores nothing and the run still completes; a `SessionConflict`
        (another run appended meanwhile) fails the run with nothing stored.
        """
        ctx = self._ctx()
        operation = StateOperation("append", session, tuple(self.new))
        chain = await self._decide("before_state", ctx, operation, (), StateOperation)
        await self._hook_events(chain)
        if chain.vetoed_by:
            return
        _check_state_replacement("before_state", operation, chain)
        operation = chain.value
        span = self._span()
        await self.runtime.store.append(session, operation.messages, expected_length=self.stored_length)
        self.stored_length += len(operation.messages)
        after = await self._decide("after_state", ctx, operation, (), StateOperation)
        await self._hook_events(after)
        await self._emit(
            lambda: events.StateSaved(**self._meta(span, self.run_span), session=session, messages=len(operation.messages))
        )

    async def _instructions(self) -> str:
        instructions = self.agent.instructions
        if isinstance(instructions, str):
            return instructions
        value = instructions(self._ctx())
        if inspect.isawaitable(value):
            value = await value
        return value

    # Budgeting

    async def _fit(self, request: ModelRequest, capabilities: Capabilities) -> ModelRequest:
        """The request, compressed if it must be, once it fits the window; raises if it cannot."""
        budgeter = self.runtime.budgeter
        reserve = request.max_output_tokens or capabilities.max_output_tokens
        window = capabilities.context_window
        limit = window - reserve
        count = budgeter.count(request)
        await self._emit(
            lambda: events.ContextBudgetChecked(**self._in_step(), tokens=count.tokens, limit=limit, window=window, source=count.source)
        )
        if count.tokens <= limit:
            return request
        ctx = self._ctx()
        chain = await self._decide("before_compression", ctx, request, (), ModelRequest)
        await self._hook_events(chain)
        if chain.vetoed_by:
            raise ContextBudgetExceeded(
                f"the request needs {count.tokens} tokens, {count.tokens - limit} more than the "
                f"{limit} available, and hook {chain.vetoed_by!r} vetoed compression: {chain.veto_reason}",
                needed=count.tokens,
                available=limit,
            )
        compression = await budgeter.compress(chain.value, limit)
        self.usage = self.usage + compression.usage  # a summary's model call, say
        after = await self._decide("after_compression", ctx, compression.request, (chain.value,), ModelRequest)
        await self._hook_events(after)
        compressed: ModelRequest = after.value
        tokens = budgeter.count(compressed).tokens
        await self._emit(
            lambda: events.ContextCompressed(
                **self._in_step(),
                tokens_before=count.tokens,
                tokens_after=tokens,
                strategies=compression.strategies,
                removed_messages=len(request.messages) - len(compressed.messages),
                usage=compression.usage,
            )
        )
        self.runtime.limits.check_usage(self.usage)
        if tokens > limit:
            raise ContextBudgetExceeded(
                f"the request needs {tokens} tokens after compression "
                f"({', '.join(compression.strategies) or 'nothing could be removed'}), "
                f"{tokens - limit} more than the {limit} available "
                f"(window {window} less {reserve} reserved for output); nothing was sent",
                needed=tokens,
                available=limit,
            )
        self.context = list(compressed.messages)
        return compressed

    # Model calls

    async def _before_model_call(self, request: ModelRequest) -> ModelRequest | ModelResponse:
        """The request to send, or a hook's answer that skips the call; raises on a veto."""
        if "before_model_call" not in self.hooks:
            return request
        chain = await self._decide("before_model_call", self._ctx(), request, (), (ModelRequest, ModelResponse))
        await self._hook_events(chain)
        if chain.vetoed_by:
            raise ModelCallVetoed(
                f"hook {chain.vetoed_by!r} vetoed the model call: {chain.veto_reason}",
                hook=chain.vetoed_by,
                reason=chain.veto_reason,
            )
        answer: ModelRequest | ModelResponse = chain.value
        return answer

    async def _after_model_call(self, request: ModelRequest, response: ModelResponse, span: str) -> ModelResponse:
        """The response after hooks, counted in the run's usage and checked against the limits."""
        if "after_model_call" in self.hooks:
            after = await self._decide("after_model_call", self._ctx(), response, (request,), ModelResponse)
            await self._hook_events(after)
            response = after.value
        self.usage = self.usage + response.usage
        self.runtime.limits.check_usage(self.usage)
        await self._emit(
            lambda: events.ModelCompleted(
                **self._meta(span, self.step_span),
                model=response.model,
                finish_reason=response.finish_reason,
                usage=response.usage,
                text=response.text,
                tool_calls=tuple(call.name for call in response.tool_calls),
            )
        )
        return response

    async def _complete_call(self, request: ModelRequest, span: str) -> ModelResponse:
        """`Provider.complete`, within the timeout, retried by the retry policy."""
        attempt = 0
        while True:
            attempt += 1
            timeout = self._before_attempt()
            try:
                return await self._within(self.agent.model.complete(request), timeout)
            except ProviderError as error:
                await self._retry_or_raise(error, attempt, span, shown=False)

    async def _streamed_call(self, request: ModelRequest, span: str) -> AsyncGenerator[events.Event, None]:
        """`Provider.stream`, yielding deltas as they come; retried only while nothing was shown."""
        attempt = 0
        while True:
            attempt += 1
            timeout = self._before_attempt()
            shown = False
            try:
                await self._emit(lambda: events.ModelStreamStarted(**self._meta(span, self.step_span)))
                async with aclosing(self._stream_model(request, span, timeout)) as deltas:
                    async for event in deltas:
                        shown = True
                        yield event
                await self._emit(lambda: events.ModelStreamCompleted(**self._meta(span, self.step_span)))
                return
            except ProviderError as error:
                await self._retry_or_raise(error, attempt, span, shown=shown)

    def _before_attempt(self) -> float | None:
        """Check the request limit; the seconds the attempt may take."""
        self.runtime.limits.check_request(self.usage)
        return self._time_left(self.runtime.model_timeout)

    async def _retry_or_raise(self, error: ProviderError, attempt: int, span: str, *, shown: bool) -> None:
        """Report a failed attempt; wait before the next one, or raise when there is none."""
        policy = self.runtime.retry
        await self._emit(
            lambda: events.ModelFailed(
                **self._meta(span, self.step_span),
                error_type=type(error).__name__,
                message=str(error),
                retryable=error.retryable,
                attempt=attempt,
            )
        )
        if not error.retryable or attempt >= policy.max_attempts or shown:
            raise error
        delay = policy.delay(attempt)
        await self._emit(
            lambda: events.ModelRetried(
                **self._meta(span, self.step_span),
                attempt=attempt + 1,
                delay_seconds=delay,
                error_type=type(error).__name__,
            )
        )
        await asyncio.sleep(delay)

    async def _stream_model(
        self, request: ModelRequest, span: str, timeout: float | None
    ) -> AsyncGenerator[events.Event, None]:
        stream = self.agent.model.stream(request)
        items = stream if timeout is None else _bounded(stream, self._within, timeout)
        names: dict[str, str] = {}
        response: ModelResponse | None = None
        try:
            async for item in items:
                match item:
                    case TextDelta(delta=delta):
                        await self._emit(lambda: events.ModelStreamDelta(**self._meta(span, self.step_span), delta=delta))
                    case ReasoningDelta(delta=delta):
                        await self._emit(lambda: events.ModelStreamReasoningDelta(**self._meta(span, self.step_span), delta=delta))
                    case ToolCallStarted(call_id=call_id, name=name):
                        names[call_id] = name
                    case ToolCallDelta(call_id=call_id, delta=delta):
                        await self._emit(
                            lambda: events.ModelStreamToolCallDelta(
                                **self._meta(span, self.step_span),
                                call_id=call_id,
                                tool=names.get(call_id, ""),
                                delta=delta,
                            )
                        )
                    case ToolCallDone():
                        pass  # the calls to run are those of the completed response
                    case ResponseCompleted(response=completed):
                        response = completed
                    case _:
                        assert_never(item)
                for event in self._drain():
                    yield event
        finally:
            close: Callable[[], Awaitable[object]] | None = getattr(stream, "aclose", None)
            if close is not None:
                await close()
        if response is None:
            raise MalformedResponse(
                f"the stream from {type(self.agent.model).__name__} ended without a completed response"
            )
        self._response = response

    def _time_left(self, timeout: float | None) -> float | None:
        """Seconds an operation may take: its own timeout, capped by the run's deadline."""
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise UsageLimitExceeded("deadline_seconds", time.monotonic() - self.started, self.deadline - self.started)
        return left if timeout is None else min(left, timeout)

    async def _within(self, awaitable: Awaitable[V], timeout: float | None) -> V:
        """Await a model operation, raising `ModelTimeout` (or the deadline) when it takes too long."""
        if timeout is None:
            return await awaitable
        try:
            return await asyncio.wait_for(awaitable, timeout)
        except asyncio.TimeoutError:
            self._time_left(None)  # raises if the run's deadline is what ran out
            raise ModelTimeout(
                f"the model call took longer than {timeout:g} s", provider=type(self.agent.model).__name__
            ) from None

    # Tool calls

    async def _announce_tools(self, calls: Sequence[ToolCallPart]) -> None:
        """Check the tool-call limit and emit `tool.started` for each call, before any runs."""
        self.runtime.limits.check_tool_calls(self.tool_calls_made, len(calls))
        self.tool_calls_made += len(calls)
        self.tool_spans = [self._span() for _ in calls]
        for call, span in zip(calls, self.tool_spans):
            await self._emit(
                lambda: events.ToolStarted(**self._meta(span, self.step_span), tool=call.name, call_id=call.call_id, arguments=call.arguments)
            )

    async def _run_tools(self, calls: Sequence[ToolCallPart], done: Sequence[ToolResultPart] = ()) -> None:
        """Run the turn's tool calls, concurrently, and add their results to the conversation.

        `done` holds results of the turn obtained before (a resumed turn). When a
        call needs a human, the others still run, and the run stops with
        `RunInterrupted` once they have: their results go into the checkpoint.
        """
        ctx = self._ctx()
        spans = self.tool_spans
        if len(calls) == 1:
            outcomes = [await self._run_tool(ctx, calls[0], spans[0])]
        else:
            outcomes = await _gather([self._run_tool(ctx, call, span) for call, span in zip(calls, spans)])
        waiting: list[_ToolOutcome] = []
        for outcome in outcomes:
            await self._hook_events(outcome)
            if outcome.status == "interrupted":
                waiting.append(outcome)
            else:
                await self._emit(lambda: self._tool_event(outcome))
        results = {r.call_id: r for r in (*done, *(o.result for o in outcomes if o.status != "interrupted"))}
        if waiting:
            await self._interrupt(waiting, tuple(results.values()))
        order = self.new[-1].tool_calls if self.new and self.new[-1].role == "assistant" else tuple(calls)
        message = Message("tool", tuple(results[c.call_id] for c in order if c.call_id in results))
        self.context.append(message)
        self.new.append(message)

    async def _interrupt(self, waiting: Sequence[_ToolOutcome], completed: tuple[ToolResultPart, ...]) -> None:
        """Stop the run for humans: emit `human.requested` and `run.suspended`, raise `RunInterrupted`."""
        pending: list[human.PendingCall] = []
        for outcome in waiting:
            assert outcome.request is not None
            request: human.HumanRequest = outcome.request
            original = self.pending_calls.get(outcome.call.call_id, outcome.call)
            pending.append(human.PendingCall(original, request, self.answers.get(outcome.call.call_id, ())))
            await self._emit(
                lambda: events.HumanRequested(
                    **self._meta(outcome.span, self.step_span),
                    request_id=request.id,
                    kind=request.kind,
                    tool=request.call.name,
                    call_id=request.call.call_id,
                    prompt=request.reason if request.kind == "approval" else request.question,
                    requested_by=request.requested_by,
                )
            )
        checkpoint_id = human.new_checkpoint_id()
        requests = tuple(p.request for p in pending)
        await self._emit(
            lambda: events.RunSuspended(
                **self._meta(self.run_span, None),
                checkpoint_id=checkpoint_id,
                requests=tuple(r.id for r in requests),
                usage=self.usage,
                steps=self.step,
            )
        )
        checkpoint = human.Checkpoint(
            id=checkpoint_id,
            run_id=self.run_id,
            agent=self.agent.name,
            created_at=time.time(),
            step=self.step,
            seq=self.seq,
            spans=self.spans,
            elapsed=time.monotonic() - self.started,
            usage=self.usage,
            tool_calls_made=self.tool_calls_made,
            output_retries=self.output_retries,
            session=self.session,
            stored_length=self.stored_length,
            history=self.history,
            new=tuple(self.new),
            context=tuple(self.context),
            completed=completed,
            pending=tuple(pending),
        )
        raise human.RunInterrupted(human.Interruption(requests, checkpoint))

    async def _resume_turn(self, checkpoint: human.Checkpoint) -> None:
        """Finish the interrupted turn: run the pending calls with the humans' responses, keep the others' results."""
        self.step_span = self._span()
        await self._emit(lambda: events.StepStarted(**self._in_step()))
        calls: list[ToolCallPart] = []
        for pending in checkpoint.pending:
            answers = self.answers[pending.call.call_id]
            response = answers[-1]
            await self._emit(
                lambda: events.HumanResponded(
                    **self._in_step(),
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
            self.pending_calls[call.call_id] = pending.call
            calls.append(call)
        self.tool_spans = [self._span() for _ in calls]
        for call, span in zip(calls, self.tool_spans):
            await self._emit(
                lambda: events.ToolStarted(**self._meta(span, self.step_span), tool=call.name, call_id=call.call_id, arguments=call.arguments)
            )
        await self._run_tools(calls, checkpoint.completed)
        await self._emit(lambda: events.StepCompleted(**self._in_step(), tool_calls=len(self.new[-2].tool_calls)))

    def _tool_event(self, outcome: _ToolOutcome) -> events.Event:
        meta = self._meta(outcome.span, self.step_span)
        call = outcome.call
        if outcome.status == "completed":
            return events.ToolCompleted(
                **meta, tool=call.name, call_id=call.call_id, result=outcome.result.content, duration_ms=outcome.duration_ms
            )
        if outcome.status == "denied":
            return events.ToolDenied(**meta, tool=call.name, call_id=call.call_id, reason=outcome.detail, hook=outcome.hook)
        if outcome.status == "timed_out":
            return events.ToolTimedOut(**meta, tool=call.name, call_id=call.call_id, timeout_seconds=outcome.timeout)
        return events.ToolFailed(
            **meta,
            tool=call.name,
            call_id=call.call_id,
            error=outcome.detail,
            error_type=outcome.error_type or "ToolError",
            duration_ms=outcome.duration_ms,
        )

    async def _run_tool(self, ctx: RunContext[Any], call: ToolCallPart, span: str) -> _ToolOutcome:
        given = self.answers.get(call.call_id, ())
        token = current_answers.set(ToolCallAnswers(given))
        try:
            outcome = await self._run_tool_answering(ctx, call, span, given)
        finally:
            current_answers.reset(token)
        if outcome.status == "interrupted" and outcome.request is None:
            outcome.request = human.make_request(call, len(given), outcome.ask or outcome.detail, outcome.hook or "tool")
        return outcome

    async def _run_tool_answering(
        self, ctx: RunContext[Any], call: ToolCallPart, span: str, given: tuple[human.HumanResponse, ...]
    ) -> _ToolOutcome:
        started = time.perf_counter()

        def done(
            status: str, content: str, detail: str = "", hook: str = "", *, error_type: str = "", timeout: float = 0.0
        ) -> _ToolOutcome:
            result = ToolResultPart(call.call_id, call.name, content, is_error=status != "completed")
            elapsed = (time.perf_counter() - started) * 1000
            return _ToolOutcome(
                call, result, status, span, elapsed, detail, hook, error_type=error_type, timeout=timeout
            )

        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            error = f"unknown tool {call.name!r}; the tools are: {known}"
            return done("failed", f"Error: {error}.", error, error_type="UnknownTool")
        rejected = next((a for a in given if isinstance(a, human.Reject)), None)
        chain: _HookChain[Any] = _HookChain(call)
        if rejected is None:
            chain = await self._decide("before_tool_call", ctx, call, (), (ToolCallPart, ToolResultPart))
        effective = call
        if rejected is not None:
            outcome = done("denied", f"Denied: {rejected.reason}", rejected.reason, "human")
        elif chain.interrupted_by:
            outcome = done("interrupted", "", chain.interrupt_reason, chain.interrupted_by)
            outcome.decisions = chain.decisions
            return outcome
        elif chain.vetoed_by:
            outcome = done("denied", f"Denied: {chain.veto_reason}", chain.veto_reason, chain.vetoed_by)
        elif isinstance(chain.value, ToolResultPart):
            answer = _answering(call, chain.value)
            status = "failed" if answer.is_error else "completed"
            outcome = _ToolOutcome(call, answer, status, span, 0.0, answer.content if answer.is_error else "")
            outcome.error_type = "ToolError" if answer.is_error else ""
        else:
            effective = chain.value
            if (effective.call_id, effective.name) != (call.call_id, call.name):
                culprit = next((name for name, _, d in chain.decisions if d.value is effective), "?")
                raise HookError(
                    f"hook {culprit!r} at before_tool_call replaced the call {call.name!r} ({call.call_id}) "
                    f"with {effective.name!r} ({effective.call_id}); a hook may change a call's arguments, "
                    "not its tool or id (veto it, or answer it with a ToolResultPart)",
                    hook=culprit,
                    point="before_tool_call",
                )
            outcome = await self._call_tool(ctx, tool, effective, done)
            if outcome.status == "interrupted":
                outcome.decisions = chain.decisions
                return outcome
            if any(isinstance(a, human.EditArguments) for a in given) and outcome.status == "completed":
                note = f"(a human changed the arguments to {call.arguments})\n"
                outcome.result = replace(outcome.result, content=note + outcome.result.content)
        outcome.decisions = chain.decisions
        after = await self._decide("after_tool_call", ctx, outcome.result, (effective,), ToolResultPart)
        if after.decisions:
            result = _answering(call, after.value)
            if outcome.status == "failed" and result.content != outcome.result.content:
                outcome.detail = result.content  # the tool.failed event shows what the model sees (redacted, say)
            outcome.result = result
        outcome.decisions.extend(after.decisions)
        return outcome

    async def _call_tool(
        self,
        ctx: RunContext[Any],
        tool: Tool[Any],
        call: ToolCallPart,
        done: Callable[..., _ToolOutcome],
    ) -> _ToolOutcome:
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError as error:
            message = f"the arguments of {call.name!r} are not valid JSON ({error})"
            return done(
                "failed", f"Error: {message}. Send the arguments as a JSON object.", message,
                error_type=type(error).__name__,
            )
        timeout = self._time_left(self.runtime.tool_timeout)
        try:
            if self.semaphore is not None:
                async with self.semaphore:
                    content = await _with_timeout(tool.call(ctx, arguments), timeout)
            else:
                content = await _with_timeout(tool.call(ctx, arguments), timeout)
        except ValidationError as error:
            message = f"invalid arguments for {call.name!r}: {error}"
            return done(
                "failed", f"Error: {message}. Fix the arguments and call the tool again.", message,
                error_type=type(error).__name__,
            )
        except HumanInputRequired as ask:
            outcome = done("interrupted", "", ask.prompt, "tool")
            outcome.ask = ask
            return outcome
        except ToolTimeout as error:
            return done("timed_out", f"Error: {error}", str(error), timeout=error.timeout)
        except ToolError as error:
            return done("failed", f"Error: {error}", str(error), error_type=type(error).__name__)
        except Exception as error:
            message = f"{call.name!r} raised {type(error).__name__}: {error}"
            return done("failed", f"Error: the tool {message}", message, error_type=type(error).__name__)
        if not isinstance(content, str):  # pyright: ignore[reportUnnecessaryIsInstance]  # a tool typed loosely
            message = f"{call.name!r} returned {type(content).__name__}, not str"
            return done("failed", f"Error: the tool {message}", message, error_type="TypeError")
        return done("completed", content)

    # Hooks

    async def _decide(
        self,
        point: str,
        ctx: RunContext[Any],
        value: Any,
        before: tuple[object, ...],
        expected: type[Any] | tuple[type[Any], ...],
    ) -> _HookChain[Any]:
        """Run the hooks of one point in order, each seeing what the previous one left."""
        chain: _HookChain[Any] = _HookChain(value)
        for name, hook in self.hooks.get(point, ()):
            try:
                decided = hook(ctx, *before, chain.value)
                if inspect.isawaitable(decided):
                    decided = await decided
            except Exception as error:
                raise HookError(
                    f"hook {name!r} raised at {point}: {type(error).__name__}: {error}", hook=name, point=point
                ) from error
            if decided is None:
                continue
            if not isinstance(decided, Decision):
                raise HookError(
                    f"hook {name!r} at {point} returned {type(decided).__name__}, not a Decision or None",
                    hook=name,
                    point=point,
                )
            decision: Decision[object] = decided  # pyright: ignore[reportUnknownVariableType]
            if decision.action == "interrupt":
                if point != "before_tool_call":
                    raise HookError(
                        f"hook {name!r} interrupted at {point}; only before_tool_call hooks can interrupt a run",
                        hook=name,
                        point=point,
                    )
                answers = current_answers.get()
                if answers is not None and isinstance(answers.next(), (human.Approve, human.EditArguments)):
                    continue  # a human approved this call when the run was resumed
                chain.interrupted_by, chain.interrupt_reason = name, decision.reason
                return chain
            chain.decisions.append((name, point, decision))
            if decision.action == "veto":
                if point not in _BEFORE_POINTS:
                    raise HookError(f"hook {name!r} vetoed at {point}; only before-hooks can veto", hook=name, point=point)
                chain.vetoed_by, chain.veto_reason = name, decision.reason
                return chain
            if not isinstance(decision.value, expected):
                raise HookError(
                    f"hook {name!r} at {point} returned a replacement of type "
                    f"{type(decision.value).__name__}; expected {_names(expected)}",
                    hook=name,
                    point=point,
                )
            chain.value = decision.value
            if isinstance(decision.value, (ModelResponse, ToolResultPart)) and point.startswith("before"):
                return chain  # answered: later hooks and the operation itself are skipped
        return chain

    async def _hook_events(self, chain: _HookChain[Any] | _ToolOutcome) -> None:
        for name, point, decision in chain.decisions:
            await self._emit(
                lambda: events.HookDecided(
                    **self._in_step(),
                    hook=name,
                    point=point,
                    action="veto" if decision.action == "veto" else "replace",  # interrupts are human.requested events
                    reason=decision.reason,
                )
            )


def _check_state_replacement(point: str, operation: StateOperation, chain: _HookChain[Any]) -> None:
    replacement: StateOperation = chain.value
    if replacement.kind != operation.kind or replacement.session != operation.session:
        hook = next((name for name, _, d in reversed(chain.decisions) if d.action == "replace"), "")
        raise HookError(
            f"hook {hook!r} at {point} replaced the {operation.kind} of session {operation.session!r} with a "
            f"{replacement.kind} of session {replacement.session!r}; a replacement keeps the kind and session",
            hook=hook,
            point=point,
        )


def _answering(call: ToolCallPart, result: ToolResultPart) -> ToolResultPart:
    """`result` as the answer to `call`: a hook's result always pairs with the call the model made."""
    if (result.call_id, result.name) == (call.call_id, call.name):
        return result
    return ToolResultPart(call.call_id, call.name, result.content, result.is_error)


def _names(types: type[Any] | tuple[type[Any], ...]) -> str:
    return " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))


HookFunction = Callable[..., Any]


def _compile_hooks(
    runtime_hooks: Sequence[AnyHook], agent_hooks: Sequence[AnyHook]
) -> dict[str, list[tuple[str, HookFunction]]]:
    """For each point, the hook functions in the order they run.

    Runtime hooks wrap agent hooks, and the first hook of a list is the
    outermost: before-points run runtime then agent hooks, each list in order;
    after-points run exactly the reverse (agent hooks last-first, then runtime
    hooks last-first), like nested middleware.
    """
    points: dict[str, list[tuple[str, HookFunction]]] = {}
    for point in HOOK_POINTS:
        nested = (*runtime_hooks, *agent_hooks)
        functions: list[tuple[str, HookFunction]] = []
        for hook in nested if point in _BEFORE_POINTS else nested[::-1]:
            function: HookFunction | None = getattr(hook, point)
            if function is not None:
                name = hook.name if isinstance(hook, Hooks) else type(hook).__name__
                functions.append((name, function))
        if functions:
            points[point] = functions
    return points


async def _with_timeout(awaitable: Awaitable[V], timeout: float | None) -> V:
    if timeout is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise ToolTimeout(timeout) from None


async def _bounded(
    stream: AsyncIterator[T],
    within: Callable[[Awaitable[T], float | None], Awaitable[T]],
    timeout: float,
) -> AsyncIterator[T]:
    """The items of `stream`, all of them within `timeout` seconds."""
    end = time.monotonic() + timeout
    iterator = aiter(stream)
    while True:
        try:
            item = await within(anext(iterator), max(0.0, end - time.monotonic()))
        except StopAsyncIteration:
            return
        yield item


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
