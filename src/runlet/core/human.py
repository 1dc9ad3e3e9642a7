"""Human in the loop: interrupt a run for a person's decision, checkpoint it, resume it later.

A run stops for a human when a `before_tool_call` hook returns
`Decision.interrupt(reason)` (see `runlet.hooks.RequireApproval`), or when a
tool calls `require_approval(reason)` or `ask_human(question, T)`. The run
then raises `RunInterrupted`, whose `interruption` holds the typed pending
requests (`ApprovalRequest`, `InputRequest`) and a `Checkpoint`: signed,
versioned JSON that can be kept anywhere (`save_checkpoint` puts it in a
state store). `Runtime.resume(agent, checkpoint, responses)` continues the
run, in this process or another, with one response per pending request
(`Approve`, `Reject`, `EditArguments`, `Answer`). See docs/human-in-the-loop.md.

Checkpoints are tamper-evident: the runtime signs each one (HMAC-SHA256 over
its canonical JSON) with `Runtime(checkpoint_key=...)`, or else with a key its
store keeps, made on first use; resuming verifies the signature before
anything else (`CheckpointTampered`). A request's id names the exact call it
is about (its id, tool and arguments), so a response cannot be applied to
another call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any, Literal, Union, cast

from typing_extensions import TypeAlias

from runlet.core._frozen import frozen
from runlet.core.asking import HumanInputRequired, ask_human, require_approval
from runlet.core.errors import CheckpointConsumed, CheckpointTampered, InvalidHumanResponse, RunletError, ValidationError
from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import Message, ToolCallPart, ToolResultPart
from runlet.core.run_state import RunState
from runlet.core.schema import validate_json
from runlet.core.state import SessionConflict, StateFormatError, StateStore

if TYPE_CHECKING:
    from dataclasses import replace

    from runlet.core.tools import Tool
else:
    from runlet.core._frozen import replace

__all__ = [
    "Answer",
    "Approve",
    "ApprovalRequest",
    "Checkpoint",
    "EditArguments",
    "HumanInputRequired",
    "HumanRequest",
    "HumanResponse",
    "InputRequest",
    "Interruption",
    "PendingCall",
    "Reject",
    "RunInterrupted",
    "ask_human",
    "load_checkpoint",
    "require_approval",
    "save_checkpoint",
]

CHECKPOINTS_SESSION = "runlet.checkpoints"
"""The store session whose key-value space `save_checkpoint` uses (key: the checkpoint id)."""

CLAIM_PREFIX = "runlet.checkpoint:"
"""Resuming checkpoint `<id>` appends one marker message to session `runlet.checkpoint:<id>` (expected length 0)."""

KEY_SESSION = "runlet.checkpoint-key"
"""The store session whose first message holds the key that signs checkpoints, when the runtime is given none."""

SIGNATURE_SCHEME = "hmac-sha256"
"""How checkpoints are signed: `<scheme>:<hex digest>` over their canonical JSON (`runlet.core.serialize.canonical_json`)."""


DEFAULT_REJECTION = "a human rejected this call"


# Responses


@frozen
class Approve:
    """Run the tool call as the model asked."""

    request_id: str
    kind: Literal["approve"] = field(default="approve", init=False, repr=False)


@frozen
class Reject:
    """Do not run the call; the model receives `Denied: <reason>` as its result."""

    request_id: str
    reason: str = DEFAULT_REJECTION
    kind: Literal["reject"] = field(default="reject", init=False, repr=False)


@frozen
class EditArguments:
    """Run the call with these arguments instead; the tool validates them like any other."""

    request_id: str
    arguments: JsonObject
    kind: Literal["edit"] = field(default="edit", init=False, repr=False)


@frozen
class Answer:
    """The answer to an `InputRequest`: JSON that must fit the request's `schema`."""

    request_id: str
    value: JsonValue
    kind: Literal["answer"] = field(default="answer", init=False, repr=False)


HumanResponse: TypeAlias = Union[Approve, Reject, EditArguments, Answer]
"""A human's response to one pending request."""


