"""Runlet on DBOS, with SQLite and with the PostgreSQL server at 127.0.0.1:5432 (database `test`).

A process is killed mid-run (`os._exit` in its second model call) and the
next process to launch recovers the run: the model call and the tool call
that had completed are not run again (counted by side effects in a file),
and the events the first process delivered are not delivered again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from dbos import DBOS
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from durable_app import Answer, Deps, agent, event_seqs, executions
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
from durable_dbos_app import dbos_support
from runlet import (
    Agent,
    AuthenticationFailed,
    DurableRunError,
    InvalidHumanResponse,
    InvalidSessionId,
    ModelRequest,
    ModelSettings,
    RetryPolicy,
    Runtime,
    UserError,
)
from runlet.durable.dbos import DBOSAgent, DBOSRun
from runlet.events import ToolFailed
from runlet.sinks import MemorySink, OpenTelemetrySink
from runlet.testing import FunctionProvider, Turn

# Agents are declared before DBOS.launch(), as an application does.
EXPORTER = InMemorySpanExporter()
TRACER_PROVIDER = TracerProvider()
TRACER_PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
dbos_traced = DBOSAgent(traced_agent("dbos-traced", TRACER_PROVIDER), runtime=Runtime(sinks=(OpenTelemetrySink(TRACER_PROVIDER),)))
SEEN: list[ModelSettings] = []
dbos_tuned = DBOSAgent(settings_agent("dbos-tuned", SEEN))
STORE = CountingStore()
dbos_chatty = DBOSAgent(session_agent("dbos-chatty"), runtime=Runtime(store=STORE))
FLAKY_STORE = CountingStore(unavailable=1)
dbos_flaky = DBOSAgent(session_agent("dbos-flaky-store"), runtime=Runtime(store=FLAKY_STORE, retry=RetryPolicy(initial_delay=0.05)))
FAILED = MemorySink()
dbos_failing = DBOSAgent(
    Agent(name="dbos-failing", model=agent.model, tools=agent.tools, output_type=Answer), deps_type=Deps, runtime=Runtime(sinks=(FAILED,))
)

DESK_LOG: list[str] = []
dbos_desk = DBOSAgent(handoff_agent("dbos-desk", DESK_LOG))
SHELF_LOG: list[str] = []
dbos_shelf = DBOSAgent(toolset_agent("dbos-shelf", SHELF_LOG))
LEAD_LOG: list[str] = []
dbos_lead = DBOSAgent(delegating_agent("dbos-lead", LEAD_LOG))

pytestmark = pytest.mark.durable

APP = Path(__file__).parent / "durable_dbos_app.py"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def run_app(log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNLET_DURABLE_LOG": str(log), "RUNLET_DURABLE_EVENTS": str(log.with_suffix(".events.jsonl"))}
    return subprocess.run([sys.executable, str(APP), *args], capture_output=True, text=True, env=env, timeout=120)


def crash_and_recover(tmp_path: Path, *args: str) -> None:
    log = tmp_path / "executions.log"
    events = log.with_suffix(".events.jsonl")
    crashed = run_app(log, *args, "--crash")
    assert crashed.returncode == 17, crashed.stderr
    assert executions(log) == ["model0", "lookup", "model1"]  # killed in the second model call
    delivered = len(event_seqs(events))
    assert delivered > 5  # the events before the second model call reached the sink
    recovered = run_app(log, *args)
    assert recovered.returncode == 0, recovered.stderr
    assert "output: Answer(status='order 123 ships from eu', eta_days=1)" in recovered.stdout
    assert executions(log) == ["model0", "lookup", "model1", "model1"]  # only the unfinished call ran again
    seqs = event_seqs(events)
    assert seqs == list(range(len(seqs))) and len(seqs) > delivered  # the replayed part's events were not delivered again


def test_a_run_killed_mid_way_completes_in_the_next_process_on_sqlite(tmp_path: Path) -> None:
    crash_and_recover(tmp_path, f"sqlite:///{tmp_path / 'dbos.sqlite'}", "run-sqlite")


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"runlet_test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_a_run_killed_mid_way_completes_in_the_next_process_on_postgresql(tmp_path: Path, schema: str) -> None:
    crash_and_recover(tmp_path, POSTGRES, "run-postgres", "--schema", schema)


@pytest.fixture
async def launched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    log = tmp_path / "executions.log"
    monkeypatch.setenv("RUNLET_DURABLE_LOG", str(log))
    DBOS(config={
        "name": "runlet-durable-test",
        "system_database_url": f"sqlite:///{tmp_path / 'dbos.sqlite'}",
        "notification_listener_polling_interval_sec": 0.05,
    })
    DBOS.launch()
    yield log
    DBOS.destroy()


async def test_a_run_waits_for_a_human_and_resumes(launched: Path) -> None:
    run = await dbos_support.start("Please refund order 123", deps=Deps("eu"), id="refund-1")
    (request,) = await run.pending(timeout=10)
    assert request.tool == "refund"
    with pytest.raises(InvalidHumanResponse):
        await run.respond([])  # checked before anything is sent
    await dbos_support.get_run("refund-1").respond([request.approve()])
    result = await run.result()
    assert result.output == Answer("refunded 40 EUR on 123", 1)
    assert await run.pending() == ()
    assert executions(launched) == ["model0", "refund", "model1"]  # the tool ran once: after the approval
    with pytest.raises(UserError, match="not waiting"):
        await run.respond([request.approve()])


async def test_starting_a_run_with_the_same_id_is_idempotent(launched: Path) -> None:
    first = await dbos_support.start("Where is order 123?", deps=Deps("eu"), id="same")
    again = await dbos_support.start("Where is order 123?", deps=Deps("eu"), id="same")
    assert (await first.result()).output == (await again.result()).output
    assert executions(launched) == ["model0", "lookup", "model1"]


async def test_a_failed_run_raises_a_durable_run_error_naming_the_error(launched: Path) -> None:
    def refusing(request: ModelRequest) -> Turn:
        raise AuthenticationFailed("bad key", provider="refusing", status_code=401)

    refused = DBOSAgent(Agent(name="refusing", model=FunctionProvider(refusing)))
    DBOS.destroy()  # a workflow is registered before launch
    DBOS(config={"name": "runlet-durable-test", "system_database_url": f"sqlite:///{launched.parent / 'refused.sqlite'}"})
    DBOS.launch()
    run = await refused.start("hi", id="refused")
    with pytest.raises(DurableRunError) as failed:
        await run.result()
    assert failed.value.error_type == "AuthenticationFailed" and "bad key" in str(failed.value)


async def test_spans_opened_in_steps_nest_under_the_run_s_tool_and_model_spans(launched: Path) -> None:
    EXPORTER.clear()
    result = await (await dbos_traced.start("How many bolts?", id="traced")).result()
    assert result.output == "7 in stock"
    check_nesting(EXPORTER.get_finished_spans())


async def test_a_run_s_settings_cross_the_boundary_and_last_through_an_approval(launched: Path) -> None:
    SEEN.clear()
    run = await dbos_tuned.start("refund 9", id="tuned", settings=ModelSettings(temperature=0.25, stop=("END",)))
    (request,) = await run.pending(timeout=10)
    await run.respond([request.approve()])
    assert (await run.result()).output == "done"
    assert [(s.temperature, s.stop) for s in SEEN] == [(0.25, ("END",)), (0.25, ("END",))]  # the resumed call too


async def test_sessions_are_loaded_and_appended_by_steps(launched: Path) -> None:
    first = await (await dbos_chatty.start("hello", id="session-1", session="user-7")).result()
    second = await (await dbos_chatty.start("again", id="session-2", session="user-7")).result()
    assert (first.output, second.output) == ("saw 1 messages", "saw 3 messages")  # the second run sees the first
    assert (STORE.loads, STORE.appends) == (2, 2)
    steps = [step["function_name"] for step in await DBOS.list_workflow_steps_async("session-2")]
    assert steps.count("runlet:dbos-chatty.session") == 2  # the load and the append, recorded: a recovery reads them back
    with pytest.raises(InvalidSessionId):
        await dbos_chatty.start("hi", id="session-bad", session="")


async def test_a_session_load_that_loses_the_connection_is_tried_again(launched: Path) -> None:
    result = await (await dbos_flaky.start("hello", id="session-flaky", session="user-8")).result()
    assert result.output == "saw 1 messages"
    assert (FLAKY_STORE.loads, FLAKY_STORE.appends) == (2, 1)  # the lost load again (the step's retry), then the append once


async def test_a_failing_tool_s_event_has_the_tool_s_own_traceback(launched: Path) -> None:
    result = await (await dbos_failing.start("broken order", deps=Deps("eu"), id="broken")).result()
    assert result.output.status == "Error: the tool 'broken' raised KeyError: '123'"
    (failed,) = [e for e in FAILED.events if isinstance(e, ToolFailed)]
    assert failed.error_type == "KeyError" and failed.traceback.endswith("KeyError: '123'\n")
    assert 'durable_app.py", line' in failed.traceback and "in broken" in failed.traceback
    assert "dbos.py" not in failed.traceback and "tool_calls.py" not in failed.traceback


# Handoffs, toolsets, agents as tools


async def _calls(run: DBOSRun[Any]) -> list[str]:
    """The model and tool steps of a run, in order (not its event deliveries)."""
    steps = await DBOS.list_workflow_steps_async(run.id)
    return [s["function_name"] for s in steps if s["function_name"].endswith(".model") or ".tool." in s["function_name"]]


async def test_a_run_hands_off_and_the_target_s_model_and_tools_are_its_steps(launched: Path) -> None:
    run = await dbos_desk.start("How much is my invoice?", id="handoff")
    assert (await run.result()).output == "40 EUR" and DESK_LOG == ["7"]
    billing = "runlet:dbos-desk/dbos-desk-billing"
    assert await _calls(run) == ["runlet:dbos-desk.model", f"{billing}.model", f"{billing}.tool.invoice", f"{billing}.model"]
    asked = await dbos_desk.start("Please refund order 9", id="handoff-approval")
    (request,) = await asked.pending(timeout=10)
    assert request.tool == "refund"  # a tool of the agent the run was handed to, checked there
    await asked.respond([request.approve()])
    assert (await asked.result()).output == "refunded"


async def test_a_toolset_s_tools_chosen_by_prepare_run_as_steps(launched: Path) -> None:
    run = await dbos_shelf.start("How much is invoice 7?", id="toolset")
    assert (await run.result()).output == "40 EUR of ['shop_invoice']" and SHELF_LOG == ["7"]  # prepare_tools left refund out
    assert await _calls(run) == ["runlet:dbos-shelf.model", "runlet:dbos-shelf.tool.shop_invoice", "runlet:dbos-shelf.model"]


async def test_an_agent_run_as_a_tool_runs_in_the_workflow_its_calls_steps_of_its_own(launched: Path) -> None:
    run = await dbos_lead.start("How much is invoice 7?", id="agent-tool")
    result = await run.result()
    assert result.output == "the clerk says: invoice 7 is 40 EUR" and LEAD_LOG == ["7"]
    clerk = "runlet:dbos-lead/dbos-lead-clerk"
    calls = ["runlet:dbos-lead.model", f"{clerk}.model", f"{clerk}.tool.invoice", f"{clerk}.model", "runlet:dbos-lead.model"]
    assert await _calls(run) == calls
    local = await Runtime().run(delegating_agent("dbos-lead", []), "How much is invoice 7?")
    assert (result.usage, result.steps) == (local.usage, local.steps)  # the child's usage is the run's, as locally
