"""Event sinks: where a run's events go."""

from runlet.sinks.memory import MemorySink

__all__ = ["MemorySink"]
