"""Many runs at once in one event loop: wall time, CPU time per step, memory per run in flight.

    python benchmarks/concurrent_runs.py                  # 1,000 and 5,000 runs at once, 5 interleaved rounds
    python benchmarks/concurrent_runs.py --quick          # the smoke test's mode (tiny, no measurement)
    python benchmarks/concurrent_runs.py --runs 1000,5000 --rounds 5 --latency 0.05 --json FILE
    python benchmarks/concurrent_runs.py --instructions --runs 1000   # counted by valgrind instead (slow)

(Not `concurrent.py`: a module of that name in this directory would stand for
the standard library's `concurrent` package in every script here, and
`import asyncio` would fail.)

The work: N runs started together (`asyncio.gather`) on one shared `Runtime`
and `Agent`, each making three tool steps against a scripted model that takes
`--latency` seconds per call (`asyncio.sleep`, 50 ms by default) and decides
from the request alone (a tool call while the request carries fewer than three
tool results, then the answer), so one model object serves every run as a
real model would. A run is 4 model calls and 3 tool calls; a step is one model
call, as in `run.py`. The baseline is a hand-written loop doing the same model
and tool calls with Runlet's data types, N at once in the same way.

Figures per case and N:

- wall: seconds from the start of the gather to the last run's end. Every run
  waits 4 x latency (0.20 s by default) whatever the library; the rest is CPU
  work queued behind the other runs on the one event loop.
- CPU per step: the process's CPU time over the gather (`time.process_time`),
  divided by the model calls made (N x 4); the per-step cost of Runlet under
  load, event-loop and garbage-collector work included.
- memory per run in flight: the resident set's peak during the gather minus the
  resident set before it, over N (every run is in flight at the peak: all start
  before the first model call returns); and, in a separate untimed process,
  `tracemalloc`'s peak over N (Python allocations only).
- latency: when the median and the slowest run ended (the wait a user would see).

`--instructions` counts instead, with valgrind's callgrind tool, the
instructions of a child process doing N runs minus one doing none (the same
imports and warm-up), per step: a figure that the machine's load does not
move (cache misses aside), for comparing two trees on a busy machine. Under
valgrind every model call's 50 ms have passed before the loop comes back to
it, so the runs interleave differently than natively; compare counts with
counts only. About 5 minutes for 1,000 Runlet runs.

Each sample is a fresh process (so memory figures start clean and one sample's
garbage is not the next one's), warmed up with a small gather first; the
objects alive before the gather are frozen out of the collector's sight, as
in `run.py`. Cases and sizes run interleaved, round robin with the order
rotating each round, so a change of machine load hits them alike; figures are
medians, and ratios are medians of per-round ratios. On a shared machine, read
the CPU figures (other processes barely move them) before the wall times.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
TOOL_STEPS = 3
MODEL_CALLS = TOOL_STEPS + 1
PROMPT = "Where is order 123?"
CASES = ("hand-written loop", "runlet")
BASELINE = CASES[0]


# -- the work (child processes) ---------------------------------------------------------------------


def build(case: str, latency: float) -> Callable[[], Awaitable[str]]:
    """One run of `case`: 3 tool steps against a model that takes `latency` seconds per call."""
    from runlet import Agent, Capabilities, Runtime, tool
    from runlet.core.messages import Message, TextPart, ToolCallPart
    from runlet.core.models import ModelRequest, ModelResponse, Usage

    capabilities = Capabilities(context_window=1_000_000, max_output_tokens=4_096)

    class SlowModel:
        """Asks for `lookup` until the request carries three tool results, then answers; sleeps first."""

        async def complete(self, request: ModelRequest) -> ModelResponse:
            await asyncio.sleep(latency)
            done = sum(1 for message in request.messages if message.role == "tool")
            if done < TOOL_STEPS:
                part = ToolCallPart(f"call_{done + 1}", "lookup", '{"order_id": "123"}')
                return ModelResponse((part,), Usage(10, 5, requests=1), "tool_calls")
            return ModelResponse((TextPart("done"),), Usage(10, 1, requests=1))

        async def stream(self, request: ModelRequest) -> Any:  # pragma: no cover - not used here
            raise NotImplementedError
            yield

        def capabilities(self) -> Capabilities:
            return capabilities

    model = SlowModel()

    if case == "runlet":

        @tool
        async def lookup(order_id: str) -> str:
            """Look an order up by id."""
            return f"order {order_id} shipped"

        agent = Agent(name="bench", model=model, tools=(lookup,))
        runtime = Runtime()

        async def run_runlet() -> str:
            result = await runtime.run(agent, PROMPT)
            return str(result.output)

        return run_runlet

    async def lookup_plain(order_id: str) -> str:
        return f"order {order_id} shipped"

    async def run_by_hand() -> str:
        messages = [Message.user(PROMPT)]
        while True:
            response = await model.complete(ModelRequest(messages=messages))
            messages.append(response.message)
            if not response.tool_calls:
                return response.text
            for call in response.tool_calls:
                result = await lookup_plain(**json.loads(call.arguments))
                messages.append(Message.tool_result(call.call_id, result))

    return run_by_hand


def _status_kib(field: str) -> int | None:
    """A figure of /proc/self/status in KiB (`VmRSS`, `VmHWM`), or None where there is none."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Make the kernel's resident-set peak (VmHWM) start again from now (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def child(case: str, runs: int, latency: float, trace: bool) -> dict[str, Any]:
    fn = build(case, latency)

    async def main() -> dict[str, Any]:
        # Warm-up: whatever a run imports or caches on first use, outside the measurement.
        assert await asyncio.gather(*(fn() for _ in range(20))) == ["done"] * 20
        gc.collect()
        gc.freeze()
        ends: list[float] = []

        async def one() -> str:
            output = await fn()
            ends.append(time.perf_counter())
            return output

        if trace:
            import tracemalloc

            tracemalloc.start()
            before, _ = tracemalloc.get_traced_memory()
            outputs = await asyncio.gather(*(one() for _ in range(runs)))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert outputs == ["done"] * runs
            return {"traced_peak": peak - before}
        peak_reset = _reset_peak_rss()
        rss_before = _status_kib("VmRSS")
        maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start, start_cpu = time.perf_counter(), time.process_time()
        outputs = await asyncio.gather(*(one() for _ in range(runs)))
        cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
        peak = _status_kib("VmHWM") if peak_reset else None
        if peak is None:  # no resettable peak: the process's peak, which may predate the gather
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rss_before = maxrss_before
        assert outputs == ["done"] * runs, f"{case}: not every run answered"
        ended = sorted(end - start for end in ends) or [0.0]
        return {
            "wall": wall,
            "cpu": cpu,
            "rss_delta": (peak - (rss_before or 0)) * 1024,
            "latency_p50": ended[len(ended) // 2],
            "latency_max": ended[-1],
            "steps": runs * MODEL_CALLS,
        }

    return asyncio.run(main())


# -- the harness (parent process) -------------------------------------------------------------------


def sample(case: str, runs: int, latency: float, *, trace: bool = False) -> dict[str, Any]:
    # Bytecode caches allowed, as in run.py: an installed package has its .pyc files.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    args = [sys.executable, str(HERE), "--child", case, str(runs), str(latency)] + (["--trace"] if trace else [])
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{case} with {runs} runs failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def instructions(case: str, runs: int, latency: float) -> int:
    """valgrind's instruction count of a child process doing `runs` runs at once."""
    import re
    import tempfile

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable, str(HERE),
             "--child", case, str(runs), str(latency)],
            capture_output=True, text=True, env=env,
        )
    match = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"valgrind failed for {case} with {runs} runs:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def count_instructions(sizes: Sequence[int], latency: float) -> int:
    print(f"instructions per step = (I(N runs) - I(0 runs)) / (N x {MODEL_CALLS} model calls), valgrind")
    print(f"\n  {'runs':>6}  {'case':<18}{'instructions/step':>18}{'ratio':>8}")
    for n in sizes:
        sample(BASELINE, 1, latency)  # bytecode caches, natively
        per_step = {case: (instructions(case, n, latency) - instructions(case, 0, latency)) / (n * MODEL_CALLS)
                    for case in CASES}
        for case in CASES:
            print(f"  {n:>6,}  {case:<18}{per_step[case]:>18,.0f}{per_step[case] / per_step[BASELINE]:>7.2f}x",
                  flush=True)
    return 0


