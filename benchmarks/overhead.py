"""Runlet's own cost: `import runlet`, and one step of the agent loop with a scripted model.

Prints the median over repeated runs, and the ratio against the raw work (the
same scripted model calls and tool calls made directly, without the runtime).

    python benchmarks/overhead.py
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time

from runlet import Agent, Runtime, tool
from runlet.core.messages import Message, ToolCallPart
from runlet.core.models import ModelRequest, ModelResponse, Usage
from runlet.core.messages import TextPart

REPEATS = 15


@tool
async def lookup(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id} shipped"


class LoopProvider:
    """A model that asks for `lookup` a fixed number of times, then answers."""

    def __init__(self, tool_steps: int) -> None:
        self.tool_steps = tool_steps
        self.calls = 0

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        if self.calls <= self.tool_steps:
            part = ToolCallPart(f"call_{self.calls}", "lookup", '{"order_id": "123"}')
            return ModelResponse((part,), Usage(10, 5, requests=1), "tool_calls")
        return ModelResponse((TextPart("done"),), Usage(10, 1, requests=1))

    def stream(self, request: ModelRequest):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def capabilities(self):  # type: ignore[no-untyped-def]
        from runlet import Capabilities

        return Capabilities(context_window=1_000_000, max_output_tokens=4_096)


async def runlet_run(steps: int) -> float:
    agent = Agent(name="bench", model=LoopProvider(steps), tools=(lookup,), max_steps=steps + 1)
    runtime = Runtime()
    start = time.perf_counter()
    await runtime.run(agent, "Where is order 123?")
    return time.perf_counter() - start


async def raw_run(steps: int) -> float:
    """The same model and tool calls, with a hand-written loop: the work Runlet wraps."""
    provider = LoopProvider(steps)
    messages = [Message.user("Where is order 123?")]
    start = time.perf_counter()
    while True:
        response = await provider.complete(ModelRequest(messages=messages))
        messages.append(response.message)
        if not response.tool_calls:
            break
        for call in response.tool_calls:
            result = await lookup.call(None, {"order_id": "123"})  # type: ignore[arg-type]
            messages.append(Message.tool_result(call.call_id, result))
    return time.perf_counter() - start


def per_step(run: object, steps: int) -> float:
    samples = [asyncio.run(run(steps)) / (steps + 1) for _ in range(REPEATS)]  # type: ignore[operator]
    return statistics.median(samples) * 1e6


def import_time_ms() -> float:
    samples = []
    for _ in range(7):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import runlet"],
            capture_output=True, text=True, check=True,
        ).stderr
        line = next(l for l in out.splitlines() if l.rstrip().endswith("| runlet"))
        samples.append(int(line.split("|")[1]) / 1000)
    return statistics.median(samples)


def imports_of(module: str) -> list[str]:
    code = f"import sys, {module}; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'pydantic', 'httpx', 'httpx2'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.split()


def main() -> None:
    print(f"import runlet: {import_time_ms():.1f} ms (median of 7, cumulative, python -X importtime)")
    print(f"heavy modules imported by `import runlet`: {imports_of('runlet') or 'none'}")
    print()
    print(f"{'tool steps':>10} {'runlet µs/step':>15} {'raw µs/step':>12} {'ratio':>6}")
    results = {}
    for steps in (1, 10, 100):
        ours = per_step(runlet_run, steps)
        raw = per_step(raw_run, steps)
        results[steps] = ours
        print(f"{steps:>10} {ours:>15.1f} {raw:>12.1f} {ours / raw:>6.1f}")
    print(f"\nper-step cost at 100 steps / at 10 steps: {results[100] / results[10]:.2f}")


if __name__ == "__main__":
    main()
