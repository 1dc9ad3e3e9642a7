"""What the Temporal and DBOS tests check alike: tracing across the boundary, per-run settings, sessions.

- `traced_agent`: a tool and a model that open OpenTelemetry spans of their
  own where they run (an activity, a step); `check_nesting` asserts that those
  spans are children of the run's `execute_tool` and `chat` spans, in its trace.
- `settings_agent`: a model that keeps the settings of every request it gets.
- `CountingStore`: a `MemoryStore` that counts its loads and appends, so a
  test can tell that a replay or a recovery did not touch the session again.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from runlet import Agent, Message, ModelRequest, ModelSettings, StoreUnavailable, Tool, require_approval, tool
from runlet.stores import MemoryStore
from runlet.toolsets import of, prefixed
from runlet.testing import FunctionProvider, Turn, call


def traced_agent(name: str, tracer_provider: TracerProvider) -> Agent[None, str]:
    """An agent whose tool and model each open a span where they run: `db.query`, `http.post`."""
    tracer = tracer_provider.get_tracer("user-code")

    @tool
    def warehouse(item: str) -> str:
        """How many of an item are in stock."""
        with tracer.start_as_current_span("db.query"):
            return f"7 {item}"

    def respond(request: ModelRequest) -> Turn:
        with tracer.start_as_current_span("http.post"):
            done = any(m.role == "tool" for m in request.messages)
            return "7 in stock" if done else call("warehouse", item="bolts")

    return Agent(name=name, model=FunctionProvider(respond), tools=(warehouse,))


def check_nesting(spans: Sequence[ReadableSpan]) -> None:
    """The tool's and the model's own spans are children of the run's tool and model call spans, in the run's trace."""
    by_name: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    (run,) = [s for s in spans if s.name.startswith("invoke_agent")]
    (tool_span,) = by_name["execute_tool warehouse"]
    (query,) = by_name["db.query"]
    assert run.context is not None and tool_span.context is not None and query.context is not None
    assert query.parent is not None and query.parent.span_id == tool_span.context.span_id
    assert query.context.trace_id == tool_span.context.trace_id == run.context.trace_id
    chats = {s.context.span_id for s in by_name["chat"] if s.context is not None}
    posts = by_name["http.post"]
    assert len(posts) == 2 and len(chats) == 2
    for post in posts:
        assert post.parent is not None and post.parent.span_id in chats
        assert post.context is not None and post.context.trace_id == run.context.trace_id


@tool
def refund(order_id: str) -> str:
    """Refund an order."""
    require_approval(f"refund order {order_id}?")
    return f"refunded {order_id}"


def settings_agent(name: str, seen: list[ModelSettings]) -> Agent[None, str]:
    """An agent that asks for an approval, then answers; its model keeps each request's settings in `seen`."""

    def respond(request: ModelRequest) -> Turn:
        seen.append(request.settings)
        done = any(m.role == "tool" for m in request.messages)
        return "done" if done else call("refund", order_id="9")

    return Agent(name=name, model=FunctionProvider(respond), tools=(refund,))


def session_agent(name: str) -> Agent[None, str]:
    """An agent that answers with how many messages it was sent (so a session's history shows)."""
    return Agent(name=name, model=FunctionProvider(lambda request: f"saw {len(request.messages)} messages"))


class CountingStore(MemoryStore):
    """A memory store that counts loads and appends of sessions; its first `unavailable` loads lose the connection."""

    def __init__(self, unavailable: int = 0) -> None:
        super().__init__()
        self.loads = 0
        self.appends = 0
        self.unavailable = unavailable

    async def load(self, session: str) -> tuple[Message, ...]:
        self.loads += 1
        if self.unavailable:
            self.unavailable -= 1
            raise StoreUnavailable("connection reset", operation="load", session=session)
        return await super().load(session)

    async def append(self, session: str, messages: Sequence[Message], *, expected_length: int | None = None) -> int:
        self.appends += 1
        return await super().append(session, messages, expected_length=expected_length)


def invoice_tool(log: list[str]) -> Tool[None]:
    """`invoice`: an invoice's amount; each call appends its number to `log`."""

    @tool
    def invoice(number: str) -> str:
        """An invoice's amount."""
        log.append(number)
        return f"invoice {number}: 40 EUR"

    return invoice


def _tool_results(request: ModelRequest) -> list[str]:
    return [p.name for m in request.messages if m.role == "tool" for p in m.tool_results]


def handoff_agent(name: str, log: list[str]) -> Agent[None, str]:
    """`<name>` hands off to `<name>-billing` at once; billing calls its `invoice` tool (its `refund`, asked for one), then answers."""

    def billing(request: ModelRequest) -> Turn:
        done = _tool_results(request)
        if "refund" in request.messages[1].text:  # the user's question, after the instructions
            return "refunded" if "refund" in done else call("refund", order_id="9")
        return "40 EUR" if "invoice" in done else call("invoice", number="7")

    tools = (invoice_tool(log), refund)
    target = Agent(name=f"{name}-billing", instructions="You do billing.", model=FunctionProvider(billing), tools=tools)
    return Agent(name=name, model=FunctionProvider(lambda request: call(f"transfer_to_{name}-billing")), handoffs=[target])


def toolset_agent(name: str, log: list[str]) -> Agent[None, str]:
    """An agent whose tool comes from a toolset (`shop_invoice`), chosen by `prepare_tools`; it calls it, then answers."""

    def respond(request: ModelRequest) -> Turn:
        offered = [t.name for t in request.tools]
        return f"40 EUR of {offered}" if "shop_invoice" in _tool_results(request) else call("shop_invoice", number="7")

    return Agent(
        name=name,
        model=FunctionProvider(respond),
        tools=(prefixed(of(invoice_tool(log)), "shop"), of(refund)),
        prepare_tools=lambda ctx, tools: [t for t in tools if t.name != "refund"],
    )


def delegating_agent(name: str, log: list[str]) -> Agent[None, str]:
    """`<name>` asks `<name>-clerk` (an agent as a tool), which calls `invoice`; then answers with what the clerk said."""

    def clerk(request: ModelRequest) -> Turn:
        return "invoice 7 is 40 EUR" if "invoice" in _tool_results(request) else call("invoice", number="7")

    helper = Agent(name=f"{name}-clerk", model=FunctionProvider(clerk), tools=(invoice_tool(log),))

    def lead(request: ModelRequest) -> Turn:
        said = [p.content for m in request.messages if m.role == "tool" for p in m.tool_results]
        return f"the clerk says: {said[0]}" if said else call("clerk", input="how much is invoice 7?")

    return Agent(name=name, model=FunctionProvider(lead), tools=(helper.as_tool(name="clerk"),))
