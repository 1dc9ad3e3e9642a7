"""What crosses a durable engine's boundary: a run whose calls go through JSON reads exactly as a local run.

`BoundaryExecutor` with an in-process boundary (each call encoded, run by
`run_model_call` / `run_tool_call`, its result encoded and decoded through
JSON text, as an engine records it) against `LocalExecutor`: the same result,
the same events, the same errors. No engine is needed here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import media_cases
from durable_app import Deps, agent
from runlet import (
    Agent,
    AudioPart,
    CodeInterpreter,
    DocumentPart,
    FileSearch,
    ImagePart,
    Message,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    OutputSchema,
    ProviderError,
    RateLimited,
    RunInterrupted,
    Runtime,
    StateFormatError,
    TextPart,
    ToolCallPart,
    ToolDefinition,
    Usage,
    UserError,
    Tool,
    UseTool,
    WebSearch,
    tool,
)
from runlet.core.serialize import (
    model_request_from_json,
    model_request_to_json,
    model_response_from_json,
    model_response_to_json,
    usage_to_json,
)
from runlet.durable._boundary import (
    BoundaryExecutor,
    DurableAgents,
    DepsCodec,
    Payload,
    provider_error_from_json,
    run_model_call,
    run_tool_call,
    tool_content_from_json,
    tool_content_to_json,
)
from runlet.sinks import MemorySink
from runlet.testing import FunctionProvider, ScriptedProvider, Turn, call
from runlet.toolsets import of

pytestmark = pytest.mark.durable


class InProcess:
    """A boundary that records nothing: the calls' payloads and results go through JSON text, as an engine's would."""

    def __init__(self, agent: Agent[Any, Any], deps: DepsCodec[Any]) -> None:
        self.agent = agent
        self.deps = deps
        self.calls: list[str] = []

    async def model_call(self, agent: str, payload: Payload) -> Payload:
        self.calls.append("model")
        result = await run_model_call(self.agent.model, json.loads(json.dumps(payload)))
        return dict(json.loads(json.dumps(result)))

    async def tool_call(self, agent: str, tool: Tool[Any], payload: Payload) -> Payload:
        self.calls.append(tool.name)
        result = await run_tool_call(tool, self.deps, json.loads(json.dumps(payload)))
        return dict(json.loads(json.dumps(result)))


def durable_runtime(sink: MemorySink, inline: tuple[str, ...] = ()) -> tuple[Runtime, InProcess]:
    boundary = InProcess(agent, DepsCodec(agent.name, Deps))
    return Runtime(sinks=(sink,), executor=BoundaryExecutor(boundary, boundary.deps, DurableAgents(agent, inline))), boundary


def same(value: object) -> str:
    """`value` as text without what differs between two runs: the scripted calls' ids."""
    return re.sub(r"call_\d+", "call", repr(value))


def shape(events: MemorySink) -> str:
    """The events without what differs between two runs (ids, durations, the frames of a traceback).

    A tool's traceback is kept as its last line, the exception's name and message: across the boundary the
    frames are those that raised the error again, not the tool's.
    """

    def kept(key: str, value: object) -> object:
        if key == "traceback" and isinstance(value, str) and value:
            kind, _, message = value.strip().splitlines()[-1].partition(": ")
            return (kind.rpartition(".")[2], message)
        return value

    return same([(e.type, {k: kept(k, v) for k, v in e.payload.items() if k != "duration_ms"}) for e in events.events])


@pytest.mark.parametrize("question", ["Where is order 123?", "broken order"])
async def test_a_run_through_the_boundary_reads_as_a_local_run(question: str) -> None:
    local_sink, durable_sink = MemorySink(), MemorySink()
    local = await Runtime(sinks=(local_sink,)).run(agent, question, deps=Deps("eu"))
    runtime, boundary = durable_runtime(durable_sink)
    durable = await runtime.run(agent, question, deps=Deps("eu"))
    assert durable.output == local.output and same(durable.new_messages) == same(local.new_messages)
    assert shape(durable_sink) == shape(local_sink)
    assert boundary.calls == ["model", "lookup" if "123" in question else "broken", "model"]


