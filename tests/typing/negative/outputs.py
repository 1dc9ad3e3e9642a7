"""Mistakes with output types, validators and streams that the type checkers must reject."""

from __future__ import annotations

from dataclasses import dataclass

from runlet import Agent, OutputRetry, RunContext, RunStream, Runtime, tool
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["{}"])


@dataclass(frozen=True)
class Deps:
    known: frozenset[str]


@dataclass(frozen=True)
class OtherDeps:
    count: int


@dataclass(frozen=True)
class Answer:
    status: str


@dataclass(frozen=True)
class Refusal:
    reason: str


@tool
def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """A tool for these deps."""
    return order_id


def for_other_deps(ctx: RunContext[OtherDeps], output: Answer) -> Answer:
    return output


def for_answers(ctx: RunContext[Deps], output: Answer) -> Answer:
    if output.status not in ctx.deps.known:
        raise OutputRetry("unknown status")
    return output


def changes_the_type(ctx: RunContext[Deps], output: Answer) -> str:
    return output.status


def no_context(output: Answer) -> Answer:
    return output


either: Agent[Deps, Answer | Refusal] = Agent(name="e", model=provider, tools=(lookup,), output_type=Answer | Refusal)
wrong_deps: Agent[Deps, Answer] = Agent(name="a", model=provider, output_type=Answer, output_validators=(for_other_deps,))  # expect-error
Agent(name="a", model=provider, tools=(lookup,), output_type=Refusal, output_validators=(for_answers,))  # expect-error
Agent(name="a", model=provider, tools=(lookup,), output_validators=(for_answers,))  # expect-error
Agent(name="a", model=provider, tools=(lookup,), output_type=Answer, output_validators=(changes_the_type,))  # expect-error
Agent(name="a", model=provider, tools=(lookup,), output_type=Answer, output_validators=(no_context,))  # expect-error
Agent(name="a", model=provider, output_type=Answer | Refusal, output_validators=(for_answers,))  # expect-error
narrowed: Agent[Deps, Answer] = either  # expect-error


async def main() -> None:
    result = await Runtime().run(either, "x", deps=Deps(frozenset()))
    result.output.status  # expect-error
    stream = Runtime().stream(either, "x", deps=Deps(frozenset()))
    stream.result.output.reason  # expect-error
    only_answers: RunStream[Answer] = stream  # expect-error
    stream.result = stream.result  # expect-error
    async for partial in stream.partial_outputs():
        partial.status  # expect-error
