"""A worker process for test_state_servers.py: one store on a real server, driven by commands on stdin.

    python store_worker.py postgres|redis URL PREFIX

It prints READY once connected, then answers each command with one line:

    race SESSION EXPECTED TAG      append 3 messages with expected_length: WON <length> | LOST <actual>
    plain SESSION TAG BATCHES      append BATCHES batches of 3 messages, no expected_length: APPENDED
    resume CHECKPOINT_ID           resume the checkpoint, approving its request: RESUMED <output> | CONSUMED
    loop SESSION                   append batches of BATCH messages until killed: BATCH <n> after each
    quit                           exit
"""

from __future__ import annotations

import asyncio
import sys

from runlet import Agent, Approve, CheckpointConsumed, Message, Runtime, SessionConflict, load_checkpoint, require_approval, tool
from runlet.core.models import ModelRequest
from runlet.stores import PostgresStore, RedisStore, StateStore
from runlet.testing import FunctionProvider, Turn, call

BATCH = 200


@tool
def refund(order_id: str) -> str:
    """Refund an order (a manager approves it)."""
    require_approval("refunds need a manager")
    return f"refunded {order_id}"


def answer(request: ModelRequest) -> Turn:
    last = request.messages[-1]
    if last.role == "user":
        return call("refund", order_id=last.text)
    return "done: " + last.tool_results[0].content


AGENT = Agent(name="refunds", model=FunctionProvider(answer), tools=(refund,))
"""The agent of the checkpoint test: its run stops for approval before the refund."""


def batch(tag: str, size: int) -> list[Message]:
    return [Message.user(f"{tag}/{index}") for index in range(size)]


def open_store(kind: str, url: str, prefix: str) -> PostgresStore | RedisStore:
    if kind == "postgres":
        return PostgresStore(url, table_prefix=prefix, max_size=2)
    return RedisStore(url, prefix=prefix, max_connections=2)


async def serve(store: StateStore) -> None:
    loop = asyncio.get_running_loop()
    while True:
        words = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not words or words[0] == "quit":
            return
        command, *args = words
        if command == "race":
            session, expected, tag = args
            try:
                length = await store.append(session, batch(tag, 3), expected_length=int(expected))
                print("WON", length, flush=True)
            except SessionConflict as conflict:
                print("LOST", conflict.actual, flush=True)
        elif command == "plain":
            session, tag, batches = args
            for number in range(int(batches)):
                await store.append(session, batch(f"{tag}-{number}", 3))
            print("APPENDED", flush=True)
        elif command == "resume":
            checkpoint = await load_checkpoint(store, args[0])
            try:
                result = await Runtime(store=store).resume(AGENT, checkpoint, [Approve(checkpoint.requests[0].id)])
                print("RESUMED", result.output, flush=True)
            except CheckpointConsumed:
                print("CONSUMED", flush=True)
        elif command == "loop":
            for number in range(1, 1_000_000):
                await store.append(args[0], batch(f"{number}" + "x" * 500, BATCH))
                print("BATCH", number, flush=True)
        else:
            raise SystemExit(f"unknown command {command!r}")


async def main() -> None:
    kind, url, prefix = sys.argv[1:4]
    async with open_store(kind, url, prefix) as store:
        await store.load("warm-up")  # connected, tables checked
        print("READY", flush=True)
        await serve(store)


if __name__ == "__main__":
    asyncio.run(main())
