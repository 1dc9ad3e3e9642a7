"""Output types users choose: str, dataclasses, TypedDicts, primitives, lists, pydantic models, unions; validators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional, Union

from pydantic import BaseModel
from typing_extensions import TypedDict, assert_never, assert_type

from runlet import Agent, OutputRetry, OutputValidator, RunContext, Runtime
from runlet.testing import ScriptedProvider

provider = ScriptedProvider(["{}"])


class Ticket(TypedDict):
    id: str
    priority: int


class Invoice(BaseModel):
    number: str
    total: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float


async def main() -> None:
    ticket = await Runtime().run(Agent(name="t", model=provider, output_type=Ticket), "x")
    assert_type(ticket.output, Ticket)
    assert_type(ticket.output["priority"], int)

    invoice = await Runtime().run(Agent(name="i", model=provider, output_type=Invoice), "x")
    assert_type(invoice.output.total, float)

    point = await Runtime().run(Agent(name="p", model=provider, output_type=Point), "x")
    assert_type(point.output, Point)

    flag = await Runtime().run(Agent(name="f", model=provider, output_type=bool), "x")
    assert_type(flag.output, bool)

    names = await Runtime().run(Agent(name="n", model=provider, output_type=list[str]), "x")
    assert_type(names.output, list[str])


# Union output types: the agent is `Agent[..., A | B]` and the output narrows with match or isinstance.


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


@dataclass(frozen=True)
class Refusal:
    reason: str


@dataclass(frozen=True)
class Deps:
    known: frozenset[str]


either = Agent(name="e", model=provider, output_type=Answer | Refusal)
assert_type(either, Agent[None, Answer | Refusal])
declared: Agent[None, Answer | Refusal] = Agent(name="d", model=provider, output_type=Answer | Refusal)
old_style = Agent(name="u", model=provider, output_type=Union[Answer, Refusal])
assert_type(old_style, Agent[None, Answer | Refusal])
maybe = Agent(name="m", model=provider, output_type=Optional[Answer])
assert_type(maybe, Agent[None, Answer | None])
verdict = Agent(name="v", model=provider, output_type=Literal["approve", "reject"])
assert_type(verdict, Agent[None, Literal["approve", "reject"]])


def describe(output: Answer | Refusal) -> str:
    match output:
        case Answer(status=status, eta_days=days):
            return f"{status} in {days} days"
        case Refusal(reason=reason):
            return f"refused: {reason}"
        case _:
            assert_never(output)


async def unions() -> None:
    result = await Runtime().run(either, "x")
    assert_type(result.output, Answer | Refusal)
    if isinstance(result.output, Answer):
        assert_type(result.output.eta_days, int)
    else:
        assert_type(result.output.reason, str)
    print(describe(result.output))

    optional = await Runtime().run(maybe, "x")
    if optional.output is not None:
        assert_type(optional.output.status, str)

    decided = await Runtime().run(verdict, "x")
    assert_type(decided.output, Literal["approve", "reject"])
    if decided.output == "approve":
        assert_type(decided.output, Literal["approve"])


# Output validators: `(ctx, output) -> output`, sync or async, for the agent's deps and output type.


def known_status(ctx: RunContext[Deps], output: Answer | Refusal) -> Answer | Refusal:
    if isinstance(output, Answer) and output.status not in ctx.deps.known:
        raise OutputRetry(f"status must be one of {sorted(ctx.deps.known)}")
    return output


async def polite(ctx: RunContext[object], output: Answer | Refusal) -> Answer | Refusal:
    if isinstance(output, Refusal) and not output.reason:
        raise OutputRetry("say why you refuse")
    return output


def not_empty(ctx: RunContext[object], output: str) -> str:
    if not output.strip():
        raise OutputRetry("answer with some text")
    return output


checked = Agent(name="c", model=provider, output_type=Answer | Refusal, output_validators=(known_status, polite))
assert_type(checked, Agent[Deps, Answer | Refusal])
annotated: Agent[Deps, Answer | Refusal] = Agent(
    name="a", model=provider, output_type=Answer | Refusal, output_validators=[known_status, polite]
)
text_checked = Agent(name="t", model=provider, output_validators=(not_empty,))
assert_type(text_checked, Agent[object, str])
as_alias: OutputValidator[Deps, Answer | Refusal] = known_status
assert_type(checked.output_validators, tuple[OutputValidator[Deps, Answer | Refusal], ...])


async def validated() -> None:
    result = await Runtime().run(checked, "x", deps=Deps(frozenset({"shipped"})))
    assert_type(result.output, Answer | Refusal)
    text = await Runtime().run(text_checked, "x")
    assert_type(text.output, str)
