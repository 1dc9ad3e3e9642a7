"""The exceptions Runlet raises. Every one derives from `RunletError`."""

from __future__ import annotations

from collections.abc import Sequence

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
    """The model's final answer never validated against the agent's `output_type`."""


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

    def __init__(self, message: str, *, provider: str = "", status_code: int | None = None) -> None:
        self.provider = provider
        self.status_code = status_code
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


class InvalidHumanResponse(ResumeError, ValueError):
    """A response does not fit the checkpoint: an unknown request, a response of the wrong kind, a bad answer, or one missing."""
