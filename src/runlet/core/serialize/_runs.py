"""Usage, run states, checkpoints and human requests and responses to JSON and back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import Message
from runlet.core.models import Usage
from runlet.core.run_state import RunState
from runlet.core.state import StateFormatError
from runlet.core.serialize._messages import call_from_json, json_default, message_to_json, messages_field, part_to_json, result_from_json
from runlet.core.serialize._read import envelope, exact_fields, int_field, json_object, list_field, number_field, optional_string_field, string_field

if TYPE_CHECKING:
    from runlet.core.human import Checkpoint, HumanRequest, HumanResponse

# Usage, run state and checkpoints

RUN_STATE_VERSION = 2
"""The version of the run state format this Runlet writes (and the newest it reads); version 1 (no `active_agent`) is still read."""

CHECKPOINT_VERSION = 3
"""The version of the checkpoint format this Runlet writes; versions 1 (Runlet 0.3) and 2 (unsigned) are still read."""

_USAGE_KEYS = ("input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens", "requests")


def usage_to_json(usage: Usage) -> dict[str, JsonValue]:
    """Usage as a JSON object of its five counts."""
    return {key: getattr(usage, key) for key in _USAGE_KEYS}


def usage_from_json(value: object) -> Usage:
    """Usage from `usage_to_json`; `StateFormatError` when it is not that."""
    obj = json_object(value, "usage")
    exact_fields(obj, frozenset(_USAGE_KEYS), "usage")
    return Usage(**{key: int_field(obj, key, "usage") for key in _USAGE_KEYS})


def run_state_to_json(state: RunState) -> dict[str, JsonValue]:
    """The run state as one JSON object, `{"format": "runlet.run_state", "version": 2, ...}`.

    The context is written only where it differs from the history and new
    messages (with the instructions in front): after compression, say.
    """
    instructions, context = _context_to_json(state)
    return {
        "format": "runlet.run_state",
        "version": RUN_STATE_VERSION,
        "run_id": state.run_id,
        "agent": state.agent,
        "step": state.step,
        "usage": usage_to_json(state.usage),
        "model_requests": state.model_requests,
        "tool_calls": state.tool_calls,
        "output_retries": state.output_retries,
        "session": state.session,
        "stored_length": state.stored_length,
        "history": [message_to_json(m) for m in state.history],
        "new": [message_to_json(m) for m in state.new],
        "instructions": instructions,
        "context": context,
        "completed": [part_to_json(r) for r in state.completed],
        "answers": {call_id: [human_response_to_json(a) for a in given] for call_id, given in state.answers.items()},
        "seq": state.seq,
        "spans": state.spans,
        "elapsed": state.elapsed,
        "active_agent": state.active_agent,
    }


_RUN_STATE_KEYS = frozenset(
    (
        "format", "version", "run_id", "agent", "step", "usage", "model_requests", "tool_calls", "output_retries",
        "session", "stored_length", "history", "new", "instructions", "context", "completed", "answers", "seq",
        "spans", "elapsed",
    )
)
"""The fields of a version 1 run state; version 2 adds `active_agent`."""


def run_state_from_json(value: object) -> RunState:
    """A run state from `run_state_to_json`; `StateFormatError` when it is not one, `UnsupportedStateVersion` when newer."""
    obj = envelope(value, "runlet.run_state", RUN_STATE_VERSION, "run state")
    first = obj["version"] == 1
    exact_fields(obj, _RUN_STATE_KEYS if first else _RUN_STATE_KEYS | {"active_agent"}, "a run state")
    history, new = messages_field(obj, "history"), messages_field(obj, "new")
    answers = json_object(obj["answers"], "a run state's answers")
    return RunState(
        run_id=string_field(obj, "run_id"),
        agent=string_field(obj, "agent"),
        step=int_field(obj, "step"),
        usage=usage_from_json(obj["usage"]),
        model_requests=int_field(obj, "model_requests"),
        tool_calls=int_field(obj, "tool_calls"),
        output_retries=int_field(obj, "output_retries"),
        session=optional_string_field(obj, "session"),
        stored_length=int_field(obj, "stored_length"),
        history=history,
        new=new,
        context=_context_from_json(obj, history, new),
        completed=tuple(result_from_json(r) for r in list_field(obj, "completed")),
        answers={
            call_id: tuple(human_response_from_json(a) for a in list_field(answers, call_id, "an answers entry"))
            for call_id in answers
        },
        seq=int_field(obj, "seq"),
        spans=int_field(obj, "spans"),
        elapsed=number_field(obj, "elapsed"),
        active_agent=None if first else optional_string_field(obj, "active_agent"),
    )


def checkpoint_to_json(checkpoint: Checkpoint) -> dict[str, JsonValue]:
    """The checkpoint as one JSON object: `{"format": "runlet.checkpoint", "version": 3, ..., "signature": ...}`."""
    return {**checkpoint_content(checkpoint), "signature": checkpoint.signature}


def checkpoint_content(checkpoint: Checkpoint) -> dict[str, JsonValue]:
    """The checkpoint as `checkpoint_to_json` writes it, but its signature: what the signature covers."""
    return {
        "format": "runlet.checkpoint",
        "version": CHECKPOINT_VERSION,
        "id": checkpoint.id,
        "created_at": checkpoint.created_at,
        "state": run_state_to_json(checkpoint.state),
        "requests": [human_request_to_json(r) for r in checkpoint.requests],
    }


def canonical_json(value: JsonValue) -> bytes:
    """One byte string per JSON value, whatever the order of its keys: sorted keys, no spaces, ASCII escapes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=json_default
    ).encode("ascii")


