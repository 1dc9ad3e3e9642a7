"""`RunState`: everything a run knows between two steps, as one frozen value.

The loop hands a `RunState` from step to step; a checkpoint stores one (with
the requests waiting for a human), and `runlet.core.serialize` turns it into
versioned JSON and back, exactly. Nothing else about a run needs keeping to
continue it: the agent, the deps and the runtime are given again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from runlet.core._frozen import frozen
from runlet.core.messages import Message, ToolCallPart, ToolResultPart
from runlet.core.models import Usage

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core.human import HumanResponse
else:
    from runlet.core._frozen import replace


__all__ = ["RunState"]


@frozen(slots=False)  # replaced a few times a step: `_frozen.replace` copies its __dict__ at once
class RunState:
    """A run between two steps: ids, counters, the conversation, and the turn in progress."""

    run_id: str
    agent: str
    """The name of the agent the run started with; a run continues only with the same agent (see `active_agent`)."""
    step: int = 0
    """Steps begun so far; each step makes one model call."""
    usage: Usage = Usage()
    """Usage summed over every model call of the run (compression's included)."""
    model_requests: int = 0
    """Model requests sent, counted by the runtime for `Limits.max_model_requests` (retries included)."""
    tool_calls: int = 0
    """Tool calls the model has made, for `Limits.max_tool_calls`."""
    output_retries: int = 0
    """Final answers that did not validate and went back to the model."""
    session: str | None = None
    stored_length: int = 0
    """How many messages the session held when the run loaded it: the length its append extends."""
    history: tuple[Message, ...] = ()
    """The history the run started from (given, or loaded from the session)."""
    new: tuple[Message, ...] = ()
    """The messages this run added: the input, model turns, tool results and output retries."""
    context: tuple[Message, ...] = ()
    """The conversation as the model will see it next (instructions and any compression included)."""
    completed: tuple[ToolResultPart, ...] = ()
    """Results of the current turn's tool calls obtained so far (a turn interrupted for a human)."""
    answers: Mapping[str, tuple[HumanResponse, ...]] = field(default_factory=dict[str, 'tuple[HumanResponse, ...]'], hash=False)
    """For each call of the current turn that asked a human, the responses given so far, in order."""
    seq: int = 0
    """The sequence number of the run's next event."""
    spans: int = 0
    """Span ids handed out so far."""
    elapsed: float = 0.0
    """Seconds the run had run when this value was taken (time waiting for a human does not count)."""
    active_agent: str | None = None
    """The agent the run goes on with, when a handoff made it another than `agent`; `None`: `agent` itself."""

    @property
    def turn(self) -> tuple[ToolCallPart, ...]:
        """The tool calls of the last model turn, as the model made them (empty when it made none)."""
        if self.new and self.new[-1].role == "assistant":
            return self.new[-1].tool_calls
        return ()

    def appended(self, *messages: Message) -> RunState:
        """This state with `messages` added to the conversation (and to the run's new messages)."""
        return replace(self, new=(*self.new, *messages), context=(*self.context, *messages))
