"""Agents as tools and handoffs, typed: deps passed or mapped, one output type across a handoff graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from typing_extensions import assert_type

from runlet import Agent, RunContext, Runtime, Tool, tool
from runlet.events import Event, Handoff
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["ok"])


@dataclass(frozen=True)
class Shop:
    region: str
    currency: str


@dataclass(frozen=True)
class Pricing:
    currency: str


@dataclass(frozen=True)
class Answer:
    text: str


@tool
def region(ctx: RunContext[Shop]) -> str:
    """The shop's region."""
    return ctx.deps.region


@tool
def price(ctx: RunContext[Pricing], sku: str) -> str:
    """A price in the shop's currency."""
    return f"12 {ctx.deps.currency}"


def pricing(shop: Shop) -> Pricing:
    return Pricing(shop.currency)


# Agents as tools: the child takes the parent's deps, or a function of them gives the child's.

regions: Agent[Shop, str] = Agent(name="regions", model=provider, tools=(region,))
pricer: Agent[Pricing, str] = Agent(name="pricer", model=provider, tools=(price,))
reader: Agent[object, str] = Agent(name="reader", model=provider)

assert_type(regions.as_tool(), Tool[Shop])
assert_type(pricer.as_tool(deps=pricing), Tool[Shop])
assert_type(pricer.as_tool(name="price_it", description="Prices."), Tool[Pricing])
assert_type(reader.as_tool(), Tool[object])

lead: Agent[Shop, str] = Agent(
    name="lead", model=provider, tools=(regions.as_tool(), pricer.as_tool(deps=pricing), reader.as_tool())
)
no_deps: Agent[None, str] = Agent(name="plain", model=provider, tools=(reader.as_tool(), pricer.as_tool(deps=lambda _: Pricing("EUR"))))

# Handoffs: the targets share the deps and the output type.

billing: Agent[Shop, Answer] = Agent(name="billing", model=provider, tools=(region,), output_type=Answer)
shipping: Agent[object, Answer] = Agent(name="shipping", description="Parcels.", model=provider, output_type=Answer)
triage: Agent[Shop, Answer] = Agent(name="triage", model=provider, output_type=Answer, handoffs=[billing, shipping])
assert_type(triage.handoffs, tuple[Agent[Shop, Answer], ...])
assert_type(triage.handoff_targets, tuple[Agent[Shop, Answer] | Callable[[], Agent[Shop, Answer]], ...])
chat = Agent(name="chat", model=provider, handoffs=[Agent(name="helper", model=provider)])
assert_type(chat, Agent[None, str])

# Handing back: a target given as a function, called when a run starts, makes a cycle.

refunds: Agent[Shop, Answer] = Agent(name="refunds", model=provider, output_type=Answer, handoffs=[lambda: desk])
desk: Agent[Shop, Answer] = Agent(name="desk", model=provider, output_type=Answer, handoffs=[refunds, shipping])
helper = Agent(name="helper", model=provider, handoffs=[lambda: front])  # front's type is written out: a cycle is not inferred
front: Agent[None, str] = Agent(name="front", model=provider, handoffs=[helper])
assert_type(helper, Agent[None, str])


def support_desk() -> tuple[Agent[Shop, Answer], Agent[Shop, Answer]]:
    """The graph made by one function: each agent hands to the other."""
    back: Agent[Shop, Answer] = Agent(name="back", model=provider, output_type=Answer, handoffs=[lambda: first])
    first: Agent[Shop, Answer] = Agent(name="first", model=provider, output_type=Answer, handoffs=[back])
    return first, back


async def main() -> None:
    result = await Runtime().run(triage, "Refund please.", deps=Shop("eu", "EUR"))
    assert_type(result.output, Answer)
    first, _ = support_desk()
    assert_type((await Runtime().run(first, "Refund please.", deps=Shop("eu", "EUR"))).output, Answer)
    assert_type((await Runtime().run(desk, "Refund please.", deps=Shop("eu", "EUR"))).output, Answer)
    text = await Runtime().run(lead, "Price of A1?", deps=Shop("eu", "EUR"))
    assert_type(text.output, str)
    await Runtime().run(no_deps, "hi")


def describe(event: Event) -> str:
    if isinstance(event, Handoff):
        assert_type(event.from_agent, str)
        assert_type(event.to_agent, str)
        return f"{event.from_agent} -> {event.to_agent}"
    return event.type
