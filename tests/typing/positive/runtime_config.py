"""Runtime policies as users configure them: limits, timeouts, retries, tool retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from typing_extensions import assert_type

from runlet import (
    Agent,
    Capabilities,
    Executor,
    FatalToolError,
    JsonValue,
    Limits,
    LocalExecutor,
    Message,
    ModelRequest,
    ModelResponse,
    ModelTimeout,
    ProviderError,
    RateLimited,
    RetryPolicy,
    RunContext,
    RunState,
    Runtime,
    StreamInterrupted,
    Tool,
    ToolContent,
    ToolRetry,
    Usage,
    UsageLimitExceeded,
    tool,
)
from runlet.budget import Compression, report_usage
from runlet.providers import FallbackProvider, ModelStreamEvent, Provider
from runlet.testing import BrokenStream, ScriptedProvider

runtime = Runtime(
    limits=Limits(max_model_requests=3, max_tool_calls=10, max_total_tokens=50_000, deadline_seconds=60),
    model_timeout=30,
    tool_timeout=10.5,
    retry=RetryPolicy(max_attempts=3, initial_delay=0.5),
    max_parallel_tools=4,
    sink_timeout=0.5,
    fatal_tool_errors=True,
    checkpoint_key=b"a secret of at least 16 bytes",
)
assert_type(runtime.limits.deadline_seconds, float | None)
assert_type(runtime.retry.delay(2), float)
assert_type(runtime.fatal_tool_errors, bool)
assert_type(runtime.checkpoint_key, bytes | None)
assert_type(RetryPolicy(retry_shown_output=False).retry_shown_output, bool)


@tool(fatal_errors=False)
def lenient(order_id: str) -> str:
    """Its failures go to the model even when the runtime's are fatal."""
    return order_id


assert_type(lenient.fatal_errors, bool | None)


def waited(error: ProviderError) -> float:
    assert_type(error.retry_after, float | None)
    return error.retry_after or 0.0


def failed_tool(error: FatalToolError) -> str:
    assert_type(error.tool, str)
    return error.call_id


limited = RateLimited("slow down", provider="mine", status_code=429, retry_after=2.5)
broken: StreamInterrupted = StreamInterrupted("cut", provider="mine")
either: Provider = FallbackProvider(ScriptedProvider([limited, BrokenStream(shown="Hel"), "Hello"]), ScriptedProvider(["Hi"]))
assert_type(either.capabilities(), Capabilities)
assert_type(FallbackProvider(either).providers, tuple[Provider, ...])
assert_type(ModelResponse(()).provider, str)
agent = Agent(name="a", model=either)


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
