"""Provider faults over real HTTP, for each of the three providers: Retry-After, broken streams, tools in options.

Each test starts the API's fake server (`fault_apis`), scripts the fault and
what follows it, and runs an agent through the runtime.
"""

from __future__ import annotations

import email.utils
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fault_apis import ANTHROPIC, APIS, CHAT, RESPONSES, Api  # noqa: E402
from provider_cases import ask  # noqa: E402
from openai_server import FakeResponsesServer  # noqa: E402

from runlet import (  # noqa: E402
    Agent,
    AuthenticationFailed,
    BadRequest,
    Capabilities,
    Limits,
    ProviderUnavailable,
    RateLimited,
    RetryPolicy,
    Runtime,
    StreamInterrupted,
    UserError,
    tool,
)
from runlet.events import Event, ModelCompleted, ModelFailed, ModelRetried, ModelStreamDiscarded, ToolCompleted  # noqa: E402
from runlet.providers import FallbackProvider  # noqa: E402
from runlet.providers._envelope import retry_after  # noqa: E402
from runlet.sinks import MemorySink  # noqa: E402
from runlet.testing import ScriptedProvider  # noqa: E402

FAST = RetryPolicy(initial_delay=0.001, jitter=0.0)
"""Retries without a noticeable backoff, so that a `Retry-After` is what decides the wait."""

each_api = pytest.mark.parametrize("api", APIS, ids=[api.name for api in APIS])

ran: list[str] = []


@tool
def lookup(order_id: str) -> str:
    """Look an order up by id."""
    ran.append(order_id)
    return f"order {order_id}: shipped"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    ran.clear()
    yield


def agent(api: Api, server: FakeResponsesServer, **options: Any) -> Agent[None, str]:
    return Agent(name="support", model=api.provider(server), tools=(lookup,), options={api.options_key: options} if options else {})


def visible_text(events: list[Event]) -> str:
    """What a stream's consumer shows, discarding the output of a call that broke (as the README says to)."""
    shown: dict[str, list[str]] = {}
    for event in events:
        if event.type == "model.stream.delta":
            shown.setdefault(event.span_id, []).append(str(event.payload["delta"]))
        elif event.type == "model.stream.discarded":
            shown.pop(event.span_id, None)
    return "".join("".join(parts) for parts in shown.values())


# -- Retry-After -----------------------------------------------------------------------


@each_api
async def test_retry_after_ms_is_waited_for_and_reported(api: Api) -> None:
    sink = MemorySink()
    with api.server() as server:
        server.add(api.with_headers(api.error(429, "slow down"), {"retry-after-ms": "40"}), api.text("done"))
        result = await Runtime(sinks=(sink,), retry=FAST).run(agent(api, server), "hi")
    assert result.output == "done" and len(server.requests) == 2
    (failed,) = sink.of_type(ModelFailed)
    (retried,) = sink.of_type(ModelRetried)
    assert failed.error_type == "RateLimited"
    assert (retried.delay_source, retried.delay_seconds) == ("retry-after", 0.04)


@each_api
async def test_a_retry_after_longer_than_max_delay_fails_at_once(api: Api) -> None:
    sink = MemorySink()
    with api.server() as server:
        server.add(api.with_headers(api.error(429, "slow down"), {"Retry-After": "30"}))
        with pytest.raises(RateLimited) as caught:
            await Runtime(sinks=(sink,), retry=FAST).run(agent(api, server), "hi")
    assert caught.value.retry_after == 30.0 and len(server.requests) == 1
    assert sink.of_type(ModelRetried) == []


async def test_a_wait_that_would_pass_the_deadline_fails_at_once_with_the_providers_error() -> None:
    api = RESPONSES
    with api.server() as server:
        server.add(api.with_headers(api.error(503, "busy"), {"Retry-After": "3"}))
        runtime = Runtime(retry=FAST, limits=Limits(deadline_seconds=2))
        with pytest.raises(ProviderUnavailable) as caught:  # not a deadline error some time later
            await runtime.run(agent(api, server), "hi")
    assert type(caught.value) is ProviderUnavailable and caught.value.retry_after == 3.0
    assert len(server.requests) == 1


class _Response:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


class _Failure(Exception):
    def __init__(self, **headers: str) -> None:
        self.response = _Response({name.replace("_", "-"): value for name, value in headers.items()})