# Requests


@frozen
class ApprovalRequest:
    """A tool call waiting for a yes, a no, or edited arguments."""

    id: str
    """Unique within the checkpoint; every response names it."""
    call: ToolCallPart
    """The call the model made (edited arguments already applied, if an earlier response edited them)."""
    reason: str
    """Why a human must decide, for the person deciding."""
    requested_by: str
    """The hook that asked (its name), or `"tool"` when the tool called `require_approval`."""
    kind: Literal["approval"] = field(default="approval", init=False, repr=False)

    @property
    def tool(self) -> str:
        """The tool's name."""
        return self.call.name

    @property
    def arguments(self) -> JsonValue:
        """The call's arguments, decoded."""
        return self.call.parsed_arguments()

    def approve(self) -> Approve:
        """Run the call."""
        return Approve(self.id)

    def reject(self, reason: str = DEFAULT_REJECTION) -> Reject:
        """Refuse the call; the model is told `Denied: <reason>`."""
        return Reject(self.id, reason)

    def edit(self, arguments: Mapping[str, JsonValue]) -> EditArguments:
        """Run the call with these arguments instead (validated by the tool, like the model's)."""
        return EditArguments(self.id, dict(arguments))


@frozen
class InputRequest:
    """A question for a human, asked by a tool through `ask_human`; the answer must fit `schema`."""

    id: str
    call: ToolCallPart
    """The tool call that asked."""
    question: str
    schema: JsonObject
    """The JSON schema of the answer (from the type given to `ask_human`)."""
    requested_by: str = "tool"
    kind: Literal["input"] = field(default="input", init=False, repr=False)

    @property
    def tool(self) -> str:
        """The tool's name."""
        return self.call.name

    def answer(self, value: JsonValue) -> Answer:
        """Answer the question with JSON that fits `schema`."""
        return Answer(self.id, value)

    def reject(self, reason: str = "a human declined to answer") -> Reject:
        """Decline; the tool call is refused and the model is told `Denied: <reason>`."""
        return Reject(self.id, reason)


HumanRequest: TypeAlias = Union[ApprovalRequest, InputRequest]
"""A pending request for a human decision."""


@frozen
class PendingCall:
    """A tool call of the interrupted turn that waits for a human (a view of a checkpoint)."""

    call: ToolCallPart
    """The call as the model made it."""
    request: HumanRequest
    """The open request."""
    answers: tuple[HumanResponse, ...] = ()
    """Responses already given to earlier requests of this same call (a call may ask more than once)."""


# Checkpoints


@frozen
class Checkpoint:
    """An interrupted run: its `RunState` and the requests waiting for a human.

    Continue it with `Runtime.resume`, in this process or another.
    `to_json()` / `from_json()` (and `dumps()` / `loads()`) convert it to
    versioned JSON and back, exactly (`runlet.core.serialize`). It is signed:
    resuming a changed copy raises `CheckpointTampered`.
    """

    id: str
    """Unique per interruption; resuming records it in the store, so it resumes once."""
    created_at: float
    state: RunState
    """The run when it stopped: the last new message is the model turn whose tool calls wait."""
    requests: tuple[HumanRequest, ...]
    """The open requests, one per waiting call, in the order the model made the calls."""
    signature: str = ""
    """`hmac-sha256:<hex>` over everything above, as the runtime that made the checkpoint signed it; resuming verifies it."""

    @property
    def run_id(self) -> str:
        return self.state.run_id

    @property
    def agent(self) -> str:
        """The agent's name; `resume` refuses another agent."""
        return self.state.agent

    @property
    def completed(self) -> tuple[ToolResultPart, ...]:
        """Results of the turn's calls that needed no decision: they already ran and are not run again."""
        return self.state.completed

    @property
    def pending(self) -> tuple[PendingCall, ...]:
        """The calls waiting for a human, as the model made them, each with its open request and earlier answers."""
        made = {call.call_id: call for call in self.state.turn}
        return tuple(
            PendingCall(made.get(r.call.call_id, r.call), r, self.state.answers.get(r.call.call_id, ()))
            for r in self.requests
        )

    def to_json(self) -> dict[str, JsonValue]:
        """The checkpoint as one JSON object, `{"format": "runlet.checkpoint", "version": 3, ..., "signature": ...}`."""
        from runlet.core.serialize import checkpoint_to_json

        return checkpoint_to_json(self)

    @classmethod
    def from_json(cls, value: object) -> Checkpoint:
        """A checkpoint from `to_json()`; `StateFormatError` when it is not one, `UnsupportedStateVersion` when newer."""
        from runlet.core.serialize import checkpoint_from_json

        return checkpoint_from_json(value)

    def dumps(self) -> str:
        """The checkpoint as JSON text."""
        return json.dumps(self.to_json(), ensure_ascii=False, allow_nan=False)

    @classmethod
    def loads(cls, text: str | bytes) -> Checkpoint:
        """A checkpoint from `dumps()` text."""
        try:
            value = json.loads(text)
        except ValueError as error:
            raise StateFormatError(f"a checkpoint is not valid JSON: {error}") from None
        return cls.from_json(value)


