"""The test agent on DBOS, and a process that starts or recovers one run (the tests kill it with `--crash`).

    python tests/durable_dbos_app.py <system database url> <workflow id> [--schema NAME] [--crash]

With `RUNLET_DURABLE_EVENTS` set, the run's events go to that JSON Lines file.
"""

from __future__ import annotations

import asyncio
import os
import sys

from dbos import DBOS, DBOSConfig

from durable_app import Answer, Deps, agent
from runlet import Runtime
from runlet.durable.dbos import DBOSAgent
from runlet.sinks import JsonlSink

EVENTS = os.environ.get("RUNLET_DURABLE_EVENTS")

dbos_support: DBOSAgent[Deps, Answer] = DBOSAgent(agent, deps_type=Deps, runtime=Runtime(sinks=(JsonlSink(EVENTS),) if EVENTS else ()))


async def main(url: str, workflow_id: str, schema: str | None) -> None:
    config: DBOSConfig = {
        "name": "runlet-durable-test",
        "system_database_url": url,
        "notification_listener_polling_interval_sec": 0.05,
    }
    if schema is not None:
        config["dbos_system_schema"] = schema
    DBOS(config=config)
    DBOS.launch()  # recovers the run a crashed process left
    try:
        run = dbos_support.get_run(workflow_id)
        if await DBOS.get_workflow_status_async(workflow_id) is None:
            run = await dbos_support.start("Where is order 123?", deps=Deps("eu"), id=workflow_id)
        result = await run.result()
        print(f"output: {result.output}", flush=True)
    finally:
        DBOS.destroy()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--crash"]
    schema = args[args.index("--schema") + 1] if "--schema" in args else None
    asyncio.run(main(args[0], args[1], schema))
