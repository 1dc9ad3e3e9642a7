"""An agent as a tool of another agent (`Agent.as_tool`): a child run inside the parent's tool call.

The child runs with the parent's runtime (sinks, runtime hooks, executor,
budgeter, clock) and within what is left of the parent's `Limits` when the
call's turn began. It has a run id of its own; its `run.started` names the
parent's run (`parent_run_id`) and its run span's parent is the tool call's
span, so its events nest under the call, in the parent's OpenTelemetry trace
too. What it used (usage, model requests, tool calls) is added to the
parent's state once the turn's calls are done (a child that failed: up to
the start of the step it failed in, its last state).
Its events reach the sinks as they happen, and a `stream()` consumer of the
parent after the call's step. A child that asks a human stops the parent
with `AgentToolInterrupted`: only the outermost run can be suspended.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from runlet.core.asking import current_answers
from runlet.core.context import RunContext
from runlet.core.errors import AgentToolInterrupted, UserError, ValidationError, ValidationIssue
from runlet.core.handoffs import tool_name
from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import Message
from runlet.core.run_state import RunState
from runlet.core.tools import ToolContent
from runlet.loop.driver import drive
from runlet.loop.run import Run
from runlet.loop.scope import CallScope, Delegated
from runlet.loop.steps import Start
from runlet.runtime import RunResult

if TYPE_CHECKING:
    from runlet.core import human
    from runlet.core.agent import Agent
else:
    from runlet.core._deferred import DeferredModule

    human = DeferredModule("runlet.core.human")


ParentDepsT = TypeVar("ParentDepsT", contravariant=True)

INPUT_DESCRIPTION = "What to ask the agent: the task or question, with everything it needs to know."


class AgentTool(Generic[ParentDepsT]):
    """A `Tool` that runs `agent` on the model's `input` and returns its output (`Agent.as_tool`)."""

    __slots__ = ("agent", "name", "description", "_deps")

    def __init__(
        self,
        agent: Agent[Any, Any],
        *,
        name: str | None,
        description: str | None,
        deps: Callable[[Any], Any] | None,
    ) -> None:
        self.agent: Agent[Any, Any] = agent
        self.name: str = name if name is not None else tool_name(agent.name)
        self.description: str = (
            description if description is not None else agent.description or f"Ask the agent {agent.name!r}."
        )
        self._deps: Callable[[Any], Any] | None = deps

    @property
    def maps_deps(self) -> bool:
        """Whether the child gets deps made from the parent's (`as_tool(deps=...)`), not the parent's own."""
        return self._deps is not None

    @property
    def parameters(self) -> JsonObject:
        """One string argument, `input`: what the child agent is asked."""
        return {
            "type": "object",
            "properties": {"input": {"type": "string", "description": INPUT_DESCRIPTION}},
            "required": ["input"],
            "additionalProperties": False,
        }

    async def call(self, ctx: RunContext[ParentDepsT], arguments: JsonValue) -> ToolContent:
        """Run the child agent on `arguments["input"]`; its output is the result (JSON for a structured one)."""
        text = arguments.get("input") if isinstance(arguments, dict) else None
        if not isinstance(text, str):
            raise ValidationError([ValidationIssue("input", "a string is required: what to ask the agent")])
        scope = current_answers.get()
        if not isinstance(scope, CallScope):
            raise UserError(
                f"the agent tool {self.name!r} runs only as a tool call of a Runlet run in this process (it needs "
                "the parent run's runtime): call it through an agent's run, not on its own"
            )
        deps = ctx.deps if self._deps is None else self._deps(ctx.deps)
        child, state = self._child_run(scope, deps, text)
        if scope.run.delegated is None:
            scope.run.delegated = Delegated()
            scope.run.after_turn = True  # the loop adds what the child used when the turn ends
        delegated = scope.run.delegated
        parent = scope.run.emitter
        result: RunResult[Any] | None = None
        try:
            async with aclosing(drive(child, state, Start(text))) as loop:
                async for item in loop:
                    if isinstance(item, RunResult):
                        result = item
                    elif parent.streaming:
                        parent.outbox.append(item)  # the parent's consumer gets them after the call's step
        except human.RunInterrupted as stop:
            raise AgentToolInterrupted(
                f"the agent {self.agent.name!r}, run as the tool {self.name!r}, asked a human "
                f"({len(stop.interruption.pending)} request(s)); only the outermost run can stop for a human: "
                "ask in the parent (a hook on its call of this tool), or give the agent tools that do not ask"
            ) from stop
        finally:
            if child.ended is not None:
                delegated.add(child.ended)
        assert result is not None, "a loop that ends without raising ends with its result"
        output = child.output.dump(result.output)
        return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)

    def _child_run(self, scope: CallScope, deps: object, text: str) -> tuple[Run, RunState]:
        """The child's run, under the call's span and within what is left of the parent's limits, and its first state."""
        parent, state = scope.run, scope.state
        runtime = parent.runtime
        limits = runtime.limits.remaining(state.model_requests, state.tool_calls, state.usage, parent.deadline.elapsed())
        child_runtime = replace(runtime, limits=limits) if limits != runtime.limits else runtime
        message = Message.user(text)
        child_state = RunState(run_id=runtime.clock.new_id(), agent=self.agent.name, new=(message,), context=(message,))
        child = Run(child_runtime, self.agent, deps, child_state, streaming=parent.emitter.streaming)
        child.emitter.parent_run = state.run_id
        child.emitter.parent_span = scope.span
        return child, child_state

    def __repr__(self) -> str:
        return f"AgentTool({self.agent.name!r}, name={self.name!r})"