async def test_asking_a_human_crosses_and_the_answers_go_back_to_the_tool() -> None:
    runtime, boundary = durable_runtime(MemorySink())
    with pytest.raises(RunInterrupted) as interrupted:
        await runtime.run(agent, "Please refund order 123", deps=Deps("eu"))
    (request,) = interrupted.value.pending
    result = await runtime.resume(agent, interrupted.value.checkpoint, [request.approve()], deps=Deps("eu"))
    assert result.output.status == "refunded 40 EUR on 123"
    assert boundary.calls == ["model", "refund", "refund", "model"]  # asked, then ran with the approval


async def test_inline_tools_run_in_the_workflow() -> None:
    runtime, boundary = durable_runtime(MemorySink(), inline=("lookup",))
    await runtime.run(agent, "Where is order 123?", deps=Deps("eu"))
    assert boundary.calls == ["model", "model"]


async def test_a_provider_error_keeps_its_class_and_retry_flag() -> None:
    attempts: list[int] = []

    def flaky(request: ModelRequest) -> Turn:
        attempts.append(1)
        if len(attempts) == 1:
            raise RateLimited("slow down", provider="p", status_code=429)
        return "ok"

    plain = Agent(name="flaky", model=FunctionProvider(flaky))
    boundary = InProcess(plain, DepsCodec(plain.name, type(None)))
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), executor=BoundaryExecutor(boundary, boundary.deps, DurableAgents(plain, ())))
    assert (await runtime.run(plain, "hi")).output == "ok"
    failed = next(e for e in sink.events if e.type == "model.failed")
    assert failed.payload["error_type"] == "RateLimited" and failed.payload["retryable"] is True

    error = provider_error_from_json({"type": "QuotaExhausted", "message": "m", "provider": "p", "status_code": None, "retryable": True})
    assert type(error) is ProviderError and error.retryable and str(error) == "m"  # a provider's own class: its flag kept


def test_model_requests_and_responses_round_trip_through_json() -> None:
    request = ModelRequest(
        messages=(Message.system("be brief"), Message.user("hi"), Message("assistant", (ToolCallPart("c1", "f", "{}"),))),
        tools=(ToolDefinition("f", "does f", {"type": "object", "properties": {}}, strict=True),),
        output=OutputSchema("Answer", {"type": "object"}, strict=True),
        max_output_tokens=100,
        options={"openai": {"extra_body": {"x": [1, 2]}}},
    )
    assert model_request_from_json(json.loads(json.dumps(model_request_to_json(request)))) == request
    response = ModelResponse((TextPart("hello"),), Usage(3, 4, requests=1), "length", "m-1", "r-1")
    assert model_response_from_json(json.loads(json.dumps(model_response_to_json(response)))) == response
    with pytest.raises(TypeError):
        model_request_to_json(ModelRequest(messages=(), options={"openai": {"client": object()}}))


def test_deps_that_cannot_cross_are_refused_at_once() -> None:
    class Connection:
        pass

    with pytest.raises(UserError, match="cannot cross"):
        DepsCodec("a", Connection)
    codec = DepsCodec("a", Deps)
    assert codec.load(json.loads(json.dumps(codec.dump(Deps("eu"))))) == Deps("eu")


@tool
def chart(metric: str) -> list[str | ImagePart | DocumentPart]:
    """Draw a chart of a metric, with its data as a PDF."""
    return [f"Chart of {metric}", ImagePart(media_cases.png(8, 8)), "and its data", DocumentPart(media_cases.pdf(1), filename="data.pdf")]


