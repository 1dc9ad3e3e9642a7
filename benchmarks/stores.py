"""State stores under load: append and load latency (p50, p99) and throughput at 1, 8 and 32 concurrent sessions.

    python benchmarks/stores.py                      # every store whose server answers
    python benchmarks/stores.py --drivers            # and asyncpg against psycopg 3 on the same statements

Each concurrent task repeats what a run does to its session: load it, then
append the run's four messages (input, a tool call with a reasoning item,
the tool's result, the answer) with `expected_length`. A task starts a new
session, holding five runs (20 messages) already, every five runs, so loads
read 20 to 36 messages; the throughput counts those setup appends' time too. Stores: `MemoryStore`
(for scale), `SQLiteStore` with `synchronous="FULL"` and `"NORMAL"`,
`PostgresStore` and `RedisStore` with their default pools, on the servers at
`RUNLET_TEST_POSTGRES_URL` and `RUNLET_TEST_REDIS_URL` (defaults: the local
ones); a store whose server does not answer is skipped with a note. Every
run uses its own table and key prefix and drops them at the end.

Options: `--quick` (tiny counts, for the smoke test), `--json FILE`,
`--drivers`. Figures are wall time of the benchmark process, which includes
the server's work: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runlet import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from runlet.stores import MemoryStore, PostgresStore, RedisStore, SQLiteStore, StateStore

POSTGRES_URL = os.environ.get("RUNLET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNLET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN = f"bench{uuid.uuid4().hex[:8]}"


def run_messages(index: int) -> list[Message]:
    """The four messages one run appends."""
    return [
        Message.user(f"Where is order {index}? " + "Please check the status and tell me the delivery date. " * 3),
        Message.assistant(
            (
                ReasoningPart("openai", {"id": f"rs_{index}", "encrypted_content": "x" * 400}, ""),
                TextPart("Let me look that up."),
                ToolCallPart(f"call_{index}", "lookup_order", json.dumps({"order_id": str(index)})),
            )
        ),
        Message("tool", (ToolResultPart(f"call_{index}", "lookup_order", json.dumps({"status": "shipped", "eta_days": 3})),)),
        Message.assistant(f"Order {index} has shipped and arrives in 3 days."),
    ]


@dataclass
class Row:
    store: str
    sessions: int
    append_p50_ms: float
    append_p99_ms: float
    load_p50_ms: float
    load_p99_ms: float
    appends_per_second: float
    samples: int


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(name: str, store: StateStore, sessions: int, rounds: int) -> Row:
    """`sessions` tasks at once, each doing `rounds` runs (load, then append) on sessions of 20 to 36 messages."""
    appends: list[float] = []
    loads: list[float] = []
    earlier = [message for index in range(5) for message in run_messages(index)]
    tag = uuid.uuid4().hex[:8]

    async def task(number: int) -> None:
        for index in range(rounds):
            session = f"{RUN}-{tag}-{number}-{index // 5}"
            if index % 5 == 0:  # a new session, with five runs in it already
                await store.append(session, earlier, expected_length=0)
            started = time.perf_counter()
            history = await store.load(session)
            loaded = time.perf_counter()
            await store.append(session, run_messages(index), expected_length=len(history))
            appends.append(time.perf_counter() - loaded)
            loads.append(loaded - started)

    started = time.perf_counter()
    await asyncio.gather(*(task(number) for number in range(sessions)))
    elapsed = time.perf_counter() - started
    return Row(
        name,
        sessions,
        percentile(appends, 0.5) * 1000,
        percentile(appends, 0.99) * 1000,
        percentile(loads, 0.5) * 1000,
        percentile(loads, 0.99) * 1000,
        len(appends) / elapsed,
        len(appends),
    )


@asynccontextmanager
async def opened(name: str, folder: Path) -> AsyncIterator[StateStore]:
    if name == "memory":
        yield MemoryStore()
    elif name.startswith("sqlite"):
        synchronous = "NORMAL" if "NORMAL" in name else "FULL"
        with SQLiteStore(folder / f"{synchronous}.db", synchronous=synchronous) as sqlite:
            yield sqlite
    elif name == "postgres":
        async with PostgresStore(POSTGRES_URL, table_prefix=f"runlet_{RUN}_") as postgres:
            try:
                yield postgres
            finally:
                await drop_postgres_tables(f"runlet_{RUN}_")
    else:
        async with RedisStore(REDIS_URL, prefix=f"runlet:{RUN}:") as cache:
            try:
                yield cache
            finally:
                for session in await cache.sessions():
                    await cache.delete_session(session)


async def drop_postgres_tables(prefix: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        for table in ("schema", "messages", "state"):
            await connection.execute(f'DROP TABLE IF EXISTS "{prefix}{table}"')
    finally:
        await connection.close()


async def answers(name: str) -> str | None:
    """Why the store's server cannot be used, or None."""
    if name not in ("postgres", "redis"):
        return None
    store = PostgresStore(POSTGRES_URL, table_prefix=f"runlet_{RUN}_") if name == "postgres" else RedisStore(REDIS_URL)
    try:
        await store.get_state("ping", "ping")
    except Exception as error:  # noqa: BLE001 - any failure: skip the store
        return f"{type(error).__name__}: {error}"
    finally:
        await store.close()
    return None


