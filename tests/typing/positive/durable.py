"""Durable agents keep their types: deps and output through Temporal and DBOS handles, a custom clock."""

from __future__ import annotations

import os
from dataclasses import dataclass

from temporalio.client import Client
from typing_extensions import assert_type

from runlet import Agent, Clock, HumanRequest, ModelSettings, RunContext, RunResult, Runtime, SystemClock, tool
from runlet.durable.dbos import DBOSAgent, DBOSRun
from runlet.durable.temporal import TemporalAgent, TemporalRun
from runlet.testing import ScriptedProvider
from runlet.toolsets import of


@dataclass(frozen=True)
class Deps:
    region: str


@dataclass(frozen=True)
class Answer:
    status: str


@tool
def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up."""
    return ctx.deps.region


agent: Agent[Deps, Answer] = Agent(name="support", model=ScriptedProvider([]), tools=(lookup,), output_type=Answer)
plain = Agent(name="plain", model=ScriptedProvider([]))

support = TemporalAgent(agent, deps_type=Deps, inline_tools=("lookup",))
assert_type(support, TemporalAgent[Deps, Answer])
assert_type(TemporalAgent(plain), TemporalAgent[None, str])
assert_type(DBOSAgent(agent, deps_type=Deps), DBOSAgent[Deps, Answer])

# Handoffs, toolsets and agents as tools: the handle keeps the first agent's types; calls are named per agent
billing: Agent[Deps, Answer] = Agent(name="billing", model=ScriptedProvider([]), tools=(of(lookup),), output_type=Answer)
clerk: Agent[Deps, str] = Agent(name="clerk", model=ScriptedProvider([]), tools=(lookup,))
first: Agent[Deps, Answer] = Agent(
    name="desk", model=ScriptedProvider([]), tools=(clerk.as_tool(),), handoffs=[billing], output_type=Answer
)
desk = TemporalAgent(first, deps_type=Deps)
assert_type(desk, TemporalAgent[Deps, Answer])
assert_type(desk.activity_name("lookup", agent="billing"), str)
assert_type(DBOSAgent(agent, deps_type=Deps).step_name(agent="billing"), str)


async def on_temporal(client: Client) -> None:
    run = await support.start(client, "Where is 123?", deps=Deps("eu"), id="order-123", task_queue="agents")
    assert_type(run, TemporalRun[Answer])
    assert_type(await run.result(), RunResult[Answer])
    assert_type((await run.result()).output, Answer)
    assert_type(await run.pending(), tuple[HumanRequest, ...])
    untyped = await TemporalAgent(plain).start(client, "hi", id="plain", task_queue="agents")
    assert_type((await untyped.result()).output, str)
    tuned = await support.start(
        client, "Where is 123?", deps=Deps("eu"), id="t", task_queue="agents", session="user-7", settings=ModelSettings(temperature=0.2)
    )
    assert_type(tuned, TemporalRun[Answer])


async def in_a_workflow() -> None:
    assert_type((await support.run("Where is 123?", deps=Deps("eu"))).output, Answer)
    assert_type((await support.run("Hi", deps=Deps("eu"), session="user-7", settings=ModelSettings(top_p=0.5))).output, Answer)


async def on_dbos() -> None:
    run = await DBOSAgent(agent, deps_type=Deps).start("Where is 123?", deps=Deps("eu"), id="order-123")
    assert_type(run, DBOSRun[Answer])
    assert_type((await run.result()).output, Answer)
    tuned = await DBOSAgent(plain).start("hi", session="user-7", settings=ModelSettings(temperature=0.2))
    assert_type(tuned, DBOSRun[str])


class FixedClock:
    """A clock for tests: the same ids and no jitter."""

    def time(self) -> float:
        return 0.0

    def monotonic(self) -> float:
        return 0.0

    def new_id(self) -> str:
        return os.urandom(16).hex()

    def uniform(self, low: float, high: float) -> float:
        return (low + high) / 2


clock: Clock = FixedClock()
Runtime(clock=clock)
Runtime(clock=SystemClock())
