"""The test agent on Temporal, and a worker process for the tests that kill one.

    python tests/durable_temporal_app.py <address> <task queue> [--stall] [--no-cache]

`--no-cache` keeps no workflow in the worker's cache, so a killed worker holds
no sticky task queue that Temporal would wait on (10 s) before another worker
takes its workflows' next tasks. With `RUNLET_DURABLE_EVENTS` set, the run's
events go to that JSON Lines file (shared by the worker processes).
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from temporalio.client import Client

from durable_app import Answer, Deps, agent
from runlet import Runtime
from runlet.durable.temporal import TemporalAgent, agent_worker
from runlet.sinks import JsonlSink

EVENTS = os.environ.get("RUNLET_DURABLE_EVENTS")

temporal_support: TemporalAgent[Deps, Answer] = TemporalAgent(
    agent,
    deps_type=Deps,
    runtime=Runtime(sinks=(JsonlSink(EVENTS),) if EVENTS else ()),
    inline_tools=("wait_for_truck",),
    activity_timeout=timedelta(seconds=3),
)


async def main(address: str, task_queue: str, *, cache: bool) -> None:
    client = await Client.connect(address)
    worker = agent_worker(
        client, task_queue, [temporal_support], identity=f"worker-{os.getpid()}", max_cached_workflows=1000 if cache else 0
    )
    print("ready", flush=True)
    await worker.run()


if __name__ == "__main__":
    address, task_queue = [a for a in sys.argv[1:] if a not in ("--stall", "--no-cache")]
    asyncio.run(main(address, task_queue, cache="--no-cache" not in sys.argv))
