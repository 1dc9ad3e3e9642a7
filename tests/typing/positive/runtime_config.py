"""Runtime policies as users configure them: limits, timeouts, retries, tool retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from typing_extensions import assert_type

from runlet import (
    Executor,
    JsonValue,
    Limits,
    LocalExecutor,
    Message,
    ModelRequest,
    ModelResponse,
    ModelTimeout,
    RetryPolicy,
    RunContext,
    RunState,
    Runtime,
    Tool,
    ToolContent,
    ToolRetry,
    Usage,
    UsageLimitExceeded,
    tool,
)
from runlet.budget import Compression, report_usage
from runlet.providers import ModelStreamEvent, Provider

runtime = Runtime(
    limits=Limits(max_model_requests=3, max_tool_calls=10, max_total_tokens=50_000, deadline_seconds=60),
    model_timeout=30,
    tool_timeout=10.5,
    retry=RetryPolicy(max_attempts=3, initial_delay=0.5),
    max_parallel_tools=4,
    sink_timeout=0.5,
)
assert_type(runtime.limits.deadline_seconds, float | None)
assert_type(runtime.retry.delay(2), float)


@tool(retries=2, timeout=5)
async def flaky(order_id: str) -> str:
    """Ask to be called again when the database is busy."""
    raise ToolRetry("database busy", delay=0.1)


def describe(error: UsageLimitExceeded | ModelTimeout) -> str:
    if isinstance(error, UsageLimitExceeded):
        assert_type(error.limit, str)
        assert_type(error.maximum, float)
        return error.limit
    return str(error)


def count_summary(usage: Usage) -> None:
    report_usage(usage)


assert_type(Compression(ModelRequest(messages=[]), (), 0).usage, Usage)


class CountingExecutor:
    """An executor of one's own: every model call and tool call of a run goes through it."""

    def __init__(self) -> None:
        self.local = LocalExecutor()
        self.calls = 0

    async def complete(self, model: Provider, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        return await self.local.complete(model, request)

    def stream(self, model: Provider, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        self.calls += 1
        return self.local.stream(model, request)

    async def call_tool(self, tool: Tool[Any], ctx: RunContext[Any], arguments: JsonValue) -> ToolContent:
        self.calls += 1
        return await self.local.call_tool(tool, ctx, arguments)


counted = Runtime(executor=CountingExecutor())
assert_type(counted.executor, Executor)
state = RunState(run_id="r", agent="support")
assert_type(state.context, tuple[Message, ...])
assert_type(state.usage, Usage)
