"""Mistakes with agents, tools and deps that the type checkers must reject."""

from __future__ import annotations

from dataclasses import dataclass

from runlet import Agent, RunContext, Runtime, tool
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["ok"])


@dataclass(frozen=True)
class Deps:
    name: str


@dataclass(frozen=True)
class OtherDeps:
    count: int


@dataclass(frozen=True)
class Answer:
    status: str


@tool
async def for_other(ctx: RunContext[OtherDeps], x: str) -> str:
    """A tool for other deps."""
    return x


@tool
async def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """A tool for these deps."""
    return ctx.deps.nmae  # expect-error


wrong_tool: Agent[Deps, str] = Agent(name="a", model=provider, tools=(for_other,))  # expect-error
narrowed: Agent[Deps, str] = Agent(name="a", model=provider, tools=(lookup,))
widened: Agent[object, str] = narrowed  # expect-error
no_deps: Agent[None, str] = narrowed  # expect-error
wrong_output: Agent[Deps, Answer] = Agent(name="a", model=provider, tools=(lookup,), output_type=str)  # expect-error
agent: Agent[Deps, Answer] = Agent(name="a", model=provider, tools=(lookup,), output_type=Answer)
Agent(name="a", model="gpt-5", tools=(lookup,))  # expect-error
Agent(name="a", model=provider, tools=(lookup,), max_steps="10")  # expect-error
lookup("not a context", "123")  # expect-error


async def main() -> None:
    await Runtime().run(agent, "hi", deps=OtherDeps(1))  # expect-error
    await Runtime().run(agent, "hi")  # expect-error
    result = await Runtime().run(agent, "hi", deps=Deps("x"))
    result.output.eta_days  # expect-error
    plain = Agent(name="p", model=provider)
    text = await Runtime().run(plain, "hi")
    text.output.status  # expect-error
    Runtime().stream(agent, "hi")  # expect-error


# Model settings of the wrong type.
from runlet import ModelSettings  # noqa: E402

ModelSettings(temperature="hot")  # expect-error
ModelSettings(tool_choice="requird")  # expect-error
ModelSettings(reasoning_effort="extreme")  # expect-error
ModelSettings(0.2)  # expect-error
ModelSettings(prompt_cache_retention="24h")  # expect-error


def other_settings(ctx: RunContext[OtherDeps]) -> ModelSettings:
    return ModelSettings()


Agent[Deps, str](name="a", model=provider, prepare_settings=other_settings)  # expect-error


# Hosted tools are instances of the three classes, with typed fields.
from runlet import FileSearch, WebSearch  # noqa: E402

Agent(name="a", model=provider, tools=(WebSearch,))  # expect-error
WebSearch(search_context_size="huge")  # expect-error
FileSearch()  # expect-error
