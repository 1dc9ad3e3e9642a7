"""`Runtime`: the configuration that runs agents, and its entry points.

`run`, `stream`, `run_sync`, `resume` and `resume_stream` all drive the same
loop (`runlet.loop.driver`): `run()` is `stream()` with the events drained.
The loop's state is a `RunState` value, its steps are in `runlet.loop.steps`,
and the services they use (events, model calls, tool calls, sessions, hooks)
each have a module of their own; docs/architecture.md draws the picture.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import field
from typing import TYPE_CHECKING, Any, Generic, overload

from typing_extensions import TypeVar

from runlet.core._deferred import DeferredModule
from runlet.core._frozen import frozen
from runlet.core.agent import Agent
from runlet.core.budget import Budgeter, TokenBudgeter
from runlet.core.hooks import AnyHook
from runlet.core.limits import Limits
from runlet.core.messages import Message
from runlet.core.models import ModelSettings, Usage
from runlet.core.state import StateStore
from runlet.loop.driver import new_run, resumed_run
from runlet.loop.executor import Executor, LocalExecutor
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
    hooks: Sequence[AnyHook[object]] = ()
    """Hooks for every agent; they wrap the agent's own hooks.

    One runtime runs agents of any deps, so its hooks must fit them all:
    `AnyHook[object]`, hooks whose `ctx` is a `RunContext[object]` (they read
    no deps), such as the ready-made ones. A hook that reads typed deps goes on
    the agent with those deps (`Agent(hooks=...)`); given here, it is a type
    error.
    """
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
    executor: Executor = LocalExecutor()
    """Executes every model call and tool call; a durable-execution integration replaces it (`runlet.loop.executor`)."""

    @overload
    async def run(
        self,
        agent: Agent[None, OutputT],
        input: str | Sequence[Message],
        *,
        deps: None = None,
        history: Sequence[Message] = (),
        session: str | None = None,
        settings: ModelSettings | None = None,
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
        settings: ModelSettings | None = None,
    ) -> RunResult[OutputT]: ...

    async def run(
        self,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        *,
        deps: Any = None,
        history: Sequence[Message] = (),
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> RunResult[Any]:
        """Run the agent on `input` until it gives a final answer; return it with the conversation and usage.

        With `session`, the session's history is loaded from `store` first and the run's
        new messages are appended to it once the run completes (nothing for a failed or
        cancelled run); without it the run is stateless. `history` and `session` do not mix.
        `settings` are this run's model settings, merged over the agent's (`ModelSettings`).
        """
        return await _result(new_run(self, agent, input, deps, history, session, streaming=False, settings=settings))

    @overload
    def stream(
        self,
        agent: Agent[None, OutputT],
        input: str | Sequence[Message],
        *,
        deps: None = None,
        history: Sequence[Message] = (),
        session: str | None = None,
        settings: ModelSettings | None = None,
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
        settings: ModelSettings | None = None,
    ) -> AsyncGenerator[events.Event, None]: ...

    def stream(
        self,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        *,
        deps: Any = None,
        history: Sequence[Message] = (),
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> AsyncGenerator[events.Event, None]:
        """Run the agent with a streamed model, yielding every event as it happens.

        Tool calls run between model rounds; the last event is `run.completed`
        (or `run.failed`, after which the error is raised). Leaving the loop
        early cancels the run.
        """
        return _events(new_run(self, agent, input, deps, history, session, streaming=True, settings=settings))

    @overload
    def run_sync(
        self,
        agent: Agent[None, OutputT],
        input: str | Sequence[Message],
        *,
        deps: None = None,
        history: Sequence[Message] = (),
        session: str | None = None,
        settings: ModelSettings | None = None,
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
        settings: ModelSettings | None = None,
    ) -> RunResult[OutputT]: ...

    def run_sync(
        self,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        *,
        deps: Any = None,
        history: Sequence[Message] = (),
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> RunResult[Any]:
        """`run()` for scripts: starts an event loop, so not for use inside one."""
        return asyncio.run(self.run(agent, input, deps=deps, history=history, session=session, settings=settings))

    @overload
    async def resume(
        self,
        agent: Agent[None, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: None = None,
        settings: ModelSettings | None = None,
    ) -> RunResult[OutputT]: ...

    @overload
    async def resume(
        self,
        agent: Agent[DepsT, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: DepsT,
        settings: ModelSettings | None = None,
    ) -> RunResult[OutputT]: ...

    async def resume(
        self,
        agent: Agent[Any, Any],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: Any = None,
        settings: ModelSettings | None = None,
    ) -> RunResult[Any]:
        """Continue an interrupted run (`RunInterrupted.checkpoint`) with one response per pending request.

        Approved calls run, rejected ones tell the model `Denied: <reason>`, edited
        ones run with the new arguments; the turn's other calls are not run again.
        The responses are checked first (`InvalidHumanResponse`), then the checkpoint
        is claimed in `store` (`CheckpointConsumed` when it was already resumed):
        either error changes nothing. The run may be interrupted again. A run's
        `settings=` are not kept in the checkpoint: give them again, as the deps.
        """
        return await _result(resumed_run(self, agent, checkpoint, responses, deps, streaming=False, settings=settings))

    @overload
    def resume_stream(
        self,
        agent: Agent[None, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: None = None,
        settings: ModelSettings | None = None,
    ) -> AsyncGenerator[events.Event, None]: ...

    @overload
    def resume_stream(
        self,
        agent: Agent[DepsT, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: DepsT,
        settings: ModelSettings | None = None,
    ) -> AsyncGenerator[events.Event, None]: ...

    def resume_stream(
        self,
        agent: Agent[Any, Any],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: Any = None,
        settings: ModelSettings | None = None,
    ) -> AsyncGenerator[events.Event, None]:
        """`resume()` with a streamed model, yielding every event; the first is `run.resumed`.

        Bad responses raise at the call; a consumed checkpoint raises before the first event.
        """
        return _events(resumed_run(self, agent, checkpoint, responses, deps, streaming=True, settings=settings))


async def _result(loop: AsyncGenerator[events.Event | RunResult[Any], None]) -> RunResult[Any]:
    """Drive the loop to its end; its last item is the result."""
    result: RunResult[Any] | None = None
    async for item in loop:
        if isinstance(item, RunResult):
            result = item
    assert result is not None, "a loop that ends without raising ends with its result"
    return result


async def _events(loop: AsyncGenerator[events.Event | RunResult[Any], None]) -> AsyncGenerator[events.Event, None]:
    """The loop's events, as a stream's consumer sees them; closing this closes the loop at once."""
    async with aclosing(loop) as items:
        async for item in items:
            if not isinstance(item, RunResult):
                yield item
