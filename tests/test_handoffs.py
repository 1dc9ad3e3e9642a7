"""Handoffs (`Agent(handoffs=[...])`): the run goes on with another agent, in sessions and checkpoints too."""

from __future__ import annotations

import pytest

from runlet import (
    Agent,
    ApprovalRequest,
    Checkpoint,
    ModelSettings,
    ResumeError,
    RunContext,
    RunInterrupted,
    Runtime,
    ToolCallPart,
    UserError,
    tool,
)
from runlet.events import Handoff
from runlet.hooks import Decision, Hooks, RequireApproval
from runlet.sinks import MemorySink
from runlet.stores import MemoryStore
from runlet.testing import ScriptedProvider, call


@tool
def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id} shipped"


@tool
def refund(order_id: str, amount: int) -> str:
    """Refund an order."""
    return f"refunded {amount} on {order_id}"


def billing(*turns: object, **options: object) -> Agent[None, str]:
    return Agent(
        name="billing",
        description="Refunds and invoices.",
        instructions="You handle billing.",
        model=ScriptedProvider(turns),
        tools=(refund,),
        **options,
    )


def triage(target: Agent[None, str], *turns: object, **options: object) -> Agent[None, str]:
    return Agent(
        name="triage",
        instructions="Route the user.",
        model=ScriptedProvider(turns or (call("transfer_to_billing"),)),
        tools=(lookup,),
        handoffs=[target],
        **options,
    )


async def test_a_handoff_switches_instructions_tools_and_model() -> None:
    memory = MemorySink()
    target = billing("Refunds take 3 days.", settings=ModelSettings(temperature=0.1))
    first = triage(target)
    result = await Runtime(sinks=(memory,)).run(first, "How long do refunds take?")
    assert result.output == "Refunds take 3 days."
    (request,) = target.model.requests
    assert request.messages[0].text == "You handle billing." and "Route the user." not in [m.text for m in request.messages]
    assert [t.name for t in request.tools] == ["refund"]
    assert request.settings.temperature == 0.1
    assert [t.name for t in first.model.requests[0].tools] == ["lookup", "transfer_to_billing"]
    (handoff,) = [e for e in memory.events if isinstance(e, Handoff)]
    assert (handoff.from_agent, handoff.to_agent, handoff.agent) == ("triage", "billing", "triage")
    after = memory.events[memory.events.index(handoff) + 1 :]
    assert after and all(e.agent == "billing" for e in after)
    assert result.usage.requests == 2


def test_the_transfer_tool_is_described_by_the_target() -> None:
    first = triage(billing())
    transfer = next(t for t in first.tools if t.name == "transfer_to_billing")
    assert "'billing': Refunds and invoices." in transfer.description
    assert transfer.parameters["properties"] == {}
    odd = Agent(name="Tier 2 support", model=ScriptedProvider([]))
    assert [t.name for t in Agent(name="t", model=ScriptedProvider([]), handoffs=[odd]).tools] == ["transfer_to_Tier_2_support"]


async def test_after_a_handoff_the_previous_agents_tools_are_not_offered() -> None:
    target = billing(call("lookup", order_id="1"), "I cannot look orders up.")
    await Runtime().run(triage(target), "Where is order 1?")
    result = target.model.requests[1].messages[-1].tool_results[0]
    assert result.is_error and "lookup" in result.content


async def test_the_targets_hooks_apply_after_a_handoff() -> None:
    seen: list[str] = []

    def note(ctx: RunContext[object], call: ToolCallPart) -> None:
        seen.append(f"{ctx.agent_name}:{call.name}")

    target = billing(call("refund", order_id="1", amount=5), "done", hooks=(Hooks(before_tool_call=note),))
    await Runtime().run(triage(target), "Refund 5 on order 1.")
    assert seen == ["billing:refund"]


async def test_a_vetoed_transfer_hands_nothing_over() -> None:
    def no_transfers(ctx: RunContext[object], call: ToolCallPart) -> Decision[ToolCallPart] | None:
        return Decision.veto("stay here") if call.name.startswith("transfer_to_") else None

    target = billing("never")
    first = triage(target, call("transfer_to_billing"), "I stay.", hooks=(Hooks(before_tool_call=no_transfers),))
    result = await Runtime().run(first, "Refund please.")
    assert result.output == "I stay." and target.model.requests == []


async def test_handoffs_chain_and_the_first_transfer_of_a_turn_wins() -> None:
    last = Agent(name="last", instructions="The end.", model=ScriptedProvider(["from last"]))
    middle = Agent(name="middle", model=ScriptedProvider([call("transfer_to_last")]), handoffs=[last])
    other = Agent(name="other", model=ScriptedProvider(["never"]))
    first = Agent(
        name="first", model=ScriptedProvider([[call("transfer_to_middle"), call("transfer_to_other")]]), handoffs=[middle, other]
    )
    result = await Runtime().run(first, "go")
    assert result.output == "from last" and other.model.requests == []
    assert last.model.requests[0].messages[0].text == "The end."


async def test_dynamic_instructions_of_the_target_see_the_run() -> None:
    def instructions(ctx: RunContext[None]) -> str:
        return f"Billing, at step {ctx.step}."

    target = Agent(name="billing", instructions=instructions, model=ScriptedProvider(["ok"]))
    await Runtime().run(triage(target), "go")
    assert target.model.requests[0].messages[0].text == "Billing, at step 1."


# Sessions and checkpoints


