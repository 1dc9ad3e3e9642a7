"""examples/approval_flow.py: an approval flow stopped in one process and resumed from SQLite in another."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runlet import Runtime
from runlet.core.errors import CheckpointConsumed
from runlet.core.human import load_checkpoint
from runlet.stores import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "approval_flow.py"
TEXT = "Refund 250 on order 9 and check order 10."


def example(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def field(out: str, name: str) -> str:
    return next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(name + " "))


def test_stop_then_approve_in_a_new_process(tmp_path: Path) -> None:
    db = str(tmp_path / "refunds.db")
    first = example("start", "--db", db, TEXT)
    assert "lookup_order: order 10: delivered" in first  # the call that needed no decision ran
    assert "WAITING call_" in first and "refunds over 100 need a manager" in first
    assert "OUTPUT" not in first
    checkpoint_id = field(first, "CHECKPOINT")

    second = example("decide", "--db", db, "approve")
    assert field(second, "OUTPUT") == "Done: refunded 250 on order 9; order 10: delivered."
    assert field(second, "SESSION") == "4 messages"
    assert "lookup_order(" not in second  # not run twice

    asyncio.run(resume_again(db, checkpoint_id))


async def resume_again(db: str, checkpoint_id: str) -> None:
    """A third process (here: this one) cannot resume the same checkpoint again; nothing changes."""
    spec = importlib.util.spec_from_file_location("approval_flow", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with SQLiteStore(db) as store:
        checkpoint = await load_checkpoint(store, checkpoint_id)
        with pytest.raises(CheckpointConsumed):
            await Runtime(store=store).resume(module.agent, checkpoint, [checkpoint.requests[0].reject()])
        assert len(await store.load("customer-9")) == 4


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (("reject", "too much"), "Done: Denied: too much; order 10: delivered."),
        (("edit", "80"), "Done: (a human changed the arguments to {\"order_id\": \"9\", \"amount\": 80.0})\nrefunded 80 on order 9; order 10: delivered."),
    ],
)
def test_reject_or_edit_in_a_new_process(tmp_path: Path, decision: tuple[str, str], expected: str) -> None:
    db = str(tmp_path / "refunds.db")
    example("start", "--db", db, TEXT)
    out = example("decide", "--db", db, *decision)
    assert expected in out


def test_the_demo_runs_both_steps() -> None:
    out = example()
    assert "suspended" in out and "OUTPUT Done: refunded 250 on order 9" in out