async def stores_section(quick: bool, notes: list[str]) -> list[Row]:
    names = ("memory", "sqlite (FULL)", "sqlite (NORMAL)", "postgres", "redis")
    levels = (1, 8) if quick else (1, 8, 32)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            problem = await answers(name)
            if problem is not None:
                notes.append(f"{name}: skipped, its server does not answer ({problem})")
                print(f"  {name}: skipped ({problem})", flush=True)
                continue
            async with opened(name, Path(folder)) as store:
                await measure(name, store, 1, 2 if quick else 20)  # warm-up: connections, tables, statements
                for sessions in levels:
                    rounds = 2 if quick else max(10, 400 // sessions // 5 * 5)
                    row = await measure(name, store, sessions, rounds)
                    rows.append(row)
                    print(
                        f"  {name:<16} {sessions:>3} sessions   append p50 {row.append_p50_ms:7.2f} ms  "
                        f"p99 {row.append_p99_ms:7.2f} ms   load p50 {row.load_p50_ms:7.2f} ms  "
                        f"p99 {row.load_p99_ms:7.2f} ms   {row.appends_per_second:7.0f} appends/s",
                        flush=True,
                    )
    return rows


# asyncpg against psycopg 3: the same append and load statements, interleaved one by one.


async def drivers_section(quick: bool, notes: list[str]) -> dict[str, dict[str, float]]:
    try:
        import asyncpg
        import psycopg_pool
    except ImportError as error:
        notes.append(f"drivers: skipped ({error}; pip install 'psycopg[binary]' psycopg-pool)")
        return {}
    table = f'"runlet_{RUN}_drivers"'
    append = (
        f"INSERT INTO {table} (session, position, message) "
        "SELECT $1, $2 + item.number - 1, item.message FROM unnest($3::bytea[]) WITH ORDINALITY AS item (message, number)"
    )
    load = f"SELECT message FROM {table} WHERE session = $1 ORDER BY position"
    messages = [json.dumps({"n": index, "text": "x" * 300}).encode() for index in range(4)]
    setup = await asyncpg.connect(POSTGRES_URL)
    await setup.execute(
        f"CREATE TABLE {table} (session text, position integer, message bytea, PRIMARY KEY (session, position))"
    )
    apg = await asyncpg.create_pool(POSTGRES_URL, min_size=1, max_size=1)
    psy = psycopg_pool.AsyncConnectionPool(
        POSTGRES_URL, min_size=1, max_size=1, kwargs={"autocommit": True, "prepare_threshold": 0}, open=False
    )
    await psy.open(wait=True)

    async def psy_append(session: str, length: int) -> None:
        async with psy.connection() as connection:
            await connection.execute(append.replace("$1", "%(s)s").replace("$2", "%(n)s").replace("$3", "%(m)s"),
                                     {"s": session, "n": length, "m": messages})

    async def psy_load(session: str) -> None:
        async with psy.connection() as connection:
            cursor = await connection.execute(load.replace("$1", "%(s)s"), {"s": session}, binary=True)
            await cursor.fetchall()

    async def apg_append(session: str, length: int) -> None:
        await apg.execute(append, session, length, messages)

    async def apg_load(session: str) -> None:
        await apg.fetch(load, session)

    cases: dict[str, tuple[Callable[[str, int], Awaitable[None]], Callable[[str], Awaitable[None]]]] = {
        "asyncpg": (apg_append, apg_load),
        "psycopg": (psy_append, psy_load),
    }
    wall: dict[str, list[float]] = {f"{name} {kind}": [] for name in cases for kind in ("append", "load")}
    cpu: dict[str, list[float]] = {key: [] for key in wall}
    lengths = dict.fromkeys(cases, 0)
    rounds = 20 if quick else 600
    try:
        for round_ in range(rounds):
            for name in (("asyncpg", "psycopg") if round_ % 2 else ("psycopg", "asyncpg")):
                do_append, do_load = cases[name]
                for kind, action in (("append", lambda: do_append(name, lengths[name])), ("load", lambda: do_load(name))):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    await action()
                    wall[f"{name} {kind}"].append(time.perf_counter() - started)
                    cpu[f"{name} {kind}"].append(time.process_time() - cpu_started)
                lengths[name] += len(messages)
    finally:
        await apg.close()
        await psy.close()
        await setup.execute(f"DROP TABLE {table}")
        await setup.close()
    result = {
        key: {
            "wall_p50_ms": percentile(wall[key], 0.5) * 1000,
            "wall_p99_ms": percentile(wall[key], 0.99) * 1000,
            "cpu_median_us": statistics.median(cpu[key]) * 1e6,
        }
        for key in wall
    }
    for key, figures in result.items():
        print(
            f"  {key:<16} wall p50 {figures['wall_p50_ms']:6.2f} ms  p99 {figures['wall_p99_ms']:6.2f} ms   "
            f"client CPU {figures['cpu_median_us']:6.0f} us",
            flush=True,
        )
    return result


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    notes: list[str] = []
    print("stores: load then append a 4-message run with expected_length, per session", flush=True)
    rows = await stores_section(args.quick, notes)
    drivers: dict[str, dict[str, float]] = {}
    if args.drivers:
        print("drivers: the append and load statements, one at a time, interleaved", flush=True)
        drivers = await drivers_section(args.quick, notes)
    for note in notes:
        print(f"note: {note}")
    return {"machine": machine(), "rows": [asdict(row) for row in rows], "drivers": drivers, "notes": notes}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Append and load latency and throughput of Runlet's state stores.")
    parser.add_argument("--quick", action="store_true", help="tiny counts (a smoke test, not a measurement)")
    parser.add_argument("--drivers", action="store_true", help="also compare asyncpg with psycopg 3")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    results = asyncio.run(main_async(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
