"""Runlet's core data and protocols: messages, models, tools, events, hooks, budgeting."""

from typing import TYPE_CHECKING

from runlet.core.agent import Agent
from runlet.core.budget import (
    Budgeter,
    Compression,
    CompressionStrategy,
    DropOldestTurns,
    SummarizeOlderTurns,
    TokenBudgeter,
    TokenCount,
    TrimToolResults,
)
from runlet.core.token_estimates import estimate_tokens
from runlet.core.context import RunContext
from runlet.core.errors import (
    AuthenticationFailed,
    BadRequest,
    ContentFiltered,
    ContextBudgetExceeded,
    ContextLengthExceeded,
    FatalToolError,
    HookError,
    MalformedResponse,
    MaxStepsExceeded,
    MCPServerError,
    ModelCallVetoed,
    ModelTimeout,
    OutputValidationError,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RunletError,
    StreamInterrupted,
    ToolError,
    ToolRetry,
    ToolTimeout,
    UsageLimitExceeded,
    UserError,
    ValidationError,
    ValidationIssue,
)
from runlet.core.hooks import AnyHook, Decision, Hook, Hooks, StateOperation
from runlet.core.json import JsonObject, JsonValue
from runlet.core.limits import Limits
from runlet.core.messages import Message, Part, ReasoningPart, Role, TextPart, ToolCallPart, ToolResultPart
from runlet.core.models import (
    Capabilities,
    FinishReason,
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    OutputSchema,
    Provider,
    ToolDefinition,
    Usage,
)
from runlet.core.state import (
    SessionConflict,
    StateError,
    StateFormatError,
    StateStore,
    StateVetoed,
    UnsupportedStateVersion,
)
from runlet.core.tools import FunctionTool, Tool, tool
from runlet.core.toolsets import Toolset

if TYPE_CHECKING:
    from runlet.core import events as events, human as human  # submodules, read as attributes
    from runlet.core.events import Event, EventSink
else:
    from runlet.core._deferred import deferred_exports

    # The event classes and checkpoints are built on first use (see runlet.core._deferred);
    # `runlet.core.events` and `runlet.core.human` read as attributes import their modules.
    __getattr__, __dir__ = deferred_exports(
        globals(),
        {
            "events": "runlet.core.events",
            "human": "runlet.core.human",
            "Event": "runlet.core.events",
            "EventSink": "runlet.core.events",
        },
    )

__all__ = [
    "Agent",
    "AnyHook",
    "AuthenticationFailed",
    "BadRequest",
    "Budgeter",
    "Capabilities",
    "Compression",
    "CompressionStrategy",
    "ContentFiltered",
    "ContextBudgetExceeded",
    "ContextLengthExceeded",
    "Decision",
    "DropOldestTurns",
    "Event",
    "EventSink",
    "FatalToolError",
    "FinishReason",
    "FunctionTool",
    "Hook",
    "HookError",
    "Hooks",
    "JsonObject",
    "JsonValue",
    "MalformedResponse",
    "Limits",
    "MCPServerError",
    "MaxStepsExceeded",
    "Message",
    "ModelCallVetoed",
    "ModelRequest",
    "ModelResponse",
    "ModelStreamEvent",
    "ModelTimeout",
    "OutputSchema",
    "OutputValidationError",
    "Part",
    "Provider",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "ReasoningPart",
    "Role",
    "RunContext",
    "RunletError",
    "SessionConflict",
    "StateError",
    "StateFormatError",
    "StateOperation",
    "StateStore",
    "StateVetoed",
    "StreamInterrupted",
    "SummarizeOlderTurns",
    "TextPart",
    "TokenBudgeter",
    "TokenCount",
    "Tool",
    "ToolCallPart",
    "ToolDefinition",
    "ToolError",
    "ToolResultPart",
    "ToolRetry",
    "ToolTimeout",
    "Toolset",
    "TrimToolResults",
    "Usage",
    "UnsupportedStateVersion",
    "UsageLimitExceeded",
    "UserError",
    "ValidationError",
    "ValidationIssue",
    "estimate_tokens",
    "tool",
]
