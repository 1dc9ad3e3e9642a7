"""Handoffs: the generated `transfer_to_<name>` tools, and which agent a conversation's handoffs lead to.

`Agent(handoffs=[billing, ...])` gives the agent one `TransferTool` per
target. A call of one that ends in a result that is not an error (no hook
vetoed it, no human rejected it) hands the run to its target once the turn's
calls are done. Whether a handoff happened is read from the conversation
itself, the transfer call's result, so a session's history says which agent
it ended with, and a later run on it continues with that agent (`follow`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from runlet.core.context import RunContext
from runlet.core.errors import ResumeError, UserError
from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import Message
from runlet.core.tools import ToolContent

if TYPE_CHECKING:
    from runlet.core.agent import Agent


_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]+")


def tool_name(text: str) -> str:
    """`text` as a tool name every provider takes: letters, digits, `_` and `-`, the rest as `_`."""
    return _NOT_IN_NAMES.sub("_", text).strip("_") or "agent"


_NO_ARGUMENTS: JsonObject = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


class TransferTool:
    """The tool the model calls to hand the conversation to `target` (`Agent(handoffs=...)`).

    It takes no arguments and returns a short note; the handoff itself is
    made by the loop, after the turn's calls, from the call's result.
    """

    __slots__ = ("target", "name", "description")

    def __init__(self, target: Agent[Any, Any]) -> None:
        self.target: Agent[Any, Any] = target
        self.name: str = f"transfer_to_{tool_name(target.name)}"
        about = f": {target.description}" if target.description else ""
        self.description: str = (
            f"Hand the conversation over to the agent {target.name!r}{about}. "
            "It answers from the next turn on, with its own instructions and tools."
        )

    @property
    def parameters(self) -> JsonObject:
        """No arguments."""
        return _NO_ARGUMENTS

    async def call(self, ctx: RunContext[object], arguments: JsonValue) -> ToolContent:
        """The note the model sees; the loop makes the handoff once the turn is done."""
        return f"Transferred to {self.target.name}."

    def __repr__(self) -> str:
        return f"TransferTool({self.target.name!r})"


def transfer_tools(owner: str, targets: Iterable[Agent[Any, Any]]) -> tuple[TransferTool, ...]:
    """One transfer tool per target of agent `owner`; `UserError` when two targets (or their tools) share a name."""
    tools = tuple(TransferTool(target) for target in targets)
    names = [t.name for t in tools]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise UserError(
            f"agent {owner!r} hands off to more than one agent whose transfer tool is named "
            f"{', '.join(map(repr, clashes))}: give the targets names that differ in letters or digits"
        )
    return tools


def check_names(root: Agent[Any, Any]) -> None:
    """Every agent reachable by handoffs from `root` has a name of its own (a run finds them by name on resume)."""
    seen: dict[str, Agent[Any, Any]] = {}
    pending = [root]
    while pending:
        agent = pending.pop()
        known = seen.setdefault(agent.name, agent)
        if known is not agent:
            raise UserError(
                f"two different agents named {agent.name!r} are reachable by handoffs from {root.name!r}: "
                "a run records its active agent by name, so give each agent its own name"
            )
        pending.extend(t for t in agent.handoffs if t.name not in seen or seen[t.name] is not t)


def find_agent(root: Agent[Any, Any], name: str) -> Agent[Any, Any]:
    """The agent called `name` among `root` and the agents reachable from it by handoffs; `ResumeError` if none is."""
    pending, seen = [root], set[str]()
    while pending:
        agent = pending.pop()
        if agent.name == name:
            return agent
        seen.add(agent.name)
        pending.extend(t for t in agent.handoffs if t.name not in seen)
    raise ResumeError(
        f"the run was handed off to agent {name!r}, which is not {root.name!r} nor reachable from it by handoffs: "
        f"resume with the agent the run started with, whose handoffs (or theirs) include {name!r}"
    )


def handed_to(agent: Agent[Any, Any], message: Message) -> tuple[Agent[Any, Any], str] | None:
    """The agent a tool message hands the run to, and the call that did: its first transfer result that is not an error.

    A transfer a hook vetoed or a human rejected has an error result, and hands nothing over.
    """
    transfers = {t.name: t.target for t in agent.tools if isinstance(t, TransferTool)}
    for result in message.tool_results:
        if not result.is_error and result.name in transfers:
            return transfers[result.name], result.call_id
    return None


def follow(agent: Agent[Any, Any], messages: Iterable[Message]) -> Agent[Any, Any]:
    """The agent that `messages` (a conversation begun with `agent`) ended with, following its handoffs in order."""
    for message in messages:
        if message.role == "tool" and agent.handoffs:
            handoff = handed_to(agent, message)
            if handoff is not None:
                agent = handoff[0]
    return agent
