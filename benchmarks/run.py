"""Every benchmark, in one command, with a table of ratios.

    bash benchmarks/setup.sh                       # once: benchmarks/.venv with the peers
    benchmarks/.venv/bin/python benchmarks/run.py  # everything (about 5 minutes)

Sections:

1. http: one tool round trip (two requests) against a local Responses server
   in its own process (`responses_server.py`): `Runtime.run()` with
   `OpenAIResponsesProvider`, the bare `openai.AsyncOpenAI` client making the
   same two `responses.create` calls and running the tool by hand, pydantic-ai
   and the OpenAI Agents SDK. The same again streamed (`stream=True`) for
   runlet and the bare SDK.
2. loop: in process, scripted models, runs of 1, 10 and 100 tool-call steps:
   cost per step (a step is one model call; a run of N tool steps has N + 1).
3. stream: in process, a scripted model streaming N text deltas: cost per delta.
4. imports: `import runlet` (and the peers) in fresh subprocesses: wall time,
   memory, and runlet's own share separated from the stdlib's.
5. others: `overhead.py`, `budget.py`, `events.py` and `stores.py` (the state
   stores under load, on the local PostgreSQL and Redis when they answer) in
   this directory, as they are (their own output).

Every figure is a median over repeated samples. Cases run interleaved (round
robin, rotating the order each round) after a warm-up, so a change of machine
load hits every case alike; ratios are medians of per-round ratios measured
side by side in the same process. In-process sections report CPU time of
the benchmark process (`time.process_time`), which the other processes of a
busy machine barely disturb, with the wall time beside it; the HTTP section
reports wall time (the server's work is part of the run), with the client's
CPU time beside it. `spread` is the interquartile range over the median: high
values mean a noisy machine.

Options: `--quick` (tiny repeat counts, for the smoke test), `--no-peers`,
`--only http,loop,stream,imports,others`, `--json FILE` (all samples).
Peers that are not installed are skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import peers  # noqa: E402

from runlet import Agent, Capabilities, Runtime, tool  # noqa: E402
from runlet.core.messages import Message, TextPart, ToolCallPart  # noqa: E402
from runlet.core.models import (  # noqa: E402
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    ResponseCompleted,
    TextDelta,
    Usage,
)

SECTIONS = ("http", "loop", "stream", "imports", "others")
OTHERS = ("overhead.py", "budget.py", "events.py", "stores.py")
MODEL = "gpt-5.5"
PROMPT = peers.PROMPT
INSTRUCTIONS = peers.INSTRUCTIONS


# -- configuration and measurement ---------------------------------------------------


@dataclass(frozen=True)
class Config:
    rounds: int
    warmup: int
    min_sample: float
    """Seconds a sample should last at least: fast cases repeat inside one sample."""
    import_runs: int
    loop_steps: tuple[int, ...]
    stream_deltas: tuple[int, ...]
    peers: bool
    quick: bool

    @staticmethod
    def make(quick: bool, use_peers: bool) -> Config:
        if quick:
            return Config(2, 1, 0.0, 1, (1, 10), (20,), use_peers, True)
        return Config(25, 5, 0.02, 15, (1, 10, 100), (100, 1000), use_peers, False)


@dataclass
class Row:
    section: str
    case: str
    value: float
    unit: str
    ratio: float | None = None
    baseline: str = ""
    spread: float = 0.0
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    load: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)

    def note(self, text: str) -> None:
        print(f"  note: {text}", flush=True)
        self.notes.append(text)

    def mark_load(self, label: str) -> None:
        self.load.append((label, os.getloadavg()))


def spread(samples: Sequence[float]) -> float:
    if len(samples) < 4:
        return 0.0
    q = statistics.quantiles(samples, n=4)
    return (q[2] - q[0]) / statistics.median(samples)


@dataclass
class Samples:
    wall: dict[str, list[float]]
    """Elapsed seconds per call (time.perf_counter)."""
    cpu: dict[str, list[float]]
    """CPU seconds of this process per call (time.process_time): what the case itself cost,
    whatever else the machine was doing."""


async def measure(
    cases: dict[str, Callable[[], Awaitable[object]]], config: Config, *, per: float = 1.0
) -> Samples:
    """Seconds per call (divided by `per`) of each case: `config.rounds` samples each, interleaved."""
    names = list(cases)
    batch: dict[str, int] = {}
    for name in names:  # warm-up, and how many calls make one sample last min_sample
        start = time.perf_counter()
        for _ in range(max(1, config.warmup)):
            await cases[name]()
        one = (time.perf_counter() - start) / max(1, config.warmup)
        batch[name] = max(1, math.ceil(config.min_sample / one)) if one > 0 else 1
    # Everything alive now (imported modules, clients) is moved out of the collector's sight, so
    # the collection before each sample is cheap and only sweeps what the cases made.
    gc.collect()
    gc.freeze()
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for index in range(config.rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            fn, n = cases[name], batch[name]
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(n):
                await fn()
            cpu[name].append((time.process_time() - start_cpu) / n / per)
            wall[name].append((time.perf_counter() - start) / n / per)
    return Samples(wall, cpu)


def paired_ratio(samples: dict[str, list[float]], case: str, baseline: str) -> float:
    return statistics.median(a / b for a, b in zip(samples[case], samples[baseline]))


def add_rows(
    report: Report,
    section: str,
    measured: Samples,
    baseline: str,
    *,
    scale: float,
    unit: str,
    key: str = "",
    cpu: bool,
) -> None:
    """Rows of CPU time (in-process sections) or wall time (HTTP: the server's work counts too)."""
    main, other = (measured.cpu, measured.wall) if cpu else (measured.wall, measured.cpu)
    report.samples[f"{section}{key}"] = main
    report.samples[f"{section}{key} [{'wall' if cpu else 'cpu'}]"] = other
    for case, values in main.items():
        other_median = statistics.median(other[case]) * scale
        report.rows.append(
            Row(
                section=section + key,
                case=case,
                value=statistics.median(values) * scale,
                unit=unit + (" cpu" if cpu else ""),
                ratio=paired_ratio(main, case, baseline),
                baseline=baseline,
                spread=spread(values),
                note=(f"wall {other_median:.2f}, {paired_ratio(other, case, baseline):.2f}x"
                      if cpu else f"client cpu {other_median:.2f}, {paired_ratio(other, case, baseline):.2f}x"),
            )
        )


def peer_names(config: Config, report: Report) -> list[str]:
    if not config.peers:
        return []
    names = []
    for name in peers.PEERS:
        if peers.available(name):
            names.append(name)
        elif not any(name in n and "not installed" in n for n in report.notes):
            report.note(f"{name} is not installed: skipped (bash benchmarks/setup.sh installs it)")
    return names


# -- the shared tool ------------------------------------------------------------------


@tool
async def lookup(order_id: str) -> str:
    """Look an order up by id."""
    return f"order {order_id} shipped"


async def lookup_plain(order_id: str) -> str:
    return f"order {order_id} shipped"


TOOL_PARAM: dict[str, Any] = {
    "type": "function",
    "name": "lookup",
    "description": "Look an order up by id.",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
        "additionalProperties": False,
    },
    "strict": True,
}


