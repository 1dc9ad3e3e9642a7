"""What the provider tests share: a tool definition, a request, and a stream collector."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from runlet.core.messages import Message
from runlet.core.models import ModelRequest, ModelStreamEvent, ToolDefinition
from runlet.core.tools import tool, tool_definition

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



@tool
def track(order_id: str, carrier: str | None) -> str:
    """Track a parcel: every parameter required, so the schema can be strict."""
    return f"{order_id} via {carrier}"


@tool
def search(query: str, limit: int = 10) -> str:
    """Search orders: `limit` has a default, so the schema cannot be strict."""
    return f"{query} {limit}"


PLAIN = tool_definition(track)
"""A tool definition whose schema can be strict."""
LOOSE = tool_definition(search)
"""A tool definition whose schema cannot be strict (an optional parameter)."""


def ask(text: str = "Where is order 123?", **kwargs: Any) -> ModelRequest:
    """A one-message request; `kwargs` are `ModelRequest`'s other fields."""
    return ModelRequest(messages=[Message.user(text)], **kwargs)


async def collect(events: AsyncGenerator[ModelStreamEvent, None]) -> list[ModelStreamEvent]:
    """Every event of a provider's stream, closing it in the end."""
    async with aclosing(events) as stream:
        return [event async for event in stream]