def test_retry_after_reads_milliseconds_seconds_and_http_dates() -> None:
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    earlier = email.utils.formatdate(time.time() - 120, usegmt=True)
    assert retry_after(_Failure(retry_after_ms="250", retry_after="9")) == 0.25  # milliseconds win
    assert retry_after(_Failure(retry_after="2")) == 2.0
    assert retry_after(_Failure(retry_after="1.5")) == 1.5
    assert 100 < (retry_after(_Failure(retry_after=later)) or 0) <= 120
    assert retry_after(_Failure(retry_after=earlier)) == 0.0
    for junk in ("soon", "-1", "nan", "inf", ""):
        assert retry_after(_Failure(retry_after=junk)) is None
    assert retry_after(_Failure()) is None and retry_after(ValueError("no response")) is None


# -- Broken streams --------------------------------------------------------------------


@each_api
@pytest.mark.parametrize("fault", ["truncated", "disconnected", "not json"])
async def test_a_broken_stream_is_retried_after_text_was_shown_and_the_consumer_told(api: Api, fault: str) -> None:
    partial = api.stream_text(["Hel", "lo, wor"], False)
    broken = {
        "truncated": api.sse(partial),
        "disconnected": api.sse(partial, end="abort"),
        "not json": api.sse([*partial, api.garbage]),
    }[fault]
    with api.server() as server:
        server.add(broken, api.sse(api.stream_text(["Hello, ", "world."], True)))
        events = [event async for event in Runtime(retry=FAST).stream(agent(api, server), "hi")]
    types = [event.type for event in events]
    (failed,) = [event for event in events if isinstance(event, ModelFailed)]
    assert ("cannot read" in failed.message) == (fault == "not json")
    (discarded,) = [event for event in events if isinstance(event, ModelStreamDiscarded)]
    assert discarded.attempt == 1 and discarded.error_type == "StreamInterrupted"
    assert types.index("model.stream.discarded") < types.index("model.retried") < types.index("model.stream.completed")
    assert visible_text(events) == "Hello, world."
    assert types[-1] == "run.completed" and events[-1].payload["output"] == "Hello, world."


@each_api
async def test_tools_run_only_from_the_completed_response(api: Api) -> None:
    arguments = '{"order_id": "42"}'
    with api.server() as server:
        server.add(
            api.sse(api.stream_call("call_1", "lookup", arguments, False), end="abort"),
            api.sse(api.stream_call("call_1", "lookup", arguments, True)),
            api.sse(api.stream_text(["It shipped."], True)),
        )
        events = [event async for event in Runtime(retry=FAST).stream(agent(api, server), "where is 42?")]
    assert ran == ["42"]
    assert len([e for e in events if isinstance(e, ToolCompleted)]) == 1
    assert len(server.requests) == 3 and events[-1].payload["output"] == "It shipped."


async def test_retries_after_shown_output_can_be_turned_off() -> None:
    api = CHAT
    with api.server() as server:
        server.add(api.sse(api.stream_text(["Hel"], False), end="abort"))
        runtime = Runtime(retry=RetryPolicy(retry_shown_output=False))
        seen: list[str] = []
        with pytest.raises(StreamInterrupted):
            async for event in runtime.stream(agent(api, server), "hi"):
                seen.append(event.type)
    assert len(server.requests) == 1 and "model.stream.discarded" not in seen and seen[-1] == "run.failed"


async def test_the_run_keeps_only_the_completed_attempt() -> None:
    api = ANTHROPIC
    with api.server() as server:
        server.add(api.sse(api.stream_text(["I am sure it is"], False)), api.sse(api.stream_text(["Shipped."], True)))
        runtime = Runtime(retry=FAST)
        result: list[Event] = [event async for event in runtime.stream(agent(api, server), "hi")]
        server.add(api.text("ok"))
        follow = await runtime.run(agent(api, server), "again")
    assert result[-1].payload["output"] == "Shipped."
    assert "I am sure" not in str(server.requests[-1].body) and follow.output == "ok"


# -- Tools in provider options ----------------------------------------------------------

