"""The agent the durable-execution tests run (tests/durable_temporal_app.py and tests/durable_dbos_app.py make it durable).

Every model call and tool call appends a line to the file named by
`RUNLET_DURABLE_LOG` (`model0 <pid>`, `lookup <pid>`, ...): the side effects
counted outside the process, so a test can tell what ran twice after a kill.
With `--stall` on the command line the second model call of a run hangs (the
worker is killed then); with `--crash` it ends the process with `os._exit`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from runlet import Agent, ModelRequest, RunContext, require_approval, tool
from runlet.testing import FunctionProvider, Turn, call


@dataclass(frozen=True)
class Deps:
    region: str


@dataclass(frozen=True)
class Answer:
    status: str
    eta_days: int


def record(what: str) -> None:
    """One line in the side-effect log."""
    log = os.environ.get("RUNLET_DURABLE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{what} {os.getpid()}\n")


def executions(log: Path) -> list[str]:
    """What ran, in order, without the pids."""
    return [line.split()[0] for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def event_seqs(path: Path) -> list[int]:
    """The sequence numbers of the events in a JSON Lines file, in the order they were written."""
    return [json.loads(line)["seq"] for line in path.read_text(encoding="utf-8").splitlines()]


def pids(log: Path) -> set[str]:
    """The processes that ran something."""
    return {line.split()[1] for line in log.read_text(encoding="utf-8").splitlines()}


@tool
async def lookup(ctx: RunContext[Deps], order_id: str) -> str:
    """Look an order up by id."""
    record("lookup")
    return f"order {order_id} ships from {ctx.deps.region}"


@tool
async def wait_for_truck(hours: int) -> str:
    """Wait until the truck arrives."""
    await asyncio.sleep(hours * 3600)
    return f"the truck came after {hours} h"


@tool
def refund(order_id: str, amount: int) -> str:
    """Refund an order."""
    require_approval(f"refund {amount} EUR on order {order_id}?")
    record("refund")
    return f"refunded {amount} EUR on {order_id}"


@tool
def broken(order_id: str) -> str:
    """A tool that fails."""
    raise KeyError(order_id)


STALL = "--stall" in sys.argv
CRASH = "--crash" in sys.argv


async def respond(request: ModelRequest) -> Turn:
    """The model: one tool call for the question, then the answer from the tool's result."""
    results = [p for m in request.messages if m.role == "tool" for p in m.tool_results]
    record(f"model{len(results)}")
    if results and STALL:
        await asyncio.sleep(3600)  # the worker is killed while this hangs
    if results and CRASH:
        os._exit(17)
    if results:
        return {"status": results[-1].content, "eta_days": len(results)}
    question = request.messages[-1].text
    if "refund" in question:
        return call("refund", order_id="123", amount=40)
    if "truck" in question:
        return call("wait_for_truck", hours=1)
    if "broken" in question:
        return call("broken", order_id="123")
    return call("lookup", order_id="123")


agent: Agent[Deps, Answer] = Agent(
    name="support",
    instructions="Help with orders.",
    model=FunctionProvider(respond),
    tools=(lookup, wait_for_truck, refund, broken),
    output_type=Answer,
)
