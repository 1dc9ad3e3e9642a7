"""What the shipped providers share in mapping `ModelSettings`: the tool choice's checks and the error for a setting they cannot send.

Each provider maps the settings to its own API parameters (before
`options[<key>]`, which win); docs/providers.md has the table.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from runlet.core.errors import UnsupportedSetting
from runlet.core.models import ModelSettings, ToolChoice, UseTool

OPENAI_CACHE_RETENTION: dict[str, Literal["in_memory", "24h"]] = {"short": "in_memory", "long": "24h"}
"""`prompt_cache_retention` as both OpenAI APIs spell it."""


def unsupported(provider: str, setting: str, why: str, fix: str) -> UnsupportedSetting:
    """The error for a setting `provider` cannot send: what, why, and what to do instead."""
    return UnsupportedSetting(
        f"{provider} cannot send the setting {setting}: {why}; nothing was sent. {fix}",
        feature=f"setting {setting}",
        provider=provider,
    )


def tool_choice(settings: ModelSettings, tools: Collection[str], provider: str, *, hosted: bool) -> ToolChoice | None:
    """The tool choice to send; `None` for none, or for `"auto"` and `"none"` without tools (nothing to choose from).

    `tools` names the function tools the request offers, `hosted` says whether
    it offers hosted tools too. A forced choice without tools, or a named tool
    the request does not offer as a function tool, raises `UnsupportedSetting`.
    """
    choice = settings.tool_choice
    if choice is None:
        return None
    if isinstance(choice, UseTool) and choice.name not in tools:
        raise unsupported(
            provider,
            f"tool_choice=UseTool({choice.name!r})",
            f"the request offers no tool of that name (its tools: {', '.join(sorted(tools)) or 'none'})",
            "Name a tool the agent has.",
        )
    if not tools and not hosted:
        if choice == "required":
            raise unsupported(provider, 'tool_choice="required"', "the request offers no tools", "Give the agent tools, or leave tool_choice out.")
        return None
    return choice
