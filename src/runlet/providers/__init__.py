"""Model providers shipped with Runlet.

Providers are imported lazily: `import runlet.providers` never imports a model
SDK, so `openai` and `anthropic` stay optional extras (`pip install
"runlet[openai]"`, `pip install "runlet[anthropic]"`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runlet.providers.anthropic import AnthropicProvider
    from runlet.providers.openai_chat import OpenAIChatCompletionsProvider
    from runlet.providers.openai_responses import OpenAIResponsesProvider

__all__ = ["AnthropicProvider", "OpenAIChatCompletionsProvider", "OpenAIResponsesProvider"]


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