# -- 1. over HTTP -------------------------------------------------------------------------


class Server:
    """`responses_server.py` in its own process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "responses_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._base_url = ""

    @property
    def base_url(self) -> str:
        """The server's URL, once it listens (it starts in the background: its imports take a while)."""
        if not self._base_url:
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if not line.startswith("READY "):
                self.close()
                raise RuntimeError(f"responses_server.py did not start: {line!r}")
            self._base_url = f"http://127.0.0.1:{int(line.split()[1])}/v1"
        return self._base_url

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base_url + "/_stats", timeout=10) as reply:
            stats: dict[str, Any] = json.load(reply)
            return stats

    def reset(self) -> None:
        request = urllib.request.Request(self.base_url + "/_reset", data=b"{}", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def http_bare(base_url: str, *, stream: bool = False) -> Callable[[], Awaitable[str]]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    user = {"type": "message", "role": "user", "content": PROMPT}

    async def create(items: list[Any]) -> Any:
        if not stream:
            return await client.responses.create(
                model=MODEL, instructions=INSTRUCTIONS, input=items, tools=[TOOL_PARAM]  # type: ignore[list-item]
            )
        events = await client.responses.create(
            model=MODEL, instructions=INSTRUCTIONS, input=items, tools=[TOOL_PARAM], stream=True  # type: ignore[list-item]
        )
        final = None
        async for event in events:
            if event.type == "response.completed":
                final = event.response
        assert final is not None
        return final

    async def run() -> str:
        items: list[Any] = [user]
        first = await create(items)
        for item in first.output:
            if item.type == "function_call":
                output = await lookup_plain(**json.loads(item.arguments))
                items.append(
                    {"type": "function_call", "call_id": item.call_id, "name": item.name, "arguments": item.arguments}
                )
                items.append({"type": "function_call_output", "call_id": item.call_id, "output": output})
        second = await create(items)
        return str(second.output_text)

    return run


def http_runlet(base_url: str, *, stream: bool = False) -> Callable[[], Awaitable[str]]:
    from openai import AsyncOpenAI

    from runlet.providers import OpenAIResponsesProvider

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    agent = Agent(
        name="bench",
        instructions=INSTRUCTIONS,
        model=OpenAIResponsesProvider(MODEL, client=client),
        tools=(lookup,),
    )
    runtime = Runtime()

    async def run() -> str:
        result = await runtime.run(agent, PROMPT)
        return str(result.output)

    async def run_stream() -> str:
        text = []
        async for event in runtime.stream(agent, PROMPT):
            if event.type == "model.stream.delta":
                text.append(str(event.payload["delta"]))
        return "".join(text)

    return run_stream if stream else run


async def verify_http(server: Server, name: str, fn: Callable[[], Awaitable[str]], *, stream: bool) -> str | None:
    """Run once and check the work was exactly the scripted round trip; the reason if not."""
    from responses_server import ANSWER

    server.reset()
    try:
        output = await fn()
    except Exception as exc:  # a peer that cannot do the work is reported, not fatal
        return f"{type(exc).__name__}: {exc}"
    stats = server.stats()
    expected = {"requests": 2, "calls": 1, "finals": 1, "streamed": 2 if stream else 0}
    got = {key: stats[key] for key in expected}
    if got != expected:
        return f"server saw {got}, expected {expected}"
    if stats["tool_output"] != "order 123 shipped":
        return f"tool output sent back was {stats['tool_output']!r}"
    if stats["tools_sent"] != ["lookup"]:
        return f"tools sent were {stats['tools_sent']!r}"
    if output != ANSWER:
        return f"output was {output!r}, expected {ANSWER!r}"
    return None


def openai_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("openai") is not None


async def http_section(config: Config, report: Report, server: Server | None) -> None:
    if server is None:
        report.note("http: openai is not installed: section skipped")
        return
    print("\n[1] over HTTP: one tool round trip (2 requests) against a local Responses server", flush=True)
    try:
        for streamed in (False, True):
            cases: dict[str, Callable[[], Awaitable[object]]] = {
                "openai SDK (bare)": http_bare(server.base_url, stream=streamed),
                "runlet": http_runlet(server.base_url, stream=streamed),
            }
            if not streamed:
                for name in peer_names(config, report):
                    try:
                        cases[name] = peers.HTTP[name](server.base_url, MODEL)
                    except Exception as exc:
                        report.note(f"http: {name} could not be set up ({type(exc).__name__}: {exc}): skipped")
            for name, fn in list(cases.items()):
                problem = await verify_http(server, name, fn, stream=streamed)  # type: ignore[arg-type]
                if problem is not None:
                    if name in ("openai SDK (bare)", "runlet"):
                        raise RuntimeError(f"http: {name} did not do the scripted round trip: {problem}")
                    report.note(f"http: {name} did not do the scripted round trip ({problem}): skipped")
                    del cases[name]
            samples = await measure(cases, config)
            key = " (streamed)" if streamed else ""
            add_rows(report, "http", samples, "openai SDK (bare)", scale=1e3, unit="ms/run", key=key, cpu=False)
            print_rows(report, "http" + key)
    finally:
        server.close()


# -- 2. in process: cost per step ------------------------------------------------------------


CAPABILITIES = Capabilities(context_window=1_000_000, max_output_tokens=4_096)


class LoopProvider:
    """The smallest Provider: asks for `lookup` `steps` times, then answers "done"."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.calls = 0

    def reset(self) -> None:
        self.calls = 0

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        if self.calls <= self.steps:
            part = ToolCallPart(f"call_{self.calls}", "lookup", '{"order_id": "123"}')
            return ModelResponse((part,), Usage(10, 5, requests=1), "tool_calls")
        return ModelResponse((TextPart("done"),), Usage(10, 1, requests=1))

    async def stream(self, request: ModelRequest) -> Any:  # pragma: no cover - not used here
        raise NotImplementedError
        yield

    def capabilities(self) -> Capabilities:
        return CAPABILITIES


def loop_raw(steps: int) -> Callable[[], Awaitable[object]]:
    """The same model and tool calls in a hand-written loop: the work the runtimes wrap."""
    provider = LoopProvider(steps)

    async def run() -> str:
        provider.reset()
        messages = [Message.user(PROMPT)]
        while True:
            response = await provider.complete(ModelRequest(messages=messages))
            messages.append(response.message)
            if not response.tool_calls:
                return response.text
            for call in response.tool_calls:
                result = await lookup_plain(**json.loads(call.arguments))
                messages.append(Message.tool_result(call.call_id, result))

    return run


def loop_runlet(steps: int) -> Callable[[], Awaitable[object]]:
    provider = LoopProvider(steps)
    agent = Agent(name="bench", model=provider, tools=(lookup,), max_steps=steps + 1)
    runtime = Runtime()

    async def run() -> str:
        provider.reset()
        result = await runtime.run(agent, PROMPT)
        return str(result.output)

    return run


def loop_runlet_scripted(steps: int) -> Callable[[], Awaitable[object]]:
    """`runlet.testing.ScriptedProvider` (it also estimates usage tokens for every response)."""
    from runlet.testing import ScriptedProvider, call

    turns = [call("lookup", order_id="123") for _ in range(steps)] + ["done"]
    runtime = Runtime()

    async def run() -> str:
        agent = Agent(name="bench", model=ScriptedProvider(turns), tools=(lookup,), max_steps=steps + 1)
        result = await runtime.run(agent, PROMPT)
        return str(result.output)

    return run


async def check_output(name: str, fn: Callable[[], Awaitable[object]], expected: object) -> None:
    output = await fn()
    if output != expected:
        raise RuntimeError(f"{name} returned {output!r}, expected {expected!r}")


async def loop_section(config: Config, report: Report) -> None:
    print("\n[2] in process, scripted model: cost per step (one model call + its tool call)", flush=True)
    names = peer_names(config, report)
    for steps in config.loop_steps:
        cases: dict[str, Callable[[], Awaitable[object]]] = {
            "hand-written loop": loop_raw(steps),
            "runlet": loop_runlet(steps),
            "runlet (ScriptedProvider)": loop_runlet_scripted(steps),
        }
        for name in names:
            try:
                cases[name] = peers.LOOP[name](steps)
                await check_output(name, cases[name], "done")
            except Exception as exc:
                report.note(f"loop: {name} failed ({type(exc).__name__}: {exc}): skipped")
                cases.pop(name, None)
        for name in ("hand-written loop", "runlet", "runlet (ScriptedProvider)"):
            await check_output(name, cases[name], "done")
        samples = await measure(cases, config, per=steps + 1)
        add_rows(
            report, "loop", samples, "hand-written loop", scale=1e6, unit="µs/step", key=f" ({steps} steps)", cpu=True
        )
        print_rows(report, f"loop ({steps} steps)")
    steps_hi, steps_lo = max(config.loop_steps), sorted(config.loop_steps)[-2] if len(config.loop_steps) > 1 else None
    if steps_lo is not None:
        for case in report.samples[f"loop ({steps_hi} steps)"]:
            if case not in report.samples.get(f"loop ({steps_lo} steps)", {}):
                continue
            hi = statistics.median(report.samples[f"loop ({steps_hi} steps)"][case])
            lo = statistics.median(report.samples[f"loop ({steps_lo} steps)"][case])
            report.rows.append(
                Row("loop scaling", case, hi / lo, f"x (cpu per step at {steps_hi} / at {steps_lo})")
            )
        print_rows(report, "loop scaling")


# -- 3. streaming: cost per delta ----------------------------------------------------------


class DeltaProvider:
    """Streams `deltas` text deltas, then the completed response."""

    def __init__(self, deltas: int) -> None:
        self.deltas = deltas
        self.response = ModelResponse((TextPart("tok " * deltas),), Usage(10, deltas, requests=1))

    async def complete(self, request: ModelRequest) -> ModelResponse:
        return self.response

    async def stream(self, request: ModelRequest) -> Any:
        for _ in range(self.deltas):
            yield TextDelta("tok ")
        yield ResponseCompleted(self.response)

    def capabilities(self) -> Capabilities:
        return CAPABILITIES


def stream_raw(deltas: int) -> Callable[[], Awaitable[object]]:
    provider = DeltaProvider(deltas)

    async def run() -> int:
        count = 0
        event: ModelStreamEvent
        async for event in provider.stream(ModelRequest(messages=[Message.user(PROMPT)])):
            if isinstance(event, TextDelta):
                count += 1
        return count

    return run


def stream_runlet(deltas: int) -> Callable[[], Awaitable[object]]:
    agent = Agent(name="bench", model=DeltaProvider(deltas))
    runtime = Runtime()

    async def run() -> int:
        count = 0
        async for event in runtime.stream(agent, PROMPT):
            if event.type == "model.stream.delta":
                count += 1
        return count

    return run


async def stream_section(config: Config, report: Report) -> None:
    print("\n[3] streaming, in process: cost per text delta", flush=True)
    names = peer_names(config, report)
    for deltas in config.stream_deltas:
        cases: dict[str, Callable[[], Awaitable[object]]] = {
            "raw provider iteration": stream_raw(deltas),
            "runlet Runtime.stream": stream_runlet(deltas),
        }
        for name in names:
            try:
                cases[name] = peers.STREAM[name](deltas)
            except Exception as exc:
                report.note(f"stream: {name} could not be set up ({type(exc).__name__}: {exc}): skipped")
        for name in list(cases):
            try:
                await check_output(name, cases[name], deltas)
            except Exception as exc:
                if name in ("raw provider iteration", "runlet Runtime.stream"):
                    raise
                report.note(f"stream: {name} ({type(exc).__name__}: {exc}): skipped")
                del cases[name]
        samples = await measure(cases, config, per=deltas)
        add_rows(
            report, "stream", samples, "raw provider iteration", scale=1e6, unit="µs/delta", key=f" ({deltas} deltas)",
            cpu=True,
        )
        print_rows(report, f"stream ({deltas} deltas)")


# -- 4. imports ---------------------------------------------------------------------------------

_IMPORT_PROBE = """
import json, sys, time
pre = sys.argv[1:]
for name in pre:
    try:
        __import__(name)
    except Exception:
        pass
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * {page}
before_mods = set(sys.modules)
r0 = rss()
c0, t0 = time.process_time(), time.perf_counter()
import {module}
t1, c1 = time.perf_counter(), time.process_time()
r1 = rss()
new = sorted(set(sys.modules) - before_mods)
print(json.dumps({{"seconds": t1 - t0, "cpu": c1 - c0, "rss": r1 - r0, "modules": new}}))
"""

_TRACEMALLOC_PROBE = """
import json, tracemalloc
tracemalloc.start()
import {module}
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({{"current": current, "peak": peak}}))
"""


# Bytecode caches are allowed (and written by the warm-up import): an installed package has its
# .pyc files, and with PYTHONDONTWRITEBYTECODE=1 an editable install would compile every module
# from source at each import, which is not what users pay.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _probe(code: str, args: Sequence[str] = ()) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=_ENV).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def import_probe(module: str, pre: Sequence[str] = ()) -> dict[str, Any]:
    return _probe(_IMPORT_PROBE.format(module=module, page=os.sysconf("SC_PAGE_SIZE")), pre)


def importtime_breakdown(module: str) -> dict[str, float]:
    """Self time (ms) by top-level package, from `python -X importtime -c "import module"`."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True, env=_ENV
    ).stderr
    totals: dict[str, float] = {}
    for line in err.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        top = fields[2].strip().split(".")[0]
        totals[top] = totals.get(top, 0.0) + int(fields[0]) / 1000
    return totals


