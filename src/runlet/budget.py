"""Context budgeting: the `Budgeter` protocol, the default `TokenBudgeter` and its compression strategies.

```python
from runlet.budget import DropOldestTurns, SummarizeOlderTurns, TokenBudgeter, TrimToolResults

runtime = Runtime(budgeter=TokenBudgeter(strategies=(TrimToolResults(), SummarizeOlderTurns(provider), DropOldestTurns())))
```

Also what a strategy or a budgeter of your own needs (`CompressionStrategy`,
`Compression`, `TokenCount`, `units`, `report_usage`, `estimate_tokens`).
Exact token counts for OpenAI models are in `runlet.tokenizers`. See
docs/budgeting.md.
"""

from runlet.core.budget import (
    MESSAGE_OVERHEAD,
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
    TokenCounter,
    TrimToolResults,
    estimate_tokens,
    report_usage,
    units,
)

__all__ = [
    "MESSAGE_OVERHEAD",
    "SUMMARY_INSTRUCTIONS",
    "SUMMARY_PREFIX",
    "Budgeter",
    "Compression",
    "CompressionStrategy",
    "CountSource",
    "DropOldestTurns",
    "SummarizeOlderTurns",
    "TokenBudgeter",
    "TokenCount",
    "TokenCounter",
    "TrimToolResults",
    "estimate_tokens",
    "report_usage",
    "units",
]
