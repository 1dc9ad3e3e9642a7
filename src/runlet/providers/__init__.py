"""Model providers shipped with Runlet.

Providers are imported lazily: `import runlet.providers` never imports a model
SDK, so `openai` stays an optional extra (`pip install "runlet[openai]"`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runlet.providers.openai_responses import OpenAIResponsesProvider

__all__ = ["OpenAIResponsesProvider"]


def __getattr__(name: str) -> object:
    if name == "OpenAIResponsesProvider":
        from runlet.providers.openai_responses import OpenAIResponsesProvider

        return OpenAIResponsesProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
