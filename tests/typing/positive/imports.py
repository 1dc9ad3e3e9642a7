"""Names read from their homes, including those exported on first use, and the 0.2 README's deep paths."""

from __future__ import annotations

from collections.abc import Sequence

from typing_extensions import assert_type

import runlet
from runlet import Checkpoint, HumanResponse, Message, ModelRequest, OutputValidationError, RunInterrupted, Runtime
from runlet.budget import TokenBudgeter
from runlet.core import Message as CoreMessage  # the 0.2.0a1 README's imports, as written there
from runlet.core.models import ModelRequest as CoreModelRequest
from runlet.events import Event, RunSuspended
from runlet.providers import Provider, TextDelta
from runlet.sinks import OpenTelemetrySink
from runlet.stores import SQLiteStore, StateStore, dumps_messages, loads_messages
from runlet.testing import ScriptedProvider


def homes(checkpoint: Checkpoint, responses: list[HumanResponse], event: Event) -> None:
    provider: Provider = ScriptedProvider(["hi"])
    store: StateStore = SQLiteStore(":memory:")
    runtime = Runtime(store=store, budgeter=TokenBudgeter(), sinks=(OpenTelemetrySink(),))
    assert_type(runtime, Runtime)
    assert_type(loads_messages(dumps_messages([Message.user("hi")])), tuple[Message, ...])
    assert_type(TextDelta("a").delta, str)
    if isinstance(event, RunSuspended):
        assert_type(event.checkpoint_id, str)
    assert_type(runlet.events.RunSuspended, type[RunSuspended])
    assert_type(checkpoint.requests[0].id, str)
    try:
        pass
    except RunInterrupted as stop:
        assert_type(stop.checkpoint, Checkpoint)
    except OutputValidationError as error:
        assert_type(error, OutputValidationError)
    assert_type(provider.capabilities().context_window, int)


def deep_paths() -> None:
    request = CoreModelRequest(messages=[CoreMessage.user("Summarize this briefly.")])
    assert_type(request, ModelRequest)
    assert_type(request.messages, Sequence[Message])
