"""ModelSettings: merged per agent, run and step; a forced tool choice that cannot loop; what each provider sends."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import anthropic_server  # noqa: E402
import chat_server  # noqa: E402
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming  # noqa: E402
from openai_server import FakeResponsesServer, JsonReply, text_response  # noqa: E402

from provider_cases import LOOKUP, ask  # noqa: E402
from runlet import (  # noqa: E402
    Agent,
    Approve,
    ModelRequest,
    ModelSettings,
    RunContext,
    RunInterrupted,
    Runtime,
    UnsupportedSetting,
    UserError,
    UseTool,
    require_approval,
    tool,
)
from runlet.providers import AnthropicProvider, OpenAIChatCompletionsProvider, OpenAIResponsesProvider  # noqa: E402
from runlet.testing import ScriptedProvider, call  # noqa: E402


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return "shipped"


@tool
def refund(order_id: str) -> str:
    """Refund an order."""
    return "refunded"


# -- the value ---------------------------------------------------------------------------


def test_later_settings_win_field_by_field() -> None:
    agent = ModelSettings(temperature=0.2, seed=7, stop="END")
    run = ModelSettings(temperature=0.9, top_p=0.5)
    merged = agent.merged(run)
    assert merged == ModelSettings(temperature=0.9, top_p=0.5, seed=7, stop=("END",))
    assert agent.merged(None) is agent and ModelSettings().merged(run) is run


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"temperature": -1.0}, "temperature must not be negative"),
        ({"top_p": 1.5}, "top_p must be between 0 and 1"),
        ({"max_output_tokens": 0}, "max_output_tokens must be at least 1"),
    ],
)
def test_a_bad_setting_says_what_is_wrong(fields: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        ModelSettings(**fields)


def test_the_request_takes_its_output_limit_from_the_settings() -> None:
    assert ModelRequest(messages=[], settings=ModelSettings(max_output_tokens=300)).max_output_tokens == 300
    with pytest.raises(ValueError, match="disagree: give the limit once"):
        ModelRequest(messages=[], max_output_tokens=200, settings=ModelSettings(max_output_tokens=300))


# -- agent, run, step --------------------------------------------------------------------


async def test_settings_merge_agent_then_run_then_step() -> None:
    seen: list[int] = []

    async def per_step(ctx: RunContext[None]) -> ModelSettings | None:
        seen.append(ctx.step)
        return ModelSettings(top_p=0.3) if ctx.step == 2 else None

    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    agent = Agent(
        name="a",
        model=provider,
        tools=(lookup,),
        max_output_tokens=400,
        settings=ModelSettings(temperature=0.1, seed=1, top_p=0.9),
        prepare_settings=per_step,
    )
    await Runtime().run(agent, "go", settings=ModelSettings(temperature=0.7))
    first, second = (request.settings for request in provider.requests)
    assert first == ModelSettings(temperature=0.7, seed=1, top_p=0.9, max_output_tokens=400)
    assert second == ModelSettings(temperature=0.7, seed=1, top_p=0.3, max_output_tokens=400)
    assert seen == [1, 2]
    assert provider.requests[0].max_output_tokens == 400


async def test_the_settings_output_limit_wins_over_the_agents_and_is_reserved() -> None:
    provider = ScriptedProvider(["ok"])
    agent = Agent(name="a", model=provider, max_output_tokens=400)
    await Runtime().run(agent, "go", settings=ModelSettings(max_output_tokens=50))
    assert provider.requests[0].max_output_tokens == 50


async def test_a_forced_tool_choice_goes_back_to_auto_once_the_tool_was_called() -> None:
    provider = ScriptedProvider([call("lookup", order_id="1"), call("lookup", order_id="2"), "done"])
    agent = Agent(name="a", model=provider, tools=(lookup,), settings=ModelSettings(tool_choice="required"))
    await Runtime().run(agent, "go")
    assert [r.settings.tool_choice for r in provider.requests] == ["required", "auto", "auto"]


async def test_a_named_tool_choice_holds_until_that_tool_was_called() -> None:
    provider = ScriptedProvider([call("lookup", order_id="1"), call("refund", order_id="1"), "done"])
    agent = Agent(name="a", model=provider, tools=(lookup, refund))
    await Runtime().run(agent, "go", settings=ModelSettings(tool_choice=UseTool("refund")))
    assert [r.settings.tool_choice for r in provider.requests] == [UseTool("refund"), UseTool("refund"), "auto"]


async def test_a_persisted_tool_choice_stays_and_a_steps_own_is_its_own() -> None:
    provider = ScriptedProvider([call("lookup", order_id="1"), call("lookup", order_id="2"), "done"])
    persisted = ModelSettings(tool_choice="required", persist_tool_choice=True)
    await Runtime().run(Agent(name="a", model=provider, tools=(lookup,)), "go", settings=persisted)
    assert [r.settings.tool_choice for r in provider.requests] == ["required", "required", "required"]

    provider = ScriptedProvider([call("lookup", order_id="1"), call("lookup", order_id="2"), "done"])
    forced_at_two = Agent(
        name="a",
        model=provider,
        tools=(lookup,),
        prepare_settings=lambda ctx: ModelSettings(tool_choice="required") if ctx.step == 2 else None,
    )
    await Runtime().run(forced_at_two, "go")
    assert [r.settings.tool_choice for r in provider.requests] == [None, "required", None]


async def test_a_named_tool_the_agent_does_not_have_is_refused_at_once() -> None:
    agent = Agent(name="a", model=ScriptedProvider(["never"]), tools=(lookup,))
    with pytest.raises(UserError, match=r"UseTool\('refnud'\) names no tool of agent 'a' \(its tools: lookup\)"):
        await Runtime().run(agent, "go", settings=ModelSettings(tool_choice=UseTool("refnud")))


async def test_a_resumed_run_takes_its_settings_again() -> None:
    @tool
    def refund(order_id: str) -> str:
        """Refund an order, with a human's approval."""
        require_approval(f"refund {order_id}")
        return "refunded"

    provider = ScriptedProvider([call("refund", order_id="1"), "Refunded."])
    agent = Agent(name="a", model=provider, tools=(refund,))
    runtime = Runtime()
    with pytest.raises(RunInterrupted) as stopped:
        await runtime.run(agent, "Refund order 1", settings=ModelSettings(temperature=0.4))
    checkpoint = stopped.value.checkpoint
    await runtime.resume(agent, checkpoint, [Approve(checkpoint.requests[0].id)], settings=ModelSettings(seed=3))
    assert [r.settings for r in provider.requests] == [ModelSettings(temperature=0.4), ModelSettings(seed=3)]


