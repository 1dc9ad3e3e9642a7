"""The tool call being run, as an agent run as a tool (`Agent.as_tool`) sees its parent.

The loop marks each tool call with a `CallScope`, the object that already
carried a call's human answers, with three more fields: the run, its state
when the turn began, and the call's span. An agent
tool reads it to run its child with the parent's runtime, under the call's
span and within what is left of the parent's limits, and records what the
child used in `Delegated`, which the loop adds to the parent's state once the
turn's calls are done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runlet.core.asking import ToolCallAnswers
from runlet.core.models import Usage
from runlet.core.run_state import RunState

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core.human import HumanResponse
    from runlet.loop.run import Run
else:
    from runlet.core._frozen import replace


class CallScope(ToolCallAnswers):
    """One tool call of a run: its answers (as `ToolCallAnswers`), the run, the state its turn began with, its span."""

    answers: tuple[HumanResponse, ...] = ()
    used: int = 0
    """Class defaults: most calls have no answers, and a call costs no more to mark than with `ToolCallAnswers`."""

    def __init__(self, answers: tuple[HumanResponse, ...], run: Run, state: RunState, span: str) -> None:
        if answers:
            self.answers = answers
        self.run: Run = run
        self.state: RunState = state
        self.span: str = span


class Delegated:
    """What the agents run as tools in one turn used: usage and the counters the limits read."""

    __slots__ = ("usage", "model_requests", "tool_calls")

    def __init__(self) -> None:
        self.usage: Usage = Usage()
        self.model_requests: int = 0
        self.tool_calls: int = 0

    def add(self, child: RunState) -> None:
        """Count what a child run used, by its last state."""
        self.usage = self.usage + child.usage
        self.model_requests += child.model_requests
        self.tool_calls += child.tool_calls

    def added_to(self, state: RunState) -> RunState:
        """`state` with this added to its usage and counters."""
        return replace(
            state,
            usage=state.usage + self.usage,
            model_requests=state.model_requests + self.model_requests,
            tool_calls=state.tool_calls + self.tool_calls,
        )
