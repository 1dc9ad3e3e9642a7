"""`RunContext`: what a tool, a hook or dynamic instructions see of the run."""

from __future__ import annotations

from typing import Generic

from typing_extensions import TypeVar

from runlet.core._frozen import frozen
from runlet.core.messages import Message
from runlet.core.models import Usage

DepsT_co = TypeVar("DepsT_co", covariant=True, default=None)


@frozen
class RunContext(Generic[DepsT_co]):
    """The state of a run at one step, with the user's typed dependencies."""

    deps: DepsT_co
    """The dependencies passed to `Runtime.run(..., deps=...)`."""
    run_id: str
    agent_name: str
    step: int
    """The current step, from 1."""
    usage: Usage
    """Usage of the run so far."""
    messages: tuple[Message, ...]
    """The conversation so far, as the model will see it next."""
