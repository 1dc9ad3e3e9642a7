"""Runlet: a small, observable, strictly typed runtime for Python agents.

    from runlet import Agent, Runtime, tool
"""

from typing import TYPE_CHECKING

from runlet.core import (
    Agent,
    Capabilities,
    ContextBudgetExceeded,
    Decision,
    Hook,
    Hooks,
    Limits,
    Message,
    ModelRequest,
    ModelResponse,
    Provider,
    RunContext,
    RunletError,
    SessionConflict,
    StateStore,
    Tool,
    ToolError,
    Usage,
    UsageLimitExceeded,
    tool,
)
from runlet.core.asking import ask_human, require_approval
from runlet.runtime import RetryPolicy, RunResult, Runtime

if TYPE_CHECKING:
    from runlet.core import events
    from runlet.core.events import Event, EventSink
    from runlet.core.human import ApprovalRequest, Checkpoint, InputRequest, RunInterrupted
else:
    from runlet.core._deferred import deferred_exports

    # Events and human-in-the-loop types are built on first use: a run that needs neither
    # never imports them (see runlet.core._deferred).
    __getattr__, __dir__ = deferred_exports(
        globals(),
        {
            "events": "runlet.core.events",
            "Event": "runlet.core.events",
            "EventSink": "runlet.core.events",
            "ApprovalRequest": "runlet.core.human",
            "Checkpoint": "runlet.core.human",
            "InputRequest": "runlet.core.human",
            "RunInterrupted": "runlet.core.human",
        },
    )

__version__ = "0.3.0a1"

__all__ = [
    "Agent",
    "ApprovalRequest",
    "Capabilities",
    "Checkpoint",
    "ContextBudgetExceeded",
    "Decision",
    "Event",
    "EventSink",
    "Hook",
    "Hooks",
    "InputRequest",
    "Limits",
    "Message",
    "ModelRequest",
    "ModelResponse",
    "Provider",
    "RetryPolicy",
    "RunContext",
    "RunInterrupted",
    "RunResult",
    "Runtime",
    "RunletError",
    "SessionConflict",
    "StateStore",
    "Tool",
    "ToolError",
    "Usage",
    "UsageLimitExceeded",
    "__version__",
    "ask_human",
    "events",
    "require_approval",
    "tool",
]
