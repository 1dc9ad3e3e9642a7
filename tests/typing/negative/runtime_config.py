"""Runtime policies configured wrongly: the type checkers must reject these."""

from __future__ import annotations

from runlet import Limits, RetryPolicy, RunState, Runtime, ToolRetry, tool
from runlet.providers import FallbackProvider

Limits(max_model_requests="3")  # expect-error
Runtime(sink_timeout="1s")  # expect-error
Runtime(limits={"max_tool_calls": 3})  # expect-error
ToolRetry("busy", delay="soon")  # expect-error
Runtime(checkpoint_key="secret")  # expect-error
Runtime(fatal_tool_errors="yes")  # expect-error
RetryPolicy(retry_shown_output="no")  # expect-error


FallbackProvider()  # expect-error
FallbackProvider("gpt-5.5")  # expect-error


@tool(fatal_errors="yes")  # expect-error
def fragile() -> str:
    """Fragile."""
    return "ok"


@tool(retries="twice")  # expect-error
def flaky() -> str:
    """Flaky."""
    return "ok"


class HalfAnExecutor:
    async def complete(self, model: object, request: object) -> str:
        return "not a response"


Runtime(executor=HalfAnExecutor())  # expect-error
RunState(run_id="r", agent="a", step="1")  # expect-error
