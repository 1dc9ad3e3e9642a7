"""SQLite sessions across processes: `kill -9` mid-run, several writers, one session shared.

Each test runs a small worker script (below) in subprocesses on one SQLite file.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from runlet.core.messages import Message
from runlet.core.serialize import loads_message

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

WORKER = '''
import asyncio
import sys

from runlet import Agent, Runtime, SessionConflict, tool
from runlet.stores import SQLiteStore
from runlet.testing import FunctionProvider, call


DELAY = 0.0


@tool
async def note(text: str) -> str:
    """Write a note down."""
    await asyncio.sleep(DELAY)
    if text.startswith("slow"):
        print("TOOL STARTED", flush=True)
        await asyncio.sleep(120)
    return "noted " + text


def answer(request):
    last = request.messages[-1]
    if last.role == "user":
        return call("note", text=last.text)
    return "done " + last.tool_results[0].content


async def main() -> None:
    global DELAY
    mode, path, session, *rest = sys.argv[1:]
    agent = Agent(name="worker", model=FunctionProvider(answer), tools=(note,))
    with SQLiteStore(path) as store:
        runtime = Runtime(store=store)
        if mode == "run":
            for text in rest:
                result = await runtime.run(agent, text, session=session)
                print("DONE", len(result.messages), result.messages[0].text, flush=True)
        elif mode == "loop":
            index = 0
            while True:
                await runtime.run(agent, f"m{index}", session=session)
                index += 1
                print("DONE", index, flush=True)
        elif mode == "retry":
            runs, tag = int(rest[0]), rest[1]
            DELAY = 0.02  # runs overlap: another process appends while this one waits on its tool
            conflicts = 0
            for index in range(runs):
                while True:
                    try:
                        await runtime.run(agent, f"{tag}-{index}", session=session)
                        break
                    except SessionConflict:
                        conflicts += 1
            print("CONFLICTS", conflicts, flush=True)


asyncio.run(main())
'''


@pytest.fixture
def worker(tmp_path: Path) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(WORKER)
    return path


def run(worker: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(worker), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start(worker: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(worker), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stored(db: Path, session: str) -> list[Message]:
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = connection.execute(
            "SELECT position, message FROM runlet_messages WHERE session = ? ORDER BY position", (session,)
        ).fetchall()
    connection.close()
    assert [position for position, _ in rows] == list(range(len(rows)))
    return [loads_message(text) for _, text in rows]


def assert_whole_runs(messages: Sequence[Message]) -> list[str]:
    """The history is complete runs of four messages (input, call, result, answer); returns the inputs."""
    assert len(messages) % 4 == 0, [m.role for m in messages]
    inputs: list[str] = []
    for start_ in range(0, len(messages), 4):
        user, asked, result, answer = messages[start_ : start_ + 4]
        assert [user.role, asked.role, result.role, answer.role] == ["user", "assistant", "tool", "assistant"]
        (tool_call,) = asked.tool_calls
        (tool_result,) = result.tool_results
        assert tool_result.call_id == tool_call.call_id
        assert answer.text == f"done noted {user.text}"
        inputs.append(user.text)
    return inputs


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_a_process_killed_mid_run_leaves_the_session_valid_and_it_continues(worker: Path, tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    assert "DONE 4 hello" in run(worker, "run", str(db), "s", "hello")

    process = start(worker, "run", str(db), "s", "slow one")
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "TOOL STARTED", process.stderr.read() if process.stderr else line
    kill(process)  # the model turn with the tool call exists only in the dead process
    assert assert_whole_runs(stored(db, "s")) == ["hello"]

    assert "DONE 8 hello" in run(worker, "run", str(db), "s", "again")
    assert assert_whole_runs(stored(db, "s")) == ["hello", "again"]


def test_processes_killed_at_random_moments_leave_only_whole_runs(worker: Path, tmp_path: Path) -> None:
    db = tmp_path / "loop.db"
    rng = random.Random(7)
    expected = 0
    for _ in range(4):
        process = start(worker, "loop", str(db), "s")
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("DONE"), process.stderr.read() if process.stderr else first
        time.sleep(rng.uniform(0.0, 0.15))  # land anywhere: mid-run, mid-append, between runs
        kill(process)
        inputs = assert_whole_runs(stored(db, "s"))
        assert len(inputs) > expected
        # Each process starts its numbering at m0; within one process the runs stay in order.
        expected = len(inputs)
    final = assert_whole_runs(stored(db, "s"))
    assert len(final) == expected


def test_several_processes_write_different_sessions(worker: Path, tmp_path: Path) -> None:
    db = tmp_path / "many.db"
    processes = [start(worker, "run", str(db), f"s{n}", *(f"p{n}-{i}" for i in range(12))) for n in range(4)]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.count("DONE") == 12
    for n in range(4):
        assert assert_whole_runs(stored(db, f"s{n}")) == [f"p{n}-{i}" for i in range(12)]


def test_several_processes_on_one_session_conflict_retry_and_never_interleave(worker: Path, tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    run(worker, "run", str(db), "warmup", "x")  # create the file before the race
    processes = [start(worker, "retry", str(db), "s", "8", f"w{n}") for n in range(4)]
    conflicts = 0
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.startswith("CONFLICTS")
        conflicts += int(out.split()[1])
    assert conflicts > 0  # the runs did race, and the losers retried
    inputs = assert_whole_runs(stored(db, "s"))
    assert len(inputs) == 32
    for n in range(4):
        mine = [text for text in inputs if text.startswith(f"w{n}-")]
        assert mine == [f"w{n}-{i}" for i in range(8)]


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "chat_loop.py"


def chat(db: Path, *lines: str, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--db", str(db), "--session", "ada", *lines],
        input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_chat_loop_example_continues_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    first = chat(db, "my name is Ada", "hello")
    assert "0 earlier messages" in first
    assert "bot: Nice to meet you, Ada." in first
    second = chat(db, stdin="what is my name?\n\nthanks\n")  # a new process, lines from stdin
    assert "4 earlier messages" in second
    assert "bot: Your name is Ada." in second
    assert "[turn 4, 8 messages in the session]" in second  # the key-value counter survived too
    assert assert_valid_chat(stored(db, "ada")) == ["my name is Ada", "hello", "what is my name?", "thanks"]


def assert_valid_chat(messages: Sequence[Message]) -> list[str]:
    assert [m.role for m in messages] == ["user", "assistant"] * (len(messages) // 2)
    return [m.text for m in messages if m.role == "user"]
