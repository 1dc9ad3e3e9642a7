"""`Runtime`: the configuration that runs agents, and its entry points.

`run`, `stream`, `run_sync`, `resume` and `resume_stream` all drive the same
loop (`runlet.loop.driver`): `run()` is `stream()` with the events drained.
The loop's state is a `RunState` value, its steps are in `runlet.loop.steps`,
and the services they use (events, model calls, tool calls, sessions, hooks)
each have a module of their own; docs/architecture.md draws the picture.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, overload

from typing_extensions import Self, TypeVar

from runlet.core._deferred import DeferredModule
from runlet.core._frozen import frozen
from runlet.core.agent import Agent
from runlet.core.budget import Budgeter, TokenBudgeter
from runlet.core.errors import RunNotCompleted, UserError
from runlet.core.hooks import AnyHook
from runlet.core.json import JsonValue
from runlet.core.limits import Limits
from runlet.core.messages import Message
from runlet.core.models import ModelSettings, Usage
from runlet.core.state import StateStore
from runlet.loop.clock import Clock, SystemClock
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


class RunStream(Generic[OutputT_co]):
    """A run as it happens: an async iterator of its events and, once it has completed, its `RunResult`.

    `Runtime.stream()` and `Runtime.resume_stream()` return one. Iterate it
    with `async for`; when the loop ends without an error, `result` holds
    the typed output, the messages and the usage. It is an
    `AsyncGenerator[Event, None]` as well: `aclose()` (or
    `contextlib.aclosing`) cancels the run at once and closes the provider's
    stream. `partial_outputs()` iterates the rest of the run as the partial
    values of a structured answer.
    """

    __slots__ = ("_items", "_result")

    def __init__(self, items: AsyncGenerator[events.Event | RunResult[OutputT_co], None]) -> None:
        self._items = items
        self._result: RunResult[OutputT_co] | None = None

    @property
    def result(self) -> RunResult[OutputT_co]:
        """What the run produced; raises `RunNotCompleted` until the stream has ended with the run complete."""
        if self._result is None:
            raise RunNotCompleted(
                "the run has not completed, so it has no result yet: read `result` after `async for` over the "
                "stream has ended (or iterate `partial_outputs()` to its end); a run that fails, is cancelled or "
                "is interrupted raises its error from the stream instead, and never has a result"
            )
        return self._result

    async def partial_outputs(self) -> AsyncIterator[JsonValue]:
        """Iterate the rest of the run, yielding the structured answer as it grows (`model.stream.partial_output`).

        Each value is the JSON known so far: complete values only, objects and
        arrays as soon as they open (see docs/events.md). They start again with
        every model call (a retried answer is read afresh). Once this ends,
        `result` holds the validated output. An agent whose output is `str`
        yields none: read `model.stream.delta` events instead.
        """
        async for event in self:
            if isinstance(event, events.ModelStreamPartialOutput):
                yield event.output

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> events.Event:
        """The next event; the run's result is kept when it arrives, after the last event."""
        while True:
            item = await self._items.__anext__()
            if not isinstance(item, RunResult):
                return item
            self._result = item

    async def asend(self, value: None, /) -> events.Event:
        """The next event, as `__anext__` (a stream takes nothing in: `value` is `None`)."""
        return await self.__anext__()

    async def athrow(
        self, typ: type[BaseException] | BaseException, val: object = None, tb: TracebackType | None = None, /
    ) -> events.Event:
        """Raise an exception in the run where it waits, as into a generator: the run fails (or is cancelled) with it."""
        if isinstance(typ, BaseException):
            error = typ
        else:
            error = val if isinstance(val, BaseException) else typ() if val is None else typ(val)
        item = await self._items.athrow(error if tb is None else error.with_traceback(tb))
        if isinstance(item, RunResult):
            self._result = item
            return await self.__anext__()
        return item

    async def aclose(self) -> None:
        """Cancel the run now (`run.cancelled`), closing the provider's stream; nothing happens once it has ended."""
        await self._items.aclose()


