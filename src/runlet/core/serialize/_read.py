"""Reading JSON documents: the envelope of a format and version, fields of the types they must have."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from runlet.core.state import StateFormatError, UnsupportedStateVersion

def envelope(value: object, format: str, newest: int, what: str) -> dict[str, object]:
    obj = json_object(value, f"a {what}")
    if obj.get("format") != format:
        raise StateFormatError(f'not a runlet {what} (no "format": "{format}")')
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateFormatError(f"a runlet {what} has an invalid version {version!r}")
    if version > newest:
        raise UnsupportedStateVersion(f"this {what}", found=version, supported=newest)
    return obj


def json_object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise StateFormatError(f"{what} must be a JSON object, not {kind_of(value)}")
    return cast("dict[str, object]", value)


def exact_fields(obj: Mapping[str, object], keys: frozenset[str], what: str) -> None:
    if keys.symmetric_difference(obj):
        missing = sorted(keys - obj.keys())
        extra = sorted(obj.keys() - keys)
        raise StateFormatError(
            f"{what} has the wrong fields" + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else "")
        )


def string_field(obj: Mapping[str, object], name: str, what: str = "a run state") -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise StateFormatError(f"{what}'s {name} must be a string, not {kind_of(value)}")
    return value


def optional_string_field(obj: Mapping[str, object], name: str) -> str | None:
    return None if obj[name] is None else string_field(obj, name)


def int_field(obj: Mapping[str, object], name: str, what: str = "a run state") -> int:
    value = obj[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise StateFormatError(f"{what}'s {name} must be an integer, not {kind_of(value)}")
    return value


def number_field(obj: Mapping[str, object], name: str) -> float:
    value = obj[name]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise StateFormatError(f"a checkpoint's {name} must be a number, not {kind_of(value)}")
    return float(value)


def list_field(obj: Mapping[str, object], name: str, what: str = "a run state") -> list[object]:
    value = obj[name]
    if not isinstance(value, list):
        raise StateFormatError(f"{what}'s {name} must be an array, not {kind_of(value)}")
    return cast("list[object]", value)


def kind_of(value: object) -> str:
    return "null" if value is None else type(value).__name__
