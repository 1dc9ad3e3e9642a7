"""Names that live elsewhere, or no longer exist, are not importable from the old places."""

from __future__ import annotations

from runlet import Decision  # expect-error
from runlet import Event  # expect-error
from runlet import OutputValidationFailed  # expect-error
from runlet import Provider  # expect-error
from runlet import StateStore  # expect-error
from runlet.core.errors import RunCancelled  # expect-error
from runlet.events import RunInterrupted  # expect-error
from runlet.stores import SessionConflict  # expect-error
