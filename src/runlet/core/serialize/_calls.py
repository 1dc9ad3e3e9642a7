"""Model calls as a durable engine records them: an activity's or a step's input and output."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from runlet.core.hosted import HOSTED_TOOLS, HostedTool
from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import MediaPart
from runlet.core.models import FinishReason, ModelRequest, ModelResponse, ModelSettings, OutputSchema, ToolDefinition, UseTool
from runlet.core.state import StateFormatError
from runlet.core.serialize._messages import decode_media, encode_media, message_to_json, messages_field, part_from_json, part_to_json
from runlet.core.serialize._runs import usage_from_json, usage_to_json
from runlet.core.serialize._read import exact_fields, int_field, json_object, list_field, string_field

# Model calls, as a durable engine records them (an activity's or a step's input and output)

_FINISH_REASONS: frozenset[str] = frozenset(("stop", "tool_calls", "length", "content_filter", "other"))


def model_request_to_json(request: ModelRequest) -> dict[str, JsonValue]:
    """A model request as one JSON object; `TypeError` when its options are not JSON."""
    options = json.loads(json.dumps(request.options, allow_nan=False))  # refuses what is not JSON, at once
    obj: dict[str, JsonValue] = {
        "messages": [message_to_json(m) for m in request.messages],
        "tools": [
            {"name": t.name, "description": t.description, "parameters": t.parameters, "strict": t.strict}
            for t in request.tools
        ],
        "output": None
        if request.output is None
        else {"name": request.output.name, "schema": request.output.schema, "strict": request.output.strict},
        "max_output_tokens": request.max_output_tokens,
        "options": cast(JsonValue, options),
    }
    if request.settings != ModelSettings():  # written only when set, so a request without them reads as before
        obj["settings"] = settings_to_json(request.settings)
    if request.hosted_tools:
        obj["hosted_tools"] = [_hosted_to_json(t) for t in request.hosted_tools]
    return obj


def model_request_from_json(value: object) -> ModelRequest:
    """A model request from `model_request_to_json`; `StateFormatError` when it is not one."""
    what = "a model request"
    obj = json_object(value, what)
    optional = frozenset(("settings", "hosted_tools")) & obj.keys()
    exact_fields(obj, frozenset(("messages", "tools", "output", "max_output_tokens", "options")) | optional, what)
    tools: list[ToolDefinition] = []
    for item in list_field(obj, "tools", what):
        tool = json_object(item, "a tool definition")
        exact_fields(tool, frozenset(("name", "description", "parameters", "strict")), "a tool definition")
        parameters = cast(JsonObject, json_object(tool["parameters"], "a tool's parameters"))
        tools.append(ToolDefinition(string_field(tool, "name", what), string_field(tool, "description", what), parameters, tool["strict"] is True))
    output: OutputSchema | None = None
    if obj["output"] is not None:
        schema = json_object(obj["output"], "an output schema")
        exact_fields(schema, frozenset(("name", "schema", "strict")), "an output schema")
        body = cast(JsonObject, json_object(schema["schema"], "an output schema"))
        output = OutputSchema(string_field(schema, "name", what), body, schema["strict"] is True)
    limit = obj["max_output_tokens"]
    options = cast("dict[str, Mapping[str, object]]", json_object(obj["options"], "a model request's options"))
    return ModelRequest(
        messages=messages_field(obj, "messages"),
        tools=tools,
        output=output,
        max_output_tokens=None if limit is None else int_field(obj, "max_output_tokens", what),
        options=options,
        settings=settings_from_json(obj["settings"]) if "settings" in obj else ModelSettings(),
        hosted_tools=tuple(_hosted_from_json(t) for t in list_field(obj, "hosted_tools", what)) if "hosted_tools" in obj else (),
    )


def settings_to_json(settings: ModelSettings) -> dict[str, JsonValue]:
    """The settings that are set (not `None`); a `UseTool` choice as `{"tool": name}`, `stop` as an array."""
    obj: dict[str, JsonValue] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is None:
            continue
        if isinstance(value, UseTool):
            obj[field.name] = {"tool": value.name}
        elif field.name == "stop":
            obj[field.name] = list(cast("Sequence[str]", value))
        else:
            obj[field.name] = cast(JsonValue, value)
    return obj


def settings_from_json(value: object) -> ModelSettings:
    """The settings of `settings_to_json`; `StateFormatError` naming what does not fit."""
    what = "a model request's settings"
    obj = json_object(value, what)
    names = {field.name for field in dataclasses.fields(ModelSettings)}
    unknown = sorted(obj.keys() - names)
    if unknown:
        raise StateFormatError(f"{what} has unknown fields {unknown}")
    given: dict[str, Any] = dict(obj)
    choice = given.get("tool_choice")
    if isinstance(choice, dict):
        given["tool_choice"] = UseTool(string_field(cast("dict[str, object]", choice), "tool", "a tool choice"))
    elif choice is not None and choice not in ("auto", "none", "required"):
        raise StateFormatError(f'a tool choice must be "auto", "none", "required" or {{"tool": name}}, not {choice!r}')
    if "stop" in given:
        given["stop"] = tuple(str(s) for s in list_field(obj, "stop", what))
    try:
        return ModelSettings(**given)
    except (TypeError, ValueError) as error:
        raise StateFormatError(f"{what} are not valid: {error}") from None


_HOSTED_CLASSES: dict[str, type[HostedTool]] = {cls.name: cls for cls in HOSTED_TOOLS}


def _hosted_to_json(tool: HostedTool) -> dict[str, JsonValue]:
    """A hosted tool as `{"name": ..., <its fields>}`, sequences as arrays."""
    obj: dict[str, JsonValue] = {"name": tool.name}
    for field in dataclasses.fields(tool):
        value: object = getattr(tool, field.name)
        obj[field.name] = list(cast("tuple[str, ...]", value)) if isinstance(value, tuple) else cast(JsonValue, value)
    return obj


def _hosted_from_json(value: object) -> HostedTool:
    obj = json_object(value, "a hosted tool")
    name = obj.get("name")
    cls = _HOSTED_CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise StateFormatError(f"unknown hosted tool {name!r}")
    fields: dict[str, Any] = {k: v for k, v in obj.items() if k != "name"}
    try:
        return cls(**fields)
    except (TypeError, ValueError) as error:
        raise StateFormatError(f"a hosted tool {name!r} is not valid: {error}") from None


def media_to_json(part: MediaPart) -> dict[str, JsonValue]:
    """A media part as JSON (its bytes in base64), as a message's parts keep it."""
    return encode_media(part)


def media_from_json(value: object) -> MediaPart:
    """A media part from `media_to_json`; `StateFormatError` when it is not one."""
    return decode_media(value)


def model_response_to_json(response: ModelResponse) -> dict[str, JsonValue]:
    """A model response as one JSON object."""
    return {
        "parts": [part_to_json(p) for p in response.parts],
        "usage": usage_to_json(response.usage),
        "finish_reason": response.finish_reason,
        "model": response.model,
        "response_id": response.response_id,
    }


def model_response_from_json(value: object) -> ModelResponse:
    """A model response from `model_response_to_json`; `StateFormatError` when it is not one."""
    what = "a model response"
    obj = json_object(value, what)
    exact_fields(obj, frozenset(("parts", "usage", "finish_reason", "model", "response_id")), what)
    finish = string_field(obj, "finish_reason", what)
    if finish not in _FINISH_REASONS:
        raise StateFormatError(f"unknown finish reason {finish!r}")
    return ModelResponse(
        parts=tuple(part_from_json(p) for p in list_field(obj, "parts", what)),
        usage=usage_from_json(obj["usage"]),
        finish_reason=cast(FinishReason, finish),
        model=string_field(obj, "model", what),
        response_id=string_field(obj, "response_id", what),
    )
