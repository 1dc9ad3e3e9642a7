"""`MemorySink`: keeps every event in a list, for tests and inspection."""

from __future__ import annotations

from typing import TypeVar

from runlet.core.events import Event, EventBase

E = TypeVar("E", bound=EventBase)


class MemorySink:
    """Records events in order. `of_type` and `types` help assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        """Keep the event."""
        self.events.append(event)

    def of_type(self, cls: type[E]) -> list[E]:
        """The events of one class: `sink.of_type(ToolCompleted)`."""
        return [event for event in self.events if isinstance(event, cls)]

    def types(self) -> list[str]:
        """The `type` strings of all events, in order."""
        return [event.type for event in self.events]

    def clear(self) -> None:
        """Forget all events."""
        self.events.clear()