HOSTED = {
    "responses": {"type": "web_search"},
    "chat": {"type": "web_search"},
    "anthropic": {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
}
FUNCTION = {
    "responses": {"type": "function", "name": "refund", "parameters": {"type": "object"}},
    "chat": {"type": "function", "function": {"name": "refund", "parameters": {"type": "object"}}},
    "anthropic": {"name": "refund", "input_schema": {"type": "object"}},
}


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [str(t.get("name") or t.get("function", {}).get("name") or t["type"]) for t in tools]


@each_api
async def test_hosted_tools_in_options_are_sent_with_the_agents_tools(api: Api) -> None:
    with api.server() as server:
        server.add(api.text("done"))
        try:
            await Runtime().run(agent(api, server, tools=[HOSTED[api.name]]), "hi")
        except Exception:  # the fake Chat Completions server knows no hosted tools (400); the request is what counts
            assert api is CHAT
        (request,) = server.requests
    assert tool_names(api.tools(request.json)) == ["lookup", "web_search"]


@each_api
async def test_function_tools_in_options_are_refused_with_how_to_give_them(api: Api) -> None:
    with api.server() as server:
        with pytest.raises(UserError, match=r"function tool.*Agent\(tools=\.\.\.\).*hosted tools") as caught:
            await Runtime().run(agent(api, server, tools=[FUNCTION[api.name]]), "hi")
        with pytest.raises(UserError, match="must be a list"):
            await Runtime().run(agent(api, server, tools={"type": "web_search"}), "hi")
        assert server.requests == []
    assert f'options["{api.options_key}"]["tools"]' in str(caught.value)


async def test_a_hosted_tool_may_not_take_an_agent_tools_name() -> None:
    api = ANTHROPIC
    clash = {"type": "web_search_20250305", "name": "lookup"}
    with api.server() as server:
        with pytest.raises(UserError, match="named 'lookup', and so has the agent"):
            await Runtime().run(agent(api, server, tools=[clash]), "hi")


# -- FallbackProvider -------------------------------------------------------------------


async def test_fallback_over_http_uses_the_next_provider_when_one_is_unavailable() -> None:
    sink = MemorySink()
    with RESPONSES.server() as first, ANTHROPIC.server() as second:
        first.add(RESPONSES.error(503, "overloaded"), RESPONSES.error(401, "bad key"))
        second.add(ANTHROPIC.text("from the fallback"))
        model = FallbackProvider(RESPONSES.provider(first), ANTHROPIC.provider(second))
        runtime = Runtime(sinks=(sink,))
        result = await runtime.run(Agent(name="a", model=model), "hi")
        with pytest.raises(AuthenticationFailed):  # not retryable: not hidden behind the fallback
            await runtime.run(Agent(name="a", model=model), "hi")
    assert result.output == "from the fallback" and result.usage.requests == 2  # the failed request counts
    completed = sink.of_type(ModelCompleted)[0]
    assert completed.provider == "AnthropicProvider(model='claude-sonnet-4-6')"
    assert (len(first.requests), len(second.requests)) == (2, 1)


@each_api
async def test_a_streamed_fallback_happens_only_before_output_is_shown(api: Api) -> None:
    with api.server() as first, CHAT.server() as second:
        first.add(
            api.sse(api.stream_text([], False), end="abort"),  # breaks before any text: the next provider answers
            api.sse(api.stream_text(["Half"], False), end="abort"),  # breaks after text: the runtime retries
            api.sse(api.stream_text(["Whole."], True)),
        )
        second.add(api.sse(CHAT.stream_text(["Fallback."], True)))
        model = FallbackProvider(api.provider(first), CHAT.provider(second))
        runtime = Runtime(retry=FAST)
        one = [event async for event in runtime.stream(Agent(name="a", model=model), "hi")]
        two = [event async for event in runtime.stream(Agent(name="a", model=model), "hi")]
    assert visible_text(one) == "Fallback." and "model.stream.discarded" not in [e.type for e in one]
    assert visible_text(two) == "Whole." and [e.type for e in two].count("model.stream.discarded") == 1
    assert len(second.requests) == 1


async def test_fallback_capabilities_errors_and_names() -> None:
    small = Capabilities(context_window=8_000, max_output_tokens=1_000, parallel_tool_calls=False)
    large = Capabilities(context_window=200_000, max_output_tokens=8_000, structured_output=False)
    first = ScriptedProvider([RateLimited("busy", retry_after=5), BadRequest("no"), RateLimited("busy")], capabilities=small)
    second = ScriptedProvider(["second", ProviderUnavailable("down")], capabilities=large)
    model = FallbackProvider(first, second)
    assert model.capabilities() == Capabilities(8_000, 1_000, True, True, False, False)
    answer = await model.complete(ask())
    assert (answer.text, answer.provider, answer.usage.requests) == ("second", "ScriptedProvider", 2)
    with pytest.raises(BadRequest):
        await model.complete(ask())
    assert len(second.requests) == 1  # a request the first refused is not sent to the next
    with pytest.raises(ProviderUnavailable) as caught:  # all failed for now: the last error, retryable
        await model.complete(ask())
    assert caught.value.retryable
    nested = FallbackProvider(FallbackProvider(ScriptedProvider([ProviderUnavailable("down")]), OpenAIStyle(["hi"])))
    assert (await nested.complete(ask())).provider == "OpenAIStyle('hi')"
    assert repr(nested) == "FallbackProvider(FallbackProvider(ScriptedProvider, OpenAIStyle('hi')))"


class OpenAIStyle(ScriptedProvider):
    def __repr__(self) -> str:
        return "OpenAIStyle('hi')"
