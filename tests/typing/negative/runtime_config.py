"""Runtime policies configured wrongly: the type checkers must reject these."""

from __future__ import annotations

from runlet import Limits, RunState, Runtime, ToolRetry, tool

Limits(max_model_requests="3")  # expect-error
Runtime(sink_timeout="1s")  # expect-error
Runtime(limits={"max_tool_calls": 3})  # expect-error
ToolRetry("busy", delay="soon")  # expect-error


@tool(retries="twice")  # expect-error
def flaky() -> str:
    """Flaky."""
    return "ok"


class HalfAnExecutor:
    async def complete(self, model: object, request: object) -> str:
        return "not a response"


Runtime(executor=HalfAnExecutor())  # expect-error
RunState(run_id="r", agent="a", step="1")  # expect-error
