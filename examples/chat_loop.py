"""A chat loop that survives a restart: the conversation lives in a SQLite file.

    python examples/chat_loop.py "my name is Ada"         # one turn per argument
    python examples/chat_loop.py "what is my name?"       # a new process: it remembers
    python examples/chat_loop.py --session work           # no arguments: lines from stdin
    python examples/chat_loop.py --db /tmp/chat.db --session s1 < lines.txt

Each line is one `Runtime.run(..., session=...)`: the runtime loads the
session's history from the store, runs, and appends the new messages. Kill the
process at any point and start it again: the history holds every completed
turn and nothing of the interrupted one. The session's key-value space keeps
a turn counter, the kind of small agent state that is not conversation.

With no OPENAI_API_KEY it runs offline against a `FunctionProvider` that
answers from the conversation it is sent; with the key it uses the OpenAI
Responses API (`pip install "runlet[openai]"`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Iterable

from runlet import Agent, Message, ModelRequest, Runtime
from runlet.providers import Provider
from runlet.stores import SQLiteStore
from runlet.testing import FunctionProvider


def offline_answer(request: ModelRequest) -> str:
    """A stand-in model: it knows only what the request's messages tell it."""
    said = [m.text for m in request.messages if m.role == "user"]
    last = said[-1].strip()
    names = [match.group(1) for text in said if (match := re.search(r"my name is (\w+)", text, re.IGNORECASE))]
    if re.search(r"what is my name", last, re.IGNORECASE):
        return f"Your name is {names[-1]}." if names else "You have not told me your name."
    if names and re.search(r"my name is", last, re.IGNORECASE):
        return f"Nice to meet you, {names[-1]}."
    return f"You said {last!r}. This conversation has {len(said)} messages from you so far."


def make_model() -> Provider:
    if os.environ.get("OPENAI_API_KEY"):
        from runlet.providers import OpenAIResponsesProvider

        return OpenAIResponsesProvider(model=os.environ.get("RUNLET_MODEL", "gpt-5-mini"))
    return FunctionProvider(offline_answer)


def read_lines(arguments: list[str]) -> Iterable[str]:
    if arguments:
        yield from arguments
        return
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("you> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return
        if line.strip():
            yield line.rstrip("\n")


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="A chat loop that survives a restart.")
    parser.add_argument("--db", default="chat.db", help="the SQLite file (created if missing)")
    parser.add_argument("--session", default="default", help="the conversation to continue")
    parser.add_argument("lines", nargs="*", help="what to say; with none, lines are read from stdin")
    args = parser.parse_args(argv)

    agent = Agent(name="chat", instructions="You are a friendly assistant. Be brief.", model=make_model())
    with SQLiteStore(args.db) as store:
        runtime = Runtime(store=store)
        earlier = await store.load(args.session)
        print(f"[session {args.session!r}: {len(earlier)} earlier messages in {args.db}]")
        for line in read_lines(args.lines):
            result = await runtime.run(agent, line, session=args.session)
            turns = await store.get_state(args.session, "turns")
            count = (turns if isinstance(turns, int) else 0) + 1
            await store.set_state(args.session, "turns", count)
            print(f"you: {line}")
            print(f"bot: {result.output}")
            print(f"[turn {count}, {len(result.messages)} messages in the session]")
        last: tuple[Message, ...] = await store.load(args.session)
        print(f"[saved: {len(last)} messages]")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