def checkpoint_from_json(value: object) -> Checkpoint:
    """A checkpoint from `checkpoint_to_json` (versions 1 and 2 too, unsigned); `StateFormatError` when it is not one."""
    from runlet.core.human import Checkpoint

    obj = envelope(value, "runlet.checkpoint", CHECKPOINT_VERSION, "checkpoint")
    if obj["version"] == 1:
        return _checkpoint_v1(obj)
    signed = obj["version"] != 2  # version 2 (0.4's development before signatures) has none
    keys = ("format", "version", "id", "created_at", "state", "requests")
    exact_fields(obj, frozenset((*keys, "signature") if signed else keys), "a checkpoint")
    return Checkpoint(
        id=string_field(obj, "id"),
        created_at=number_field(obj, "created_at"),
        state=run_state_from_json(obj["state"]),
        requests=tuple(human_request_from_json(r) for r in list_field(obj, "requests")),
        signature=string_field(obj, "signature", "a checkpoint") if signed else "",
    )


def _checkpoint_v1(obj: dict[str, object]) -> Checkpoint:
    """A checkpoint written by Runlet 0.3: the run's fields at the top level, pending calls with their answers."""
    from runlet.core.human import Checkpoint

    keys = (
        "format", "version", "id", "run_id", "agent", "created_at", "step", "seq", "spans", "elapsed", "usage",
        "tool_calls_made", "output_retries", "session", "stored_length", "history", "new", "instructions",
        "context", "completed", "pending",
    )
    exact_fields(obj, frozenset(keys), "a checkpoint")
    history, new = messages_field(obj, "history"), messages_field(obj, "new")
    pending = [dict(json_object(p, "a pending call")) for p in list_field(obj, "pending")]
    for entry in pending:
        exact_fields(entry, frozenset(("call", "request", "answers")), "a pending call")
        request = json_object(entry["request"], "a request")
        entry["request"] = {**request, "call": _v1_part(request.get("call"), "tool_call")}
    usage = usage_from_json(obj["usage"])
    state = RunState(
        run_id=string_field(obj, "run_id"),
        agent=string_field(obj, "agent"),
        step=int_field(obj, "step"),
        usage=usage,
        model_requests=usage.requests,
        tool_calls=int_field(obj, "tool_calls_made"),
        output_retries=int_field(obj, "output_retries"),
        session=optional_string_field(obj, "session"),
        stored_length=int_field(obj, "stored_length"),
        history=history,
        new=new,
        context=_context_from_json(obj, history, new),
        completed=tuple(result_from_json(_v1_part(r, "tool_result")) for r in list_field(obj, "completed")),
        answers={
            string_field(json_object(e["call"], "a tool call"), "call_id"): tuple(
                human_response_from_json(a) for a in list_field(e, "answers", "a pending call")
            )
            for e in pending
        },
        seq=int_field(obj, "seq"),
        spans=int_field(obj, "spans"),
        elapsed=number_field(obj, "elapsed"),
    )
    requests = tuple(human_request_from_json(e["request"]) for e in pending)
    return Checkpoint(id=string_field(obj, "id"), created_at=number_field(obj, "created_at"), state=state, requests=requests)


