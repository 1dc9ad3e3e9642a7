"""Typed agents, tools, contexts and results, as users write them."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass

from typing_extensions import TypeForm, assert_type

from runlet import Agent, RunContext, RunResult, RunStream, Runtime, Tool, tool
from runlet.events import Event
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["ok"])


class OrderDb:
    async def status(self, order_id: str) -> str:
        return "shipped"


@dataclass(frozen=True)
class Deps:
    orders: OrderDb


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


@tool
async def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up by id."""
    assert_type(ctx.deps, Deps)
    assert_type(ctx.step, int)
    return await ctx.deps.orders.status(order_id)


@tool
def add(a: int, b: int = 1) -> int:
    """Add two numbers."""
    return a + b


@tool(name="lookup_order", timeout=5, retries=2)
async def renamed(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up by id."""
    return order_id


# A decorated function is still the function, and a `Tool` for its deps.
assert_type(add(1, 2), int)
as_tool: Tool[Deps] = lookup
plain_tool_fits_any_deps: Tool[Deps] = add
renamed_tool: Tool[Deps] = renamed
assert_type(renamed.name, str)

# An agent's types come from its tools and output type, or from an annotation.
agent: Agent[Deps, Answer] = Agent(
    name="support",
    instructions="Help users with orders.",
    model=provider,
    tools=(lookup, add),
    output_type=Answer,
)
inferred = Agent(name="support", model=provider, tools=(lookup,), output_type=Answer)
assert_type(inferred, Agent[Deps, Answer])

plain = Agent(name="assistant", instructions="Be helpful.", model=provider)
assert_type(plain, Agent[None, str])

with_plain_tools = Agent(name="calc", model=provider, tools=(add,))
assert_type(with_plain_tools.output_type, TypeForm[str])


@tool
def trace(ctx: RunContext[object], note: str) -> str:
    """Reads no deps: fits every agent."""
    return f"{ctx.agent_name}: {note}"


# An agent whose tools read no deps is an `Agent[object, ...]`: it fits where any deps are expected.
anywhere = Agent(name="anywhere", model=provider, tools=(trace,))
assert_type(anywhere, Agent[object, str])
as_plain: Agent[None, str] = anywhere
as_support: Agent[Deps, str] = anywhere


def instructions(ctx: RunContext[Deps]) -> str:
    return f"Step {ctx.step}."


dynamic: Agent[Deps, str] = Agent(name="dynamic", model=provider, instructions=instructions)


async def main() -> None:
    result = await Runtime().run(agent, "Where is order 123?", deps=Deps(OrderDb()))
    assert_type(result, RunResult[Answer])
    assert_type(result.output, Answer)
    assert_type(result.output.eta_days, int)

    text = await Runtime().run(plain, "Say hello.")
    assert_type(text.output, str)

    untyped = await Runtime().run(anywhere, "Note this.")
    assert_type(untyped.output, str)
    with_deps = await Runtime().run(anywhere, "Note this.", deps=Deps(OrderDb()))
    assert_type(with_deps.output, str)

    calc = await Runtime().run(with_plain_tools, "2 + 2?")
    assert_type(calc.output, str)

    number = await Runtime().run(Agent(name="n", model=provider, output_type=int), "How many?")
    assert_type(number.output, int)

    events = Runtime().stream(agent, "Where is order 123?", deps=Deps(OrderDb()))
    assert_type(events, RunStream[Answer])
    as_before: AsyncGenerator[Event, None] = events  # what stream() returned before 0.4 still fits
    async for event in as_before:
        if event.type == "model.stream.delta":
            print(event.payload["delta"], end="")

    async with aclosing(Runtime().stream(plain, "Say hello.")) as closing:
        async for event in closing:
            if event.type == "model.stream.delta":
                break

    sync = Runtime().run_sync(plain, "Hi.")
    assert_type(sync.output, str)


# Model settings: per agent, per run, per step (a function of the typed context).
from runlet import ModelSettings, ToolChoice, UseTool  # noqa: E402


async def settings_for(ctx: RunContext[Deps]) -> ModelSettings | None:
    status = await ctx.deps.orders.status("1")
    return ModelSettings(temperature=0.0) if status == "shipped" else None


tuned: Agent[Deps, str] = Agent(
    name="tuned",
    model=provider,
    settings=ModelSettings(temperature=0.7, stop=["END"], tool_choice=UseTool("lookup"), reasoning_effort="low"),
    prepare_settings=settings_for,
)
assert_type(tuned.settings, ModelSettings | None)
choice: ToolChoice | None = ModelSettings(tool_choice="required").tool_choice
assert_type(ModelSettings().merged(ModelSettings(seed=1)), ModelSettings)


async def tuned_run() -> None:
    result = await Runtime().run(tuned, "go", deps=Deps(OrderDb()), settings=ModelSettings(max_output_tokens=100))
    assert_type(result, RunResult[str])


# Hosted tools go in tools= beside function tools.
from runlet import CodeInterpreter, HostedTool, WebSearch  # noqa: E402


@tool
def lookup_plain(order_id: str) -> str:
    """Look an order up."""
    return order_id


searching = Agent(name="search", model=provider, tools=(lookup_plain, WebSearch(allowed_domains=["example.com"]), CodeInterpreter()))
assert_type(searching.hosted_tools, tuple[HostedTool, ...])
