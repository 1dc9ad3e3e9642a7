"""Tamper-evident checkpoints: signed when made, verified before anything else on resume; approvals bound to their call."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runlet import (
    Agent,
    ApprovalRequest,
    Approve,
    Checkpoint,
    CheckpointTampered,
    InvalidHumanResponse,
    RunInterrupted,
    Runtime,
    UserError,
    checkpoint_resumed,
    tool,
)
from runlet.core.human import KEY_SESSION, checkpoint_key
from runlet.hooks import RequireApproval
from runlet.stores import MemoryStore, SQLiteStore
from runlet.testing import ScriptedProvider
from runlet import ToolCallPart

refunded: list[float] = []


@tool
def refund(order_id: str, amount: float) -> str:
    """Refund an order."""
    refunded.append(amount)
    return f"refunded {amount:g} on {order_id}"


@pytest.fixture(autouse=True)
def _reset() -> None:
    refunded.clear()


def refund_agent(amount: float, call_id: str = "c1") -> Agent[None, str]:
    arguments = json.dumps({"order_id": "9", "amount": amount})
    provider = ScriptedProvider([ToolCallPart(call_id, "refund", arguments), "Done."])
    return Agent(name="refunds", model=provider, tools=(refund,), hooks=(RequireApproval(tools={"refund"}),))


async def interrupted(runtime: Runtime, agent: Agent[None, str]) -> RunInterrupted:
    with pytest.raises(RunInterrupted) as caught:
        await runtime.run(agent, "Refund order 9.")
    return caught.value


def approval(checkpoint: Checkpoint) -> Approve:
    (request,) = checkpoint.requests
    assert isinstance(request, ApprovalRequest)
    return request.approve()


def set_amount(document: dict[str, Any], amount: float) -> None:
    """What an attacker does to a checkpoint's JSON: the pending call's arguments, everywhere they are."""
    arguments = json.dumps({"order_id": "9", "amount": amount})
    document["state"]["new"][-1]["parts"][0]["arguments"] = arguments
    document["requests"][0]["call"]["arguments"] = arguments


async def test_a_checkpoint_edited_after_approval_is_refused_and_nothing_runs() -> None:
    runtime = Runtime(store=MemoryStore())
    agent = refund_agent(250)
    stopped = await interrupted(runtime, agent)
    document = stopped.checkpoint.to_json()
    approved = approval(stopped.checkpoint)  # a manager approves the refund of 250
    set_amount(document, 99999)
    tampered = Checkpoint.from_json(document)
    with pytest.raises(CheckpointTampered, match="does not match its signature") as caught:
        await runtime.resume(agent, tampered, [approved])
    with pytest.raises(CheckpointTampered):  # also with an approval made from the tampered request itself
        await runtime.resume(agent, tampered, [approval(tampered)])
    assert caught.value.checkpoint_id == stopped.checkpoint.id
    assert refunded == [] and not await checkpoint_resumed(runtime.store, stopped.checkpoint.id)  # nothing claimed
    result = await runtime.resume(agent, Checkpoint.from_json(stopped.checkpoint.to_json()), [approved])
    assert result.output == "Done." and refunded == [250]


def _edit(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return edit


def _downgrade(document: dict[str, Any]) -> None:
    del document["signature"]
    document["version"] = 2


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "pending call arguments": lambda d: set_amount(d, 99999),
    "request's call only": _edit("requests.0.call.arguments", '{"order_id": "9", "amount": 99999}'),
    "a message": _edit("state.new.0.parts.0.text", "Refund order 9 and 10."),
    "step": _edit("state.step", 0),
    "usage": _edit("state.usage.input_tokens", 1),
    "model requests": _edit("state.model_requests", 0),
    "request reason": _edit("requests.0.reason", "pre-approved"),
    "created at": _edit("created_at", 1.0),
    "checkpoint id": _edit("id", "0" * 32),
    "signature replaced": _edit("signature", "hmac-sha256:" + "0" * 64),
    "signature removed": _edit("signature", ""),
    "made unsigned (version 2)": _downgrade,
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
async def test_any_change_to_a_checkpoint_is_refused_before_anything_is_checked_or_claimed(change: str) -> None:
    runtime = Runtime(store=MemoryStore())
    agent = refund_agent(250)
    stopped = await interrupted(runtime, agent)
    document = copy.deepcopy(stopped.checkpoint.to_json())
    CHANGES[change](document)
    tampered = Checkpoint.from_json(document)
    with pytest.raises(CheckpointTampered):
        await runtime.resume(agent, tampered, [])  # refused before the (missing) responses are looked at
    events = runtime.resume_stream(agent, tampered, [approval(stopped.checkpoint)])
    with pytest.raises(CheckpointTampered):
        await anext(aiter(events))
    assert refunded == [] and not await checkpoint_resumed(runtime.store, tampered.id)


async def test_the_key_is_the_stores_made_once_or_the_applications(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "runs.db") as store:
        keys = await asyncio.gather(*(checkpoint_key(store, None) for _ in range(5)))  # racing first uses agree
        assert len(set(keys)) == 1 and len(keys[0]) == 32
        assert len(await store.load(KEY_SESSION)) == 1
        agent = refund_agent(250)
        stopped = await interrupted(Runtime(store=store), agent)
    with SQLiteStore(tmp_path / "runs.db") as store:  # another runtime on the same store verifies it
        await Runtime(store=store).resume(agent, stopped.checkpoint, [approval(stopped.checkpoint)])
    assert refunded == [250]
    agent = refund_agent(250)
    other = await interrupted(Runtime(store=MemoryStore()), agent)
    with pytest.raises(CheckpointTampered, match="another store, or another Runtime"):
        await Runtime(store=MemoryStore()).resume(agent, other.checkpoint, [approval(other.checkpoint)])

    key = b"k" * 32
    mine = await interrupted(Runtime(store=MemoryStore(), checkpoint_key=key), agent := refund_agent(250))
    with pytest.raises(CheckpointTampered):
        await Runtime(store=MemoryStore(), checkpoint_key=b"x" * 32).resume(agent, mine.checkpoint, [])
    fresh = MemoryStore()
    await Runtime(store=fresh, checkpoint_key=key).resume(agent, mine.checkpoint, [approval(mine.checkpoint)])
    assert await fresh.load(KEY_SESSION) == ()  # an application's key never goes into the store
    assert "k" * 32 not in repr(Runtime(checkpoint_key=key))


def test_a_checkpoint_key_must_be_bytes_of_some_length() -> None:
    with pytest.raises(UserError, match=r"must be bytes, not str.*\.encode\(\)"):
        Runtime(checkpoint_key="secret-secret-secret")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="at least 16 bytes"):
        Runtime(checkpoint_key=b"short")


async def test_an_approval_cannot_be_replayed_onto_another_call() -> None:
    runtime = Runtime(store=MemoryStore())
    small = await interrupted(runtime, refund_agent(25, call_id="c1"))
    large = await interrupted(runtime, refund_agent(99999, call_id="c1"))  # the same call id, other arguments
    given = approval(small.checkpoint)
    assert given.request_id.startswith("c1/0/") and given.request_id != large.checkpoint.requests[0].id
    with pytest.raises(InvalidHumanResponse, match="no pending request"):
        await runtime.resume(refund_agent(99999), large.checkpoint, [given])
    assert refunded == [] and not await checkpoint_resumed(runtime.store, large.checkpoint.id)
