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


# prepare, per tool


def only_for_admins(ctx: RunContext[Deps], definition: ToolDefinition) -> ToolDefinition | None:
    return definition if ctx.deps.admin else None


async def described_by_step(ctx: RunContext[object], definition: ToolDefinition) -> ToolDefinition:
    return dataclasses.replace(definition, description=f"{definition.description} (step {ctx.step})")


@tool(prepare=only_for_admins)
def close_account(ctx: RunContext[Deps], account: str) -> str:
    """Close an account."""
    return f"closed {account}"


@tool(prepare=described_by_step)
def stepped() -> str:
    """Say which step."""
    return "stepped"


async def test_a_tools_prepare_offers_it_or_not_and_a_hidden_tool_cannot_run() -> None:
    sink = MemorySink()
    provider = ScriptedProvider([call("close_account", account="a1"), "done"])
    agent: Agent[Deps, str] = Agent(name="a", model=provider, tools=(lookup, close_account))
    await Runtime(sinks=(sink,)).run(agent, "go", deps=Deps(admin=False))
    assert offered(provider.requests[0]) == ["lookup"]
    (refused,) = results(provider.requests[1])
    assert refused.is_error and "'close_account' is not available in this step; the tools offered are: lookup" in refused.content
    assert [e.error_type for e in sink.of_type(ToolFailed)] == ["ToolNotOffered"]

    provider = ScriptedProvider([call("close_account", account="a1"), "done"])
    agent = Agent(name="a", model=provider, tools=(lookup, close_account))
    await Runtime().run(agent, "go", deps=Deps(admin=True))
    assert offered(provider.requests[0]) == ["lookup", "close_account"]
    assert [r.content for r in results(provider.requests[1])] == ["closed a1"]


