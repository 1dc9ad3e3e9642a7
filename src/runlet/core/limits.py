"""Limits on a run: model requests, tool calls, tokens and wall-clock time."""

from __future__ import annotations


from runlet.core._frozen import frozen
from runlet.core.errors import UsageLimitExceeded
from runlet.core.models import Usage


@frozen
class Limits:
    """What one run may use; `None` means no limit. Hitting one stops the run with `UsageLimitExceeded`."""

    max_model_requests: int | None = None
    max_tool_calls: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_total_tokens: int | None = None
    deadline_seconds: float | None = None
    """Wall-clock seconds from the start of the run."""

    def check_request(self, made: int) -> None:
        """Before a model request (a retry included): may one more be sent, `made` having been sent?"""
        _check("max_model_requests", made + 1, self.max_model_requests)

    def check_usage(self, usage: Usage) -> None:
        """After a model call: are the token totals within bounds?"""
        _check("max_input_tokens", usage.input_tokens, self.max_input_tokens)
        _check("max_output_tokens", usage.output_tokens, self.max_output_tokens)
        _check("max_total_tokens", usage.total_tokens, self.max_total_tokens)

    def check_tool_calls(self, made: int, asked: int) -> None:
        """Before a turn's tool calls: `made` so far, `asked` now."""
        _check("max_tool_calls", made + asked, self.max_tool_calls)

    def check_totals(self, requests: int, tool_calls: int, usage: Usage) -> None:
        """After agents run as tools added what they used: are the run's totals within bounds?"""
        _check("max_model_requests", requests, self.max_model_requests)
        _check("max_tool_calls", tool_calls, self.max_tool_calls)
        self.check_usage(usage)

    def remaining(self, requests: int, tool_calls: int, usage: Usage, elapsed: float) -> Limits:
        """What is left of these limits to a run that has used this much (an agent run as a tool gets it)."""
        deadline = self.deadline_seconds
        return Limits(
            max_model_requests=_left(self.max_model_requests, requests),
            max_tool_calls=_left(self.max_tool_calls, tool_calls),
            max_input_tokens=_left(self.max_input_tokens, usage.input_tokens),
            max_output_tokens=_left(self.max_output_tokens, usage.output_tokens),
            max_total_tokens=_left(self.max_total_tokens, usage.total_tokens),
            deadline_seconds=None if deadline is None else deadline - elapsed,
        )


def _left(maximum: int | None, used: int) -> int | None:
    return None if maximum is None else maximum - used


def _check(limit: str, value: float, maximum: float | None) -> None:
    if maximum is not None and value > maximum:
        raise UsageLimitExceeded(limit, value, maximum)