def imports_section(config: Config, report: Report) -> None:
    print("\n[4] imports, each in a fresh subprocess", flush=True)
    modules = ["runlet"]
    for name in peer_names(config, report):
        modules.append(peers.PEERS[name])
    for module in modules:  # warm-up: writes the bytecode caches
        import_probe(module)
    # What runlet brings in besides itself, to separate its own cost from the stdlib's.
    loaded = import_probe("runlet")["modules"]
    others = [m for m in loaded if m.split(".")[0] != "runlet"]
    heavy = sorted({m.split(".")[0] for m in others} & {"openai", "pydantic", "httpx", "httpx2", "anyio"})
    if heavy:
        report.note(f"import runlet imports {heavy}")
    # With sinks, the event classes are built too (as on the first stream() or sink).
    with_sinks = [m for m in import_probe("runlet.sinks")["modules"] if m.split(".")[0] != "runlet"]
    variants = {m: (m, ()) for m in modules}
    variants["runlet (own, deps preloaded)"] = ("runlet", tuple(others))
    variants["runlet.sinks (own, deps preloaded): runlet + events + sinks"] = ("runlet.sinks", tuple(with_sinks))
    if not config.quick:
        variants["asyncio (alone)"] = ("asyncio", ())
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    rss: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(config.import_runs):  # interleaved: one fresh process per module per round
        for name, (module, pre) in variants.items():
            probe = import_probe(module, pre)
            seconds[name].append(probe["seconds"])
            cpu[name].append(probe["cpu"])
            rss[name].append(probe["rss"])
    report.samples["imports"] = cpu
    report.samples["imports [wall]"] = seconds
    for name in variants:
        module = variants[name][0]
        traced = None
        if not variants[name][1] and (name == "runlet" or not config.quick):
            traced = _probe(_TRACEMALLOC_PROBE.format(module=module))["current"]
        report.rows.append(
            Row(
                "imports",
                f"import {name}" if not name.startswith(("runlet (", "runlet.sinks (", "asyncio")) else name,
                statistics.median(cpu[name]) * 1e3,
                "ms cpu",
                statistics.median(a / b for a, b in zip(cpu[name], cpu["runlet"])),
                "import runlet",
                spread(cpu[name]),
                note=f"wall {statistics.median(seconds[name]) * 1e3:.1f} ms; RSS +{statistics.median(rss[name]) / 2**20:.1f} MiB"
                + (f", tracemalloc {traced / 2**20:.1f} MiB" if traced is not None else ""),
            )
        )
    print_rows(report, "imports")
    report.note(f"modules loaded by `import runlet`: {len(loaded)}, of which runlet's own: {len(loaded) - len(others)}")
    if config.quick:
        return
    breakdown = importtime_breakdown("runlet")
    top = sorted(breakdown.items(), key=lambda kv: -kv[1])[:8]
    text = ", ".join(f"{name} {ms:.1f}" for name, ms in top)
    report.note(f"python -X importtime self time by package, ms (one run, inflated by the tracing): {text}")


