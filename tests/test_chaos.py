"""Chaos: the agent loop, run many times against fault-injecting servers of the three APIs.

Each server (a fake of `fault_apis`) answers every request as its API would,
except that it injects faults at the rates a third-party fault-injecting mock
used against Runlet (issue 18). Streamed requests: HTTP 429 with
`retry-after-ms` 15%, 503 9%, a stream cut short before its completion event
9%, a dropped connection 6%, an event that is not JSON 6%, a stall 3%. Plain
requests: 429 15%, 503 10%, a stall 2.5% (the answer comes after the model
timeout). The faults are dealt from shuffled decks, so each kind occurs at its
rate in every test. Half the runs stream; each has one tool round; the runs of
the three APIs go on at once.

At least 95% of the runs must complete with the right answer, having run the
tool exactly once; none may hang, and none may raise anything but a Runlet
error. `python tests/test_chaos.py` prints the faults dealt and the outcomes.
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fault_apis import APIS, Api  # noqa: E402
from openai_server import FakeResponsesServer, JsonReply, RecordedRequest, Reply  # noqa: E402

from runlet import Agent, RetryPolicy, RunContext, RunletError, Runtime, tool  # noqa: E402
from runlet.events import Event  # noqa: E402

RUNS = 20
"""Runs per API, half of them streamed."""
AT_ONCE = 5
"""Runs per API going on at the same time."""
ANSWER = "Order 1 has shipped."
ARGUMENTS = '{"order_id": "1"}'
STREAM_DECK = {"429": 5, "503": 3, "truncated": 3, "disconnected": 2, "not json": 2, "stalled": 1, "none": 18}
PLAIN_DECK = {"429": 6, "503": 4, "stalled": 1, "none": 29}

RUNTIME = Runtime(
    retry=RetryPolicy(max_attempts=8, initial_delay=0.005, max_delay=0.25, jitter=0.2),
    model_timeout=0.5,
)


@dataclass
class Lookups:
    """The tool calls of one run."""

    count: int = 0


@tool
def lookup(ctx: RunContext[Lookups], order_id: str) -> str:
    """Look an order up by id."""
    ctx.deps.count += 1
    return f"order {order_id}: shipped"


class Deck:
    """Faults dealt from a shuffled deck, reshuffled once used up: each kind at its rate."""

    def __init__(self, counts: dict[str, int], rng: random.Random) -> None:
        self.cards = [name for name, count in counts.items() for _ in range(count)]
        self.rng = rng
        self.left: list[str] = []

    def deal(self) -> str:
        if not self.left:
            self.left = self.rng.sample(self.cards, len(self.cards))
        return self.left.pop()


@dataclass
class Chaos:
    """The faults of all three servers: dealt, and counted by kind."""

    seed: int
    dealt: Counter[str] = field(default_factory=Counter[str])
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.streams, self.plain = Deck(STREAM_DECK, rng), Deck(PLAIN_DECK, rng)

    def reply(self, api: Api, request: RecordedRequest) -> Reply:
        """The API's reply to `request`, or a fault instead."""
        body = request.json
        streamed = bool(body.get("stream"))
        with self.lock:
            fault = (self.streams if streamed else self.plain).deal()
            self.dealt[("stream " if streamed else "plain ") + fault] += 1
        if fault == "429":
            return api.with_headers(api.error(429, "rate limited"), {"retry-after-ms": "20"})
        if fault == "503":
            return api.error(503, "overloaded")
        answered = api.answered(body)
        if not streamed:
            good = api.text(ANSWER) if answered else api.call("call_1", "lookup", ARGUMENTS)
            return JsonReply(good.body, delay=5.0) if fault == "stalled" else good
        whole = fault == "none"
        chunks = [ANSWER[:9], ANSWER[9:]]
        events = api.stream_text(chunks, whole) if answered else api.stream_call("call_1", "lookup", ARGUMENTS, whole)
        if fault == "disconnected":
            return api.sse(events, end="abort")
        if fault == "stalled":
            return api.sse(events, end="stall")
        if fault == "not json":
            return api.sse([*events, api.garbage])
        return api.sse(events)  # whole, or truncated: it ends cleanly without its completion event


def chaos_server(api: Api, chaos: Chaos) -> FakeResponsesServer:
    """The API's fake server, answering every request with `chaos.reply`."""
    base: type[FakeResponsesServer] = api.server  # type: ignore[assignment]

    class ChaosServer(base):  # type: ignore[valid-type,misc]
        def take_reply(self, request: RecordedRequest) -> Reply | None:
            self.add(chaos.reply(api, request))
            return super().take_reply(request)

    return ChaosServer()


@dataclass
class Outcomes:
    """What the runs did."""

    completed: int = 0
    failed: Counter[str] = field(default_factory=Counter[str])
    hung: int = 0
    foreign: list[BaseException] = field(default_factory=list[BaseException])
    wrong: list[str] = field(default_factory=list[str])


async def one_run(agent: Agent[Lookups, str], streamed: bool, outcomes: Outcomes) -> None:
    lookups = Lookups()
    try:
        if streamed:
            events = await asyncio.wait_for(_drain(RUNTIME.stream(agent, "Where is order 1?", deps=lookups)), 20)
            output = str(events[-1].payload["output"])
        else:
            output = (await asyncio.wait_for(RUNTIME.run(agent, "Where is order 1?", deps=lookups), 20)).output
    except asyncio.TimeoutError:
        outcomes.hung += 1
    except RunletError as error:
        outcomes.failed[type(error).__name__] += 1
    except Exception as error:  # anything else is a bug
        outcomes.foreign.append(error)
    else:
        outcomes.completed += 1
        if output != ANSWER or lookups.count != 1:
            outcomes.wrong.append(f"{output!r} after {lookups.count} lookups")


async def _drain(stream: AsyncIterator[Event]) -> list[Event]:
    return [event async for event in stream]


async def runs_of(api: Api, chaos: Chaos, outcomes: Outcomes) -> None:
    with chaos_server(api, chaos) as server:
        agent = Agent(name="support", model=api.provider(server), tools=(lookup,))
        for first in range(0, RUNS, AT_ONCE):
            await asyncio.gather(*(one_run(agent, index % 2 == 1, outcomes) for index in range(first, first + AT_ONCE)))
        assert not getattr(server, "invalid", []), "requests that do not fit the SDK's types"


async def chaos_runs(seed: int) -> tuple[Chaos, Outcomes]:
    chaos, outcomes = Chaos(seed), Outcomes()
    await asyncio.gather(*(runs_of(api, chaos, outcomes) for api in APIS))
    return chaos, outcomes


async def test_runs_against_fault_injecting_servers_complete() -> None:
    chaos, outcomes = await chaos_runs(seed=18)
    kinds = {f"stream {name}" for name in STREAM_DECK} | {f"plain {name}" for name in PLAIN_DECK}
    assert set(chaos.dealt) == kinds, chaos.dealt  # every fault, on streams and plain requests
    assert outcomes.hung == 0 and outcomes.foreign == [] and outcomes.wrong == []
    assert outcomes.completed >= 0.95 * RUNS * len(APIS), outcomes.failed


if __name__ == "__main__":
    dealt, done = asyncio.run(chaos_runs(seed=18))
    print("faults dealt:", dict(sorted(dealt.dealt.items())))
    print(f"runs: {done.completed}/{RUNS * len(APIS)} completed, failed {dict(done.failed)}, hung {done.hung}, "
          f"foreign {done.foreign}, wrong {done.wrong}")