@frozen
class Interruption:
    """Why a run stopped: the requests waiting for a human, and the checkpoint to resume from."""

    pending: tuple[HumanRequest, ...]
    checkpoint: Checkpoint

    @property
    def run_id(self) -> str:
        return self.checkpoint.run_id


class RunInterrupted(RunletError):
    """A run stopped to wait for a human. Not a failure: resume it with `Runtime.resume(agent, e.checkpoint, responses)`."""

    def __init__(self, interruption: Interruption) -> None:
        self.interruption: Interruption = interruption
        asks = "; ".join(_describe(request) for request in interruption.pending)
        super().__init__(
            f"run {interruption.run_id} of agent {interruption.checkpoint.agent!r} is waiting for "
            f"{len(interruption.pending)} human decision(s): {asks}"
        )

    @property
    def pending(self) -> tuple[HumanRequest, ...]:
        """The requests waiting for a human."""
        return self.interruption.pending

    @property
    def checkpoint(self) -> Checkpoint:
        """What to pass to `Runtime.resume`."""
        return self.interruption.checkpoint


def _describe(request: HumanRequest) -> str:
    if isinstance(request, ApprovalRequest):
        return f"approve {request.call.name}({request.call.arguments}): {request.reason}"
    return f"{request.call.name} asks: {request.question}"


# Checking responses against a checkpoint


