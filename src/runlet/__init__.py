"""Runlet: a small, observable, strictly typed runtime for Python agents.

    from runlet import Agent, Runtime, tool

This package holds what an agent program is made of: the agent and the
runtime, tools, messages, model requests and responses, the errors, and the
human-in-the-loop types. Each pluggable part has its own module, with its
protocol, the implementations Runlet ships and the types for writing one:
`runlet.providers`, `runlet.stores`, `runlet.events` and `runlet.sinks`,
`runlet.hooks`, `runlet.budget`. Exact token counters are in
`runlet.tokenizers`, offline test providers in `runlet.testing`.
"""

from typing import TYPE_CHECKING

from runlet.core.agent import Agent
from runlet.core.asking import HumanInputRequired, ask_human, require_approval
from runlet.core.context import RunContext
from runlet.core.errors import (
    AgentToolInterrupted,
    AuthenticationFailed,
    BadRequest,
    CheckpointConsumed,
    CheckpointTampered,
    ContentFiltered,
    ContextBudgetExceeded,
    ContextLengthExceeded,
    FatalToolError,
    DurableRunError,
    HookError,
    InvalidHumanResponse,
    MalformedResponse,
    MaxStepsExceeded,
    MCPServerError,
    ModelCallVetoed,
    ModelTimeout,
    OutputRetry,
    OutputValidationError,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ResumeError,
    RunletError,
    RunNotCompleted,
    StreamInterrupted,
    ToolError,
    ToolRetry,
    ToolTimeout,
    UnsupportedContent,
    UnsupportedFeature,
    UnsupportedSetting,
    UsageLimitExceeded,
    UserError,
    ValidationError,
    ValidationIssue,
)
from runlet.core.hosted import CodeInterpreter, FileSearch, HostedTool, WebSearch
from runlet.core.json import JsonObject, JsonValue
from runlet.core.limits import Limits
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImageDetail,
    ImagePart,
    MediaKind,
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from runlet.core.models import (
    Capabilities,
    FinishReason,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    OutputSchema,
    PromptCacheRetention,
    ReasoningEffort,
    ToolChoice,
    ToolDefinition,
    Usage,
    UseTool,
)
from runlet.core.output import OutputValidator
from runlet.core.state import (
    InvalidSessionId,
    SessionConflict,
    StateError,
    StateFormatError,
    StateVetoed,
    StoreUnavailable,
    UnsupportedStateVersion,
)
from runlet.core.tools import FunctionTool, Tool, ToolContent, ToolPrepare, tool
from runlet.core.toolsets import Toolset
from runlet.core.run_state import RunState
from runlet.loop.clock import Clock, SystemClock
from runlet.loop.executor import Executor, LocalExecutor
from runlet.runtime import RetryPolicy, RunResult, RunStream, Runtime

if TYPE_CHECKING:
    from runlet import events as events  # the submodule, read as an attribute
    from runlet.core.human import (
        Answer,
        ApprovalRequest,
        Approve,
        Checkpoint,
        EditArguments,
        HumanRequest,
        HumanResponse,
        InputRequest,
        Interruption,
        PendingCall,
        Reject,
        RunInterrupted,
        checkpoint_resumed,
        load_checkpoint,
        save_checkpoint,
    )
else:
    from runlet.core._deferred import deferred_exports

    # The event classes and the checkpoint types are built on first use: a run that
    # needs neither never imports them (see runlet.core._deferred).
    __getattr__, __dir__ = deferred_exports(
        globals(),
        {
            "events": "runlet.events",
            **dict.fromkeys(
                (
                    "Answer",
                    "ApprovalRequest",
                    "Approve",
                    "Checkpoint",
                    "EditArguments",
                    "HumanRequest",
                    "HumanResponse",
                    "InputRequest",
                    "Interruption",
                    "PendingCall",
                    "Reject",
                    "RunInterrupted",
                    "checkpoint_resumed",
                    "load_checkpoint",
                    "save_checkpoint",
                ),
                "runlet.core.human",
            ),
        },
    )

__version__ = "0.3.0a1"

__all__ = [
    "Agent",
    "AgentToolInterrupted",
    "Answer",
    "ApprovalRequest",
    "Approve",
    "AudioPart",
    "AuthenticationFailed",
    "BadRequest",
    "Capabilities",
    "Checkpoint",
    "CheckpointConsumed",
    "CheckpointTampered",
    "Clock",
    "CodeInterpreter",
    "ContentFiltered",
    "ContextBudgetExceeded",
    "ContextLengthExceeded",
    "DocumentPart",
    "DurableRunError",
    "EditArguments",
    "Executor",
    "FatalToolError",
    "FileSearch",
    "FinishReason",
    "FunctionTool",
    "HookError",
    "HostedTool",
    "HostedToolPart",
    "HumanInputRequired",
    "HumanRequest",
    "HumanResponse",
    "ImageDetail",
    "ImagePart",
    "InputRequest",
    "Interruption",
    "InvalidHumanResponse",
    "InvalidSessionId",
    "JsonObject",
    "JsonValue",
    "Limits",
    "LocalExecutor",
    "MCPServerError",
    "MalformedResponse",
    "MaxStepsExceeded",
    "MediaKind",
    "MediaPart",
    "Message",
    "ModelCallVetoed",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "ModelTimeout",
    "OutputRetry",
    "OutputSchema",
    "OutputValidationError",
    "OutputValidator",
    "Part",
    "PendingCall",
    "PromptCacheRetention",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "ReasoningEffort",
    "ReasoningPart",
    "Reject",
    "ResumeError",
    "RetryPolicy",
    "Role",
    "RunContext",
    "RunInterrupted",
    "RunNotCompleted",
    "RunResult",
    "RunState",
    "RunStream",
    "RunletError",
    "Runtime",
    "SessionConflict",
    "StateError",
    "StateFormatError",
    "StateVetoed",
    "StoreUnavailable",
    "StreamInterrupted",
    "SystemClock",
    "TextPart",
    "Tool",
    "ToolCallPart",
    "ToolChoice",
    "ToolContent",
    "ToolDefinition",
    "ToolError",
    "ToolPrepare",
    "ToolResultPart",
    "ToolRetry",
    "ToolTimeout",
    "Toolset",
    "UnsupportedContent",
    "UnsupportedFeature",
    "UnsupportedSetting",
    "UnsupportedStateVersion",
    "Usage",
    "UsageLimitExceeded",
    "UseTool",
    "UserError",
    "ValidationError",
    "ValidationIssue",
    "WebSearch",
    "__version__",
    "ask_human",
    "checkpoint_resumed",
    "load_checkpoint",
    "require_approval",
    "save_checkpoint",
    "tool",
]
