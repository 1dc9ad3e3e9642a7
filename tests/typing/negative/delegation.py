"""Mistakes with agents as tools and handoffs that the type checkers must reject."""

from __future__ import annotations

from dataclasses import dataclass

from runlet import Agent, RunContext, tool
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["ok"])


@dataclass(frozen=True)
class Shop:
    region: str


@dataclass(frozen=True)
class Pricing:
    currency: str


@dataclass(frozen=True)
class Answer:
    text: str


@tool
def price(ctx: RunContext[Pricing], sku: str) -> str:
    """A price."""
    return "12"


def pricing(shop: Shop) -> Pricing:
    return Pricing("EUR")


def wrong_mapping(shop: Shop) -> int:
    return 1


pricer: Agent[Pricing, str] = Agent(name="pricer", model=provider, tools=(price,))

# the child needs Pricing, the parent has Shop: map the deps
lead: Agent[Shop, str] = Agent(name="lead", model=provider, tools=(pricer.as_tool(),))  # expect-error
# a mapping must give the child's deps
pricer.as_tool(deps=wrong_mapping)  # expect-error
# a mapping from other deps than the parent's
other: Agent[Pricing, str] = Agent(name="other", model=provider, tools=(pricer.as_tool(deps=pricing),))  # expect-error

answers: Agent[Shop, Answer] = Agent(name="answers", model=provider, output_type=Answer)
texts: Agent[Shop, str] = Agent(name="texts", model=provider)

# a handoff target gives another output type
Agent(name="triage", model=provider, output_type=Answer, handoffs=[texts])  # expect-error
mixed: Agent[Shop, str] = Agent(name="triage", model=provider, handoffs=[answers])  # expect-error
# a handoff target needs other deps
pricing_triage: Agent[Shop, str] = Agent(name="triage", model=provider, handoffs=[pricer])  # expect-error
# the run's output is the graph's output type
triage = Agent(name="triage", model=provider, output_type=Answer, handoffs=[answers])
wrong_output: Agent[Shop, str] = triage  # expect-error

# a target given as a function must give an agent of the same output type and deps
Agent(name="back", model=provider, output_type=Answer, handoffs=[lambda: texts])  # expect-error
back_to_pricing: Agent[Shop, str] = Agent(name="back", model=provider, handoffs=[lambda: pricer])  # expect-error
# a target function takes no arguments
Agent(name="back", model=provider, output_type=Answer, handoffs=[lambda agent: answers])  # expect-error
# it returns an agent, not its name
Agent(name="back", model=provider, handoffs=[lambda: "texts"])  # expect-error
