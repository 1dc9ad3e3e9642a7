"""Mistakes with events and sinks that the type checkers must reject."""

from __future__ import annotations

from typing_extensions import assert_never

from runlet import Runtime
from runlet.events import Event, RunCompleted, RunStarted, ToolCompleted
from runlet.sinks import MemorySink, RedactingSink


class WrongArgument:
    def emit(self, event: str) -> None:
        pass


class NoEmit:
    def send(self, event: Event) -> None:
        pass


class WrongReturn:
    def emit(self, event: Event) -> int:
        return 1


Runtime(sinks=[WrongArgument()])  # expect-error
Runtime(sinks=[NoEmit()])  # expect-error
Runtime(sinks=[WrongReturn()])  # expect-error


def forgets_members(event: Event) -> str:
    match event:
        case RunStarted() | RunCompleted():
            return "run"
        case _:
            assert_never(event)  # expect-error


memory = MemorySink()
completed: list[RunStarted] = memory.of_type(ToolCompleted)  # expect-error
memory.of_type(str)  # expect-error


def touch(event: ToolCompleted) -> None:
    event.result = "changed"  # expect-error
    event.payload["tool"] = "x"  # expect-error


def bad_redact(event: Event) -> str:
    return event.type


RedactingSink(memory, bad_redact)  # expect-error


# Names that are imported on first use at run time are still checked statically.
import runlet  # noqa: E402

misspelt_event: object = runlet.Evnt  # expect-error
misspelt_sink: object = runlet.core.EventSnk  # expect-error
