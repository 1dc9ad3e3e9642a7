"""`MemorySink`: keeps every event in a list, for tests and inspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from runlet.core.events import Event, EventBase

E = TypeVar("E", bound=EventBase)


class MemorySink:
    """Records events in order. `of_type`, `types`, `for_run`, `where` and `last` help assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        """Keep the event."""
        self.events.append(event)

    def of_type(self, cls: type[E]) -> list[E]:
        """The events of one class: `sink.of_type(ToolCompleted)`."""
        return [event for event in self.events if isinstance(event, cls)]

    def last(self, cls: type[E]) -> E | None:
        """The latest event of one class, or `None` if there is none."""
        for event in reversed(self.events):
            if isinstance(event, cls):
                return event
        return None

    def types(self) -> list[str]:
        """The `type` strings of all events, in order."""
        return [event.type for event in self.events]

    def for_run(self, run_id: str) -> list[Event]:
        """The events of one run (a sink shared by several runs sees them interleaved)."""
        return [event for event in self.events if event.run_id == run_id]

    def run_ids(self) -> list[str]:
        """The ids of the runs seen, in the order they started."""
        return list(dict.fromkeys(event.run_id for event in self.events))

    def where(self, predicate: Callable[[Event], bool]) -> list[Event]:
        """The events for which `predicate` is true."""
        return [event for event in self.events if predicate(event)]

    def clear(self) -> None:
        """Forget all events."""
        self.events.clear()