# -- what the providers send ---------------------------------------------------------------

EVERYTHING = ModelSettings(
    temperature=0.3,
    top_p=0.8,
    max_output_tokens=256,
    tool_choice=UseTool("lookup"),
    parallel_tool_calls=False,
    reasoning_effort="low",
    prompt_cache_key="support-v1",
    prompt_cache_retention="long",
    service_tier="auto",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def responses() -> Iterator[tuple[OpenAIResponsesProvider, FakeResponsesServer]]:
    with FakeResponsesServer() as server:
        yield OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key="sk-test"), server


@pytest.fixture
def chat() -> Iterator[tuple[OpenAIChatCompletionsProvider, chat_server.FakeChatServer]]:
    with chat_server.FakeChatServer() as server:
        yield OpenAIChatCompletionsProvider(model="gpt-4o", base_url=server.base_url), server
        assert not server.invalid, server.invalid


@pytest.fixture
def claude() -> Iterator[tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer]]:
    with anthropic_server.FakeAnthropicServer() as server:
        yield AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key="sk-ant-test"), server
        assert not server.invalid, server.invalid


async def test_responses_maps_the_settings(responses: tuple[OpenAIResponsesProvider, FakeResponsesServer]) -> None:
    provider, server = responses
    server.add(JsonReply(text_response("ok")))
    options = {"openai": {"reasoning": {"summary": "auto"}, "top_p": 0.5}}
    await provider.complete(ask(tools=[LOOKUP], settings=EVERYTHING, options=options))
    body = server.bodies[0]
    chat_server.check_params(body, ResponseCreateParamsNonStreaming)
    assert {key: body[key] for key in body if key not in ("model", "input", "tools")} == {
        "temperature": 0.3,
        "top_p": 0.5,  # options win
        "max_output_tokens": 256,
        "tool_choice": {"type": "function", "name": "lookup"},
        "parallel_tool_calls": False,
        "reasoning": {"effort": "low", "summary": "auto"},  # an options mapping is merged over it
        "prompt_cache_key": "support-v1",
        "prompt_cache_retention": "24h",
        "service_tier": "auto",
    }


