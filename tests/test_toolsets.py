"""Toolsets and prepare: the tools of each step resolved, prepared, offered; only those run."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from runlet import (
    Agent,
    ModelRequest,
    ModelSettings,
    RunContext,
    Runtime,
    Tool,
    ToolDefinition,
    ToolResultPart,
    UserError,
    UseTool,
    WebSearch,
    tool,
)
from runlet.events import ToolFailed
from runlet.hooks import Decision, Hooks
from runlet.sinks import MemorySink
from runlet.testing import ScriptedProvider, call
from runlet.toolsets import combined, filtered, of, prefixed


@dataclass(frozen=True)
class Deps:
    admin: bool


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id}: shipped"


@tool
def refund(ctx: RunContext[Deps], order_id: str) -> str:
    """Refund an order."""
    return f"refunded {order_id}"


@tool
def ping() -> str:
    """Answer pong."""
    return "pong"


def offered(request: ModelRequest) -> list[str]:
    return [t.name for t in request.tools]


def results(request: ModelRequest) -> list[ToolResultPart]:
    return [part for message in request.messages for part in message.tool_results]


class StepTools:
    """A toolset whose tools change with the step and the deps: refund only for admins, ping after step 1."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    async def tools(self, ctx: RunContext[Deps]) -> Sequence[Tool[Deps]]:
        self.asked.append(ctx.step)
        found: list[Tool[Deps]] = [lookup]
        if ctx.deps.admin:
            found.append(refund)
        if ctx.step > 1:
            found.append(ping)
        return found


# Per-step resolution


async def test_a_toolset_is_asked_for_its_tools_in_every_step() -> None:
    toolset = StepTools()
    provider = ScriptedProvider([call("lookup", order_id="1"), call("ping"), "done"])
    agent: Agent[Deps, str] = Agent(name="a", model=provider, tools=(toolset,))
    result = await Runtime().run(agent, "go", deps=Deps(admin=False))
    assert result.output == "done"
    assert toolset.asked == [1, 2, 3]
    assert [offered(r) for r in provider.requests] == [["lookup"], ["lookup", "ping"], ["lookup", "ping"]]
    assert [r.content for r in results(provider.requests[-1])] == ["order 1: shipped", "pong"]
    assert agent.toolsets == (toolset,) and agent.tools == ()


async def test_the_tools_follow_the_deps() -> None:
    for admin, names in ((True, ["lookup", "refund"]), (False, ["lookup"])):
        provider = ScriptedProvider(["done"])
        agent: Agent[Deps, str] = Agent(name="a", model=provider, tools=(StepTools(),))
        await Runtime().run(agent, "go", deps=Deps(admin=admin))
        assert offered(provider.requests[0]) == names


async def test_function_tools_hosted_tools_and_toolsets_side_by_side() -> None:
    provider = ScriptedProvider([[call("lookup", order_id="2"), call("ping")], "done"])
    agent = Agent(name="a", model=provider, tools=(lookup, WebSearch(), of(ping)))
    assert agent.tools == (lookup,) and agent.hosted_tools == (WebSearch(),) and len(agent.toolsets) == 1
    await Runtime().run(agent, "go")
    assert offered(provider.requests[0]) == ["lookup", "ping"]
    assert provider.requests[0].hosted_tools == (WebSearch(),)
    assert [r.content for r in results(provider.requests[1])] == ["order 2: shipped", "pong"]


async def test_a_call_of_a_tool_the_toolset_did_not_give_in_its_step_is_refused() -> None:
    # ping exists from step 2 on; the model calls it in step 1
    sink = MemorySink()
    provider = ScriptedProvider([call("ping"), "done"])
    agent: Agent[Deps, str] = Agent(name="a", model=provider, tools=(StepTools(),))
    await Runtime(sinks=(sink,)).run(agent, "go", deps=Deps(admin=False))
    (refused,) = results(provider.requests[1])
    assert refused.is_error and "unknown tool 'ping'; the tools are: lookup" in refused.content
    assert [e.error_type for e in sink.of_type(ToolFailed)] == ["UnknownTool"]


