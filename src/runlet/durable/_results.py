"""A run's input and its result as JSON, the form in which a durable engine records and returns them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from typing_extensions import TypeForm

from runlet.core.json import JsonValue
from runlet.core.messages import Message
from runlet.core.models import ModelSettings
from runlet.core.output import OutputSpec
from runlet.core.schema import adapter_for
from runlet.core.serialize import (
    message_from_json,
    message_to_json,
    settings_from_json,
    settings_to_json,
    usage_from_json,
    usage_to_json,
)
from runlet.core.state import validate_session_id
from runlet.durable._boundary import Payload
from runlet.runtime import RunResult


def input_messages(input: str | Sequence[Message]) -> tuple[Message, ...]:
    """A run's input as messages, as `Runtime.run` takes it."""
    return (Message.user(input),) if isinstance(input, str) else tuple(input)


def start_payload(
    input: str | Sequence[Message], deps: JsonValue, session: str | None, settings: ModelSettings | None
) -> Payload:
    """A run's input as the engine records it: messages, deps, session, settings; a session name a store would refuse is an error now."""
    start: Payload = {"input": [message_to_json(m) for m in input_messages(input)], "deps": deps}
    if session is not None:
        start["session"] = validate_session_id(session)
    if settings is not None:
        start["settings"] = settings_to_json(settings)
    return start


def start_settings(start: Mapping[str, Any]) -> ModelSettings | None:
    """The run's settings from `start_payload`'s JSON."""
    return settings_from_json(start["settings"]) if "settings" in start else None


def result_to_json(output_type: TypeForm[Any], result: RunResult[Any]) -> Payload:
    """The result as JSON: the output dumped by its type, the conversation, usage, ids."""
    return {
        "output": OutputSpec(output_type).dump(result.output),
        "history": [message_to_json(m) for m in result.messages[: len(result.messages) - len(result.new_messages)]],
        "new": [message_to_json(m) for m in result.new_messages],
        "usage": usage_to_json(result.usage),
        "run_id": result.run_id,
        "steps": result.steps,
    }


def result_from_json(output_type: TypeForm[Any], value: Mapping[str, Any]) -> RunResult[Any]:
    """The result of `result_to_json`, its output validated into `output_type` again."""
    output: object = value["output"] if output_type is str else adapter_for(output_type).validate(value["output"])
    history = tuple(message_from_json(m) for m in cast("list[object]", value["history"]))
    new = tuple(message_from_json(m) for m in cast("list[object]", value["new"]))
    return RunResult(output, (*history, *new), new, usage_from_json(value["usage"]), value["run_id"], value["steps"])