async def test_chat_maps_the_settings(chat: tuple[OpenAIChatCompletionsProvider, chat_server.FakeChatServer]) -> None:
    provider, server = chat
    server.add(JsonReply(chat_server.completion("ok")))
    settings = EVERYTHING.merged(ModelSettings(seed=42, stop=["\n\n", "END"], tool_choice="required", prompt_cache_retention="short"))
    await provider.complete(ask(tools=[LOOKUP], settings=settings))
    body = server.bodies[0]
    assert {key: body[key] for key in body if key not in ("model", "messages", "tools")} == {
        "temperature": 0.3,
        "top_p": 0.8,
        "max_tokens": 256,
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "seed": 42,
        "stop": ["\n\n", "END"],
        "reasoning_effort": "low",
        "prompt_cache_key": "support-v1",
        "prompt_cache_retention": "in_memory",
        "service_tier": "auto",
    }


async def test_chat_sends_no_tool_settings_without_tools(chat: tuple[OpenAIChatCompletionsProvider, chat_server.FakeChatServer]) -> None:
    provider, server = chat
    server.add(JsonReply(chat_server.completion("ok")))
    await provider.complete(ask(settings=ModelSettings(tool_choice="auto", parallel_tool_calls=True)))
    assert "tool_choice" not in server.bodies[0] and "parallel_tool_calls" not in server.bodies[0]


async def test_anthropic_maps_the_settings(claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer]) -> None:
    provider, server = claude
    server.add(JsonReply(anthropic_server.message([anthropic_server.text_block("ok")])))
    settings = ModelSettings(
        max_output_tokens=256,
        tool_choice="required",
        parallel_tool_calls=False,
        stop=["END"],
        reasoning_effort="high",
        prompt_cache_key="ignored: Anthropic matches prefixes",
        prompt_cache_retention="long",
        service_tier="standard_only",
    )
    await provider.complete(ask(tools=[LOOKUP], settings=settings))
    body = server.bodies[0]
    assert {key: body[key] for key in body if key not in ("model", "messages", "tools")} == {
        "max_tokens": 256,
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "stop_sequences": ["END"],
        "output_config": {"effort": "high"},
        "cache_control": {"type": "ephemeral", "ttl": "1h"},
        "service_tier": "standard_only",
    }


async def test_anthropic_keeps_its_output_tool_choice_and_adds_parallelism(
    claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer],
) -> None:
    _, server = claude
    server.add(JsonReply(anthropic_server.message([anthropic_server.text_block("ok")])))
    provider = AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key="k", structured_output="tool")
    from runlet import OutputSchema

    output = OutputSchema("answer", {"type": "object", "properties": {}, "additionalProperties": False})
    await provider.complete(ask(tools=[LOOKUP], output=output, settings=ModelSettings(parallel_tool_calls=True)))
    assert server.bodies[0]["tool_choice"] == {"type": "any", "disable_parallel_tool_use": False}


@pytest.mark.parametrize(
    ("which", "settings", "error"),
    [
        ("responses", ModelSettings(seed=1), "cannot send the setting seed: the Responses API takes no seed"),
        ("responses", ModelSettings(stop=["END"]), "takes no stop sequences"),
        ("responses", ModelSettings(tool_choice="required"), "the request offers no tools"),
        ("chat", ModelSettings(tool_choice=UseTool("refund")), "offers no tool of that name"),
        ("claude", ModelSettings(seed=1), "the Messages API takes no seed"),
        ("claude", ModelSettings(temperature=0.2), "takes no such parameter .*extra_body"),
        ("claude", ModelSettings(reasoning_effort="minimal"), "Claude's efforts are low, medium, high, xhigh and max"),
        ("claude", ModelSettings(service_tier="flex"), "tiers are \"auto\" and \"standard_only\""),
    ],
)
async def test_a_setting_a_provider_cannot_send_is_refused_before_sending(
    which: str,
    settings: ModelSettings,
    error: str,
    responses: tuple[OpenAIResponsesProvider, FakeResponsesServer],
    chat: tuple[OpenAIChatCompletionsProvider, chat_server.FakeChatServer],
    claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer],
) -> None:
    provider, server = {"responses": responses, "chat": chat, "claude": claude}[which]
    tools = [] if settings.tool_choice == "required" else [LOOKUP]
    with pytest.raises(UnsupportedSetting, match=error):
        await provider.complete(ask(tools=tools, settings=settings))
    assert server.requests == []
