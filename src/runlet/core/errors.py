"""The exceptions Runlet raises. Every one derives from `RunletError`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runlet.core._frozen import frozen


class RunletError(Exception):
    """Base class of every error Runlet raises."""


@frozen
class ValidationIssue:
    """One problem found while validating a value: where it is and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


class ValidationError(RunletError):
    """A value does not match its declared type (tool arguments, structured output)."""

    def __init__(self, issues: Sequence[ValidationIssue]) -> None:
        self.issues: tuple[ValidationIssue, ...] = tuple(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues))


class UserError(RunletError):
    """The program using Runlet is wrong: a bad tool definition, a missing dependency."""


class AgentToolInterrupted(UserError):
    """An agent run as a tool (`Agent.as_tool`) asked a human (an approval, a question), which stops the parent run.

    Only the outermost run can stop for a human and be resumed: ask in the
    parent instead (a hook on its call of the agent tool, say), or give the
    child agent tools that do not ask.
    """


class UnsupportedFeature(UserError):
    """A model or provider cannot do what the request asks (a hosted tool, say); nothing was sent.

    `feature` names what was asked for, `provider` who cannot do it.
    """

    def __init__(self, message: str, *, feature: str, provider: str = "") -> None:
        self.feature = feature
        self.provider = provider
        super().__init__(message)


class UnsupportedContent(UnsupportedFeature):
    """A message carries content the model does not accept (an image for a text-only model, audio for Claude, ...)."""


class UnsupportedSetting(UnsupportedFeature):
    """A `ModelSettings` field the provider cannot send (a seed to Anthropic, say)."""


class ToolError(RunletError):
    """Raised by a tool to send a clean error message back to the model.

    Any other exception a tool raises is also reported to the model; raising
    `ToolError` chooses the exact text the model sees.
    """


class ToolRetry(ToolError):
    """Raised by a tool to be called again, after `delay` seconds, for a passing failure.

    A tool made with `@tool(retries=N)` is called again up to N times; after
    that (or with no retries) the model receives the message as a tool error.
    """

    def __init__(self, message: str, *, delay: float = 0.0) -> None:
        self.delay = delay
        super().__init__(message)


class ToolTimeout(ToolError):
    """A tool call took longer than its timeout."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(f"the tool call timed out after {timeout:g} s")


class FatalToolError(RunletError):
    """A tool raised and its failures are fatal (`Runtime(fatal_tool_errors=True)`, `@tool(fatal_errors=True)`): the run stopped.

    The tool's exception is the `__cause__`; `tool` and `call_id` name the call.
    """

    def __init__(self, message: str, *, tool: str, call_id: str) -> None:
        self.tool = tool
        self.call_id = call_id
        super().__init__(message)


class MCPServerError(RunletError):
    """An MCP server cannot be used: it is not running, it failed to start, or it died (`runlet.mcp`).

    `server` names the server. The message says what happened and what to do:
    enter the server with `async with server:` around the runs that use it,
    and after a failure `await server.restart()` (or leave and enter again).
    """

    def __init__(self, message: str, *, server: str) -> None:
        self.server = server
        super().__init__(message)


class MaxStepsExceeded(RunletError):
    """The run took more model steps than `Agent.max_steps` allows."""


class UsageLimitExceeded(RunletError):
    """A run hit one of its `Limits`: `limit` names it."""

    def __init__(self, limit: str, value: float, maximum: float) -> None:
        self.limit = limit
        self.value = value
        self.maximum = maximum
        super().__init__(f"the run would exceed {limit}={maximum:g} (reached {value:g})")


class OutputValidationError(RunletError):
    """The model's final answer was never accepted: it did not validate against `output_type`, or a validator refused it."""


class OutputRetry(RunletError):
    """Raised by an output validator to refuse the final answer and send the model back with the message.

    The model is asked again up to `Agent(max_output_retries=...)` times; after
    that the run stops with `OutputValidationError`.
    """


class RunNotCompleted(UserError):
    """A stream's result was asked for before its run completed (or after it failed, was cancelled or interrupted)."""


