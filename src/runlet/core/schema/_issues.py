"""Validation problems and JSON values as messages show them: issues with their paths, JSON kinds, short forms."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from runlet.core.errors import ValidationError, ValidationIssue
from runlet.core.json import JsonValue


class Issue:
    """A problem found during validation; `rpath` is the path in reverse order."""

    __slots__ = ("message", "rpath")

    def __init__(self, message: str, rpath: list[str | int] | None = None) -> None:
        self.message = message
        self.rpath: list[str | int] = rpath if rpath is not None else []


def prefix_issues(issues: list[Issue], start: int, key: str | int) -> None:
    """Put `key` in front of the paths of the issues from `start` on (they were found inside `key`)."""
    for index in range(start, len(issues)):
        issues[index].rpath.append(key)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def format_path(rpath: Iterable[str | int]) -> str:
    """A reversed path as messages show it: ``items[2].name``."""
    out = ""
    for key in reversed(list(rpath)):
        if isinstance(key, int):
            out += f"[{key}]"
        elif _IDENTIFIER.match(key):
            out += f".{key}" if out else key
        else:
            out += f"[{json.dumps(key, ensure_ascii=False)}]"
    return out


def to_validation_error(issues: list[Issue]) -> ValidationError:
    """The `ValidationError` listing `issues`."""
    return ValidationError([ValidationIssue(format_path(i.rpath), i.message) for i in issues])


def _short_str(text: str) -> str:
    if len(text) > 60:
        return repr(text[:57]) + "..."
    return repr(text)


def got(value: object) -> str:
    """The value as an error message shows it: its JSON kind and a short form."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean true" if value else "boolean false"
    if isinstance(value, int):
        return f"integer {_short_num(value)}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {_short_str(value)}"
    if isinstance(value, (list, tuple)):
        count = len(cast("list[object]", value))
        return f"array of {count} item{'' if count == 1 else 's'}"
    if isinstance(value, Mapping):
        return "object"
    return f"a Python {type(value).__name__}"


def _short_num(value: int) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:27] + "..."


def show(value: object) -> str:
    """A JSON scalar as messages quote it: 'text', 5, true, null."""
    if isinstance(value, enum.Enum):
        value = cast(object, value.value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _short_num(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _short_str(value)
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return f"a Python {type(value).__name__}"


ALL_KINDS = frozenset({"null", "boolean", "integer", "number", "string", "array", "object", "other"})
NUMBER_KINDS = frozenset({"integer", "number"})


def json_kind(value: object) -> str:
    """The JSON kind of `value` (``"other"`` for what JSON has not)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "other"


def json_array(value: JsonValue | None) -> list[JsonValue] | None:
    """`value` as a list when it is a JSON array (a schema's ``"required"``, ``"anyOf"``, ...)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return None