async def test_an_async_prepare_redescribes_a_tool_in_each_step() -> None:
    provider = ScriptedProvider([call("stepped"), "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(stepped,)), "go")
    assert [r.tools[0].description for r in provider.requests] == ["Say which step. (step 1)", "Say which step. (step 2)"]


async def test_any_tool_with_a_prepare_attribute_is_prepared() -> None:
    class Hidden:
        name = "hidden"
        description = "Never offered."
        parameters: dict[str, object] = {"type": "object", "properties": {}}

        def prepare(self, ctx: RunContext[object], definition: ToolDefinition) -> None:
            return None

        async def call(self, ctx: RunContext[object], arguments: object) -> str:
            raise AssertionError("a tool that was not offered ran")

    provider = ScriptedProvider([call("hidden"), "done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(lookup, of(Hidden()))), "go")  # type: ignore[arg-type]
    assert offered(provider.requests[0]) == ["lookup"]
    assert "'hidden' is not available in this step" in results(provider.requests[1])[0].content


async def test_a_prepare_that_renames_a_tool_is_an_error() -> None:
    @tool(prepare=lambda ctx, d: dataclasses.replace(d, name="other"))
    def renamed() -> str:
        return ""

    with pytest.raises(UserError, match="prepare function of tool 'renamed' returned a definition named 'other'.*not rename or add"):
        await Runtime().run(Agent(name="a", model=ScriptedProvider(["done"]), tools=(renamed,)), "go")


async def test_a_prefixed_tool_keeps_its_prepare() -> None:
    provider = ScriptedProvider(["done"])
    agent: Agent[Deps, str] = Agent(name="a", model=provider, tools=(prefixed(of(close_account, stepped), "crm"),))
    await Runtime().run(agent, "go", deps=Deps(admin=False))
    (only,) = provider.requests[0].tools
    assert (only.name, only.description) == ("crm_stepped", "Say which step. (step 1)")


# prepare, per agent


async def test_prepare_tools_chooses_and_redescribes_after_each_tools_prepare() -> None:
    seen: list[list[str]] = []

    def one_tool_per_step(ctx: RunContext[Deps], definitions: tuple[ToolDefinition, ...]) -> list[ToolDefinition]:
        seen.append([d.name for d in definitions])
        chosen = definitions[(ctx.step - 1) % len(definitions)]
        return [dataclasses.replace(chosen, description="the only tool now")]

    provider = ScriptedProvider([call("lookup", order_id="1"), call("refund", order_id="1"), call("refund", order_id="2"), "done"])
    agent: Agent[Deps, str] = Agent(
        name="a", model=provider, tools=(lookup, of(refund), close_account), prepare_tools=one_tool_per_step
    )
    sink = MemorySink()
    await Runtime(sinks=(sink,)).run(agent, "go", deps=Deps(admin=False))
    assert seen == [["lookup", "refund"]] * 4  # close_account's own prepare left it out first
    assert [offered(r) for r in provider.requests] == [["lookup"], ["refund"], ["lookup"], ["refund"]]
    assert provider.requests[0].tools[0].description == "the only tool now"
    assert [r.content for r in results(provider.requests[3])][-1].startswith("Error: the tool 'refund' is not available")
    assert [e.error_type for e in sink.of_type(ToolFailed)] == ["ToolNotOffered"]


async def test_prepare_tools_may_be_async() -> None:
    async def none(ctx: RunContext[object], definitions: tuple[ToolDefinition, ...]) -> tuple[ToolDefinition, ...]:
        return ()

    provider = ScriptedProvider(["done"])
    await Runtime().run(Agent(name="a", model=provider, tools=(lookup,), prepare_tools=none), "go")
    assert provider.requests[0].tools == ()


async def test_prepare_tools_may_not_add_or_rename_a_tool() -> None:
    extra = ToolDefinition("extra", "made up", {"type": "object", "properties": {}})

    def adds(ctx: RunContext[object], definitions: tuple[ToolDefinition, ...]) -> list[ToolDefinition]:
        return [*definitions, extra]

    agent = Agent(name="a", model=ScriptedProvider(["done"]), tools=(lookup,), prepare_tools=adds)
    with pytest.raises(UserError, match=r"prepare_tools of agent 'a' returned a definition named 'extra', which is not a tool of the step \('lookup'\)"):
        await Runtime().run(agent, "go")

    def twice(ctx: RunContext[object], definitions: tuple[ToolDefinition, ...]) -> list[ToolDefinition]:
        return [*definitions, *definitions]

    agent = Agent(name="a", model=ScriptedProvider(["done"]), tools=(lookup,), prepare_tools=twice)
    with pytest.raises(UserError, match="returned tool 'lookup' twice"):
        await Runtime().run(agent, "go")


# Combinators


async def test_filtered_decides_in_every_step() -> None:
    provider = ScriptedProvider([call("lookup", order_id="1"), "done"])
    late_ping = filtered(of(lookup, ping), lambda ctx, t: t.name != "ping" or ctx.step > 1)
    await Runtime().run(Agent(name="a", model=provider, tools=(late_ping,)), "go")
    assert [offered(r) for r in provider.requests] == [["lookup"], ["lookup", "ping"]]


async def test_combined_gives_every_toolsets_tools_in_order_and_refuses_a_clash() -> None:
    provider = ScriptedProvider(["done"])
    agent: Agent[Deps, str] = Agent(name="a", model=provider, tools=(combined(of(ping), StepTools()),))
    await Runtime().run(agent, "go", deps=Deps(admin=True))
    assert offered(provider.requests[0]) == ["ping", "lookup", "refund"]
    assert repr(agent.toolsets[0]) == "combined(of(ping), StepTools)"

    clashing = Agent(name="a", model=ScriptedProvider(["done"]), tools=(combined(of(lookup), prefixed(of(lookup), "x"), of(lookup)),))
    with pytest.raises(UserError, match=r"'lookup' in one step \(one from toolset of\(lookup\), one from toolset of\(lookup\)\)"):
        await Runtime().run(clashing, "go")


def test_of_and_prefixed_refuse_bad_input() -> None:
    with pytest.raises(UserError, match="more than one tool named 'lookup'"):
        of(lookup, lookup)
    with pytest.raises(UserError, match="a prefix is a non-empty name"):
        prefixed(of(lookup), "no spaces")


# Human approval of a toolset's tool, across a checkpoint


async def test_a_toolset_tool_waiting_for_approval_resumes_from_its_checkpoint() -> None:
    from runlet import RunInterrupted, require_approval

    ran: list[str] = []

    @tool
    def transfer(amount: int) -> str:
        """Move money, with a manager's approval."""
        require_approval(f"transfer {amount}")
        ran.append(f"transfer {amount}")
        return f"moved {amount}"

    class Banking:
        def __init__(self) -> None:
            self.asked = 0

        async def tools(self, ctx: RunContext[object]) -> Sequence[Tool[object]]:
            self.asked += 1
            return [transfer]

    banking = Banking()
    provider = ScriptedProvider([call("bank_transfer", amount=5), "done"])
    agent = Agent(name="a", model=provider, tools=(prefixed(banking, "bank"),))
    runtime = Runtime()
    with pytest.raises(RunInterrupted) as caught:
        await runtime.run(agent, "go")
    stopped = caught.value
    assert [r.call.name for r in stopped.pending] == ["bank_transfer"] and ran == []
    from runlet import Checkpoint

    checkpoint = Checkpoint.from_json(stopped.checkpoint.to_json())  # as if kept in a store, in another process
    result = await runtime.resume(agent, checkpoint, [stopped.pending[0].approve()])
    assert result.output == "done" and ran == ["transfer 5"]
    assert [r.content for r in results(provider.requests[1])] == ["moved 5"]
    assert banking.asked == 3  # step 1, the resumed step, step 2


async def test_edited_arguments_are_checked_against_a_toolset_tool() -> None:
    from runlet import EditArguments, InvalidHumanResponse, RunInterrupted, require_approval

    @tool
    def transfer(amount: int) -> str:
        """Move money, with a manager's approval."""
        require_approval(f"transfer {amount}")
        return f"moved {amount}"

    agent = Agent(name="a", model=ScriptedProvider([call("transfer", amount=5), "done"]), tools=(of(transfer),))
    runtime = Runtime()
    with pytest.raises(RunInterrupted) as caught:
        await runtime.run(agent, "go")
    request = caught.value.pending[0]
    with pytest.raises(InvalidHumanResponse):
        await runtime.resume(agent, caught.value.checkpoint, [EditArguments(request.id, {"amount": "lots"})])


# Durable runs


def test_a_durable_agent_takes_toolsets_but_refuses_an_mcp_server_clearly() -> None:
    from runlet.durable.temporal import TemporalAgent
    from runlet.mcp import MCPServerStdio

    TemporalAgent(Agent(name="a", model=ScriptedProvider(["done"]), tools=(of(lookup),)))
    server = MCPServerStdio("mcp-server", name="toolbox")  # not started: the refusal comes first
    agent = Agent(name="b", model=ScriptedProvider(["done"]), tools=(combined(of(lookup), prefixed(server, "box")),))
    with pytest.raises(UserError, match="MCP server toolset .*durable runs do not take.*wrap the server's calls in function tools"):
        TemporalAgent(agent)