class ContextBudgetExceeded(RunletError):
    """A request does not fit the model's context window, even after compression."""

    def __init__(self, message: str, *, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(message)


class HookError(RunletError):
    """A hook raised or misbehaved; `hook` and `point` say which and where."""

    def __init__(self, message: str, *, hook: str = "", point: str = "") -> None:
        self.hook = hook
        self.point = point
        super().__init__(message)


class ModelCallVetoed(RunletError):
    """A hook vetoed a model call, which stops the run; `hook` and `reason` say who and why."""

    def __init__(self, message: str, *, hook: str = "", reason: str = "") -> None:
        self.hook = hook
        self.reason = reason
        super().__init__(message)


class ProviderError(RunletError):
    """A model provider failed. `retryable` says whether trying again may help."""

    retryable: bool = False

    def __init__(
        self, message: str, *, provider: str = "", status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        self.provider = provider
        self.status_code = status_code
        self.retry_after: float | None = retry_after
        """Seconds the provider asked to wait before the next attempt (`Retry-After`, `retry-after-ms`), if it did.

        The runtime waits at least that long before retrying, and raises the
        error at once when that is longer than `RetryPolicy.max_delay` or than
        what is left of the run's deadline.
        """
        super().__init__(message)


class ModelTimeout(ProviderError):
    """A model call took longer than `Runtime(model_timeout=...)` or the run's deadline allowed."""

    retryable = True


class RateLimited(ProviderError):
    """The provider refused the call for now (HTTP 429)."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """A timeout, a connection failure or a 5xx from the provider."""

    retryable = True


class StreamInterrupted(ProviderUnavailable):
    """A stream broke before its completion event: it ended early, the connection dropped, or an event could not be read.

    Retried like a 5xx, also after part of the answer was shown: the runtime
    then emits `model.stream.discarded` first (see `RetryPolicy.retry_shown_output`).
    """


class AuthenticationFailed(ProviderError):
    """The provider rejected the credentials."""


class BadRequest(ProviderError):
    """The provider rejected the request as malformed."""


class ContextLengthExceeded(BadRequest):
    """The provider says the request is longer than the model's context window."""


class ContentFiltered(ProviderError):
    """The provider's content filter stopped the response."""


class MalformedResponse(ProviderError):
    """The provider sent something Runlet cannot understand (bad JSON, a truncated stream)."""


class ResumeError(RunletError):
    """An interrupted run cannot be resumed as asked (see `Runtime.resume`); nothing was changed."""


class CheckpointConsumed(ResumeError):
    """The checkpoint was already resumed (recorded in the runtime's state store); `checkpoint_id` names it."""

    def __init__(self, message: str, *, checkpoint_id: str = "") -> None:
        self.checkpoint_id = checkpoint_id
        super().__init__(message)


class CheckpointTampered(ResumeError):
    """A checkpoint's signature does not match it: it was changed after it was signed, signed with another key, or not signed.

    Resuming verifies the signature before anything else, so nothing was
    checked, claimed or run; `checkpoint_id` names the checkpoint.
    """

    def __init__(self, message: str, *, checkpoint_id: str = "") -> None:
        self.checkpoint_id = checkpoint_id
        super().__init__(message)


class InvalidHumanResponse(ResumeError, ValueError):
    """A response does not fit the checkpoint: an unknown request, a response of the wrong kind, a bad answer, or one missing."""


class DurableRunError(RunletError):
    """A run on a durable-execution engine (Temporal, DBOS) failed; `error_type` names the error the run raised."""

    def __init__(self, message: str, *, error_type: str) -> None:
        self.error_type = error_type
        super().__init__(message)

    def __reduce__(self) -> tuple[Callable[..., DurableRunError], tuple[str, str]]:
        return _durable_run_error, (str(self), self.error_type)  # an engine that pickles errors gets it back whole


def _durable_run_error(message: str, error_type: str) -> DurableRunError:
    return DurableRunError(message, error_type=error_type)
