"""Runlet on DBOS: the agent loop as a DBOS workflow, each model call and tool call a step.

    support = DBOSAgent(agent, deps_type=Deps)     # before DBOS.launch(): registers the workflow
    DBOS(config={"name": "support", "system_database_url": "sqlite:///support.sqlite"})
    DBOS.launch()                                  # recovers the runs a crashed process left
    run = await support.start("Where is order 123?", deps=Deps("eu"), id="order-123")
    (await run.result()).output                    # an Answer

DBOS checkpoints each step's result in its system database (SQLite for one
machine, PostgreSQL for many processes). A process that dies mid-run is
recovered by the next one to launch with the same executor id (or by DBOS
Conductor or `DBOS.resume_workflow`): the workflow runs again from its start,
completed steps return their recorded results without running, and the run
goes on from the first step that had not completed. The agents a run may
hand off to or run as tools have steps of their own (`runlet:<agent>/<other>.model`
and so on). Waiting for a human is
the workflow waiting for a message (`respond`), the checkpoint it waits on
published as an event (`pending`). docs/durable-execution.md tells the rules.
"""

from __future__ import annotations

import copy
import hashlib
import random
import time
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, Generic, overload

from dbos import DBOS, SetWorkflowID, StepOptions, WorkflowHandleAsync
from typing_extensions import TypeVar

from runlet.core.agent import Agent
from runlet.core.errors import DurableRunError, RunletError, UserError
from runlet.core.events import Event, EventSink
from runlet.core.human import Checkpoint, HumanRequest, HumanResponse, RunInterrupted, match_responses
from runlet.core.messages import Message
from runlet.core.models import ModelSettings
from runlet.core.serialize import human_response_from_json, human_response_to_json, message_from_json
from runlet.core.tools import Tool
from runlet.durable._boundary import (
    BoundaryExecutor,
    BoundaryStore,
    DepsCodec,
    DurableAgents,
    Payload,
    run_model_call,
    run_store_call,
    run_tool_call,
    call_name,
    workflow_checkpoint_key,
)
from runlet.durable._results import result_from_json, result_to_json, start_payload, start_settings
from runlet.durable._tracing import trace_headers
from runlet.loop.emitter import Emitter
from runlet.runtime import Runtime, RunResult

__all__ = ["DBOSAgent", "DBOSRun"]

DepsT = TypeVar("DepsT", default=None)
OutputT = TypeVar("OutputT", default=str)

WAITING = "runlet.waiting"
"""The workflow event that holds the checkpoint a run waits on (JSON), or `None`."""
RESPONSES = "runlet.responses"
"""The topic of the message that carries the humans' responses."""


