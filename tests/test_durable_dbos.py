"""Runlet on DBOS, with SQLite and with the PostgreSQL server at 127.0.0.1:5432 (database `test`).

A process is killed mid-run (`os._exit` in its second model call) and the
next process to launch recovers the run: the model call and the tool call
that had completed are not run again (counted by side effects in a file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from dbos import DBOS

from durable_app import Answer, Deps, executions
from durable_dbos_app import dbos_support
from runlet import Agent, AuthenticationFailed, DurableRunError, InvalidHumanResponse, ModelRequest, UserError
from runlet.durable.dbos import DBOSAgent
from runlet.testing import FunctionProvider, Turn

pytestmark = pytest.mark.durable

APP = Path(__file__).parent / "durable_dbos_app.py"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def run_app(log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNLET_DURABLE_LOG": str(log)}
    return subprocess.run([sys.executable, str(APP), *args], capture_output=True, text=True, env=env, timeout=120)


def crash_and_recover(tmp_path: Path, *args: str) -> None:
    log = tmp_path / "executions.log"
    crashed = run_app(log, *args, "--crash")
    assert crashed.returncode == 17, crashed.stderr
    assert executions(log) == ["model0", "lookup", "model1"]  # killed in the second model call
    recovered = run_app(log, *args)
    assert recovered.returncode == 0, recovered.stderr
    assert "output: Answer(status='order 123 ships from eu', eta_days=1)" in recovered.stdout
    assert executions(log) == ["model0", "lookup", "model1", "model1"]  # only the unfinished call ran again


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
