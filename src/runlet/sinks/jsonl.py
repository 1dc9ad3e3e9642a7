"""`JsonlSink`: one JSON object per event, one event per line.

    sink = JsonlSink("runs.jsonl")
    runtime = Runtime(sinks=[sink])

Each line is `event.to_json()`: `type`, `run_id`, `agent`, `step`, `seq`,
`timestamp`, `span_id`, `parent_span_id` and `payload`.

Cost on the event loop: serialising the event, then one `write` of the whole
line. Given a path, the file is opened unbuffered in append mode, so each line
reaches the operating system in a single `write` call and no flush is needed;
given an open text stream, the line is written and the stream flushed. Either
way a lock makes the write-and-flush atomic, so lines never interleave between
asyncio tasks or threads sharing the sink; with a path, several processes may
append to the same local file too. That is fast on a local disk; for a slow
target (network file system, pipe that may fill) wrap the sink in
`BackgroundSink`, which moves the writes to a worker thread.
"""

from __future__ import annotations

import json
import os
import threading
from types import TracebackType
from typing import IO

from runlet.core.events import Event


class JsonlSink:
    """Writes every event as one line of JSON to a file (appending) or to an open text stream."""

    def __init__(self, target: str | os.PathLike[str] | IO[str]) -> None:
        """`target`: a path, opened in append mode (and closed by `close`), or an open text stream (left open)."""
        self._lock = threading.Lock()
        self._raw: IO[bytes] | None = None
        self._text: IO[str] | None = None
        if isinstance(target, (str, os.PathLike)):
            self._raw = open(target, "ab", buffering=0)  # noqa: SIM115  # closed by close()
            self.path: str | None = os.fspath(target)
        else:
            self._text = target
            self.path = None

    def emit(self, event: Event) -> None:
        """Write the event as one line and make sure it left the process's buffers."""
        line = json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self._raw is not None:
                data = line.encode("utf-8")
                while data:
                    written = self._raw.write(data)
                    if not written:
                        raise OSError(f"could not write to {self.path}")
                    data = data[written:]
            elif self._text is not None:
                self._text.write(line)
                self._text.flush()
            else:
                raise ValueError("JsonlSink is closed")

    def close(self) -> None:
        """Close the file this sink opened; a stream it was given stays open. Later events raise."""
        with self._lock:
            if self._raw is not None:
                self._raw.close()
            self._raw = None
            self._text = None

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JsonlSink({self.path!r})" if self.path is not None else f"JsonlSink({self._text!r})"
