"""Model providers: the `Provider` protocol, the providers shipped with Runlet, and the stream events a provider yields.

The shipped providers are imported lazily: `import runlet.providers` never
imports a model SDK, so `openai` and `anthropic` stay optional extras (`pip
install "runlet[openai]"`, `pip install "runlet[anthropic]"`). A provider of
your own fits `Provider` by shape; its `stream()` yields `ModelStreamEvent`s
(`TextDelta`, `ReasoningDelta`, `ToolCallStarted`, `ToolCallDelta`,
`ToolCallDone`, then `ResponseCompleted`); `check_content` refuses media
the model does not take before anything is sent. `FallbackProvider(primary, *others)`
is several providers as one, each used when the ones before it fail for now.
See docs/providers.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runlet.core.models import (
    ModelStreamEvent,
    Provider,
    ReasoningDelta,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
    check_content,
)
from runlet.providers.fallback import FallbackProvider

if TYPE_CHECKING:
    from runlet.providers.anthropic import AnthropicProvider
    from runlet.providers.openai_chat import OpenAIChatCompletionsProvider
    from runlet.providers.openai_responses import OpenAIResponsesProvider

__all__ = [
    "AnthropicProvider",
    "FallbackProvider",
    "ModelStreamEvent",
    "OpenAIChatCompletionsProvider",
    "OpenAIResponsesProvider",
    "Provider",
    "ReasoningDelta",
    "ResponseCompleted",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallStarted",
    "check_content",
]


def __getattr__(name: str) -> object:
    if name == "OpenAIResponsesProvider":
        from runlet.providers.openai_responses import OpenAIResponsesProvider

        return OpenAIResponsesProvider
    if name == "OpenAIChatCompletionsProvider":
        from runlet.providers.openai_chat import OpenAIChatCompletionsProvider

        return OpenAIChatCompletionsProvider
    if name == "AnthropicProvider":
        from runlet.providers.anthropic import AnthropicProvider

        return AnthropicProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
