"""`RedactingSink`: the redaction point. Scrub events before another sink sees them.

    def scrub(event: Event) -> Event:
        match event:
            case ToolCompleted(tool="lookup_customer"):
                return dataclasses.replace(event, result="[redacted]")
            case _:
                return event

    runtime = Runtime(sinks=[RedactingSink(JsonlSink("runs.jsonl"), scrub)])

Events are frozen: the function returns a changed copy (`dataclasses.replace`)
or the event itself, or `None` to drop the event for this inner sink only.
Other sinks of the runtime still see the original event. `redact_strings`
builds such a function from one that scrubs text (a regex for e-mail
addresses, say), applied to every text field of the payload.

Runlet never puts API keys or `Authorization` headers in events; this is for
the content of the conversation: user input, model text, tool arguments and
results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

from runlet.core.events import Event, EventSink, payload_fields


class RedactingSink:
    """Passes each event through `redact` and gives the result (unless `None`) to `inner`."""

    def __init__(self, inner: EventSink, redact: Callable[[Event], Event | None]) -> None:
        self.inner = inner
        self.redact = redact

    def emit(self, event: Event) -> Awaitable[None] | None:
        """Scrub the event, then hand it on (awaitable if the inner sink is async)."""
        scrubbed = self.redact(event)
        if scrubbed is None:
            return None
        return self.inner.emit(scrubbed)

    def __repr__(self) -> str:
        return f"RedactingSink({self.inner!r})"


def redact_strings(scrub: Callable[[str], str]) -> Callable[[Event], Event]:
    """A `redact` function that applies `scrub` to every text in an event's own fields.

    Strings, and strings inside tuples, lists and mappings (a structured run
    output, say), are scrubbed; the common fields (`run_id`, `agent`, ...) are
    left alone. The event is returned as is when nothing changed.
    """

    def redact(event: Event) -> Event:
        changes: dict[str, Any] = {}  # field values of the event's own class
        for name in payload_fields(type(event)):
            value: object = getattr(event, name)
            scrubbed = _scrub(value, scrub)
            if scrubbed is not value:
                changes[name] = scrubbed
        return dataclasses.replace(event, **changes) if changes else event

    return redact


def _scrub(value: object, scrub: Callable[[str], str]) -> object:
    """`value` with its strings scrubbed; `value` itself (the same object) when nothing changed."""
    if isinstance(value, str):
        cleaned = scrub(value)
        return value if cleaned == value else cleaned
    if isinstance(value, (tuple, list)):
        items = cast("Sequence[object]", value)
        cleaned_items = [_scrub(item, scrub) for item in items]
        if all(a is b for a, b in zip(cleaned_items, items)):
            return items
        return tuple(cleaned_items) if isinstance(value, tuple) else cleaned_items
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        cleaned_map = {key: _scrub(item, scrub) for key, item in mapping.items()}
        if all(cleaned_map[key] is item for key, item in mapping.items()):
            return mapping
        return cleaned_map
    return value
