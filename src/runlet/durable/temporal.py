"""Runlet on Temporal: the agent loop as workflow code, each model call and tool call an activity.

    support = TemporalAgent(agent, deps_type=Deps)        # a typed handle: TemporalAgent[Deps, Answer]
    worker = agent_worker(client, "agents", [support])    # registers the workflow and the activities
    run = await support.start(client, "Where is order 123?", deps=Deps("eu"), id="order-123", task_queue="agents")
    (await run.result()).output                           # an Answer

The loop runs inside the workflow exactly as in a local run (budgeting,
hooks, limits, retries, events) with two things replaced: its `Executor`,
which turns each model call into the activity `runlet:<agent>.model` and each
tool call into `runlet:<agent>.tool.<tool>`, and its `Clock`, which reads
workflow time and Temporal's seeded random, so a replay takes the same path.
The agents a run may hand off to or run as tools are registered with it: their
calls are `runlet:<agent>/<other>.model` and so on, and the tools a toolset
gives run in `runlet:<agent>.toolset`, which asks the toolsets again.
Waiting for a human is the workflow waiting for the `respond` update (for
days if need be); the `pending` query shows what it waits for.
docs/durable-execution.md tells the rules: what crosses the boundary, what is
replayed, how code is rolled out.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, Generic, overload

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import RetryPolicy as ActivityRetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Replayer, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from typing_extensions import TypeVar

from runlet.core.agent import Agent
from runlet.core.errors import DurableRunError, InvalidHumanResponse, ProviderError, RunletError, ToolError, UserError
from runlet.core.events import Event, EventSink
from runlet.core.human import Checkpoint, HumanRequest, HumanResponse, RunInterrupted, match_responses
from runlet.core.messages import Message
from runlet.core.models import ModelSettings, Provider
from runlet.core.state import StateError
from runlet.core.tools import Tool
from runlet.core.serialize import (
    human_request_from_json,
    human_request_to_json,
    human_response_from_json,
    human_response_to_json,
    message_from_json,
)
from runlet.durable._boundary import (
    BoundaryExecutor,
    BoundaryStore,
    DepsCodec,
    DurableAgents,
    Payload,
    TraceHeaders,
    run_model_call,
    run_store_call,
    run_tool_call,
    call_name,
    workflow_checkpoint_key,
)
from runlet.durable._results import result_from_json, result_to_json, start_payload, start_settings
from runlet.durable._tracing import trace_headers
from runlet.runtime import Runtime, RunResult

__all__ = ["AgentWorkflow", "TemporalAgent", "TemporalRun", "agent_replayer", "agent_worker"]

DepsT = TypeVar("DepsT", default=None)
OutputT = TypeVar("OutputT", default=str)

WORKFLOW_NAME = "runlet:agent"
"""The Temporal name of `AgentWorkflow`, the workflow that runs a registered agent."""


class TemporalAgent(Generic[DepsT, OutputT]):
    """An agent made durable on Temporal: the typed handle that workers, workflows and clients share.

    `deps_type` is the type of the deps, which travel as JSON (with the
    workflow's input and with each tool call): a dataclass, a TypedDict, a
    pydantic model or JSON types; a type that cannot is a `UserError` here.
    `runtime` is the configuration the loop runs with (hooks, limits, retry
    policy, timeouts, sinks). `inline_tools` names tools that run in workflow
    code rather than as activities: they must be deterministic (pure, or
    waiting with `asyncio.sleep`, which is then a durable timer).
    `activity_timeout` bounds one attempt of an activity whose call the loop
    gives no timeout of its own (`model_timeout`, a tool's timeout,
    `tool_timeout`), so that a lost worker is noticed and the call runs again
    on another.
    """

    @overload
    def __init__(
        self,
        agent: Agent[None, OutputT],
        *,
        deps_type: None = None,
        runtime: Runtime | None = None,
        inline_tools: Collection[str] = (),
        activity_timeout: timedelta = timedelta(minutes=5),
    ) -> None: ...

    @overload
    def __init__(
        self,
        agent: Agent[DepsT, OutputT],
        *,
        deps_type: type[DepsT],
        runtime: Runtime | None = None,
        inline_tools: Collection[str] = (),
        activity_timeout: timedelta = timedelta(minutes=5),
    ) -> None: ...

    def __init__(
        self,
        agent: Agent[Any, Any],
        *,
        deps_type: type[Any] | None = None,
        runtime: Runtime | None = None,
        inline_tools: Collection[str] = (),
        activity_timeout: timedelta = timedelta(minutes=5),
    ) -> None:
        self.agent: Agent[DepsT, OutputT] = agent
        self.runtime: Runtime = runtime or Runtime()
        self.deps: DepsCodec[DepsT] = DepsCodec[Any](agent.name, type(None) if deps_type is None else deps_type)
        self.agents: DurableAgents = DurableAgents(agent, inline_tools)
        """The agent and those reachable from it by handoffs and agents as tools, whose calls its worker runs."""
        self.inline_tools: frozenset[str] = self.agents.inline
        """Tools that run in workflow code, not as activities or steps."""
        for sink in self.runtime.sinks:
            if inspect.iscoroutinefunction(sink.emit):
                raise UserError(
                    f"sink {sink!r} is async: sinks run in workflow code, which does no I/O of its own; "
                    "use a synchronous sink (it is called outside the sandbox, never on replay)"
                )
        self.activity_timeout: timedelta = activity_timeout
        policy = self.runtime.retry
        self.retry_policy: ActivityRetryPolicy = ActivityRetryPolicy(
            initial_interval=timedelta(seconds=policy.initial_delay),
            backoff_coefficient=max(1.0, policy.multiplier),
            maximum_interval=timedelta(seconds=max(policy.max_delay, policy.initial_delay)),
            maximum_attempts=policy.max_attempts,
        )
        """Temporal's retries of an activity, for lost workers and timed-out attempts only: a provider's or a
        tool's errors come back as values, and the runtime's `RetryPolicy` retries them in the loop."""

    @property
    def name(self) -> str:
        """The agent's name, which names its activities and finds it on a worker."""
        return self.agent.name

    def activity_name(self, tool: str | None = None, *, agent: str | None = None) -> str:
        """The activity of the agent's model calls, or of its tool `tool`: `runlet:<agent>.model`, `runlet:<agent>.tool.<tool>`.

        `agent` names another agent the run may use (a handoff's target, an
        agent run as a tool): `runlet:<agent>/<other>.model` and so on. The
        tools its toolsets give run in one activity per agent, `.toolset`.
        """
        return call_name(self.name, agent or self.name, "model" if tool is None else f"tool.{tool}")

    @property
    def session_activity_name(self) -> str:
        """The activity that reads or writes a run's session in the runtime's store: `runlet:<agent>.session`."""
        return f"runlet:{self.name}.session"

    @property
    def activities(self) -> list[Callable[..., Any]]:
        """The agent's activities, for a `Worker` (`agent_worker` registers them)."""
        store = self.runtime.store

        async def store_call(payload: dict[str, Any]) -> dict[str, Any]:
            return await run_store_call(store, payload)

        found: list[Callable[..., Any]] = [activity.defn(name=self.session_activity_name)(store_call)]
        for name, agent in self.agents.agents.items():
            found.append(activity.defn(name=self.activity_name(agent=name))(_model_activity(agent.model)))
            for tool in self.agents.remote_tools(name):
                found.append(activity.defn(name=self.activity_name(tool.name, agent=name))(_tool_activity(tool, self.deps)))
            if agent.toolsets:
                found.append(activity.defn(name=call_name(self.name, name, "toolset"))(_tool_activity(agent, self.deps)))
        return found

    # In workflow code

    async def run(
        self,
        input: str | Sequence[Message],
        *,
        deps: DepsT,
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> RunResult[OutputT]:
        """Run the agent from workflow code; raises `RunInterrupted` when a tool call waits for a human.

        `session` and `settings` are `Runtime.run`'s: the session is loaded and
        appended by activities (in the runtime's store, in the worker), once.
        """
        runtime = self._workflow_runtime()
        return await runtime.run(self.agent, input, deps=deps, session=session, settings=settings)

    async def resume(
        self, checkpoint: Checkpoint, responses: Sequence[HumanResponse], *, deps: DepsT, settings: ModelSettings | None = None
    ) -> RunResult[OutputT]:
        """Continue an interrupted run from workflow code (with the run's `settings` again); may raise `RunInterrupted` again."""
        runtime = self._workflow_runtime()
        return await runtime.resume(self.agent, checkpoint, responses, deps=deps, settings=settings)

    def _workflow_runtime(self) -> Runtime:
        """The runtime for one run in workflow code: calls and sessions become activities, time is workflow time."""
        activities = _Activities(self)
        sinks = self.runtime.sinks
        return replace(
            self.runtime,
            executor=BoundaryExecutor(activities, self.deps, self.agents, _replay_safe_trace(sinks) if sinks else None),
            clock=_WorkflowClock(),
            sinks=tuple(_ReplaySafeSink(sink) for sink in sinks),
            budgeter=copy.deepcopy(self.runtime.budgeter),  # a calibration learnt by one run must not change another's replay
            store=BoundaryStore(activities),
            checkpoint_key=workflow_checkpoint_key(self.runtime.checkpoint_key, workflow.info().workflow_id),
        )

    # From a client

    @overload
    async def start(
        self: TemporalAgent[None, OutputT],
        client: Client,
        input: str | Sequence[Message],
        *,
        id: str,
        task_queue: str,
        deps: None = None,
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> TemporalRun[OutputT]: ...

    @overload
    async def start(
        self,
        client: Client,
        input: str | Sequence[Message],
        *,
        id: str,
        task_queue: str,
        deps: DepsT,
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> TemporalRun[OutputT]: ...

    async def start(
        self,
        client: Client,
        input: str | Sequence[Message],
        *,
        id: str,
        task_queue: str,
        deps: Any = None,
        session: str | None = None,
        settings: ModelSettings | None = None,
    ) -> TemporalRun[OutputT]:
        """Start a run of the agent as an `AgentWorkflow` with workflow id `id`.

        `session`: continue that session of the runtime's store (loaded and
        appended by activities in the worker, once each); `settings`: this run's
        model settings, over the agent's (`Runtime.run`'s). Both travel with the
        workflow's input, and `settings` with its resumes after a human answers.
        """
        start = {"agent": self.name, **start_payload(input, self.deps.dump(deps), session, settings)}
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(WORKFLOW_NAME, start, id=id, task_queue=task_queue)
        return TemporalRun(self, handle)

    def get_run(self, client: Client, id: str) -> TemporalRun[OutputT]:
        """The run with workflow id `id`, started by `start` (in any process)."""
        return TemporalRun(self, client.get_workflow_handle(id))


class TemporalRun(Generic[OutputT]):
    """A run of an agent on Temporal, seen from a client: its result, what it waits for, the humans' responses."""

    def __init__(self, agent: TemporalAgent[Any, OutputT], handle: WorkflowHandle[Any, Any]) -> None:
        self.agent: TemporalAgent[Any, OutputT] = agent
        self.handle: WorkflowHandle[Any, Any] = handle

    @property
    def id(self) -> str:
        """The workflow id."""
        return self.handle.id

    async def result(self) -> RunResult[OutputT]:
        """Wait for the run to complete; its result, or `DurableRunError` naming what the run raised."""
        try:
            value: dict[str, Any] = await self.handle.result()
        except WorkflowFailureError as failure:
            cause = failure.cause
            if isinstance(cause, ApplicationError):
                raise DurableRunError(cause.message, error_type=cause.type or "ApplicationError") from failure
            raise DurableRunError(str(cause), error_type=type(cause).__name__) from failure
        return result_from_json(self.agent.agent.output_type, value)

    async def pending(self) -> tuple[HumanRequest, ...]:
        """The requests the run waits for a human to answer; empty while it is not waiting."""
        requests: list[Any] = await self.handle.query("pending")
        return tuple(human_request_from_json(r) for r in requests)

    async def respond(self, responses: Sequence[HumanResponse]) -> None:
        """Answer every pending request; the run goes on. `InvalidHumanResponse` (changing nothing) when they do not fit."""
        try:
            answers = [human_response_to_json(r) for r in responses]
            await self.handle.execute_update("respond", answers)  # pyright: ignore[reportUnknownMemberType]  # an overload's `args`
        except WorkflowUpdateFailedError as failed:
            cause = failed.cause
            raise InvalidHumanResponse(cause.message if isinstance(cause, ApplicationError) else str(cause)) from None


_REGISTERED: dict[str, TemporalAgent[Any, Any]] = {}
"""The agents that `AgentWorkflow` runs in this process, by name (`agent_worker` registers them)."""


@workflow.defn(name=WORKFLOW_NAME)
class AgentWorkflow:
    """Runs a registered agent to its result, waiting as long as it takes for humans (`pending`, `respond`)."""

    def __init__(self) -> None:
        self._agent: TemporalAgent[Any, Any] | None = None
        self._waiting: Checkpoint | None = None
        self._responses: tuple[HumanResponse, ...] | None = None

    @workflow.run
    async def run(self, start: dict[str, Any]) -> dict[str, Any]:
        """Run the agent named in `start` on its input and deps; the result as JSON."""
        name: str = start["agent"]
        agent = _REGISTERED.get(name)
        if agent is None:
            raise ApplicationError(f"no agent {name!r} is registered on this worker (agent_worker(..., agents=...))", non_retryable=True)
        self._agent = agent
        try:
            deps = agent.deps.load(start["deps"])
            settings = start_settings(start)
            input = [message_from_json(m) for m in start["input"]]
            try:
                result = await agent.run(input, deps=deps, session=start.get("session"), settings=settings)
            except RunInterrupted as interrupted:
                result = await self._until_answered(agent, interrupted.checkpoint, deps, settings)
        except RunletError as error:
            raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
        return result_to_json(agent.agent.output_type, result)

    async def _until_answered(
        self, agent: TemporalAgent[Any, Any], checkpoint: Checkpoint, deps: Any, settings: ModelSettings | None
    ) -> RunResult[Any]:
        """Wait for the humans' responses, resume, and again for as long as the run asks."""
        while True:
            self._waiting, self._responses = checkpoint, None
            await workflow.wait_condition(lambda: self._responses is not None)
            responses, self._waiting = self._responses or (), None
            try:
                return await agent.resume(checkpoint, responses, deps=deps, settings=settings)
            except RunInterrupted as interrupted:
                checkpoint = interrupted.checkpoint

    @workflow.query(name="pending")
    def pending(self) -> list[dict[str, Any]]:
        """The requests waiting for a human, as JSON."""
        return [] if self._waiting is None else [human_request_to_json(r) for r in self._waiting.requests]

    @workflow.update(name="respond")
    async def respond(self, responses: list[dict[str, Any]]) -> None:
        """The humans' responses to every pending request."""
        self._responses = tuple(human_response_from_json(r) for r in responses)

    @respond.validator
    def check_responses(self, responses: list[dict[str, Any]]) -> None:
        """Refuse responses that do not fit the pending requests, before anything changes."""
        if self._waiting is None or self._agent is None:
            raise ApplicationError("the run is not waiting for a human")
        tools = self._agent.agents.waiting_tools(self._waiting)
        try:
            match_responses(self._waiting, [human_response_from_json(r) for r in responses], tools)
        except (InvalidHumanResponse, RunletError) as error:
            raise ApplicationError(str(error), type=type(error).__name__) from None


def agent_worker(
    client: Client,
    task_queue: str,
    agents: Sequence[TemporalAgent[Any, Any]],
    *,
    workflows: Sequence[type] = (),
    identity: str | None = None,
    max_concurrent_activities: int | None = None,
    max_cached_workflows: int = 1000,
) -> Worker:
    """A worker for `task_queue` that runs `AgentWorkflow` (and `workflows`) and the agents' activities.

    Runlet's modules pass through Temporal's sandbox: the loop is deterministic
    by its `Clock` and `Executor`, not by re-importing it for every workflow.
    """
    _register(agents)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AgentWorkflow, *workflows],
        activities=[found for agent in agents for found in agent.activities],
        workflow_runner=_sandbox(),
        identity=identity,
        max_concurrent_activities=max_concurrent_activities,
        max_cached_workflows=max_cached_workflows,
    )


def agent_replayer(agents: Sequence[TemporalAgent[Any, Any]], *, workflows: Sequence[type] = ()) -> Replayer:
    """A `Replayer` of `AgentWorkflow` (and `workflows`) with the agents: check recorded histories against new code."""
    _register(agents)
    return Replayer(workflows=[AgentWorkflow, *workflows], workflow_runner=_sandbox())


def _register(agents: Sequence[TemporalAgent[Any, Any]]) -> None:
    for agent in agents:
        known = _REGISTERED.setdefault(agent.name, agent)
        if known is not agent:
            raise UserError(f"another agent named {agent.name!r} is already registered in this process")


def _sandbox() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules("runlet"))


# Inside the workflow


class _Activities:
    """The `Boundary` of a workflow: each call is an activity, retried by Temporal only when an attempt is lost.

    An attempt may take as long as the loop allows the call (`model_timeout`,
    the tool's own timeout or `tool_timeout`), else `activity_timeout`.
    """

    def __init__(self, agent: TemporalAgent[Any, Any]) -> None:
        self.agent = agent

    async def model_call(self, agent: str, payload: Payload) -> Payload:
        try:
            return await self._execute(self.agent.activity_name(agent=agent), payload, self.agent.runtime.model_timeout)
        except ActivityError as error:
            raise ProviderError(f"the model call's activity failed: {error.cause or error}") from error

    async def tool_call(self, agent: str, tool: Tool[Any], payload: Payload) -> Payload:
        name = call_name(self.agent.name, agent, "toolset") if "tool" in payload else self.agent.activity_name(tool.name, agent=agent)
        timeout: float | None = getattr(tool, "timeout", None) or self.agent.runtime.tool_timeout
        try:
            return await self._execute(name, payload, timeout)
        except ActivityError as error:
            raise ToolError(f"the tool's activity failed: {error.cause or error}") from error

    async def store_call(self, payload: Payload) -> Payload:
        try:
            return await self._execute(self.agent.session_activity_name, payload, None)
        except ActivityError as error:
            raise StateError(f"the session's activity failed: {error.cause or error}") from error

    async def _execute(self, name: str, payload: Payload, seconds: float | None) -> Payload:
        result: Payload = await workflow.execute_activity(
            name,
            payload,
            start_to_close_timeout=self.agent.activity_timeout if seconds is None else timedelta(seconds=seconds),
            retry_policy=self.agent.retry_policy,
            result_type=dict,
        )
        return result


class _WorkflowClock:
    """Workflow time and Temporal's seeded random: the same on every replay."""

    def time(self) -> float:
        return workflow.now().timestamp()

    def monotonic(self) -> float:
        return workflow.time()

    def new_id(self) -> str:
        return workflow.uuid4().hex

    def uniform(self, low: float, high: float) -> float:
        return workflow.random().uniform(low, high)


def _replay_safe_trace(sinks: Sequence[EventSink]) -> TraceHeaders:
    """The trace context of a call's span, from the sinks, outside the sandbox; none while replaying (the sinks saw nothing)."""

    async def headers(run_id: str, span_id: str) -> dict[str, str] | None:
        if workflow.unsafe.is_replaying():
            return None
        with workflow.unsafe.sandbox_unrestricted():
            return trace_headers(sinks, run_id, span_id)

    return headers


class _ReplaySafeSink:
    """Sends an event to a sink once: not while the workflow replays history, and outside the sandbox."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    def emit(self, event: Event) -> None:
        if workflow.unsafe.is_replaying():
            return
        with workflow.unsafe.sandbox_unrestricted():
            self.sink.emit(event)


def _model_activity(model: Provider) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    """The activity function of one agent's model calls."""

    async def model_call(payload: dict[str, Any]) -> dict[str, Any]:
        return await run_model_call(model, payload)

    return model_call


def _tool_activity(tool: Tool[Any] | Agent[Any, Any], deps: DepsCodec[Any]) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    """The activity function of one tool, or of the tools an agent's toolsets give."""

    async def tool_call(payload: dict[str, Any]) -> dict[str, Any]:
        return await run_tool_call(tool, deps, payload)

    return tool_call

