"""`Run`: what one run reads but never changes, and the services every step uses.

The run's changing state is a `RunState` value handed from step to step; this
object holds the rest: the runtime's configuration, the agent, the deps, the
tools and output type as the model sees them, the hooks, the deadline and the
event emitter.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

from runlet.core.context import RunContext
from runlet.core.errors import UsageLimitExceeded, UserError
from runlet.core.hooks import HookEngine
from runlet.core.messages import Message
from runlet.core.models import Capabilities, ModelSettings, UseTool, check_content
from runlet.core.output import OutputSpec
from runlet.core.run_state import RunState
from runlet.core.toolsets import source_name
from runlet.loop.clock import Clock
from runlet.loop.emitter import Emitter
from runlet.loop.executor import LocalExecutor
from runlet.loop.scope import Delegated
from runlet.loop.step_tools import StepTools, static_tools

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core.agent import Agent
    from runlet.runtime import Runtime
else:
    from runlet.core._frozen import replace


class Deadline:
    """The run's wall-clock budget (`Limits.deadline_seconds`), counted from its start; waiting for a human does not count."""

    __slots__ = ("clock", "started", "limit")

    def __init__(self, limit: float | None, elapsed: float, clock: Clock) -> None:
        self.clock: Clock = clock
        self.started: float = clock.monotonic() - elapsed
        """When the run started, on the clock's monotonic time."""
        self.limit: float | None = limit

    def elapsed(self) -> float:
        """Seconds the run has run."""
        return self.clock.monotonic() - self.started

    def time_left(self, timeout: float | None) -> float | None:
        """Seconds an operation may take: its own `timeout`, capped by the deadline; raises once the deadline has passed."""
        if self.limit is None:
            return timeout
        left = self.limit - self.elapsed()
        if left <= 0:
            raise UsageLimitExceeded("deadline_seconds", self.elapsed(), self.limit)
        return left if timeout is None else min(left, timeout)


def _made(choice: object, state: RunState) -> bool:
    """Whether this run's model turns already made the call a forced `tool_choice` asks for."""
    for message in state.new:
        if message.role == "assistant":
            for call in message.tool_calls:
                if not isinstance(choice, UseTool) or call.name == choice.name:
                    return True
    return False


