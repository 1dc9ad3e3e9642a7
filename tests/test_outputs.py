"""Output types that are unions (tagged for the model), and output validators that send the model back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal, Optional, Union

import pytest

from runlet import (
    Agent,
    ModelRequest,
    OutputSchema,
    OutputRetry,
    OutputValidationError,
    RunContext,
    Runtime,
    UserError,
)
from runlet.events import OutputValidationFailed, RunCompleted, RunFailed
from runlet.sinks import MemorySink
from runlet.testing import FunctionProvider, ScriptedProvider


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


@dataclass(frozen=True)
class Refusal:
    reason: str


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Warning:
    text: str


def tagged(kind: str, value: object) -> dict[str, object]:
    return {"result": {"kind": kind, "value": value}}


# Unions


async def test_a_union_of_object_types_is_offered_as_tagged_alternatives() -> None:
    output = await sent_output(Answer | Refusal, tagged("Refusal", {"reason": "no"}))
    assert output.name == "Answer_or_Refusal" and output.strict
    branches = output.schema["properties"]["result"]["anyOf"]  # type: ignore[index]
    assert [b["properties"]["kind"] for b in branches] == [  # type: ignore[index]
        {"type": "string", "enum": ["Answer"]},
        {"type": "string", "enum": ["Refusal"]},
    ]
    assert branches[1]["properties"]["value"]["required"] == ["reason"]  # type: ignore[index]
    assert all(b["required"] == ["kind", "value"] and b["additionalProperties"] is False for b in branches)  # type: ignore[index]


@pytest.mark.parametrize("output_type", [Answer | Refusal, Union[Answer, Refusal]], ids=["pipe", "Union"])
async def test_the_kind_the_model_names_is_the_type_it_gets(output_type: object) -> None:
    provider = ScriptedProvider([tagged("Refusal", {"reason": "not yours"}), tagged("Answer", {"status": "shipped", "eta_days": 2})])
    agent = Agent(name="u", model=provider, output_type=output_type)
    sink = MemorySink()
    first = await Runtime(sinks=(sink,)).run(agent, "Where is order 123?")
    second = await Runtime().run(agent, "And order 124?")
    assert first.output == Refusal("not yours")
    assert second.output == Answer("shipped", 2)
    completed = sink.events[-1]
    assert isinstance(completed, RunCompleted) and completed.output == {"reason": "not yours"}


async def test_alternatives_of_the_same_shape_are_told_apart_by_their_tag() -> None:
    provider = ScriptedProvider([tagged("Warning", {"text": "careful"})])
    result = await Runtime().run(Agent(name="n", model=provider, output_type=Note | Warning), "?")
    assert type(result.output) is Warning


async def test_an_unknown_kind_goes_back_to_the_model_naming_the_kinds() -> None:
    provider = ScriptedProvider([tagged("Maybe", {}), tagged("Answer", {"status": "late"}), tagged("Answer", {"status": "late", "eta_days": 9})])
    agent = Agent(name="u", model=provider, output_type=Answer | Refusal)
    result = await Runtime().run(agent, "?")
    assert result.output == Answer("late", 9)
    retries = [request.messages[-1].text for request in provider.requests[1:]]
    assert "result.kind: expected one of 'Answer', 'Refusal', got 'Maybe'" in retries[0]
    assert "eta_days" in retries[1]


async def test_a_union_that_never_validates_names_the_union() -> None:
    agent = Agent(name="u", model=ScriptedProvider([{"result": {"status": "x"}}] * 2), output_type=Answer | Refusal, max_output_retries=1)
    with pytest.raises(OutputValidationError, match=r"did not validate as Answer \| Refusal after 2 attempts"):
        await Runtime().run(agent, "?")


async def test_none_is_an_alternative_of_a_tagged_union() -> None:
    agent = Agent(name="u", model=ScriptedProvider([tagged("None", None)]), output_type=Optional[Union[Answer, Refusal]])
    assert (await Runtime().run(agent, "?")).output is None
    output = agent.model.requests[0].output  # type: ignore[attr-defined]
    kinds = [b["properties"]["kind"]["enum"] for b in output.schema["properties"]["result"]["anyOf"]]
    assert kinds == [["Answer"], ["Refusal"], ["None"]]


async def test_unions_that_json_tells_apart_are_not_tagged() -> None:
    maybe = Agent(name="m", model=ScriptedProvider([{"result": None}, {"result": {"status": "ok", "eta_days": 1}}]), output_type=Optional[Answer])
    assert (await Runtime().run(maybe, "?")).output is None
    assert (await Runtime().run(maybe, "?")).output == Answer("ok", 1)
    assert maybe.model.requests[0].output.schema["properties"]["result"]["anyOf"][1] == {"type": "null"}  # type: ignore[attr-defined]

    verdict = Agent(name="v", model=ScriptedProvider([{"result": "maybe"}, {"result": "approve"}]), output_type=Literal["approve", "reject"])
    assert (await Runtime().run(verdict, "?")).output == "approve"
    assert verdict.model.requests[0].output.schema["properties"]["result"] == {"type": "string", "enum": ["approve", "reject"]}  # type: ignore[attr-defined]

    number_or_text = Agent(name="n", model=ScriptedProvider([{"result": 3}]), output_type=int | str)
    assert (await Runtime().run(number_or_text, "?")).output == 3


async def test_alternatives_with_the_same_name_get_distinct_tags() -> None:
    def make() -> type:
        @dataclass(frozen=True)
        class Answer:
            text: str

        return Answer

    other = make()
    provider = ScriptedProvider([tagged("Answer_2", {"text": "hi"})])
    result = await Runtime().run(Agent(name="u", model=provider, output_type=Union[Answer, other]), "?")
    assert type(result.output) is other
    assert provider.requests[0].output is not None and provider.requests[0].output.name == "Answer_or_Answer_2"


async def test_alternatives_that_define_a_name_differently_are_refused() -> None:
    def tree(kind: type) -> type:
        @dataclass(frozen=True)
        class Node:
            value: object
            children: list[object]

        Node.__annotations__.update(value=kind, children=list[Node])
        return Node

    provider = ScriptedProvider([])
    agent = Agent(name="t", model=provider, output_type=Union[tree(int), tree(str)])
    with pytest.raises(UserError, match="define 'Node' differently in their JSON schemas: rename one"):
        await Runtime().run(agent, "?")
    assert provider.requests == []


# Validators


@dataclass(frozen=True)
class Deps:
    known: frozenset[str]


def known_status(ctx: RunContext[Deps], output: Answer) -> Answer:
    if output.status not in ctx.deps.known:
        raise OutputRetry(f"status must be one of {', '.join(sorted(ctx.deps.known))}")
    return output


async def test_a_validator_sends_the_model_back_with_its_reason() -> None:
    provider = ScriptedProvider([{"status": "lost", "eta_days": 1}, {"status": "shipped", "eta_days": 1}])
    agent = Agent(name="v", model=provider, output_type=Answer, output_validators=(known_status,))
    sink = MemorySink()
    result = await Runtime(sinks=(sink,)).run(agent, "?", deps=Deps(frozenset({"shipped", "late"})))

    assert result.output == Answer("shipped", 1)
    assert provider.requests[1].messages[-1].text == "Your answer was not accepted: status must be one of late, shipped. Answer again."
    failed = [e for e in sink.events if isinstance(e, OutputValidationFailed)]
    assert [(e.error, e.attempt) for e in failed] == [("status must be one of late, shipped", 1)]


async def test_validators_run_in_order_sync_or_async_and_may_change_the_output() -> None:
    seen: list[str] = []

    def first(ctx: RunContext[object], output: Answer) -> Answer:
        seen.append(f"first {output.eta_days}")
        return Answer(output.status.upper(), output.eta_days)

    async def second(ctx: RunContext[object], output: Answer) -> Answer:
        await asyncio.sleep(0)
        seen.append(f"second {output.status}")
        return Answer(output.status, output.eta_days + 1)

    agent = Agent(name="v", model=ScriptedProvider([{"status": "shipped", "eta_days": 1}]), output_type=Answer, output_validators=(first, second))
    result = await Runtime().run(agent, "?")
    assert result.output == Answer("SHIPPED", 2)
    assert seen == ["first 1", "second SHIPPED"]


async def test_a_validator_sees_the_run_context() -> None:
    contexts: list[tuple[int, str, int]] = []

    def note(ctx: RunContext[str], output: str) -> str:
        contexts.append((ctx.step, ctx.deps, len(ctx.messages)))
        return output

    await Runtime().run(Agent(name="t", model=ScriptedProvider(["Hi."]), output_validators=(note,)), "Hello", deps="deps")
    assert contexts == [(1, "deps", 2)]


async def test_refusals_are_bounded_by_max_output_retries() -> None:
    def never(ctx: RunContext[object], output: str) -> str:
        raise OutputRetry("not good enough")

    provider = ScriptedProvider(["a", "b", "c"])
    agent = Agent(name="t", model=provider, output_validators=(never,), max_output_retries=2)
    with pytest.raises(OutputValidationError, match="refused by an output validator after 3 attempts: not good enough"):
        await Runtime().run(agent, "?")
    assert provider.remaining == 0


async def test_a_validator_that_raises_anything_else_fails_the_run() -> None:
    def broken(ctx: RunContext[object], output: str) -> str:
        raise KeyError("missing")

    sink = MemorySink()
    provider = ScriptedProvider(["a", "b"])
    with pytest.raises(KeyError):
        await Runtime(sinks=(sink,)).run(Agent(name="t", model=provider, output_validators=(broken,)), "?")
    assert isinstance(sink.events[-1], RunFailed) and provider.remaining == 1


async def test_validators_check_union_outputs_after_the_tag_is_resolved() -> None:
    def no_empty_refusals(ctx: RunContext[object], output: Answer | Refusal) -> Answer | Refusal:
        if isinstance(output, Refusal) and not output.reason:
            raise OutputRetry("say why")
        return output

    def answer(request: ModelRequest) -> dict[str, object]:
        return tagged("Refusal", {"reason": "" if len(request.messages) == 1 else "private"})

    agent = Agent(name="u", model=FunctionProvider(answer), output_type=Answer | Refusal, output_validators=[no_empty_refusals])
    result = await Runtime().run(agent, "?")
    assert result.output == Refusal("private")


async def sent_output(output_type: object, answer: dict[str, object]) -> OutputSchema:
    """The output schema a run of an agent with `output_type` sends to the model."""
    provider = ScriptedProvider([answer])
    await Runtime().run(Agent(name="o", model=provider, output_type=output_type), "?")
    output = provider.requests[0].output
    assert output is not None
    return output
