"""Instructions per step of the agent loop, counted by valgrind: a figure that the machine's load does not move.

    python benchmarks/instructions.py                  # 10 tool steps, the three loop cases of run.py
    python benchmarks/instructions.py --steps 10,100 --runs 10,50 --repeat 2
    PYTHONPATH=/path/to/other/tree/src python benchmarks/instructions.py   # another tree's runlet

For each case (`run.py`'s loop section: the hand-written loop, Runlet with the
smallest Provider, Runlet with `ScriptedProvider`) and each number of tool
steps N, valgrind's callgrind tool runs this script twice in child mode: both
import everything, make 3 warm-up runs, then R1 or R2 runs of N tool steps in
one event loop. Everything but the extra runs is the same in both, so

    instructions per step = (I(R2) - I(R1)) / ((R2 - R1) * (N + 1))

(a step is one model call; a run of N tool steps makes N + 1). The ratio to
the hand-written loop is printed beside it. `PYTHONHASHSEED=0` and bytecode
caches (kept out of the tree, under `--pycache`) make the counts repeatable;
`--repeat 2` shows how repeatable. Needs `valgrind` on PATH; slow (valgrind
runs Python ~50x slower): about a minute per case and N.

    python benchmarks/instructions.py --imports runlet,asyncio,pydantic_ai

counts instead whole `python -c "import X"` processes (bytecode cached),
with their ratio to the first module's and, after `pass` (the interpreter's
own start-up), what the import itself costs.

    python benchmarks/instructions.py --http [--runs 10,50]

counts the client side of `run.py`'s HTTP section (one tool round trip, two
requests, against `responses_server.py` running natively in its own process):
instructions per round trip of `Runtime.run()` / `Runtime.stream()` and of the
bare `openai` client, and their ratio. Socket timing can change how often the
event loop polls, so these counts vary slightly between repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARMUP = 3
CASES = ("hand-written loop", "runlet", "runlet (ScriptedProvider)")
HTTP_CASES = ("openai SDK (bare)", "runlet", "openai SDK (bare), streamed", "runlet, streamed")


def child(case: str, steps: int, runs: int) -> None:
    sys.path.insert(0, str(HERE))
    import run  # run.py's loop cases: the same work as the timed benchmark

    if case.startswith("http: "):
        from responses_server import ANSWER

        name = case.removeprefix("http: ")
        make = run.http_runlet if name.startswith("runlet") else run.http_bare
        client = make(os.environ["RUNLET_BENCH_URL"], stream=name.endswith("streamed"))

        async def http() -> None:
            for _ in range(WARMUP):
                assert await client() == ANSWER
            for _ in range(runs):
                await client()

        asyncio.run(http())
        return

    builders: dict[str, Callable[[int], Callable[[], Awaitable[object]]]] = {
        "hand-written loop": run.loop_raw,
        "runlet": run.loop_runlet,
        "runlet (ScriptedProvider)": run.loop_runlet_scripted,
    }
    fn = builders[case](steps)

    async def main() -> None:
        for _ in range(WARMUP):
            assert await fn() == "done"
        for _ in range(runs):
            await fn()

    asyncio.run(main())


def count(case: str, steps: int, runs: int, pycache: str) -> int:
    """Instructions of the whole child process (valgrind's own count, repeatable)."""
    return count_process([str(Path(__file__).resolve()), "--child", case, str(steps), str(runs)], pycache)


def count_process(args: list[str], pycache: str) -> int:
    """Instructions of `python ARGS` under valgrind."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONHASHSEED="0", PYTHONPYCACHEPREFIX=pycache)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out", sys.executable, *args],
            capture_output=True, text=True, env=env,
        )
    if done.returncode != 0:
        raise RuntimeError(f"valgrind failed for {args!r}: {done.stderr[-2000:]}")
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {done.stderr[-2000:]}")
    return int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="10", help="comma-separated tool steps per run (default 10)")
    parser.add_argument("--runs", default="10,50", help="R1,R2: runs in the two counted processes (default 10,50)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {CASES}")
    parser.add_argument("--repeat", type=int, default=1, help="count each case this many times (repeatability)")
    parser.add_argument("--pycache", default=os.path.join(tempfile.gettempdir(), "runlet-bench-pycache"),
                        help="PYTHONPYCACHEPREFIX for the children (keeps .pyc files out of the tree)")
    parser.add_argument("--imports", help="comma-separated modules: count `python -c 'import X'` instead")
    parser.add_argument("--http", action="store_true", help="count run.py's HTTP round trip instead (client side)")
    parser.add_argument("--child", nargs=3, metavar=("CASE", "STEPS", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not on PATH: nothing measured")
        return 1
    if args.imports:
        return imports([m.strip() for m in args.imports.split(",") if m.strip()], args.pycache)
    r1, r2 = (int(x) for x in args.runs.split(","))
    if args.http:
        return http(r1, r2, args.repeat, args.pycache)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; choose from {CASES}")
    import runlet

    print(f"runlet from {Path(runlet.__file__).parent}, Python {sys.version.split()[0]}")
    print(f"instructions per step = (I({r2} runs) - I({r1} runs)) / ({r2 - r1} runs x (N + 1) model calls)\n")
    # Write the bytecode caches natively first, so that no child under valgrind compiles source.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = args.pycache
    subprocess.run([sys.executable, __file__, "--child", CASES[2], "1", "0"], check=True, env=env)
    print(f"{'tool steps':>10}  {'case':<28}{'instructions/step':>18}  {'ratio':>6}  samples")
    for steps in (int(s) for s in args.steps.split(",")):
        per_step: dict[str, float] = {}
        for case in cases:
            samples = []
            for _ in range(args.repeat):
                delta = count(case, steps, r2, args.pycache) - count(case, steps, r1, args.pycache)
                samples.append(delta / ((r2 - r1) * (steps + 1)))
            per_step[case] = statistics.median(samples)
            base = per_step.get(CASES[0])
            ratio = f"{per_step[case] / base:6.1f}" if base else "      "
            shown = ", ".join(f"{s:,.0f}" for s in samples)
            print(f"{steps:>10}  {case:<28}{per_step[case]:>18,.0f}  {ratio}  {shown}", flush=True)
    return 0


def http(r1: int, r2: int, repeat: int, pycache: str) -> int:
    """Client-side instructions per HTTP round trip (two requests), against the local Responses server."""
    sys.path.insert(0, str(HERE))
    import run

    server = run.Server()
    os.environ["RUNLET_BENCH_URL"] = server.base_url
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = pycache
        for case in HTTP_CASES:  # bytecode caches, natively; and a check that every case works
            subprocess.run([sys.executable, __file__, "--child", f"http: {case}", "0", "1"], check=True, env=env)
        print(f"client instructions per round trip = (I({r2} runs) - I({r1} runs)) / {r2 - r1}\n")
        print(f"{'case':<30}{'instructions/run':>18}  {'ratio':>6}  samples")
        per_run: dict[str, float] = {}
        for case in HTTP_CASES:
            samples = []
            for _ in range(repeat):
                delta = count(f"http: {case}", 0, r2, pycache) - count(f"http: {case}", 0, r1, pycache)
                samples.append(delta / (r2 - r1))
            per_run[case] = statistics.median(samples)
            base = per_run.get(case.replace("runlet", "openai SDK (bare)"))
            ratio = f"{per_run[case] / base:6.2f}" if base else "      "
            shown = ", ".join(f"{s:,.0f}" for s in samples)
            print(f"{case:<30}{per_run[case]:>18,.0f}  {ratio}  {shown}", flush=True)
    finally:
        server.close()
    return 0


def imports(modules: list[str], pycache: str) -> int:
    """Instructions of `python -c "import X"` for each module, and of `pass` for the interpreter alone."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    for module in modules:  # bytecode caches first, natively
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
    bare = count_process(["-c", "pass"], pycache)
    print(f"python -c pass: {bare / 1e6:,.1f} M instructions (the interpreter's start-up)")
    print(f"{'import':<24}{'M instructions':>15}{'ratio':>8}{'minus pass, M':>15}{'ratio':>8}")
    first: tuple[int, int] | None = None
    for module in modules:
        total = count_process(["-c", f"import {module}"], pycache)
        first = first or (total, total - bare)
        print(f"{module:<24}{total / 1e6:>15,.1f}{total / first[0]:>8.2f}{(total - bare) / 1e6:>15,.1f}"
              f"{(total - bare) / first[1]:>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