# -- 5. the other benchmarks in this directory ----------------------------------------------------


def others_section(report: Report) -> None:
    print("\n[5] the other benchmarks in benchmarks/ (their own output)", flush=True)
    for script in OTHERS:
        path = HERE / script
        if not path.exists():
            report.note(f"benchmarks/{script} does not exist yet: skipped")
            continue
        print(f"\n--- python benchmarks/{script}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(path)], cwd=ROOT, check=False)
        if done.returncode != 0:
            report.note(f"benchmarks/{script} exited with {done.returncode}")
        print(f"--- ({time.perf_counter() - started:.0f} s)", flush=True)


# -- output ---------------------------------------------------------------------------------------


def print_rows(report: Report, section: str) -> None:
    rows = [row for row in report.rows if row.section == section]
    if not rows:
        return
    print(f"\n  {section}")
    width = max(len(row.case) for row in rows) + 2
    for row in rows:
        ratio = f"{row.ratio:6.2f}x vs {row.baseline}" if row.ratio is not None else ""
        spread_text = f"spread {row.spread:4.0%}" if row.spread else ""
        value = f"{row.value:10.2f} {row.unit}"
        print(f"    {row.case:<{width}}{value:<26}{ratio:<40}{spread_text:<14}{row.note}", flush=True)


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("runlet", "openai", "httpx2", "pydantic", "pydantic-ai-slim", "openai-agents"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return out


async def main_async(config: Config, only: Sequence[str], report: Report, server: Server | None) -> None:
    if "http" in only:
        report.mark_load("http")
        await http_section(config, report, server)
    if "loop" in only:
        report.mark_load("loop")
        await loop_section(config, report)
    if "stream" in only:
        report.mark_load("stream")
        await stream_section(config, report)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every Runlet benchmark and print a table of ratios.")
    parser.add_argument("--quick", action="store_true", help="tiny repeat counts (a smoke test, not a measurement)")
    parser.add_argument("--no-peers", action="store_true", help="skip pydantic-ai and the OpenAI Agents SDK")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--json", type=Path, help="write every row and sample to this file")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {SECTIONS}")
    config = Config.make(args.quick, not args.no_peers)
    report = Report()
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, {info['date']}")
    print(f"versions: {versions()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    if config.peers:
        for name in peers.PEERS:
            if peers.available(name):
                print(f"peer {name} {peers.version(name)}")
    # The server imports openai and builds its payloads while this process gets ready.
    server = Server() if "http" in only and openai_installed() else None
    asyncio.run(main_async(config, only, report, server))
    if "imports" in only:
        report.mark_load("imports")
        imports_section(config, report)
    if "others" in only and not config.quick:
        report.mark_load("others")
        others_section(report)
    report.mark_load("end")
    print("\nload average (1, 5, 15 min) when each section started: " + "; ".join(
        f"{label} {' '.join(f'{x:.2f}' for x in load)}" for label, load in report.load
    ))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "versions": versions(),
                    "config": config.__dict__,
                    "load": report.load,
                    "rows": [row.__dict__ for row in report.rows],
                    "notes": report.notes,
                    "samples": report.samples,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
