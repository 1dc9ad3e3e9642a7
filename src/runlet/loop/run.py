"""`Run`: what one run reads but never changes, and the services every step uses.

The run's changing state is a `RunState` value handed from step to step; this
object holds the rest: the runtime's configuration, the agent, the deps, the
tools and output type as the model sees them, the hooks, the deadline and the
event emitter.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from runlet.core.context import RunContext
from runlet.core.errors import UsageLimitExceeded, UserError
from runlet.core.hooks import HookEngine
from runlet.core.models import Capabilities, ToolDefinition
from runlet.core.output import OutputSpec
from runlet.core.run_state import RunState
from runlet.core.tools import Tool, tool_definition
from runlet.loop.clock import Clock
from runlet.loop.emitter import Emitter

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


class Run:
    """The read-only side of one run, and its services."""

    __slots__ = (
        "runtime", "agent", "deps", "streaming", "emitter", "hooks", "deadline", "capabilities",
        "tools", "tool_definitions", "offered", "output", "semaphore",
    )

    def __init__(self, runtime: Runtime, agent: Agent[Any, Any], deps: object, state: RunState, *, streaming: bool) -> None:
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
        if agent.tools and not self.capabilities.tools:
            raise UserError(
                f"agent {agent.name!r} has tools ({', '.join(t.name for t in agent.tools)}) but its model "
                f"{type(agent.model).__name__} does not support tool calling (Capabilities.tools is False): "
                "use a model that does, or an agent without tools"
            )
        self.streaming: bool = streaming and self.capabilities.streaming
        """Whether model calls stream: `stream()` asked for it and the model can (else one call, one delta)."""
        self.tools: dict[str, Tool[Any]] = {t.name: t for t in agent.tools}
        self.tool_definitions: tuple[ToolDefinition, ...] = tuple(tool_definition(t) for t in agent.tools)
        self.offered: frozenset[str] = frozenset(t.name for t in self.tool_definitions)
        """The names of the tools every step offers, unless a hook changes a request's tools."""
        self.output: OutputSpec[Any] = OutputSpec(agent.output_type)
        parallel = runtime.max_parallel_tools if self.capabilities.parallel_tool_calls else 1
        self.semaphore: asyncio.Semaphore | None = asyncio.Semaphore(parallel) if parallel else None
        """Bounds the tool calls of one turn that run at once (`max_parallel_tools`; one for a model without parallel calls)."""

    def context(self, state: RunState) -> RunContext[Any]:
        """What tools, hooks and instructions see of the run at `state`."""
        return RunContext(self.deps, state.run_id, self.agent.name, state.step, state.usage, state.context)

    def snapshot(self, state: RunState) -> RunState:
        """`state` with the emitter's counters and the time run so far: the value to keep between processes."""
        return replace(state, seq=self.emitter.seq, spans=self.emitter.spans, elapsed=self.deadline.elapsed())
