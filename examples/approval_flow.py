"""An approval flow across processes: a refund over the limit waits for a manager, then completes.

    python examples/approval_flow.py start  --db refunds.db "Refund 250 on order 9 and check order 10."
    python examples/approval_flow.py decide --db refunds.db approve          # or: reject "too much"
    python examples/approval_flow.py decide --db refunds.db edit 100         # approve a smaller amount
    python examples/approval_flow.py                                        # both steps, two processes

`start` runs the agent. The model asks for two tools in one turn: `refund`
(over the limit, so `RequireApproval` stops the run) and `lookup_order`
(runs now, once). The run raises `RunInterrupted`; the checkpoint goes into
the SQLite store and the process exits. `decide` is a new process: it loads
the checkpoint from the store, resumes with the manager's response, and the
run completes; the conversation is appended to the customer's session.

Offline (no OPENAI_API_KEY): the model is a `FunctionProvider` that answers
from the messages it is sent, so a fresh process continues the conversation
where it stopped. With OPENAI_API_KEY set, the OpenAI Responses API answers
(`pip install "runlet[openai]"`; RUNLET_MODEL picks the model).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from runlet import (
    Agent,
    ApprovalRequest,
    HumanResponse,
    InputRequest,
    ModelRequest,
    RunInterrupted,
    Runtime,
    ToolCallPart,
    load_checkpoint,
    save_checkpoint,
    tool,
)
from runlet.hooks import RequireApproval
from runlet.providers import Provider
from runlet.sinks import ConsoleSink
from runlet.stores import SQLiteStore
from runlet.testing import FunctionProvider, Turn, call

LIMIT = 100.0
SESSION = "customer-9"
WAITING = "waiting"
"""Key (in session `SESSION`'s key-value space) of the checkpoint id waiting for a manager."""


@tool
def refund(order_id: str, amount: float) -> str:
    """Refund part or all of an order."""
    return f"refunded {amount:g} on order {order_id}"


@tool
def lookup_order(order_id: str) -> str:
    """Look an order up by id."""
    return f"order {order_id}: delivered"


def over_limit(call: ToolCallPart) -> bool:
    arguments = call.parsed_arguments()
    amount = arguments.get("amount") if isinstance(arguments, dict) else None
    return isinstance(amount, (int, float)) and amount > LIMIT


def offline_model(request: ModelRequest) -> Turn:
    """A stand-in model: refunds and lookups from the user's words; a summary once the tools answered."""
    last = request.messages[-1]
    if last.role == "tool":
        return "Done: " + "; ".join(result.content for result in last.tool_results) + "."
    text = last.text
    calls: list[ToolCallPart] = []
    if refund_match := re.search(r"refund (\d+(?:\.\d+)?) on order (\w+)", text, re.IGNORECASE):
        calls.append(call("refund", order_id=refund_match.group(2), amount=float(refund_match.group(1))))
    calls += [call("lookup_order", order_id=order_id) for order_id in re.findall(r"check order (\w+)", text, re.IGNORECASE)]
    return calls or "How can I help?"


def make_model() -> Provider:
    """The OpenAI Responses API when OPENAI_API_KEY is set, else the offline stand-in."""
    if os.environ.get("OPENAI_API_KEY"):
        from runlet.providers import OpenAIResponsesProvider

        return OpenAIResponsesProvider(model=os.environ.get("RUNLET_MODEL", "gpt-5-mini"))
    return FunctionProvider(offline_model)


agent: Agent[None, str] = Agent(
    name="refunds",
    instructions="Help customers with refunds. Refunds over the limit need a manager.",
    model=make_model(),
    tools=(refund, lookup_order),
    hooks=(RequireApproval(tools={"refund"}, when=over_limit, reason=f"refunds over {LIMIT:g} need a manager"),),
)


async def start(db: Path, text: str) -> int:
    with SQLiteStore(db) as store:
        runtime = Runtime(store=store, sinks=(ConsoleSink(sys.stdout),))
        try:
            result = await runtime.run(agent, text, session=SESSION)
        except RunInterrupted as stop:
            await save_checkpoint(store, stop.checkpoint)
            await store.set_state(SESSION, WAITING, stop.checkpoint.id)
            for request in stop.pending:
                if isinstance(request, ApprovalRequest):
                    print(f"WAITING {request.id}: {request.tool} {json.dumps(request.arguments)} ({request.reason})")
            print(f"CHECKPOINT {stop.checkpoint.id}")
            return 0
        print(f"OUTPUT {result.output}")
        return 0


async def decide(db: Path, decision: str, detail: str | None) -> int:
    with SQLiteStore(db) as store:
        waiting = await store.get_state(SESSION, WAITING)
        if not isinstance(waiting, str):
            print("nothing is waiting for a decision", file=sys.stderr)
            return 1
        checkpoint = await load_checkpoint(store, waiting)
        responses: list[HumanResponse] = []
        for request in checkpoint.requests:
            if isinstance(request, InputRequest):
                raise SystemExit(f"{request.id} asks a question; this example only approves")
            if decision == "approve":
                responses.append(request.approve())
            elif decision == "reject":
                responses.append(request.reject(detail or "the manager said no"))
            else:
                arguments = request.arguments
                assert isinstance(arguments, dict)
                responses.append(request.edit({**arguments, "amount": float(detail or LIMIT)}))
        runtime = Runtime(store=store, sinks=(ConsoleSink(sys.stdout),))
        result = await runtime.resume(agent, checkpoint, responses)
        await store.set_state(SESSION, WAITING, None)
        print(f"OUTPUT {result.output}")
        print(f"SESSION {len(await store.load(SESSION))} messages")
        return 0


def demo() -> int:
    """Both steps, each in a process of its own, against one SQLite file."""
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "refunds.db")
        for step in (["start", "--db", db, "Refund 250 on order 9 and check order 10."], ["decide", "--db", db, "approve"]):
            print(f"$ approval_flow.py {' '.join(step[:1] + step[3:])}", flush=True)
            done = subprocess.run([sys.executable, __file__, *step], check=False)
            if done.returncode:
                return done.returncode
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        return demo()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    first = commands.add_parser("start", help="run the agent until it finishes or waits for a manager")
    first.add_argument("--db", type=Path, default=Path("refunds.db"))
    first.add_argument("text")
    second = commands.add_parser("decide", help="resume the waiting run with the manager's decision")
    second.add_argument("--db", type=Path, default=Path("refunds.db"))
    second.add_argument("decision", choices=("approve", "reject", "edit"))
    second.add_argument("detail", nargs="?", help="the reason for reject, the amount for edit")
    args = parser.parse_args(argv)
    if args.command == "start":
        return asyncio.run(start(args.db, args.text))
    return asyncio.run(decide(args.db, args.decision, args.detail))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
