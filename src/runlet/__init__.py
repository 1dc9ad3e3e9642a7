"""Runlet: a small, observable, strictly typed runtime for Python agents.

    from runlet import Agent, Runtime, tool
"""

from runlet.core import (
    Agent,
    Capabilities,
    ContextBudgetExceeded,
    Decision,
    Event,
    EventSink,
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
from runlet.core import events
from runlet.core.human import ApprovalRequest, Checkpoint, InputRequest, RunInterrupted, ask_human, require_approval
from runlet.runtime import RetryPolicy, RunResult, Runtime

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
