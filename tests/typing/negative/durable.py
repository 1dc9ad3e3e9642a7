"""Durable agents used wrongly: the type checkers must reject these."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client

from runlet import Agent, RunContext, Runtime, tool
from runlet.durable.dbos import DBOSAgent
from runlet.durable.temporal import TemporalAgent
from runlet.testing import ScriptedProvider


@dataclass(frozen=True)
class Deps:
    region: str


@tool
def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up."""
    return ctx.deps.region


agent: Agent[Deps, str] = Agent(name="support", model=ScriptedProvider([]), tools=(lookup,))
TemporalAgent(agent, deps_type=int)  # expect-error
DBOSAgent(agent)  # expect-error
support = TemporalAgent(agent, deps_type=Deps)


async def start(client: Client) -> None:
    await support.start(client, "hi", id="x", task_queue="q", deps="eu")  # expect-error
    run = await support.start(client, "hi", id="x", task_queue="q", deps=Deps("eu"))
    number: int = (await run.result()).output  # expect-error
    print(number)
    await support.start(client, "hi", id="x", task_queue="q", deps=Deps("eu"), settings={"temperature": 0.2})  # expect-error
    await support.start(client, "hi", id="x", task_queue="q", deps=Deps("eu"), session=7)  # expect-error
    await DBOSAgent(agent, deps_type=Deps).start("hi", deps=Deps("eu"), settings=0.2)  # expect-error


class NoIds:
    def time(self) -> float:
        return 0.0

    def monotonic(self) -> float:
        return 0.0


Runtime(clock=NoIds())  # expect-error