def _v1_part(value: object, kind: str) -> dict[str, object]:
    """A version 1 tool call or result (no "kind" field) as a message part."""
    return {"kind": kind, **json_object(value, f"a {kind}")}


def _context_to_json(state: RunState) -> tuple[str | None, list[JsonValue] | None]:
    """(instructions, context): the context is null when it is the instructions, the history and the new messages."""
    n = len(state.history) + len(state.new)
    prefix, rest = state.context[: len(state.context) - n], state.context[len(state.context) - n :]
    if len(state.context) >= n and rest == (*state.history, *state.new):
        if not prefix:
            return None, None
        if len(prefix) == 1 and prefix[0] == Message.system(prefix[0].text):
            return prefix[0].text, None
    return None, [message_to_json(m) for m in state.context]


def _context_from_json(obj: dict[str, object], history: tuple[Message, ...], new: tuple[Message, ...]) -> tuple[Message, ...]:
    if obj["context"] is not None:
        return messages_field(obj, "context")
    instructions = optional_string_field(obj, "instructions")
    return (*((Message.system(instructions),) if instructions is not None else ()), *history, *new)


def human_request_to_json(request: HumanRequest) -> dict[str, JsonValue]:
    """A request waiting for a human as a JSON object (in a checkpoint, or a durable workflow's query)."""
    from runlet.core.human import ApprovalRequest

    call = part_to_json(request.call)
    if isinstance(request, ApprovalRequest):
        return {"kind": "approval", "id": request.id, "call": call, "reason": request.reason, "requested_by": request.requested_by}
    return {
        "kind": "input",
        "id": request.id,
        "call": call,
        "question": request.question,
        "schema": request.schema,
        "requested_by": request.requested_by,
    }


def human_request_from_json(value: object) -> HumanRequest:
    """A request from `human_request_to_json`; `StateFormatError` when it is not one."""
    from runlet.core.human import ApprovalRequest, InputRequest

    obj = json_object(value, "a request")
    kind = obj.get("kind")
    if kind == "approval":
        exact_fields(obj, frozenset(("kind", "id", "call", "reason", "requested_by")), "an approval request")
        return ApprovalRequest(string_field(obj, "id"), call_from_json(obj["call"]), string_field(obj, "reason"), string_field(obj, "requested_by"))
    if kind == "input":
        exact_fields(obj, frozenset(("kind", "id", "call", "question", "schema", "requested_by")), "an input request")
        schema = cast(JsonObject, json_object(obj["schema"], "an input request's schema"))
        call = call_from_json(obj["call"])
        return InputRequest(string_field(obj, "id"), call, string_field(obj, "question"), schema, string_field(obj, "requested_by"))
    raise StateFormatError(f"unknown request kind {kind!r}")


def human_response_to_json(response: HumanResponse) -> dict[str, JsonValue]:
    """A human's response as a JSON object (in a run state, or a durable workflow's update)."""
    from runlet.core.human import Approve, EditArguments, Reject

    if isinstance(response, Approve):
        return {"kind": "approve", "request_id": response.request_id}
    if isinstance(response, Reject):
        return {"kind": "reject", "request_id": response.request_id, "reason": response.reason}
    if isinstance(response, EditArguments):
        return {"kind": "edit", "request_id": response.request_id, "arguments": response.arguments}
    return {"kind": "answer", "request_id": response.request_id, "value": response.value}


def human_response_from_json(value: object) -> HumanResponse:
    """A response from `human_response_to_json`; `StateFormatError` when it is not one."""
    from runlet.core.human import Answer, Approve, EditArguments, Reject

    obj = json_object(value, "a response")
    kind = obj.get("kind")
    if kind == "approve":
        exact_fields(obj, frozenset(("kind", "request_id")), "an approve response")
        return Approve(string_field(obj, "request_id"))
    if kind == "reject":
        exact_fields(obj, frozenset(("kind", "request_id", "reason")), "a reject response")
        return Reject(string_field(obj, "request_id"), string_field(obj, "reason"))
    if kind == "edit":
        exact_fields(obj, frozenset(("kind", "request_id", "arguments")), "an edit response")
        return EditArguments(string_field(obj, "request_id"), cast(JsonObject, json_object(obj["arguments"], "edited arguments")))
    if kind == "answer":
        exact_fields(obj, frozenset(("kind", "request_id", "value")), "an answer")
        return Answer(string_field(obj, "request_id"), cast(JsonValue, obj["value"]))
    raise StateFormatError(f"unknown response kind {kind!r}")