class Run:
    """The read-only side of one run, and its services."""

    __slots__ = (
        "runtime", "agent", "deps", "streaming", "emitter", "hooks", "deadline", "capabilities",
        "static_tools", "static_settings", "output", "semaphore", "settings", "remote", "_checked", "_given",
        "delegated", "after_turn", "ended",
    )

    def __init__(
        self,
        runtime: Runtime,
        agent: Agent[Any, Any],
        deps: object,
        state: RunState,
        *,
        streaming: bool,
        settings: ModelSettings | None = None,
    ) -> None:
        self.runtime: Runtime = runtime
        self.agent: Agent[Any, Any] = agent
        self.deps: object = deps
        self.emitter: Emitter = Emitter(
            state.run_id, agent.name, runtime.sinks,
            streaming=streaming, sink_timeout=runtime.sink_timeout, clock=runtime.clock, seq=state.seq, spans=state.spans, step=state.step,
        )
        self.hooks: HookEngine = HookEngine(runtime.hooks, agent.hooks)
        self.deadline: Deadline = Deadline(runtime.limits.deadline_seconds, state.elapsed, runtime.clock)
        self.capabilities: Capabilities = agent.capabilities or agent.model.capabilities()
        if (agent.tools or agent.hosted_tools or agent.toolsets) and not self.capabilities.tools:
            names = [*(t.name for t in (*agent.tools, *agent.hosted_tools)), *map(source_name, agent.toolsets)]
            raise UserError(
                f"agent {agent.name!r} has tools ({', '.join(names)}) but its model "
                f"{type(agent.model).__name__} does not support tool calling (Capabilities.tools is False): "
                "use a model that does, or an agent without tools"
            )
        self.streaming: bool = streaming and self.capabilities.streaming
        """Whether model calls stream: `stream()` asked for it and the model can (else one call, one delta)."""
        self.static_tools: StepTools | None = static_tools(agent)
        """The tools every step offers (unless a hook changes a request's tools); `None` when each step resolves its own
        (the agent has toolsets or prepare functions: `runlet.loop.step_tools`)."""
        self.output: OutputSpec[Any] = OutputSpec(agent.output_type)
        parallel = runtime.max_parallel_tools if self.capabilities.parallel_tool_calls else 1
        self.semaphore: asyncio.Semaphore | None = asyncio.Semaphore(parallel) if parallel else None
        """Bounds the tool calls of one turn that run at once (`max_parallel_tools`; one for a model without parallel calls)."""
        self.settings: ModelSettings = ModelSettings(max_output_tokens=agent.max_output_tokens).merged(agent.settings).merged(settings)
        """The agent's settings with the run's over them; each step may add its own (`step_settings`)."""
        if self.static_tools is not None:
            self.check_tool_choice(self.settings, self.static_tools)
        choice = self.settings.tool_choice
        forced = choice == "required" or isinstance(choice, UseTool)
        self.static_settings: ModelSettings | None = None if forced or agent.prepare_settings is not None else self.settings
        """The settings of every model call, when no step changes them (no forced tool choice, no `prepare_settings`);
        else `None`, and each step asks `step_settings`."""
        self.remote: bool = not isinstance(runtime.executor, LocalExecutor)
        """Whether the executor may run calls elsewhere (it is not `LocalExecutor`): the loop then sets `current_call` for it."""
        self._checked: tuple[Message, ...] = ()
        self._given: ModelSettings | None = settings
        self.delegated: Delegated | None = None
        """What the agents run as tools in the current turn used, added to the run's state when the turn's calls are done."""
        self.after_turn: bool = bool(agent.handoff_targets)
        """Whether the end of the current turn has more to do than add its results: a handoff to look for, or what
        agents run as tools used to add (`loop.handoffs.end_turn`). One check per turn for every other run."""
        self.ended: RunState | None = None
        """The last state of the run, once it has ended (completed or failed): an agent tool reads its child's usage there."""

    def hand_off(self, agent: Agent[Any, Any], state: RunState) -> None:
        """Go on with `agent` (a handoff): its model, tools, hooks, settings and output; the deps, events and deadline stay."""
        emitter, deadline = self.emitter, self.deadline
        Run.__init__(self, self.runtime, agent, self.deps, state, streaming=emitter.streaming, settings=self._given)
        self.emitter, self.deadline = emitter, deadline
        emitter.agent = agent.name

    def context(self, state: RunState) -> RunContext[Any]:
        """What tools, hooks and instructions see of the run at `state`."""
        return RunContext(self.deps, state.run_id, self.agent.name, state.step, state.usage, state.context)

    async def step_settings(self, state: RunState) -> ModelSettings:
        """The settings of the next model call: the run's, a forced tool choice back to `"auto"` once used, the step's own over them."""
        settings = self.settings
        choice = settings.tool_choice
        if (choice == "required" or isinstance(choice, UseTool)) and not settings.persist_tool_choice and _made(choice, state):
            settings = replace(settings, tool_choice="auto")
        prepare = self.agent.prepare_settings
        if prepare is not None:
            own = prepare(self.context(state))
            if inspect.isawaitable(own):
                own = await own
            if own is not None:
                if self.static_tools is not None:
                    self.check_tool_choice(own, self.static_tools)
                settings = settings.merged(own)
        return settings

    def check_content(self, messages: tuple[Message, ...]) -> None:
        """`runlet.core.models.check_content` for the model, over the messages this run has not checked yet.

        The context grows by appending, so a request whose messages start with
        the ones checked last time checks only the rest.
        """
        checked = self._checked
        start = len(checked) if len(messages) >= len(checked) and messages[: len(checked)] == checked else 0
        check_content(messages[start:], self.capabilities, model=type(self.agent.model).__name__)
        self._checked = messages

    def check_tool_choice(self, settings: ModelSettings, tools: StepTools) -> None:
        """A `UseTool` choice must name a tool the step offers; `UserError` if not."""
        choice = settings.tool_choice
        if isinstance(choice, UseTool) and choice.name not in tools.offered:
            known = ", ".join(sorted(tools.offered)) or "none"
            raise UserError(
                f"tool_choice=UseTool({choice.name!r}) names no tool of agent {self.agent.name!r} (its tools: {known})"
                f"{'' if self.static_tools is not None else ' in this step'}: name one of them, or give the agent that tool"
            )

    def snapshot(self, state: RunState) -> RunState:
        """`state` with the emitter's counters and the time run so far: the value to keep between processes."""
        return replace(state, seq=self.emitter.seq, spans=self.emitter.spans, elapsed=self.deadline.elapsed())
