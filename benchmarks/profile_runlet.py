"""Where Runlet's time goes: the in-process loop per step, and `import runlet`.

    benchmarks/.venv/bin/python benchmarks/profile_runlet.py [--steps 100] [--runs 20]

1. The run of `--steps` tool-call steps from `run.py`'s loop benchmark, under
   cProfile: the functions with the most own time, in µs per step (a step is
   one model call; a run of N tool steps makes N + 1), with call counts.
   cProfile inflates every call, so read the shares, not the absolute sum; the
   uninstrumented µs/step is printed for scale. All in CPU time
   (`time.process_time`), so a busy machine does not skew the shares.
2. The same under pyinstrument (a sampling profiler, installed by setup.sh),
   when it is installed: the call tree, for wall-clock attribution.
3. `import runlet` under `python -X importtime`: the modules with the most own
   import time (median of 5 fresh processes).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import loop_runlet  # noqa: E402


async def _runs(steps: int, runs: int) -> float:
    fn = loop_runlet(steps)
    for _ in range(3):
        await fn()
    start = time.process_time()
    for _ in range(runs):
        await fn()
    return (time.process_time() - start) / runs / (steps + 1)


def plain(steps: int, runs: int) -> float:
    samples = [asyncio.run(_runs(steps, runs)) for _ in range(5)]
    return statistics.median(samples) * 1e6


def cprofile(steps: int, runs: int, top: int) -> None:
    fn = loop_runlet(steps)

    async def many() -> None:
        for _ in range(3):
            await fn()
        profiler.enable()
        for _ in range(runs):
            await fn()
        profiler.disable()

    profiler = cProfile.Profile(time.process_time)  # CPU time: robust to a busy machine
    asyncio.run(many())
    stats = pstats.Stats(profiler)
    per = runs * (steps + 1)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
    print(f"\ncProfile, {steps} tool steps x {runs} runs: own time per step (total {total / per * 1e6:.1f} µs/step under cProfile)")
    print(f"{'µs/step':>8} {'share':>6} {'calls/step':>10}  function")
    for (path, line, name), (cc, nc, tt, ct, _callers) in rows:
        where = f"{Path(path).name}:{line}" if line else path
        print(f"{tt / per * 1e6:8.2f} {tt / total:6.1%} {nc / per:10.1f}  {name} ({where})")
    print(f"\ncumulative time per step (the biggest subtrees)")
    cum = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])  # type: ignore[attr-defined]
    shown = 0
    for (path, line, name), (cc, nc, tt, ct, _callers) in cum:
        if "runlet" not in path or shown >= top:
            continue
        shown += 1
        print(f"{ct / per * 1e6:8.2f} µs/step {nc / per:6.1f} calls/step  {name} ({Path(path).name}:{line})")


def pyinstrument_tree(steps: int, runs: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("\npyinstrument is not installed (bash benchmarks/setup.sh installs it): skipped")
        return
    fn = loop_runlet(steps)

    async def many() -> None:
        for _ in range(3):
            await fn()
        profiler.start()
        for _ in range(runs):
            await fn()
        profiler.stop()

    profiler = Profiler(interval=0.0001, async_mode="disabled")
    asyncio.run(many())
    print(f"\npyinstrument, {steps} tool steps x {runs} runs (seconds in all; divide by {runs * (steps + 1)} for per step)")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def import_breakdown(top: int) -> None:
    own: dict[str, list[int]] = {}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # with .pyc, as installed
    subprocess.run([sys.executable, "-c", "import runlet"], check=True, env=env)
    for _ in range(5):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import runlet"], capture_output=True, text=True, check=True, env=env
        ).stderr
        for line in err.splitlines():
            fields = line.removeprefix("import time:").split("|")
            if len(fields) == 3 and fields[0].strip().isdigit():
                own.setdefault(fields[2].strip(), []).append(int(fields[0]))
    medians = {name: statistics.median(values) / 1000 for name, values in own.items()}
    runlet_total = sum(ms for name, ms in medians.items() if name.split(".")[0] == "runlet")
    print(f"\nimport runlet, -X importtime own time, median of 5 (ms); runlet.* modules in all: {runlet_total:.1f} ms")
    for name, ms in sorted(medians.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{ms:8.2f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(f"uninstrumented, CPU time: {plain(args.steps, args.runs):.1f} µs/step at {args.steps} steps, "
          f"{plain(10, args.runs * 5):.1f} µs/step at 10 steps")
    cprofile(args.steps, args.runs, args.top)
    pyinstrument_tree(args.steps, args.runs)
    import_breakdown(args.top)


if __name__ == "__main__":
    main()
