"""docs/events.md against the code: the table of events is generated from `runlet.core.events`.

Regenerate the table after changing an event: `python tests/test_events_doc.py`.
The test fails while the file and the code disagree, and when a `type` string
changes or disappears (they are a stable interface: renaming one breaks users).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runlet.core import events as events_module
from runlet.core.events import EVENT_TYPES, Event, EventBase, payload_fields
from runlet.core.models import Usage
from runlet.sinks.logs import level_of

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "events.md"
BEGIN = "<!-- BEGIN GENERATED: python tests/test_events_doc.py -->"
END = "<!-- END GENERATED -->"

STABLE_TYPES = frozenset(
    {
        "run.started",
        "run.completed",
        "run.failed",
        "run.cancelled",
        "step.started",
        "step.completed",
        "model.requested",
        "model.completed",
        "model.failed",
        "model.retried",
        "model.stream.started",
        "model.stream.delta",
        "model.stream.partial_output",
        "model.stream.reasoning_delta",
        "model.stream.tool_call_delta",
        "model.stream.discarded",
        "model.stream.completed",
        "tool.started",
        "tool.completed",
        "tool.failed",
        "tool.timed_out",
        "tool.denied",
        "context.budget_checked",
        "context.compressed",
        "state.loaded",
        "state.saved",
        "hook.decided",
        "output.validation_failed",
        "policy.stopped",
        "human.requested",
        "human.responded",
        "run.suspended",
        "run.resumed",
        "agent.handoff",
    }
)
"""Every type string ever shipped. Removing one is a breaking change; add new ones here."""

USAGE_KEYS = ", ".join(f.name for f in dataclasses.fields(Usage))

# Annotation (as written in events.py) -> (JSON shape for the docs, a sample value).
SHAPES: dict[str, tuple[str, object]] = {
    "str": ("string", "text"),
    "int": ("integer", 3),
    "float": ("number", 1.5),
    "bool": ("boolean", True),
    "str | None": ("string or null", None),
    "Usage": (f"object: {USAGE_KEYS}", Usage(input_tokens=10, output_tokens=5, requests=1)),
    "tuple[str, ...]": ("array of strings", ("a", "b")),
    "JsonValue": ("any JSON value", {"key": ["value", 1]}),
    "FinishReason": (
        '"stop", "tool_calls", "length", "content_filter" or "other"',
        "stop",
    ),
    'Literal["replace", "veto"]': ('"replace" or "veto"', "veto"),
    'Literal["backoff", "retry-after"]': ('"backoff" or "retry-after"', "retry-after"),
    "tuple[Mapping[str, JsonValue], ...]": (
        "array of objects: kind, media_type, and size and sha256 (bytes) or url",
        ({"kind": "image", "media_type": "image/png", "size": 2048, "sha256": "9f86d081884c7d65"},),
    ),
}


@dataclasses.dataclass(frozen=True)
class FieldDoc:
    name: str
    annotation: str
    doc: str


@functools.cache
def _class_nodes() -> dict[str, ast.ClassDef]:
    tree = ast.parse(inspect.getsource(events_module))
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def _fields(node: ast.ClassDef) -> Iterator[FieldDoc]:
    """Annotated attributes of a class body, with the docstring that follows each (if any)."""
    body = node.body
    for index, statement in enumerate(body):
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        annotation = ast.unparse(statement.annotation).replace("'", '"')
        if annotation.startswith("ClassVar"):
            continue
        doc = ""
        following = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            doc = " ".join(following.value.value.split())
        yield FieldDoc(statement.target.id, annotation, doc)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def sample(cls: type[EventBase], **common: object) -> Event:
    """An instance of an event class with made-up values (for tests of sinks and docs)."""
    values: dict[str, object] = {
        "run_id": "run-1",
        "agent": "support",
        "step": 1,
        "seq": 0,
        "timestamp": 1_700_000_000.0,
        "span_id": "2",
        "parent_span_id": "1",
    }
    values.update(common)
    node = _class_nodes()[cls.__name__]
    for field in _fields(node):
        values[field.name] = SHAPES[field.annotation][1]
    event: Event = cls(**values)  # type: ignore[assignment]
    return event


def all_samples(**common: object) -> list[Event]:
    """One sample of every event class, in the order of the `Event` union."""
    return [sample(cls, **common) for cls in EVENT_TYPES]


def generate() -> str:
    """The generated part of docs/events.md."""
    nodes = _class_nodes()
    lines = [
        BEGIN,
        "",
        "| type | class | payload keys | log level | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for cls in EVENT_TYPES:
        keys = ", ".join(f"`{name}`" for name in payload_fields(cls)) or "(none)"
        level = logging.getLevelName(level_of(sample(cls)))
        doc = " ".join((cls.__doc__ or "").split())
        lines.append(f"| `{cls.type}` | `{cls.__name__}` | {keys} | {level} | {_cell(doc)} |")
    lines += ["", "### Payloads", ""]
    for cls in EVENT_TYPES:
        fields = list(_fields(nodes[cls.__name__]))
        lines.append(f"#### `{cls.type}`")
        lines.append("")
        if not fields:
            lines.append("No payload: `{}`.")
            lines.append("")
            continue
        lines.append("| key | JSON | notes |")
        lines.append("| --- | --- | --- |")
        for field in fields:
            shape = SHAPES[field.annotation][0]
            lines.append(f"| `{field.name}` | {_cell(shape)} | {_cell(field.doc)} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def _generated_part(text: str) -> str:
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), text, re.S)
    assert match is not None, f"{DOC} has no generated section between {BEGIN!r} and {END!r}"
    return match.group(0)


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(text.replace(_generated_part(text), generate()), encoding="utf-8")


# Tests


def test_doc_table_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert _generated_part(text) == generate(), (
        "docs/events.md is out of date with runlet.core.events: run `python tests/test_events_doc.py`"
    )


def test_every_field_annotation_has_a_documented_shape() -> None:
    nodes = _class_nodes()
    for cls in EVENT_TYPES:
        for field in _fields(nodes[cls.__name__]):
            assert field.annotation in SHAPES, f"{cls.__name__}.{field.name}: add {field.annotation!r} to SHAPES"
        assert [f.name for f in _fields(nodes[cls.__name__])] == list(payload_fields(cls))


def test_type_strings_are_stable_and_unique() -> None:
    types = [cls.type for cls in EVENT_TYPES]
    assert len(types) == len(set(types)), "two events share a type string"
    missing = STABLE_TYPES - set(types)
    assert not missing, f"type strings removed or renamed (a breaking change): {sorted(missing)}"
    new = set(types) - STABLE_TYPES
    assert not new, f"new event types: add them to STABLE_TYPES: {sorted(new)}"
    for name in types:
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", name), name


def test_every_event_class_is_in_the_union_and_the_doc() -> None:
    classes = {
        obj
        for obj in vars(events_module).values()
        if isinstance(obj, type) and issubclass(obj, EventBase) and obj is not EventBase
    }
    assert classes == set(EVENT_TYPES)
    text = DOC.read_text(encoding="utf-8")
    for cls in EVENT_TYPES:
        assert f"`{cls.type}`" in text


@pytest.mark.parametrize("event", all_samples(), ids=lambda event: event.type)
def test_payload_is_json_and_matches_the_documented_keys(event: Event) -> None:
    payload = event.payload
    assert list(payload) == list(payload_fields(type(event)))
    whole = json.loads(json.dumps(event.to_json()))
    assert whole["type"] == event.type
    assert whole["payload"] == json.loads(json.dumps(dict(payload)))
    assert set(whole) == {"type", "run_id", "agent", "step", "seq", "timestamp", "span_id", "parent_span_id", "payload"}
    assert dataclasses.is_dataclass(event)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.seq = 5  # type: ignore[misc]


if __name__ == "__main__":
    write()
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
