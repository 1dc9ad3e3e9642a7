"""What the shipped providers know of model families: context window, output limit, features.

A provider asks its table for the model's capabilities when no `capabilities=`
was given, and falls back to its own conservative default for a model the
table does not know. Both OpenAI providers read `OPENAI_MODELS` (an OpenAI model
reached through a Chat Completions gateway has the same limits).
"""

from __future__ import annotations

from runlet.core._frozen import frozen
from runlet.core.messages import MediaKind
from runlet.core.models import Capabilities

VISION: frozenset[MediaKind] = frozenset({"image", "document"})
"""Images and documents (PDFs): what current OpenAI and Claude models take besides text."""

AUDIO: frozenset[MediaKind] = frozenset({"audio"})


@frozen
class ModelTable:
    """Model families by name prefix; the longest prefix that matches a model wins.

    A prefix matches the model name itself, or the name followed by one of
    `separators` and more (`gpt-5` matches `gpt-5-mini` and `gpt-5.1`). A
    `vendor/` in front of the name (gateways) and letter case are ignored.
    """

    families: tuple[tuple[str, Capabilities], ...]
    separators: tuple[str, ...]

    def lookup(self, model: str) -> Capabilities | None:
        """The capabilities of the model's family, or `None` when the table does not know it."""
        name = model.rsplit("/", 1)[-1].lower()
        best: tuple[str, Capabilities] | None = None
        for prefix, capabilities in self.families:
            matches = name == prefix or name.startswith(tuple(prefix + sep for sep in self.separators))
            if matches and (best is None or len(prefix) > len(best[0])):
                best = (prefix, capabilities)
        return best[1] if best is not None else None

    def capabilities(self, model: str, *, given: Capabilities | None, default: Capabilities) -> Capabilities:
        """`given` when there is one, else the model's family's, else `default`."""
        if given is not None:
            return given
        return self.lookup(model) or default


def _no_tools(context_window: int, max_output_tokens: int) -> Capabilities:
    """An early reasoning model: no tools, no structured output."""
    return Capabilities(
        context_window=context_window,
        max_output_tokens=max_output_tokens,
        tools=False,
        structured_output=False,
        parallel_tool_calls=False,
    )


OPENAI_MODELS = ModelTable(
    (
        ("gpt-5.5", Capabilities(context_window=1_050_000, max_output_tokens=128_000, media=VISION)),
        ("gpt-5.4", Capabilities(context_window=1_050_000, max_output_tokens=128_000, media=VISION)),
        ("gpt-5-pro", Capabilities(context_window=400_000, max_output_tokens=272_000, media=VISION)),
        ("gpt-5-chat", Capabilities(context_window=128_000, max_output_tokens=16_384, media=VISION)),
        ("gpt-5", Capabilities(context_window=400_000, max_output_tokens=128_000, media=VISION)),
        ("gpt-4.1", Capabilities(context_window=1_047_576, max_output_tokens=32_768, media=VISION)),
        ("gpt-4o", Capabilities(context_window=128_000, max_output_tokens=16_384, media=VISION)),
        ("gpt-4o-audio", Capabilities(context_window=128_000, max_output_tokens=16_384, media=AUDIO)),
        ("gpt-audio", Capabilities(context_window=128_000, max_output_tokens=16_384, media=AUDIO)),
        ("o1-mini", _no_tools(128_000, 65_536)),
        ("o1-preview", _no_tools(128_000, 32_768)),
        ("o1", Capabilities(context_window=200_000, max_output_tokens=100_000, media=VISION)),
        ("o3", Capabilities(context_window=200_000, max_output_tokens=100_000, media=VISION)),
        ("o4-mini", Capabilities(context_window=200_000, max_output_tokens=100_000, media=VISION)),
    ),
    separators=("-", "."),
)
"""OpenAI's models, numbers from OpenAI's model pages; audio input only for the audio models (Chat Completions)."""

CLAUDE_MODELS = ModelTable(
    (
        ("claude-opus-4-6", Capabilities(context_window=200_000, max_output_tokens=128_000, media=VISION)),
        ("claude-sonnet-4-6", Capabilities(context_window=200_000, max_output_tokens=64_000, media=VISION)),
        ("claude-opus-4-5", Capabilities(context_window=200_000, max_output_tokens=64_000, media=VISION)),
        ("claude-sonnet-4-5", Capabilities(context_window=200_000, max_output_tokens=64_000, media=VISION)),
        ("claude-haiku-4-5", Capabilities(context_window=200_000, max_output_tokens=64_000, media=VISION)),
        ("claude-opus-4-1", Capabilities(context_window=200_000, max_output_tokens=32_000, media=VISION)),
        ("claude-opus-4", Capabilities(context_window=200_000, max_output_tokens=32_000, media=VISION)),
        ("claude-sonnet-4", Capabilities(context_window=200_000, max_output_tokens=64_000, media=VISION)),
        ("claude-3-7-sonnet", Capabilities(context_window=200_000, max_output_tokens=64_000, media=VISION)),
        ("claude-3-5-haiku", Capabilities(context_window=200_000, max_output_tokens=8_192, media=VISION)),
        ("claude-3-haiku", Capabilities(context_window=200_000, max_output_tokens=4_096, media=VISION)),
    ),
    separators=("-", "@"),
)
"""Anthropic's Claude models (standard context), numbers from Anthropic's model pages; all take images and PDFs.
`@` follows the family on Vertex AI (`claude-opus-4-1@20250805`)."""
