"""Runlet's main example: a typed support agent with a tool, run offline.

    python examples/quickstart.py

With no API key it runs against a scripted model from `runlet.testing`, so it
works anywhere; with OPENAI_API_KEY set it uses the OpenAI Responses API
(`pip install "runlet[openai]"`). It prints the run's events as they happen,
then the typed result.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass

from runlet import Agent, RunContext, Runtime, tool
from runlet.providers import Provider
from runlet.sinks import ConsoleSink
from runlet.testing import ScriptedProvider, call


class OrderDb:
    """A stand-in for a real database."""

    def __init__(self) -> None:
        self._orders = {"123": ("shipped", 2), "456": ("packing", 5)}

    async def status(self, order_id: str) -> str:
        status, eta = self._orders.get(order_id, ("unknown", -1))
        return f"order {order_id}: {status}, arriving in {eta} days"


@dataclass(frozen=True)
class Deps:
    orders: OrderDb


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


@tool
async def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up by id.

    Args:
        order_id: The order's id, digits only.
    """
    return await ctx.deps.orders.status(order_id)


def make_model() -> Provider:
    if os.environ.get("OPENAI_API_KEY"):
        from runlet.providers import OpenAIResponsesProvider

        return OpenAIResponsesProvider(model=os.environ.get("RUNLET_MODEL", "gpt-5-mini"))
    return ScriptedProvider([call("lookup", order_id="123"), {"status": "shipped", "eta_days": 2}])


async def main() -> Answer:
    agent: Agent[Deps, Answer] = Agent(
        name="support",
        instructions="Help users with their orders. Use the tools; answer with the order's status and ETA.",
        model=make_model(),
        tools=(lookup,),
        output_type=Answer,
    )
    runtime = Runtime(sinks=(ConsoleSink(sys.stdout),))  # a readable trace of every event
    result = await runtime.run(agent, "Where is order 123?", deps=Deps(OrderDb()))
    print(f"\noutput: {result.output!r}")
    print(f"usage:  {result.usage}")
    return result.output


if __name__ == "__main__":
    asyncio.run(main())
