"""The pass-through of `ModelRequest.options[<provider>]` to an SDK's create method.

Every shipped provider follows the same rules: `extra_headers`, `extra_query`,
`extra_body` and `timeout` become the SDK's per-request options, every other
key is an API parameter of the method and wins over what the provider derived
from the request, and a key the method does not take raises `UserError`.
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
    merge: frozenset[str] = frozenset(),
    replaces: Mapping[str, str] | None = None,
) -> CallOptions:
    """Apply `options[key]` to the request `body` and return the SDK's request options.

    `extra_headers`, `extra_query`, `extra_body` and `timeout` become the SDK's
    request options; every other key must be an API parameter of `method`
    (listed in `parameters`) and wins over what the provider derived. A key in
    `merge` given as a mapping is merged over the derived mapping; a key of
    `replaces` drops the derived parameter it names (`max_completion_tokens`
    replaces `max_tokens`). `stream` is refused.
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
