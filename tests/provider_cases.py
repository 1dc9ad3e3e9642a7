"""What the provider tests share: a tool definition, a request, and a stream collector."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from runlet.core.messages import Message
from runlet.core.models import ModelRequest, ModelStreamEvent, ToolDefinition

LOOKUP = ToolDefinition(
    name="lookup",
    description="Look an order up by id.",
    parameters={
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
        "additionalProperties": False,
    },
)


def ask(text: str = "Where is order 123?", **kwargs: Any) -> ModelRequest:
    """A one-message request; `kwargs` are `ModelRequest`'s other fields."""
    return ModelRequest(messages=[Message.user(text)], **kwargs)


async def collect(events: AsyncGenerator[ModelStreamEvent, None]) -> list[ModelStreamEvent]:
    """Every event of a provider's stream, closing it in the end."""
    async with aclosing(events) as stream:
        return [event async for event in stream]
