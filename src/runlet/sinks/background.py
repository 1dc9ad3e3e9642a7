"""`BackgroundSink`: runs a slow sink on a worker thread so it never stalls a run.

    sink = BackgroundSink(JsonlSink("/mnt/nfs/runs.jsonl"))
    runtime = Runtime(sinks=[sink])
    ...
    sink.close()        # waits for the queued events, then stops the thread

`emit` only puts the event on a bounded queue: it never blocks the event loop.
The inner sink sees the events in order, on one thread (an async inner sink is
awaited on the worker's own event loop). If the queue is full the event is
dropped and counted in `dropped`; if the inner sink raises, the failure is
logged once and the inner sink gets no more events.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Awaitable
from types import TracebackType
from typing import Union

from typing_extensions import TypeAlias

from runlet.core.events import Event, EventSink

logger: logging.Logger = logging.getLogger("runlet.sinks")

_Item: TypeAlias = Union[Event, None]
"""An event, or `None` to stop the worker."""


class BackgroundSink:
    """Hands events to an inner sink on a worker thread, through a bounded queue."""

    def __init__(self, inner: EventSink, *, max_queue: int = 10_000) -> None:
        """`max_queue`: events that may wait; beyond that new events are dropped (see `dropped`)."""
        self.inner = inner
        self.dropped: int = 0
        """Events dropped because the queue was full or the sink was closed."""
        self._queue: queue.Queue[_Item] = queue.Queue(max_queue)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failed = False

    def emit(self, event: Event) -> None:
        """Queue the event for the worker; never blocks."""
        if self._closed:
            self.dropped += 1
            return
        if self._thread is None:
            self._start()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the queued events have been handled; `False` if `timeout` ran out first."""
        if self._thread is None:
            return True
        pending = self._queue
        with pending.all_tasks_done:
            return pending.all_tasks_done.wait_for(lambda: pending.unfinished_tasks == 0, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Handle the queued events, then stop the worker. Later events are dropped."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._work, name=f"runlet-{self!r}", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while True:
                item = self._queue.get()
                try:
                    if item is None:
                        return
                    if not self._failed:
                        self._handle(loop, item)
                finally:
                    self._queue.task_done()
        finally:
            loop.close()

    def _handle(self, loop: asyncio.AbstractEventLoop, event: Event) -> None:
        try:
            pending = self.inner.emit(event)
            if pending is not None:
                loop.run_until_complete(_wait(pending))
        except Exception:
            self._failed = True
            logger.exception("event sink %r raised on %s; it gets no more events", self.inner, event.type)

    def __enter__(self) -> BackgroundSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BackgroundSink({self.inner!r})"


async def _wait(pending: Awaitable[None]) -> None:
    await pending
