"""Context budgeting: the `Budgeter` protocol, the default `TokenBudgeter` and its compression strategies.

```python
from runlet.budget import DropOldestTurns, SummarizeOlderTurns, TokenBudgeter, TrimToolResults

runtime = Runtime(budgeter=TokenBudgeter(strategies=(TrimToolResults(), SummarizeOlderTurns(provider), DropOldestTurns())))
```

Also what a strategy or a budgeter of your own needs (`CompressionStrategy`,
`Compression`, `TokenCount`, `units`, `report_usage`, `estimate_tokens`), and
what images, audio and documents cost (`media_tokens`, each provider's rule).
Exact token counts for OpenAI models are in `runlet.tokenizers`. See
docs/budgeting.md.
"""

from runlet.core.budget import (
    SUMMARY_INSTRUCTIONS,
    SUMMARY_PREFIX,
    Budgeter,
    Compression,
    CompressionStrategy,
    CountSource,
    DropOldestTurns,
    SummarizeOlderTurns,
    TokenBudgeter,
    TokenCount,
    TrimToolResults,
    report_usage,
    units,
)
from runlet.core.token_estimates import (
    AUDIO_SECOND_TOKENS,
    DOCUMENT_PAGE_TOKENS,
    MESSAGE_OVERHEAD,
    UNKNOWN_AUDIO_SECONDS,
    MediaCounter,
    TokenCounter,
    anthropic_image_tokens,
    anthropic_media_tokens,
    estimate_tokens,
    media_tokens,
    openai_image_tokens,
    openai_media_tokens,
)

__all__ = [
    "AUDIO_SECOND_TOKENS",
    "DOCUMENT_PAGE_TOKENS",
    "MESSAGE_OVERHEAD",
    "SUMMARY_INSTRUCTIONS",
    "SUMMARY_PREFIX",
    "UNKNOWN_AUDIO_SECONDS",
    "Budgeter",
    "Compression",
    "CompressionStrategy",
    "CountSource",
    "DropOldestTurns",
    "MediaCounter",
    "SummarizeOlderTurns",
    "TokenBudgeter",
    "TokenCount",
    "TokenCounter",
    "TrimToolResults",
    "anthropic_image_tokens",
    "anthropic_media_tokens",
    "estimate_tokens",
    "media_tokens",
    "openai_image_tokens",
    "openai_media_tokens",
    "report_usage",
    "units",
]