def median_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


def spread(values: Sequence[float]) -> float:
    """(max - min) / median over the rounds."""
    return (max(values) - min(values)) / statistics.median(values) if len(values) > 1 else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Many concurrent runs in one event loop.")
    parser.add_argument("--runs", default="1000,5000", help="comma-separated numbers of runs at once")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (one fresh process per sample)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per model call (default 0.05)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (a smoke test, not a measurement)")
    parser.add_argument("--json", type=Path, help="write every row and sample to this file")
    parser.add_argument("--instructions", action="store_true", help="count instructions per step with valgrind")
    parser.add_argument("--child", nargs=3, metavar=("CASE", "RUNS", "LATENCY"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), float(args.child[2]), args.trace)))
        return 0
    sizes = [int(n) for n in args.runs.split(",")]
    rounds, latency = args.rounds, args.latency
    if args.quick:
        sizes, rounds, latency = [20, 50], 1, 0.005
    if args.instructions:
        return count_instructions(sizes, latency)
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{', '.join(f'{n:,}' for n in sizes)} runs at once, {TOOL_STEPS} tool steps each ({MODEL_CALLS} model calls), "
          f"model latency {latency * 1e3:.0f} ms; {rounds} interleaved rounds, a fresh process per sample", flush=True)
    keys = [(case, n) for n in sizes for case in CASES]
    samples: dict[tuple[str, int], list[dict[str, Any]]] = {key: [] for key in keys}
    for index in range(rounds):
        order = keys[index % len(keys):] + keys[: index % len(keys)]
        for case, n in order:
            samples[case, n].append(sample(case, n, latency))
    traced = {key: sample(*key, latency, trace=True)["traced_peak"] for key in keys}

    rows: list[dict[str, Any]] = []
    print(f"\n  {'runs':>6}  {'case':<18}{'wall s':>8}{'ratio':>7}{'CPU µs/step':>13}{'ratio':>7}"
          f"{'spread':>8}{'KiB/run RSS':>13}{'KiB/run traced':>16}  latency p50 / max s")
    for n in sizes:
        base = samples[BASELINE, n]
        for case in CASES:
            got = samples[case, n]
            wall = [s["wall"] for s in got]
            per_step = [s["cpu"] / s["steps"] for s in got]
            row = {
                "runs": n,
                "case": case,
                "wall_s": statistics.median(wall),
                "wall_ratio": median_ratio(wall, [s["wall"] for s in base]),
                "cpu_us_per_step": statistics.median(per_step) * 1e6,
                "cpu_ratio": median_ratio(per_step, [s["cpu"] / s["steps"] for s in base]),
                "cpu_spread": spread(per_step),
                "rss_kib_per_run": statistics.median(s["rss_delta"] for s in got) / n / 1024,
                "traced_kib_per_run": traced[case, n] / n / 1024,
                "latency_p50_s": statistics.median(s["latency_p50"] for s in got),
                "latency_max_s": statistics.median(s["latency_max"] for s in got),
                "ideal_wall_s": MODEL_CALLS * latency,
            }
            rows.append(row)
            print(f"  {n:>6,}  {case:<18}{row['wall_s']:>8.2f}{row['wall_ratio']:>6.2f}x{row['cpu_us_per_step']:>13.1f}"
                  f"{row['cpu_ratio']:>6.2f}x{row['cpu_spread']:>8.0%}{row['rss_kib_per_run']:>13.1f}"
                  f"{row['traced_kib_per_run']:>16.1f}  {row['latency_p50_s']:.2f} / {row['latency_max_s']:.2f}", flush=True)
    print(f"\n  every run waits {MODEL_CALLS} x {latency * 1e3:.0f} ms = {MODEL_CALLS * latency:.2f} s for its model; "
          "ratios are against the hand-written loop, per round")
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        for case in CASES:
            hi_steps = [s["cpu"] / s["steps"] for s in samples[case, hi]]
            lo_steps = [s["cpu"] / s["steps"] for s in samples[case, lo]]
            scaling = statistics.median(hi_steps) / statistics.median(lo_steps)
            wall_scaling = statistics.median(s["wall"] for s in samples[case, hi]) / statistics.median(
                s["wall"] for s in samples[case, lo])
            rows.append({"runs": hi, "case": case, "scaling_cpu_per_step": scaling, "scaling_wall": wall_scaling,
                         "relative_to_runs": lo})
            print(f"  {case}: CPU per step at {hi:,} runs / at {lo:,}: {scaling:.2f}x; "
                  f"wall {wall_scaling:.2f}x for {hi / lo:.0f}x the runs")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": {"nproc": os.cpu_count(), "python": platform.python_version()},
            "config": {"runs": sizes, "rounds": rounds, "latency": latency, "tool_steps": TOOL_STEPS},
            "rows": rows,
            "samples": {f"{case} ({n})": got for (case, n), got in samples.items()},
            "traced_peak": {f"{case} ({n})": value for (case, n), value in traced.items()},
        }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