def match_responses(
    checkpoint: Checkpoint, responses: Sequence[HumanResponse], tools: Mapping[str, Tool[Any]]
) -> dict[str, tuple[HumanResponse, ...]]:
    """For each pending call id, every response it has been given (earlier ones, then this one).

    Raises `InvalidHumanResponse` for an unknown request, a duplicate, a
    response of the wrong kind, an answer that does not fit its schema, edited
    arguments that do not fit the tool's parameters, or a request left without
    a response. Answers and edited arguments are checked by the validators of
    tool arguments (`runlet.core.schema.validate_json`).
    """
    by_id = {p.request.id: p for p in checkpoint.pending}
    given: dict[str, HumanResponse] = {}
    for response in responses:
        if not isinstance(response, (Approve, Reject, EditArguments, Answer)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidHumanResponse(
                f"a response must be Approve, Reject, EditArguments or Answer, not {type(response).__name__}"
            )
        pending = by_id.get(response.request_id)
        if pending is None:
            known = ", ".join(sorted(by_id)) or "none"
            raise InvalidHumanResponse(
                f"no pending request {response.request_id!r} in checkpoint {checkpoint.id}; the pending requests are: {known}"
            )
        if response.request_id in given:
            raise InvalidHumanResponse(f"two responses to request {response.request_id!r}")
        request = pending.request
        if isinstance(request, ApprovalRequest):
            if isinstance(response, Answer):
                raise InvalidHumanResponse(
                    f"request {request.id!r} asks to approve {request.call.name!r}: respond with Approve, "
                    "Reject or EditArguments, not Answer"
                )
            if isinstance(response, EditArguments):
                _check_arguments(request, response, tools.get(request.call.name))
        elif isinstance(response, (Approve, EditArguments)):
            raise InvalidHumanResponse(
                f"request {request.id!r} asks a question ({request.question!r}): respond with Answer or Reject, "
                f"not {type(response).__name__}"
            )
        elif isinstance(response, Answer):
            try:
                validate_json(request.schema, response.value)
            except ValidationError as error:
                raise InvalidHumanResponse(f"the answer to request {request.id!r} does not fit its schema: {error}") from None
        given[response.request_id] = response
    missing = [request_id for request_id in by_id if request_id not in given]
    if missing:
        raise InvalidHumanResponse(
            f"no response to pending request(s) {', '.join(map(repr, missing))}; every pending request needs one"
        )
    for p in checkpoint.pending:
        if p.call.name not in tools:
            raise InvalidHumanResponse(
                f"the agent has no tool {p.call.name!r}, which the pending call {p.call.call_id} needs"
            )
    return {p.call.call_id: (*p.answers, given[p.request.id]) for p in checkpoint.pending}


def _check_arguments(request: ApprovalRequest, response: EditArguments, tool: Tool[Any] | None) -> None:
    """Edited arguments must be a JSON object that fits the tool's parameters (a missing tool is reported later)."""
    arguments = response.arguments
    if not isinstance(arguments, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]  # untyped callers
        raise InvalidHumanResponse(f"the edited arguments for request {request.id!r} must be a JSON object")
    try:
        json.dumps(arguments, allow_nan=False, default=_no_default)
    except (TypeError, ValueError) as error:
        raise InvalidHumanResponse(f"the edited arguments for request {request.id!r} are not JSON: {error}") from None
    if tool is None:
        return
    try:
        validate_json(tool.parameters, arguments, noun="argument")
    except ValidationError as error:
        raise InvalidHumanResponse(
            f"the edited arguments for request {request.id!r} do not fit the parameters of {tool.name!r}: {error}"
        ) from None


def _no_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(cast("Mapping[str, object]", value))
    if isinstance(value, (list, tuple)):
        return list(cast("Sequence[object]", value))
    raise TypeError(f"{type(value).__name__} is not JSON")


# Signatures


async def checkpoint_key(store: StateStore, given: bytes | None) -> bytes:
    """The key that signs and verifies checkpoints: `given`, or the one `store` keeps (made on first use)."""
    if given is not None:
        return given
    kept = await store.load(KEY_SESSION)
    if not kept:
        made = Message.system(json.dumps({"scheme": SIGNATURE_SCHEME, "key": os.urandom(32).hex()}))
        try:
            await store.append(KEY_SESSION, (made,), expected_length=0)  # atomic: of two first uses, one key wins
        except SessionConflict:
            pass
        kept = await store.load(KEY_SESSION)
    try:
        return bytes.fromhex(json.loads(kept[0].text)["key"])
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise StateFormatError(
            f"session {KEY_SESSION!r} of the store does not hold a checkpoint key ({error!r}); "
            "it is damaged: checkpoints it signed can no longer be verified"
        ) from None


def sign_checkpoint(checkpoint: Checkpoint, key: bytes) -> Checkpoint:
    """The checkpoint with its signature."""
    return replace(checkpoint, signature=_signature(checkpoint, key))


def verify_checkpoint(checkpoint: Checkpoint, key: bytes) -> None:
    """Return when the checkpoint's signature matches it under `key`; else raise `CheckpointTampered`."""
    if not checkpoint.signature:
        raise CheckpointTampered(
            f"checkpoint {checkpoint.id} has no signature (it was written before Runlet signed checkpoints, "
            "or the signature was removed): it cannot be trusted, so it is not resumed; start the run again",
            checkpoint_id=checkpoint.id,
        )
    if not hmac.compare_digest(checkpoint.signature, _signature(checkpoint, key)):
        raise CheckpointTampered(
            f"checkpoint {checkpoint.id} does not match its signature: it was changed after it was made, or it "
            "was signed with another key (another store, or another Runtime(checkpoint_key=...)). Nothing was "
            "resumed; resume it with the store or key of the runtime that made it",
            checkpoint_id=checkpoint.id,
        )


def _signature(checkpoint: Checkpoint, key: bytes) -> str:
    from runlet.core.serialize import canonical_json, checkpoint_content

    digest = hmac.new(key, canonical_json(checkpoint_content(checkpoint)), hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}:{digest}"


# Stores


async def save_checkpoint(store: StateStore, checkpoint: Checkpoint) -> None:
    """Keep the checkpoint in the store's key-value space (session `runlet.checkpoints`, key: its id)."""
    await store.set_state(CHECKPOINTS_SESSION, checkpoint.id, checkpoint.to_json())


async def load_checkpoint(store: StateStore, checkpoint_id: str) -> Checkpoint:
    """A checkpoint kept by `save_checkpoint`; `KeyError` when there is none under that id."""
    value = await store.get_state(CHECKPOINTS_SESSION, checkpoint_id)
    if value is None:
        raise KeyError(f"no checkpoint {checkpoint_id!r} in this store")
    return Checkpoint.from_json(value)


async def checkpoint_resumed(store: StateStore, checkpoint_id: str) -> bool:
    """Whether a run has resumed from this checkpoint with this store."""
    return bool(await store.load(CLAIM_PREFIX + checkpoint_id))


async def claim_checkpoint(store: StateStore, checkpoint: Checkpoint, *, resumed_at: float) -> None:
    """Record, atomically, that the checkpoint is being resumed; `CheckpointConsumed` if it already was.

    The record is one message appended to session `runlet.checkpoint:<id>`
    with `expected_length=0`: the store's own check-and-append, so of two
    resumes racing (tasks or processes sharing the store) exactly one wins.
    `resumed_at` (seconds since the epoch, from the run's `Clock`) is kept in it.
    """
    marker = Message.system(json.dumps({"resumed_at": resumed_at, "run_id": checkpoint.run_id}))
    try:
        await store.append(CLAIM_PREFIX + checkpoint.id, (marker,), expected_length=0)
    except SessionConflict:
        raise CheckpointConsumed(
            f"checkpoint {checkpoint.id} of run {checkpoint.run_id} was already resumed; "
            "a checkpoint resumes once (resume the newest checkpoint of the run instead)",
            checkpoint_id=checkpoint.id,
        ) from None


def new_checkpoint_id() -> str:
    return os.urandom(16).hex()


def make_request(call: ToolCallPart, index: int, ask: HumanInputRequired | str, requested_by: str) -> HumanRequest:
    """The request for the `index`-th decision of `call` (a hook's reason, or what a tool raised).

    Its id is `<call id>/<index>/<digest>`, the digest a SHA-256 of the call's
    id, tool and arguments: a response names the request, and so the exact
    call it decides; it matches no other call.
    """
    bound = hashlib.sha256("\x00".join((call.call_id, call.name, call.arguments)).encode("utf-8", "surrogatepass"))
    request_id = f"{call.call_id}/{index}/{bound.hexdigest()[:24]}"
    if isinstance(ask, str):
        return ApprovalRequest(request_id, call, ask, requested_by)
    if ask.kind == "approval":
        return ApprovalRequest(request_id, call, ask.prompt, requested_by)
    return InputRequest(request_id, call, ask.prompt, ask.schema or {}, requested_by)


def response_detail(response: HumanResponse) -> str:
    """What a response says, for events: a rejection's reason, edited arguments or an answer as JSON."""
    if isinstance(response, Reject):
        return response.reason
    if isinstance(response, EditArguments):
        return json.dumps(response.arguments, ensure_ascii=False)
    if isinstance(response, Answer):
        return json.dumps(response.value, ensure_ascii=False)
    return ""