async def test_a_tools_media_cross_the_boundary_exactly() -> None:
    local_provider = ScriptedProvider([call("chart", metric="sales"), "Done."])
    durable_provider = ScriptedProvider([call("chart", metric="sales"), "Done."])
    local_sink, durable_sink = MemorySink(), MemorySink()
    local_agent = Agent(name="analyst", model=local_provider, tools=(chart,))
    durable_agent = Agent(name="analyst", model=durable_provider, tools=(chart,))
    await Runtime(sinks=(local_sink,)).run(local_agent, "Show me sales")
    boundary = InProcess(durable_agent, DepsCodec(durable_agent.name, type(None)))
    runtime = Runtime(sinks=(durable_sink,), executor=BoundaryExecutor(boundary, boundary.deps, DurableAgents(durable_agent, ())))
    await runtime.run(durable_agent, "Show me sales")
    assert boundary.calls == ["model", "chart", "model"]
    (result,) = durable_provider.requests[1].messages[-1].tool_results
    assert result.content == "Chart of sales\nand its data"
    assert result.media == (ImagePart(media_cases.png(8, 8)), DocumentPart(media_cases.pdf(1), filename="data.pdf"))
    assert same(durable_provider.requests[1].messages) == same(local_provider.requests[1].messages)
    assert shape(durable_sink) == shape(local_sink)


def test_tool_content_round_trips_through_json_and_other_values_are_refused() -> None:
    content = ("text", ImagePart(media_cases.png(2, 2), detail="low"), AudioPart(media_cases.wav(0.1)), ImagePart(url="https://example.com/a.png"))
    assert tool_content_from_json(json.loads(json.dumps(tool_content_to_json(content)))) == content
    assert tool_content_from_json(json.loads(json.dumps(tool_content_to_json("plain")))) == "plain"
    assert tool_content_to_json(["a list"]) is None and tool_content_to_json(("text", 3)) is None


def test_a_requests_settings_and_hosted_tools_cross_the_boundary() -> None:
    request = ModelRequest(
        messages=(Message.user("hi", ImagePart(media_cases.png(2, 2))),),
        settings=ModelSettings(temperature=0.5, tool_choice=UseTool("f"), stop=("END",), reasoning_effort="low", seed=7),
        hosted_tools=(WebSearch(allowed_domains=("example.com",), max_uses=2), FileSearch(vector_store_ids=("vs_1",)), CodeInterpreter()),
    )
    assert model_request_from_json(json.loads(json.dumps(model_request_to_json(request)))) == request
    for choice in ("auto", "none", "required"):
        plain = ModelRequest(messages=(), settings=ModelSettings(tool_choice=choice))
        assert model_request_from_json(json.loads(json.dumps(model_request_to_json(plain)))) == plain
    assert "settings" not in model_request_to_json(ModelRequest(messages=()))  # what older payloads hold still reads
    with pytest.raises(StateFormatError, match="unknown hosted tool"):
        model_request_from_json({**model_request_to_json(ModelRequest(messages=())), "hosted_tools": [{"name": "nope"}]})


async def test_a_tool_that_returns_something_else_is_a_type_error_across_the_boundary() -> None:
    class Loose:
        name = "loose"

        async def call(self, ctx: object, arguments: object) -> object:
            return ["text", ImagePart(media_cases.png(2, 2))]  # a list, not a tuple: not `ToolContent`

    payload: Payload = {"arguments": {}, "deps": None, "run_id": "r", "agent": "a", "step": 1, "usage": usage_to_json(Usage()), "messages": [], "answers": []}
    result = await run_tool_call(Loose(), DepsCodec("a", type(None)), payload)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert result["error"]["type"] == "TypeError" and "not str or a tuple of str and media parts" in result["error"]["message"]


async def test_an_agent_a_toolset_gives_as_a_tool_is_refused_clearly_when_called() -> None:
    clerk = Agent(name="clerk", model=ScriptedProvider(["7"]))
    lead = Agent(name="lead", model=ScriptedProvider([call("clerk", input="?"), "done"]), tools=(of(clerk.as_tool()),))
    boundary = InProcess(lead, DepsCodec(lead.name, type(None)))
    sink = MemorySink()
    runtime = Runtime(sinks=(sink,), executor=BoundaryExecutor(boundary, boundary.deps, DurableAgents(lead, ())))
    assert (await runtime.run(lead, "go")).output == "done"  # the child failed: a failed tool call, as locally
    failed = next(e for e in sink.events if e.type == "tool.failed")
    assert "agent 'clerk' is not reachable from 'lead' by handoffs or Agent" in failed.payload["error"]