async def test_a_session_continues_with_the_active_agent() -> None:
    runtime = Runtime(store=MemoryStore())
    target = billing("Refunds take 3 days.", "Yes, 3 days.")
    first = triage(target)
    await runtime.run(first, "How long do refunds take?", session="s1")
    result = await runtime.run(first, "Really?", session="s1")
    assert result.output == "Yes, 3 days."
    assert len(first.model.requests) == 1  # the second run went straight to billing
    second = target.model.requests[1]
    assert second.messages[0].text == "You handle billing." and second.messages[-1].text == "Really?"


async def test_an_approval_after_a_handoff_resumes_with_the_active_agent() -> None:
    store = MemoryStore()
    target = billing(call("refund", order_id="9", amount=250), "Refunded 250.", hooks=(RequireApproval(tools={"refund"}),))
    first = triage(target)
    with pytest.raises(RunInterrupted) as stopped:
        await Runtime(store=store).run(first, "Refund 250 on order 9.")
    checkpoint = Checkpoint.from_json(stopped.value.checkpoint.to_json())
    assert checkpoint.state.agent == "triage" and checkpoint.state.active_agent == "billing"
    (request,) = stopped.value.interruption.pending
    assert isinstance(request, ApprovalRequest)
    memory = MemorySink()
    result = await Runtime(store=store, sinks=(memory,)).resume(first, checkpoint, [request.approve()])
    assert result.output == "Refunded 250."
    assert target.model.requests[1].messages[-1].tool_results[0].content == "refunded 250 on 9"
    assert {e.agent for e in memory.events} == {"billing"}


async def test_an_approved_transfer_hands_over_on_resume() -> None:
    store = MemoryStore()
    target = billing("Billing here.")
    first = triage(target, hooks=(RequireApproval(tools={"transfer_to_billing"}),))
    with pytest.raises(RunInterrupted) as stopped:
        await Runtime(store=store).run(first, "Refund please.")
    assert stopped.value.checkpoint.state.active_agent is None
    (request,) = stopped.value.interruption.pending
    result = await Runtime(store=store).resume(first, stopped.value.checkpoint, [request.approve()])
    assert result.output == "Billing here."


async def test_resuming_with_an_agent_that_cannot_reach_the_active_one_is_a_clear_error() -> None:
    store = MemoryStore()
    target = billing(call("refund", order_id="9", amount=250), hooks=(RequireApproval(tools={"refund"}),))
    first = triage(target)
    with pytest.raises(RunInterrupted) as stopped:
        await Runtime(store=store).run(first, "Refund 250 on order 9.")
    alone = Agent(name="triage", model=ScriptedProvider([]))
    (request,) = stopped.value.interruption.pending
    with pytest.raises(ResumeError, match="handed off to agent 'billing'"):
        await Runtime(store=store).resume(alone, stopped.value.checkpoint, [request.approve()])


# Bad graphs


def test_two_agents_of_one_name_in_a_handoff_graph_are_refused() -> None:
    a = Agent(name="billing", model=ScriptedProvider([]))
    b = Agent(name="billing", model=ScriptedProvider([]))
    middle = Agent(name="middle", model=ScriptedProvider([]), handoffs=[a])
    with pytest.raises(UserError, match="two different agents named 'billing'"):
        Agent(name="root", model=ScriptedProvider([]), handoffs=[middle, b])
    with pytest.raises(UserError, match="two different agents named 'middle'"):
        Agent(name="middle", model=ScriptedProvider([]), handoffs=[middle])


def test_a_transfer_tool_that_clashes_with_a_tool_is_refused() -> None:
    @tool
    def transfer_to_billing() -> str:
        """Mine."""
        return "mine"

    with pytest.raises(ValueError, match="more than one tool named 'transfer_to_billing'"):
        Agent(name="t", model=ScriptedProvider([]), tools=(transfer_to_billing,), handoffs=[billing()])


def test_a_durable_agent_takes_handoffs_and_agents_as_tools_but_refuses_mapped_deps_and_two_agents_of_one_name() -> None:
    from runlet.durable.temporal import TemporalAgent

    durable = TemporalAgent(triage(billing()))
    assert durable.activity_name("refund", agent="billing") == "runlet:triage/billing.tool.refund"
    child = Agent(name="child", model=ScriptedProvider([]))
    TemporalAgent(Agent(name="lead", model=ScriptedProvider([]), tools=(child.as_tool(),)))
    with pytest.raises(UserError, match=r"runs 'child' as the tool 'child' with deps made by as_tool\(deps=...\)"):
        TemporalAgent(Agent(name="lead", model=ScriptedProvider([]), tools=(child.as_tool(deps=lambda d: d),)))
    other = Agent(name="child", model=ScriptedProvider([]))
    with pytest.raises(UserError, match="two different agents named 'child'"):
        TemporalAgent(Agent(name="lead", model=ScriptedProvider([]), tools=(child.as_tool(), other.as_tool(name="other"))))


async def test_the_console_shows_the_handoff() -> None:
    import io

    from runlet.sinks import ConsoleSink

    out = io.StringIO()
    await Runtime(sinks=(ConsoleSink(out),)).run(triage(billing("ok")), "go")
    assert "  \u21aa triage hands off to billing" in out.getvalue().splitlines()


async def test_a_streamed_run_hands_off_too() -> None:
    stream = Runtime().stream(triage(billing("Billing, streaming.")), "go")
    events = [event async for event in stream]
    assert stream.result.output == "Billing, streaming."
    deltas = [e for e in events if e.type == "model.stream.delta"]
    assert deltas and {e.agent for e in deltas} == {"billing"}
