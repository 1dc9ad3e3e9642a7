"""Event sinks: where a run's events go.

- `MemorySink`: keeps events in a list (tests, inspection).
- `JsonlSink`: one JSON object per line, to a file or a text stream.
- `LoggingSink`: stdlib `logging` records, levels by kind of event.
- `ConsoleSink`: a compact human-readable trace.
- `RedactingSink`: scrubs events before an inner sink sees them (`redact_strings` helps).
- `BackgroundSink`: runs a slow sink on a worker thread.

The OpenTelemetry sink needs the `otel` extra and is imported on its own:
`from runlet.sinks.otel import OpenTelemetrySink`.
"""

from runlet.sinks.background import BackgroundSink
from runlet.sinks.console import ConsoleSink
from runlet.sinks.jsonl import JsonlSink
from runlet.sinks.logs import LoggingSink, level_of
from runlet.sinks.memory import MemorySink
from runlet.sinks.redact import RedactingSink, redact_strings

__all__ = [
    "BackgroundSink",
    "ConsoleSink",
    "JsonlSink",
    "LoggingSink",
    "MemorySink",
    "RedactingSink",
    "level_of",
    "redact_strings",
]