@frozen
class RetryPolicy:
    """How failed model calls are retried: only errors marked retryable, with exponential backoff and jitter.

    A provider's `Retry-After` (`ProviderError.retry_after`) is honoured: the
    wait is at least that long. A wait longer than `max_delay`, or one that
    would pass the run's deadline, is not made: the error is raised at once.
    """

    max_attempts: int = 3
    """Attempts in all, the first included; 1 turns retries off."""
    initial_delay: float = 0.5
    max_delay: float = 8.0
    """The longest wait between two attempts, the provider's `Retry-After` included."""
    multiplier: float = 2.0
    jitter: float = 0.25
    """The delay varies by up to this fraction either way."""
    retry_shown_output: bool = True
    """Whether a streamed call that broke after part of its answer was shown is tried again.

    It is, by default, after a `model.stream.discarded` event that tells the
    stream's consumer to discard what it showed of that call; `False` raises
    the error instead.
    """

    def delay(self, attempt: int, uniform: Callable[[float, float], float] = SystemClock().uniform) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1); `uniform` draws the jitter (the run's `Clock`)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        return max(0.0, base * (1 + uniform(-self.jitter, self.jitter)))


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
    fatal_tool_errors: bool = False
    """Whether a tool that raises fails the run (`FatalToolError`, the tool's exception as its cause).

    `False` (the default) tells the model, which may try again, and the run
    goes on. Either way the failure is a `tool.failed` event with the
    exception's type and traceback. A tool's own `@tool(fatal_errors=...)`
    wins. `ToolError`, bad arguments and timeouts are never fatal: they are
    messages for the model.
    """
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
    checkpoint_key: bytes | None = field(default=None, repr=False)
    """The secret that signs checkpoints and verifies them on resume (at least 16 bytes; `os.urandom(32)` makes one).

    `None` (the default): a key the `store` keeps, made on first use, so
    runtimes sharing a store share it. Give your own to keep it out of the
    store, say in a secrets manager; every runtime that resumes a checkpoint
    needs the key of the one that made it.
    """

    clock: Clock = SystemClock()
    """Time, ids and jitter for every run; a durable-execution integration replaces it (`runlet.loop.clock`)."""

    def __post_init__(self) -> None:
        key = self.checkpoint_key
        if key is None:
            return
        if not isinstance(key, bytes):  # pyright: ignore[reportUnnecessaryIsInstance]  # untyped callers
            raise UserError(f"Runtime(checkpoint_key=...) must be bytes, not {type(key).__name__} (a str key: .encode() it)")
        if len(key) < 16:
            raise UserError(
                f"Runtime(checkpoint_key=...) has {len(key)} bytes; a key that signs checkpoints needs at least 16 "
                "bytes of secret (os.urandom(32) makes one; keep it with your other secrets)"
            )

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
    ) -> RunStream[OutputT]: ...

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
    ) -> RunStream[OutputT]: ...

    def stream(
        self,
        agent: Agent[Any, Any],
        input: str | Sequence[Message],
        *,
        deps: Any = None,
        history: Sequence[Message] = (),
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> RunStream[Any]:
        """Run the agent with a streamed model: a `RunStream` of every event as it happens, then the result.

        Tool calls run between model rounds; the last event is `run.completed`
        (or `run.failed`, after which the error is raised), and then
        `RunStream.result` is the typed `RunResult`. Leaving the loop early
        cancels the run.
        """
        return RunStream(new_run(self, agent, input, deps, history, session, streaming=True, settings=settings))

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
        """`run()` for scripts: starts an event loop, so not for use inside one.

        Inside a running event loop (an `async def`, a notebook) it raises
        `UserError` before anything starts: `await runtime.run(...)` there.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop running: the one case run_sync is for
            return asyncio.run(self.run(agent, input, deps=deps, history=history, session=session, settings=settings))
        raise UserError(
            "Runtime.run_sync() was called inside a running event loop, which it cannot block: "
            "use `await runtime.run(...)` there (run_sync is for scripts without one)"
        )

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
        The checkpoint's signature is verified first (`CheckpointTampered`), then the
        responses are checked (`InvalidHumanResponse`), then the checkpoint is claimed
        in `store` (`CheckpointConsumed` when it was already resumed): each error
        changes nothing. The run may be interrupted again. A run's `settings=` are
        not kept in the checkpoint: give them again, as the deps.
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
    ) -> RunStream[OutputT]: ...

    @overload
    def resume_stream(
        self,
        agent: Agent[DepsT, OutputT],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: DepsT,
        settings: ModelSettings | None = None,
    ) -> RunStream[OutputT]: ...

    def resume_stream(
        self,
        agent: Agent[Any, Any],
        checkpoint: human.Checkpoint,
        responses: Sequence[human.HumanResponse],
        *,
        deps: Any = None,
        settings: ModelSettings | None = None,
    ) -> RunStream[Any]:
        """`resume()` with a streamed model: a `RunStream` of every event (the first is `run.resumed`), then the result.

        A checkpoint that is not one raises at the call; a changed checkpoint, bad
        responses and a consumed checkpoint raise before the first event.
        """
        return RunStream(resumed_run(self, agent, checkpoint, responses, deps, streaming=True, settings=settings))


async def _result(loop: AsyncGenerator[events.Event | RunResult[Any], None]) -> RunResult[Any]:
    """Drive the loop to its end; its last item is the result."""
    result: RunResult[Any] | None = None
    async for item in loop:
        if isinstance(item, RunResult):
            result = item
    assert result is not None, "a loop that ends without raising ends with its result"
    return result
