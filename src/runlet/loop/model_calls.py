"""Calling the model: fit the request to the window, hooks, the call itself (streamed or not), retries, timeouts.

`call_model` ends with one `ModelTurn`: the state after the call and the
response the run goes on with. `stream_model` does the same with a streamed
call, yielding its events as they happen (deltas included) before the turn.
Every call goes through the runtime's `Executor`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from typing_extensions import assert_never

from runlet.core._frozen import frozen
from runlet.core.errors import ContextBudgetExceeded, ModelCallVetoed, ModelTimeout, ProviderError, StreamInterrupted
from runlet.core.hooks import Interrupted, Proceed, Vetoed
from runlet.core.messages import HostedToolPart, ToolCallPart
from runlet.core.models import (
    ModelRequest,
    ModelResponse,
    ReasoningDelta,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
)
from runlet.core.output import PartialOutput
from runlet.core.run_state import RunState
from runlet.loop.executor import current_call
from runlet.loop.run import Run
from runlet.loop.step_tools import StepTools, step_tools

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core import events
else:
    from runlet.core._deferred import DeferredModule
    from runlet.core._frozen import replace

    events = DeferredModule("runlet.core.events")

T = TypeVar("T")


@frozen
class ModelTurn:
    """What one model call left: the state after it (usage, counters, a compressed context, the model's turn added), the response, the step's tools."""

    state: RunState
    response: ModelResponse
    tools: StepTools
    """The step's tools, offering those of the request the model answered (after hooks): the only tools its calls may run."""
    calls: tuple[ToolCallPart, ...]
    """The response's tool calls."""


async def call_model(run: Run, state: RunState) -> ModelTurn:
    """The step's tools, fit, hooks, one call (`Provider.complete` through the executor), hooks."""
    tools = run.static_tools or await step_tools(run.agent, run.context(state))
    prepared = await _prepare(run, state, tools)
    match prepared:
        case ModelTurn():
            return prepared
        case _Sending(state=state, request=request, attempts=attempts):
            response = await _complete(run, request, attempts)
            return await _received(run, state, request, response, attempts, tools)


async def stream_model(run: Run, state: RunState) -> AsyncGenerator[events.Event | ModelTurn, None]:
    """`call_model` with a streamed call: the events as they happen (deltas included), then the `ModelTurn`."""
    tools = run.static_tools or await step_tools(run.agent, run.context(state))
    prepared = await _prepare(run, state, tools)
    match prepared:
        case ModelTurn():
            turn = prepared
        case _Sending(state=state, request=request, attempts=attempts):
            response: ModelResponse | None = None
            async with aclosing(_streamed(run, request, attempts)) as items:
                async for item in items:  # closing it at once closes the HTTP stream
                    if isinstance(item, ModelResponse):
                        response = item
                    else:
                        yield item
            assert response is not None, "a streamed call ends with its response or raises"
            turn = await _received(run, state, request, response, attempts, tools)
    for event in run.emitter.drain():
        yield event
    yield turn


@frozen
class _Sending:
    """A request ready to send: it fits, and the hooks let it go."""

    state: RunState
    request: ModelRequest
    attempts: _Attempts


async def _prepare(run: Run, state: RunState, tools: StepTools) -> _Sending | ModelTurn:
    """The request offering the step's `tools`, fitted and past the hooks; or the turn, when a hook answered it (nothing is sent)."""
    agent = run.agent
    settings = run.static_settings or await run.step_settings(state)
    if tools is not run.static_tools:  # static tools had the tool choice checked once
        run.check_tool_choice(settings, tools)
    request = ModelRequest(
        messages=state.context,
        tools=tools.definitions,
        output=run.output.schema,
        max_output_tokens=settings.max_output_tokens,
        options=agent.options,
        settings=settings,
        hosted_tools=agent.hosted_tools,
    )
    request, state = await _fit(run, state, request)
    answer = await _before(run, state, request) if "before_model_call" in run.hooks.points else request
    span = run.emitter.span()
    if isinstance(answer, ModelResponse):
        return await _after(run, state, request, answer, span, state.model_requests, tools)
    run.check_content(tuple(answer.messages))
    emitter = run.emitter
    if emitter.listening:
        await emitter.emit(
            lambda: events.ModelRequested(
                **emitter.under_step(span),
                provider=type(agent.model).__name__,
                messages=len(answer.messages),
                tools=len(answer.tools),
                streaming=run.streaming,
            )
        )
    return _Sending(state, answer, _Attempts(run, state, span))


def _received(
    run: Run, state: RunState, request: ModelRequest, response: ModelResponse, attempts: _Attempts, tools: StepTools
) -> Coroutine[Any, Any, ModelTurn]:
    """The budgeter learns the reported usage; then `_after` (whose coroutine this hands back, not wrapping it in one more)."""
    run.runtime.budgeter.observe(request, response.usage)
    return _after(run, state, request, response, attempts.span, attempts.requests, tools)


# Budgeting


async def _fit(run: Run, state: RunState, request: ModelRequest) -> tuple[ModelRequest, RunState]:
    """The request, compressed if it must be, once it fits the window (and the state with its context); raises if it cannot."""
    budgeter, emitter = run.runtime.budgeter, run.emitter
    reserve = request.max_output_tokens or run.capabilities.max_output_tokens
    window = run.capabilities.context_window
    limit = window - reserve
    count = budgeter.count(request)
    if emitter.listening:
        await emitter.emit(
            lambda: events.ContextBudgetChecked(**emitter.of_step(), tokens=count.tokens, limit=limit, window=window, source=count.source)
        )
    if count.tokens <= limit:
        return request, state
    ctx = run.context(state)
    before = await run.hooks.decide("before_compression", ctx, request, (), ModelRequest)
    await run.emitter.report_hooks(before.decisions)
    match before:
        case Vetoed(hook=hook, reason=reason):
            raise ContextBudgetExceeded(
                f"the request needs {count.tokens} tokens, {count.tokens - limit} more than the "
                f"{limit} available, and hook {hook!r} vetoed compression: {reason}",
                needed=count.tokens,
                available=limit,
            )
        case Proceed(value=to_compress):
            pass
        case Interrupted():
            raise AssertionError("only before_tool_call hooks interrupt")  # the hook engine refuses it
        case _:
            assert_never(before)
    compression = await budgeter.compress(to_compress, limit)
    state = replace(state, usage=state.usage + compression.usage)  # a summary's model call, say
    after = await run.hooks.decide("after_compression", ctx, compression.request, (to_compress,), ModelRequest)
    await run.emitter.report_hooks(after.decisions)
    compressed = after.value if isinstance(after, Proceed) else compression.request
    tokens = budgeter.count(compressed).tokens
    await emitter.emit(
        lambda: events.ContextCompressed(
            **emitter.of_step(),
            tokens_before=count.tokens,
            tokens_after=tokens,
            strategies=compression.strategies,
            removed_messages=len(request.messages) - len(compressed.messages),
            usage=compression.usage,
        )
    )
    run.runtime.limits.check_usage(state.usage)
    if tokens > limit:
        raise ContextBudgetExceeded(
            f"the request needs {tokens} tokens after compression "
            f"({', '.join(compression.strategies) or 'nothing could be removed'}), "
            f"{tokens - limit} more than the {limit} available "
            f"(window {window} less {reserve} reserved for output); nothing was sent",
            needed=tokens,
            available=limit,
        )
    return compressed, replace(state, context=tuple(compressed.messages))


# Hooks


async def _before(run: Run, state: RunState, request: ModelRequest) -> ModelRequest | ModelResponse:
    """The request to send, or a hook's answer that skips the call; raises on a veto."""
    decided = await run.hooks.decide("before_model_call", run.context(state), request, (), (ModelRequest, ModelResponse))
    await run.emitter.report_hooks(decided.decisions)
    match decided:
        case Proceed(value=value):
            answer: ModelRequest | ModelResponse = value
            return answer
        case Vetoed(hook=hook, reason=reason):
            raise ModelCallVetoed(f"hook {hook!r} vetoed the model call: {reason}", hook=hook, reason=reason)
        case Interrupted():
            raise AssertionError("only before_tool_call hooks interrupt")  # the hook engine refuses it
        case _:
            assert_never(decided)


async def _after(
    run: Run, state: RunState, request: ModelRequest, response: ModelResponse, span: str, requests: int, tools: StepTools
) -> ModelTurn:
    """The response after hooks, and the state with its usage, request and tool-call counts, checked against the limits."""
    if "after_model_call" in run.hooks.points:
        after = await run.hooks.decide("after_model_call", run.context(state), response, (request,), ModelResponse)
        await run.emitter.report_hooks(after.decisions)
        if isinstance(after, Proceed):
            response = after.value
    message = response.message  # the model's turn joins the conversation, its tool calls counted
    calls, made = response.tool_calls, state.tool_calls
    state = replace(
        state,
        usage=state.usage + response.usage,
        model_requests=requests,
        tool_calls=made + len(calls),
        new=(*state.new, message),
        context=(*state.context, message),
    )
    run.runtime.limits.check_usage(state.usage)
    final = response
    emitter = run.emitter
    if emitter.listening:
        await emitter.emit(
            lambda: events.ModelCompleted(
                **emitter.under_step(span),
                provider=final.provider or type(run.agent.model).__name__,
                model=final.model,
                finish_reason=final.finish_reason,
                usage=final.usage,
                text=final.text,
                tool_calls=tuple(call.name for call in calls),
                hosted_tool_calls=tuple(p.name for p in final.parts if isinstance(p, HostedToolPart) and not p.result),
            )
        )
    if emitter.streaming and not run.streaming and final.text:
        # stream() on a model that cannot stream: the whole text arrives as one delta.
        await emitter.emit(lambda: events.ModelStreamDelta(**emitter.under_step(span), delta=final.text))
        partial = run.output.partial()
        if partial is not None and partial.feed(final.text):
            await _partial_output(run, span, partial)
    if calls:
        run.runtime.limits.check_tool_calls(made, len(calls))
    if request.tools is not tools.definitions:  # a hook changed the request's tools: it offered these
        tools = tools.offering(request.tools)
    return ModelTurn(state, response, tools, calls)


async def _partial_output(run: Run, span: str, partial: PartialOutput) -> None:
    """`model.stream.partial_output`: a text delta completed a value of the structured answer."""
    emitter, output = run.emitter, partial.value
    await emitter.emit(lambda: events.ModelStreamPartialOutput(**emitter.under_step(span), output=output))


# The call, with retries and timeouts


class _Attempts:
    """Counts a model call's attempts against the request limit and reports failed ones."""

    __slots__ = ("run", "span", "requests", "attempt")

    def __init__(self, run: Run, state: RunState, span: str) -> None:
        self.run = run
        self.span = span
        self.requests = state.model_requests
        """Model requests of the run, this call's attempts included."""
        self.attempt = 0

    def start(self) -> float | None:
        """Count one more attempt (checking `max_model_requests`); the seconds it may take."""
        self.run.runtime.limits.check_request(self.requests)
        self.requests += 1
        self.attempt += 1
        return self.run.deadline.time_left(self.run.runtime.model_timeout)

    async def failed(self, error: ProviderError, *, shown: bool) -> float:
        """Report the failed attempt; return the seconds to wait before the next one, or raise `error` when there is none.

        There is none when the error is not retryable, the attempts are used
        up, part of the answer was shown and the policy does not retry then,
        or the wait (at least the provider's `retry_after`) would be longer
        than `max_delay` or pass the run's deadline. When output was shown,
        `model.stream.discarded` comes before `model.retried`.
        """
        run, policy, attempt = self.run, self.run.runtime.retry, self.attempt
        emitter = run.emitter
        await emitter.emit(
            lambda: events.ModelFailed(
                **emitter.under_step(self.span),
                error_type=type(error).__name__,
                message=str(error),
                retryable=error.retryable,
                attempt=attempt,
            )
        )
        if not error.retryable or attempt >= policy.max_attempts or (shown and not policy.retry_shown_output):
            raise error
        delay = policy.delay(attempt, run.runtime.clock.uniform)
        source: Literal["backoff", "retry-after"] = "backoff"
        asked = error.retry_after
        if asked is not None and asked >= delay:
            if asked > policy.max_delay:
                raise error  # retrying sooner than the provider asked would only be refused again
            delay, source = asked, "retry-after"
        left = run.deadline.time_left(None)
        if left is not None and delay >= left:
            raise error  # the next attempt could not start before the deadline
        if shown:
            await emitter.emit(
                lambda: events.ModelStreamDiscarded(
                    **emitter.under_step(self.span), attempt=attempt, error_type=type(error).__name__
                )
            )
        await emitter.emit(
            lambda: events.ModelRetried(
                **emitter.under_step(self.span),
                attempt=attempt + 1,
                delay_seconds=delay,
                delay_source=source,
                error_type=type(error).__name__,
            )
        )
        return delay


async def _complete(run: Run, request: ModelRequest, attempts: _Attempts) -> ModelResponse:
    """One model call through the executor, within the timeout, retried by the retry policy."""
    while True:
        timeout = attempts.start()
        calling = current_call.set((run.emitter.run_id, attempts.span, run.agent.name)) if run.remote else None
        try:
            sent = run.runtime.executor.complete(run.agent.model, request)
            return await (sent if timeout is None else _within(run, sent, timeout))
        except ProviderError as error:
            delay = await attempts.failed(error, shown=False)
        finally:
            if calling is not None:
                current_call.reset(calling)
        await asyncio.sleep(delay)


async def _streamed(run: Run, request: ModelRequest, attempts: _Attempts) -> AsyncGenerator[events.Event | ModelResponse, None]:
    """A streamed model call: its events as they come, then the response.

    A failed attempt is retried by the retry policy, also after part of the
    answer was shown (`RetryPolicy.retry_shown_output`): the consumer then
    gets `model.stream.discarded` before the next attempt streams the answer
    from its start. Only the completed attempt's response goes on, so its
    messages and tool calls are the run's and no tool call runs twice.
    """
    emitter = run.emitter
    while True:
        timeout = attempts.start()
        shown = False
        try:
            await emitter.emit(lambda: events.ModelStreamStarted(**emitter.under_step(attempts.span)))
            async with aclosing(_stream(run, request, attempts.span, timeout)) as items:
                async for item in items:
                    if isinstance(item, ModelResponse):
                        await emitter.emit(lambda: events.ModelStreamCompleted(**emitter.under_step(attempts.span)))
                        for event in emitter.drain():
                            yield event
                        yield item
                        return
                    shown = True
                    yield item
        except ProviderError as error:
            delay = await attempts.failed(error, shown=shown)
            for event in emitter.drain():  # the consumer hears of the discarded output before the wait
                yield event
            await asyncio.sleep(delay)


async def _stream(
    run: Run, request: ModelRequest, span: str, timeout: float | None
) -> AsyncGenerator[events.Event | ModelResponse, None]:
    """The provider's stream as events, then its completed response; `StreamInterrupted` if it never completes."""
    emitter = run.emitter
    if run.remote:
        calling = current_call.set((run.emitter.run_id, span, run.agent.name))
        try:
            stream = run.runtime.executor.stream(run.agent.model, request)
        finally:
            current_call.reset(calling)
    else:
        stream = run.runtime.executor.stream(run.agent.model, request)
    items = stream if timeout is None else _bounded(run, stream, timeout)
    names: dict[str, str] = {}
    partial = run.output.partial()  # each attempt's answer is read afresh
    response: ModelResponse | None = None
    try:
        async for item in items:
            match item:
                case TextDelta(delta=delta):
                    await emitter.emit(lambda: events.ModelStreamDelta(**emitter.under_step(span), delta=delta))
                    if partial is not None and partial.feed(delta):
                        await _partial_output(run, span, partial)
                case ReasoningDelta(delta=delta):
                    await emitter.emit(lambda: events.ModelStreamReasoningDelta(**emitter.under_step(span), delta=delta))
                case ToolCallStarted(call_id=call_id, name=name):
                    names[call_id] = name
                case ToolCallDelta(call_id=call_id, delta=delta):
                    await emitter.emit(
                        lambda: events.ModelStreamToolCallDelta(
                            **emitter.under_step(span), call_id=call_id, tool=names.get(call_id, ""), delta=delta
                        )
                    )
                case ToolCallDone():
                    pass  # the calls to run are those of the completed response
                case ResponseCompleted(response=completed):
                    response = completed
                case _:
                    assert_never(item)
            for event in emitter.drain():
                yield event
    finally:
        close: Callable[[], Awaitable[object]] | None = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    if response is None:
        raise StreamInterrupted(
            f"the stream from {type(run.agent.model).__name__} ended without a completed response (ResponseCompleted)"
        )
    yield response


async def _within(run: Run, awaitable: Awaitable[T], timeout: float) -> T:
    """Await a model operation, raising `ModelTimeout` (or the deadline) when it takes too long."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        run.deadline.time_left(None)  # raises if the run's deadline is what ran out
        raise ModelTimeout(f"the model call took longer than {timeout:g} s", provider=type(run.agent.model).__name__) from None


async def _bounded(run: Run, stream: AsyncIterator[T], timeout: float) -> AsyncIterator[T]:
    """The items of `stream`, all of them within `timeout` seconds."""
    clock = run.runtime.clock
    end = clock.monotonic() + timeout
    iterator = aiter(stream)
    while True:
        try:
            item = await _within(run, anext(iterator), max(0.0, end - clock.monotonic()))
        except StopAsyncIteration:
            return
        yield item