class DBOSAgent(Generic[DepsT, OutputT]):
    """An agent made durable on DBOS: a typed handle that registers its workflow and starts its runs.

    Create it before `DBOS.launch()`, in every process that runs or recovers
    its runs. `deps_type` is the type of the deps, which are recorded as JSON
    with the workflow's input and sent with each tool call: a dataclass, a
    TypedDict, a pydantic model or JSON types; a type that cannot is a
    `UserError` here. `runtime` is the configuration the loop runs with.
    `inline_tools` names tools that run in the workflow rather than as steps:
    they must be deterministic (pure), since they run again on recovery.
    `wait_seconds` is how long one wait for a message lasts before the
    workflow waits again (each wait is recorded; the total is unbounded).
    """

    @overload
    def __init__(
        self,
        agent: Agent[None, OutputT],
        *,
        deps_type: None = None,
        runtime: Runtime | None = None,
        inline_tools: Collection[str] = (),
        wait_seconds: float = 3600.0,
    ) -> None: ...

    @overload
    def __init__(
        self,
        agent: Agent[DepsT, OutputT],
        *,
        deps_type: type[DepsT],
        runtime: Runtime | None = None,
        inline_tools: Collection[str] = (),
        wait_seconds: float = 3600.0,
    ) -> None: ...

    def __init__(
        self,
        agent: Agent[Any, Any],
        *,
        deps_type: type[Any] | None = None,
        runtime: Runtime | None = None,
        inline_tools: Collection[str] = (),
        wait_seconds: float = 3600.0,
    ) -> None:
        self.agent: Agent[DepsT, OutputT] = agent
        self.runtime: Runtime = runtime or Runtime()
        self.deps: DepsCodec[DepsT] = DepsCodec[Any](agent.name, type(None) if deps_type is None else deps_type)
        self.agents: DurableAgents = DurableAgents(agent, inline_tools)
        """The agent and those reachable from it by handoffs and agents as tools, whose calls its steps run."""
        self.inline_tools: frozenset[str] = self.agents.inline
        """Tools that run in workflow code, not as activities or steps."""
        self.wait_seconds: float = wait_seconds

        async def run_workflow(start: dict[str, Any]) -> dict[str, Any]:
            return await self._run_workflow(start)

        self._workflow: Callable[[dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]] = DBOS.workflow(name=self.workflow_name)(run_workflow)

    @property
    def name(self) -> str:
        """The agent's name, which names its workflow and steps."""
        return self.agent.name

    @property
    def workflow_name(self) -> str:
        """The DBOS name of the agent's workflow: `runlet:<agent>.run`."""
        return f"runlet:{self.name}.run"

    def step_name(self, tool: str | None = None, *, agent: str | None = None) -> str:
        """The step of the agent's model calls, or of its tool `tool`: `runlet:<agent>.model`, `runlet:<agent>.tool.<tool>`.

        `agent` names another agent the run may use (a handoff's target, an
        agent run as a tool): `runlet:<agent>/<other>.model` and so on.
        """
        return call_name(self.name, agent or self.name, "model" if tool is None else f"tool.{tool}")

    @property
    def session_step_name(self) -> str:
        """The step that reads or writes a run's session in the runtime's store: `runlet:<agent>.session`."""
        return f"runlet:{self.name}.session"

    @property
    def events_step_name(self) -> str:
        """The step that delivers a run's events to the sinks: `runlet:<agent>.events` (recorded, so never twice)."""
        return f"runlet:{self.name}.events"

    @overload
    async def start(
        self: DBOSAgent[None, OutputT],
        input: str | Sequence[Message],
        *,
        id: str | None = None,
        deps: None = None,
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> DBOSRun[OutputT]: ...

    @overload
    async def start(
        self,
        input: str | Sequence[Message],
        *,
        id: str | None = None,
        deps: DepsT,
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> DBOSRun[OutputT]: ...

    async def start(
        self,
        input: str | Sequence[Message],
        *,
        id: str | None = None,
        deps: Any = None,
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> DBOSRun[OutputT]:
        """Start a run as a DBOS workflow (with workflow id `id`, which makes starting it idempotent).

        `session`: continue that session of the runtime's store (loaded and
        appended by steps, once each); `settings`: this run's model settings,
        over the agent's (`Runtime.run`'s), kept for its resumes too.
        """
        start = start_payload(input, self.deps.dump(deps), session, settings)
        if id is None:
            handle = await DBOS.start_workflow_async(self._workflow, start)
        else:
            with SetWorkflowID(id):
                handle = await DBOS.start_workflow_async(self._workflow, start)
        return DBOSRun(self, handle.get_workflow_id())

    def get_run(self, id: str) -> DBOSRun[OutputT]:
        """The run with workflow id `id` (started in any process sharing the system database)."""
        return DBOSRun(self, id)

    async def _run_workflow(self, start: dict[str, Any]) -> dict[str, Any]:
        """The workflow: run the agent, wait for humans as long as it asks; the result as JSON."""
        workflow_id = DBOS.workflow_id or ""
        outbox = _Outbox(self, workflow_id)
        steps = _Steps(self, outbox)
        runtime = replace(
            self.runtime,
            executor=BoundaryExecutor(steps, self.deps, self.agents, outbox.trace if self.runtime.sinks else None),
            clock=_WorkflowClock(workflow_id),
            sinks=(outbox,) if self.runtime.sinks else (),
            budgeter=copy.deepcopy(self.runtime.budgeter),  # a calibration learnt by one run must not change another's recovery
            store=BoundaryStore(steps),
            checkpoint_key=workflow_checkpoint_key(self.runtime.checkpoint_key, workflow_id),
        )
        settings = start_settings(start)
        try:
            deps = self.deps.load(start["deps"])
            input = [message_from_json(m) for m in start["input"]]
            try:
                result = await runtime.run(self.agent, input, deps=deps, session=start.get("session"), settings=settings)
            except RunInterrupted as interrupted:
                result = await self._until_answered(runtime, interrupted.checkpoint, deps, settings, outbox)
        except RunletError as error:
            raise DurableRunError(str(error), error_type=type(error).__name__) from None
        finally:
            await outbox.flush()
        return result_to_json(self.agent.output_type, result)

    async def _until_answered(
        self, runtime: Runtime, checkpoint: Checkpoint, deps: DepsT, settings: ModelSettings | None, outbox: _Outbox
    ) -> RunResult[OutputT]:
        while True:
            await outbox.flush()  # the sinks hear that the run waits before it does
            await DBOS.set_event_async(WAITING, checkpoint.to_json())
            message: Any = None
            while message is None:
                message = await DBOS.recv_async(RESPONSES, timeout_seconds=self.wait_seconds)
            await DBOS.set_event_async(WAITING, None)
            responses = [human_response_from_json(r) for r in message]
            try:
                return await runtime.resume(self.agent, checkpoint, responses, deps=deps, settings=settings)
            except RunInterrupted as interrupted:
                checkpoint = interrupted.checkpoint


class DBOSRun(Generic[OutputT]):
    """A run of an agent on DBOS: its result, what it waits for, the humans' responses."""

    def __init__(self, agent: DBOSAgent[Any, OutputT], id: str) -> None:
        self.agent: DBOSAgent[Any, OutputT] = agent
        self.id: str = id
        """The workflow id."""

    async def result(self, *, poll_seconds: float = 0.1) -> RunResult[OutputT]:
        """Wait for the run to complete (looking every `poll_seconds`); its result, or `DurableRunError` naming what it raised."""
        handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(self.id)
        value = await handle.get_result(polling_interval_sec=poll_seconds)
        return result_from_json(self.agent.agent.output_type, value)

    async def pending(self, timeout: float = 0.0) -> tuple[HumanRequest, ...]:
        """The requests the run waits for a human to answer (waiting up to `timeout` seconds for some); empty if none."""
        checkpoint = await self._waiting(timeout)
        return () if checkpoint is None else checkpoint.requests

    async def respond(self, responses: Sequence[HumanResponse]) -> None:
        """Answer every pending request; the run goes on. `InvalidHumanResponse` (sending nothing) when they do not fit."""
        checkpoint = await self._waiting(0.0)
        if checkpoint is None:
            raise UserError(f"run {self.id} is not waiting for a human")
        match_responses(checkpoint, responses, self.agent.agents.waiting_tools(checkpoint))
        await DBOS.send_async(self.id, [human_response_to_json(r) for r in responses], topic=RESPONSES)

    async def _waiting(self, timeout: float) -> Checkpoint | None:
        value: Any = await DBOS.get_event_async(self.id, WAITING, timeout_seconds=timeout)
        return None if value is None else Checkpoint.from_json(value)


class _Steps:
    """The `Boundary` of a DBOS workflow: each call is a step, its result recorded before the run goes on.

    The events emitted before a call are delivered first (`_Outbox.flush`).
    """

    def __init__(self, agent: DBOSAgent[Any, Any], outbox: _Outbox) -> None:
        self.agent = agent
        self.outbox = outbox

    async def model_call(self, agent: str, payload: Payload) -> Payload:
        await self.outbox.flush()
        model = self.agent.agents.agents[agent].model
        return await DBOS.run_step_async({"name": self.agent.step_name(agent=agent)}, run_model_call, model, payload)

    async def tool_call(self, agent: str, tool: Tool[Any], payload: Payload) -> Payload:
        await self.outbox.flush()
        name = self.agent.step_name(tool.name, agent=agent)  # a step runs in the workflow's process: a toolset's tool as it is
        return await DBOS.run_step_async({"name": name}, run_tool_call, tool, self.agent.deps, payload)

    async def store_call(self, payload: Payload) -> Payload:
        await self.outbox.flush()
        policy = self.agent.runtime.retry  # a lost connection to the store is tried again, as Temporal does
        options: StepOptions = {
            "name": self.agent.session_step_name,
            "retries_allowed": True,
            "max_attempts": policy.max_attempts,
            "interval_seconds": policy.initial_delay,
            "backoff_rate": max(1.0, policy.multiplier),
        }
        return await DBOS.run_step_async(options, run_store_call, self.agent.runtime.store, payload)


class _Outbox:
    """A run's events on their way to the sinks, delivered by a step so that a recovered workflow does not deliver them again.

    The loop's only sink: it keeps the events, and `flush` (before every call,
    before waiting for a human, at the end) delivers them in one step, the
    `runlet:<agent>.events` step. A recovered workflow runs again from its
    start and makes the same events; where that step was recorded, DBOS returns
    its result without running it, so those events are not delivered twice.
    The events after the last recorded delivery are delivered again only if
    the process died while delivering them (before DBOS recorded the step).
    """

    def __init__(self, agent: DBOSAgent[Any, Any], workflow_id: str) -> None:
        runtime = agent.runtime
        self.step: str = agent.events_step_name
        self.sinks: tuple[EventSink, ...] = tuple(runtime.sinks)
        self.events: list[Event] = []
        self.delivery: Emitter = Emitter(
            workflow_id, agent.name, runtime.sinks, streaming=False, sink_timeout=runtime.sink_timeout, clock=runtime.clock
        )
        """Sends to the sinks as a local run's emitter does: a sink that raises or hangs is dropped for the rest of the run."""

    def emit(self, event: Event) -> None:
        self.events.append(event)

    async def flush(self) -> None:
        """Deliver the events kept so far, unless a recorded step says they were delivered before a recovery."""
        if self.events:
            batch, self.events = self.events, []
            await DBOS.run_step_async({"name": self.step}, self._deliver, batch)

    async def _deliver(self, batch: list[Event]) -> int:
        for event in batch:
            await self.delivery.emit(partial(_same, event))
        self.delivery.drain()
        return len(batch)

    async def trace(self, run_id: str, span_id: str) -> dict[str, str] | None:
        """The trace context of a call's span: the events that open it are delivered first."""
        await self.flush()
        return trace_headers(self.sinks, run_id, span_id)


def _same(event: Event) -> Event:
    return event


class _WorkflowClock:
    """Ids and jitter drawn from the workflow id, the same on every recovery; time is the system's.

    A recovered workflow runs again from its start, so its ids must come out
    the same; its deadline counts from the latest (re)start.
    """

    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        self.ids = 0
        self.random = random.Random(workflow_id)

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def new_id(self) -> str:
        self.ids += 1
        return hashlib.sha256(f"{self.workflow_id}/{self.ids}".encode()).hexdigest()[:32]

    def uniform(self, low: float, high: float) -> float:
        return self.random.uniform(low, high)