def test_something_that_is_neither_a_tool_nor_a_toolset_is_refused() -> None:
    with pytest.raises(TypeError, match="tools= takes tools .* not int"):
        Agent(name="a", model=ScriptedProvider([]), tools=(3,))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


# Clashes


async def test_a_name_two_sources_give_is_a_clear_error_suggesting_a_prefix() -> None:
    agent = Agent(name="a", model=ScriptedProvider(["done"]), tools=(lookup, of(lookup, ping)))
    with pytest.raises(UserError, match=r"two tools named 'lookup' in one step \(one from the agent's tools, one from toolset of\(lookup, ping\)\).*runlet.toolsets.prefixed"):
        await Runtime().run(agent, "go")


async def test_a_clash_between_two_toolsets_names_both() -> None:
    class Mine:
        async def tools(self, ctx: RunContext[object]) -> Sequence[Tool[object]]:
            return [ping]

    agent = Agent(name="a", model=ScriptedProvider(["done"]), tools=(Mine(), prefixed(of(ping), "x"), of(ping)))
    with pytest.raises(UserError, match=r"'ping' in one step \(one from toolset Mine, one from toolset of\(ping\)\)"):
        await Runtime().run(agent, "go")


async def test_a_prefix_resolves_a_clash() -> None:
    provider = ScriptedProvider([[call("lookup", order_id="1"), call("other_lookup", order_id="2")], "done"])
    agent = Agent(name="a", model=provider, tools=(lookup, prefixed(of(lookup), "other")))
    await Runtime().run(agent, "go")
    assert offered(provider.requests[0]) == ["lookup", "other_lookup"]
    assert [r.content for r in results(provider.requests[1])] == ["order 1: shipped", "order 2: shipped"]


async def test_a_toolset_tool_may_not_take_a_hosted_tools_name() -> None:
    @tool(name="web_search")
    def search(q: str) -> str:
        return q

    agent = Agent(name="a", model=ScriptedProvider(["done"]), tools=(WebSearch(), of(search)))
    with pytest.raises(UserError, match="'web_search' in one step .*the agent's hosted tools"):
        await Runtime().run(agent, "go")


# Tool choice


async def test_use_tool_is_checked_against_the_steps_tools() -> None:
    provider = ScriptedProvider(["done"])
    agent: Agent[Deps, str] = Agent(
        name="a", model=provider, tools=(StepTools(),), settings=ModelSettings(tool_choice=UseTool("refund"))
    )
    with pytest.raises(UserError, match=r"UseTool\('refund'\) names no tool of agent 'a' \(its tools: lookup\) in this step"):
        await Runtime().run(agent, "go", deps=Deps(admin=False))
    provider = ScriptedProvider([call("refund", order_id="1"), "done"])
    agent = Agent(name="a", model=provider, tools=(StepTools(),), settings=ModelSettings(tool_choice=UseTool("refund")))
    assert (await Runtime().run(agent, "go", deps=Deps(admin=True))).output == "done"


# Hooks: a tool a hook takes out of the request cannot run


async def test_a_toolset_tool_a_hook_removed_from_the_request_is_refused() -> None:
    ran: list[str] = []

    @tool
    def wipe() -> str:
        """Wipe everything."""
        ran.append("wipe")
        return "wiped"

    def no_wipe(ctx: RunContext[object], request: ModelRequest) -> Decision[ModelRequest]:
        return Decision.replace(dataclasses.replace(request, tools=tuple(t for t in request.tools if t.name != "wipe")))

    for mode in ("run", "stream"):
        sink = MemorySink()
        provider = ScriptedProvider([call("wipe"), "done"])
        agent = Agent(name="a", model=provider, tools=(of(wipe, ping),), hooks=(Hooks(before_model_call=no_wipe),))
        runtime = Runtime(sinks=(sink,))
        if mode == "run":
            await runtime.run(agent, "go")
        else:
            [event async for event in runtime.stream(agent, "go")]
        assert offered(provider.requests[0]) == ["ping"]
        (refused,) = results(provider.requests[1])
        assert refused.is_error and "'wipe' is not available in this step; the tools offered are: ping" in refused.content
        assert [e.error_type for e in sink.of_type(ToolFailed)] == ["ToolNotOffered"]
    assert ran == []
