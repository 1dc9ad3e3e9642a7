"""The pass-through of `ModelRequest.options[<provider>]` to an SDK's create method.

Every shipped provider follows the same rules: `extra_headers`, `extra_query`,
`extra_body` and `timeout` become the SDK's per-request options, every other
key is an API parameter of the method and wins over what the provider derived
from the request, and a key the method does not take raises `UserError`.
One exception: `tools` never replaces the agent's tools. The tools it lists
are added after them (hosted tools, which the API runs itself), and a
function tool in it is refused: Runlet could not run it, so it belongs in
`Agent(tools=...)`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import cast

from runlet.core._frozen import frozen
from runlet.core.errors import UserError

SDK_REQUEST_OPTIONS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})
"""Per-request options both SDKs take besides the API parameters."""


@frozen
class CallOptions:
    """The SDK's per-request options taken from `options[<provider>]`."""

    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: float | None = None
    has_timeout: bool = False


@frozen
class ToolsOption:
    """How an API tells the tools the application runs from those it runs itself, to merge `options[<key>]["tools"]`."""

    function_types: frozenset[str]
    """The `type` of tools the application would run (function and custom tools): refused in the options."""
    untyped_is_function: bool
    """Whether a tool without a `type` is one (Anthropic's custom tools have none)."""
    hosted_example: str
    """A hosted tool of the API, for the error messages, such as `{"type": "web_search"}`."""


def api_parameters(method: Callable[..., object]) -> frozenset[str]:
    """The API parameters an SDK method takes (its keyword arguments but the request options)."""
    return frozenset(inspect.signature(method).parameters) - SDK_REQUEST_OPTIONS - {"stream", "self"}


def apply_options(
    raw: Mapping[str, object] | None,
    body: dict[str, object],
    *,
    key: str,
    parameters: frozenset[str],
    method: str,
    tools: ToolsOption,
    merge: frozenset[str] = frozenset(),
    replaces: Mapping[str, str] | None = None,
) -> CallOptions:
    """Apply `options[key]` to the request `body` and return the SDK's request options.

    `extra_headers`, `extra_query`, `extra_body` and `timeout` become the SDK's
    request options; every other key must be an API parameter of `method`
    (listed in `parameters`) and wins over what the provider derived. A key in
    `merge` given as a mapping is merged over the derived mapping; a key of
    `replaces` drops the derived parameter it names (`max_completion_tokens`
    replaces `max_tokens`). `tools` is added to the derived tools, by the
    rules of `tools` (`merge_tools`). `stream` is refused.
    """
    if raw is None:
        return CallOptions()
    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: float | None = None
    has_timeout = False
    for name, value in raw.items():
        if name == "extra_headers":
            extra_headers = _string_mapping(value, key, name)
        elif name == "extra_query":
            extra_query = _object_mapping(value, key, name)
        elif name == "extra_body":
            extra_body = _object_mapping(value, key, name)
        elif name == "timeout":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise UserError(f'options["{key}"]["timeout"] must be a number of seconds or None')
            timeout, has_timeout = value, True
        elif name == "stream":
            raise UserError(f'options["{key}"]["stream"] is not allowed: call provider.stream() to stream')
        elif name == "tools" and name in parameters:
            merged = merge_tools(body.get("tools"), value, key=key, rule=tools)
            if merged:
                body["tools"] = merged
        elif name in parameters:
            previous = body.get(name)
            if name in merge and isinstance(previous, dict) and isinstance(value, Mapping):
                body[name] = {**cast("dict[str, object]", previous), **cast("Mapping[str, object]", value)}
            else:
                body[name] = value
            if replaces is not None and name in replaces:
                body.pop(replaces[name], None)
        else:
            raise UserError(
                f'options["{key}"] has unknown key {name!r}: {method} does not take it; '
                'put API fields the SDK does not know under "extra_body"'
            )
    return CallOptions(extra_headers, extra_query, extra_body, timeout, has_timeout)


def _string_mapping(value: object, key: str, name: str) -> Mapping[str, str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        if all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            return cast("Mapping[str, str]", mapping)
    raise UserError(f'options["{key}"][{name!r}] must be a mapping of strings to strings')


def _object_mapping(value: object, key: str, name: str) -> Mapping[str, object] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        if all(isinstance(k, str) for k in mapping):
            return cast("Mapping[str, object]", mapping)
    raise UserError(f'options["{key}"][{name!r}] must be a mapping with string keys')


def merge_tools(derived: object, given: object, *, key: str, rule: ToolsOption) -> list[object]:
    """The request's tools: those derived from the agent's, then the hosted tools of `options[key]["tools"]`.

    Raises `UserError` for a value that is not a list of tool objects, for a
    function tool (which Runlet could not run: it belongs in `Agent(tools=...)`),
    and for a name the agent's tools already use.
    """
    where = f'options["{key}"]["tools"]'
    own = list(cast("list[object]", derived)) if isinstance(derived, list) else []
    if given is None:
        return own
    if not isinstance(given, (list, tuple)):
        raise UserError(f"{where} must be a list of hosted tools, such as [{rule.hosted_example}]")
    taken = {name for name in map(_tool_name, own) if name}
    hosted: list[object] = []
    for tool in cast("list[object] | tuple[object, ...]", given):
        if not isinstance(tool, Mapping):
            raise UserError(f"{where} must be a list of tool objects, such as [{rule.hosted_example}]; got {tool!r}")
        entry = cast("Mapping[str, object]", tool)
        kind = entry.get("type")
        name = _tool_name(entry)
        if kind in rule.function_types or (kind is None and rule.untyped_is_function):
            raise UserError(
                f"{where} holds a function tool ({name or kind!r}) that Runlet could not run: give it to the "
                "agent (Agent(tools=...), with @tool), which sends it and runs its calls. "
                f"{where} is for hosted tools the API runs itself, such as {rule.hosted_example}; "
                "they are sent with the agent's tools, never instead of them"
            )
        if name and name in taken:
            raise UserError(
                f"{where} has a tool named {name!r}, and so has the agent: tool names must be unique in a "
                "request; rename one of them"
            )
        if name:
            taken.add(name)
        hosted.append(dict(entry))
    return [*own, *hosted]


def _tool_name(tool: object) -> str:
    """A tool's name as the APIs put it: `name`, or `function.name` (Chat Completions)."""
    if not isinstance(tool, Mapping):
        return ""
    entry = cast("Mapping[str, object]", tool)
    name = entry.get("name")
    function = entry.get("function")
    if not isinstance(name, str) and isinstance(function, Mapping):
        name = cast("Mapping[str, object]", function).get("name")
    return name if isinstance(name, str) else ""
