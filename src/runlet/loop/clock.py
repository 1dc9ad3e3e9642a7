"""The seam through which a run reads time and draws ids and jitter.

The loop never reads the wall clock, the monotonic clock or a random source
itself: it asks the runtime's `Clock`. `SystemClock` (the default) reads the
operating system. A durable-execution integration replaces it with one its
engine replays the same way every time (Temporal's workflow time and seeded
random), so that the loop stays deterministic inside workflow code.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from runlet.core._frozen import frozen

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Time, ids and jitter for one run: event timestamps, deadlines, durations, run and checkpoint ids, retry delays."""

    def time(self) -> float:
        """Seconds since the epoch (event timestamps, a checkpoint's `created_at`)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (deadlines, timeouts, durations)."""
        ...

    def new_id(self) -> str:
        """A new unique id: 32 hex digits (run ids, checkpoint ids)."""
        ...

    def uniform(self, low: float, high: float) -> float:
        """A random number between `low` and `high` (retry jitter)."""
        ...


@frozen
class SystemClock:
    """The operating system's clocks and random source."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def new_id(self) -> str:
        return os.urandom(16).hex()  # 128 random bits, as a uuid4 (whose module imports `platform`)

    def uniform(self, low: float, high: float) -> float:
        import random  # only a retry draws jitter: `import runlet` does not load the module

        return random.uniform(low, high)
