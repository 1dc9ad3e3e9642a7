"""Structured events: the event classes, the `Event` union and the `EventSink` protocol.

```python
from runlet.events import Event, ToolCompleted
```

Every event is a frozen dataclass with a stable `type` string (`RunStarted`
is `"run.started"`), a JSON `payload`, and the run id, step, sequence number
and span ids (see `EventBase` and docs/events.md). `import runlet` does not
import this module: the event classes are built when a sink or a `stream()`
consumer first needs them.
"""

from runlet.core.events import (
    EVENT_TYPES,
    ContextBudgetChecked,
    ContextCompressed,
    Event,
    EventBase,
    EventSink,
    HookDecided,
    HumanRequested,
    HumanResponded,
    ModelCompleted,
    ModelFailed,
    ModelRequested,
    ModelRetried,
    ModelStreamCompleted,
    ModelStreamDelta,
    ModelStreamPartialOutput,
    ModelStreamDiscarded,
    ModelStreamReasoningDelta,
    ModelStreamStarted,
    ModelStreamToolCallDelta,
    OutputValidationFailed,
    PolicyStopped,
    RunCancelled,
    RunCompleted,
    RunFailed,
    RunResumed,
    RunStarted,
    RunSuspended,
    StateLoaded,
    StateSaved,
    StepCompleted,
    StepStarted,
    ToolCompleted,
    ToolDenied,
    ToolFailed,
    ToolStarted,
    ToolTimedOut,
    payload_fields,
)

__all__ = [
    "EVENT_TYPES",
    "ContextBudgetChecked",
    "ContextCompressed",
    "Event",
    "EventBase",
    "EventSink",
    "HookDecided",
    "HumanRequested",
    "HumanResponded",
    "ModelCompleted",
    "ModelFailed",
    "ModelRequested",
    "ModelRetried",
    "ModelStreamCompleted",
    "ModelStreamDelta",
    "ModelStreamDiscarded",
    "ModelStreamPartialOutput",
    "ModelStreamReasoningDelta",
    "ModelStreamStarted",
    "ModelStreamToolCallDelta",
    "OutputValidationFailed",
    "PolicyStopped",
    "RunCancelled",
    "RunCompleted",
    "RunFailed",
    "RunResumed",
    "RunStarted",
    "RunSuspended",
    "StateLoaded",
    "StateSaved",
    "StepCompleted",
    "StepStarted",
    "ToolCompleted",
    "ToolDenied",
    "ToolFailed",
    "ToolStarted",
    "ToolTimedOut",
    "payload_fields",
]
