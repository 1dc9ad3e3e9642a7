"""The loop reads time, ids and jitter only through `Runtime.clock`, so a durable engine can replay it."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from runlet import Agent, ModelRequest, RateLimited, RetryPolicy, RunInterrupted, Runtime, require_approval, tool
from runlet.sinks import MemorySink
from runlet.testing import FunctionProvider, Turn, call

LOOP = Path(__file__).resolve().parent.parent / "src" / "runlet" / "loop"
FORBIDDEN_MODULES = {"time", "random", "uuid", "secrets", "datetime"}


class FixedClock:
    """Time that moves one second per reading, ids that count, jitter at the top of its range."""

    def __init__(self) -> None:
        self.ticks = itertools.count(1000)
        self.ids = itertools.count(1)
        self.jitter: list[tuple[float, float]] = []

    def time(self) -> float:
        return float(next(self.ticks))

    def monotonic(self) -> float:
        return float(next(self.ticks))

    def new_id(self) -> str:
        return f"{next(self.ids):032x}"

    def uniform(self, low: float, high: float) -> float:
        self.jitter.append((low, high))
        return high


@pytest.mark.parametrize("path", sorted(p for p in LOOP.glob("*.py") if p.name != "clock.py"), ids=lambda p: p.name)
def test_the_loop_imports_no_clock_or_random_source(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & FORBIDDEN_MODULES, f"{path.name}:{node.lineno}"
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in FORBIDDEN_MODULES, f"{path.name}:{node.lineno}"
        elif isinstance(node, ast.Attribute):
            assert node.attr != "urandom", f"{path.name}:{node.lineno}: use Runtime.clock.new_id()"


@tool
def refund(amount: int) -> str:
    """Refund."""
    require_approval("refund?")
    return "refunded"


async def test_ids_timestamps_and_jitter_come_from_the_clock() -> None:
    failures: list[int] = []

    def model(request: ModelRequest) -> Turn:
        if not failures:
            failures.append(1)
            raise RateLimited("slow down", provider="p")
        return call("refund", amount=3)

    clock, sink = FixedClock(), MemorySink()
    runtime = Runtime(clock=clock, sinks=(sink,), retry=RetryPolicy(initial_delay=0.001, jitter=0.5))
    agent = Agent(name="a", model=FunctionProvider(model), tools=(refund,))
    with pytest.raises(RunInterrupted) as interrupted:
        await runtime.run(agent, "refund")
    checkpoint = interrupted.value.checkpoint
    assert checkpoint.run_id == f"{1:032x}" and checkpoint.id == f"{2:032x}"
    assert all(e.run_id == checkpoint.run_id for e in sink.events)
    stamps = [e.timestamp for e in sink.events]
    assert stamps == sorted(stamps) and all(1000 <= s < 2000 for s in stamps)
    assert clock.jitter == [(-0.5, 0.5)]
    retried = next(e for e in sink.events if e.type == "model.retried")
    assert retried.payload["delay_seconds"] == pytest.approx(0.0015)
