"""A support agent on DBOS: a run that waits for a manager outlives the process that started it.

    python examples/durable_dbos.py start   --db sqlite:///support.sqlite order-9 "Refund 250 on order 9."
    python examples/durable_dbos.py approve --db sqlite:///support.sqlite order-9
    python examples/durable_dbos.py                                    # both, as two processes, on a temporary SQLite file

`start` launches DBOS, starts the run and exits once the run waits for a
manager's approval. `approve` is a new process: `DBOS.launch()` recovers the
run (its completed steps are not run again, their results come from the
database), the approval is sent to it, and it completes. Each model call is
the step `runlet:support.model`, each tool call `runlet:support.tool.<tool>`.
With PostgreSQL (`--db postgresql://user@host/db`) many processes share the
runs; give each an executor id (`DBOSConfig["executor_id"]`).

Offline, the model is a `FunctionProvider` that answers from the messages it
is sent, so a new process continues the run where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dbos import DBOS

from runlet import Agent, ModelRequest, RunContext, require_approval, tool
from runlet.durable.dbos import DBOSAgent
from runlet.testing import FunctionProvider, Turn, call


@dataclass(frozen=True)
class Deps:
    """What the tools need, as JSON: it is recorded with the run and sent with every tool call."""

    shop: str


@dataclass(frozen=True)
class Answer:
    reply: str
    refunded: float


@tool
def order_total(ctx: RunContext[Deps], order_id: str) -> float:
    """The total of an order."""
    print(f"  (tool) order_total {order_id} in process {os.getpid()}")
    return 250.0


@tool
def refund(ctx: RunContext[Deps], order_id: str, amount: float) -> str:
    """Refund part or all of an order; over 100 needs a manager."""
    if amount > 100:
        require_approval(f"refund {amount:g} on order {order_id} at {ctx.deps.shop}")
    print(f"  (tool) refund {amount:g} in process {os.getpid()}")
    return f"refunded {amount:g} on order {order_id}"


def model(request: ModelRequest) -> Turn:
    """The offline model: the total first, then the refund, then the answer."""
    results = [p for m in request.messages if m.role == "tool" for p in m.tool_results]
    if not results:
        return call("order_total", order_id="9")
    if len(results) == 1:
        return call("refund", order_id="9", amount=float(results[0].content))
    return {"reply": results[-1].content, "refunded": float(results[0].content)}


agent: Agent[Deps, Answer] = Agent(
    name="support",
    instructions="Help customers with refunds.",
    model=FunctionProvider(model),
    tools=(order_total, refund),
    output_type=Answer,
)
support = DBOSAgent(agent, deps_type=Deps)  # before DBOS.launch(), in every process


def launch(database: str) -> None:
    DBOS(config={"name": "runlet-support", "system_database_url": database, "notification_listener_polling_interval_sec": 0.1})
    DBOS.launch()  # recovers the runs a previous process left unfinished


async def start(run_id: str, text: str) -> None:
    run = await support.start(text, deps=Deps("Main Street"), id=run_id)
    for request in await run.pending(timeout=30):
        print(f"waiting for a manager: {request.tool} ({request.id})")
    print(f"process {os.getpid()} exits; run {run_id} waits in the database")


async def approve(run_id: str) -> None:
    run = support.get_run(run_id)
    requests = await run.pending(timeout=30)
    await run.respond([request.approve() for request in requests])
    result = await run.result()
    print(f"output: {result.output}")


def demo() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{Path(folder) / 'support.sqlite'}"
        for step in (["start", "--db", database, "order-9", "Refund 250 on order 9."], ["approve", "--db", database, "order-9"]):
            print(f"$ durable_dbos.py {step[0]} ...")
            done = subprocess.run([sys.executable, __file__, *step], capture_output=True, text=True, timeout=120)
            print(done.stdout, end="")
            if done.returncode != 0:
                raise SystemExit(done.stderr)


def main() -> None:
    if len(sys.argv) == 1:
        demo()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("start", "approve"))
    parser.add_argument("--db", default=os.environ.get("DBOS_SYSTEM_DATABASE_URL", "sqlite:///support.sqlite"))
    parser.add_argument("run_id")
    parser.add_argument("text", nargs="?", default="Refund 250 on order 9.")
    args = parser.parse_args()
    launch(args.db)
    try:
        asyncio.run(start(args.run_id, args.text) if args.command == "start" else approve(args.run_id))
    finally:
        DBOS.destroy()


if __name__ == "__main__":
    main()
