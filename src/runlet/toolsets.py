"""Toolset helpers: static tools as a toolset, prefixes, filters, combinations.

A `Toolset` (the protocol, from `runlet`) is a source of tools asked for the
tools of every step: give toolsets in `Agent(tools=...)` beside function tools.
These helpers make and change toolsets; each keeps the deps type of what it
wraps, so a toolset for other deps is still a type error where it is given.

```python
from runlet.toolsets import combined, filtered, of, prefixed

orders = of(lookup, refund)                                   # static tools, as a toolset
billing = prefixed(of(lookup), "billing")                     # billing_lookup: no clash with lookup
no_refunds = filtered(orders, lambda ctx, tool: tool.name != "refund" or ctx.deps.may_refund)
agent = Agent(..., tools=(combined(no_refunds, billing),))
```

See docs/tools.md.
"""

from __future__ import annotations

from runlet.core.toolsets import combined, filtered, of, prefixed

__all__ = ["combined", "filtered", "of", "prefixed"]
