"""Handoffs: the generated `transfer_to_<name>` tools, and which agent a conversation's handoffs lead to.

`Agent(handoffs=[billing, ...])` gives the agent one `TransferTool` per
target. A call of one that ends in a result that is not an error (no hook
vetoed it, no human rejected it) hands the run to its target once the turn's
calls are done. Whether a handoff happened is read from the conversation
itself, the transfer call's result, so a session's history says which agent
it ended with, and a later run on it continues with that agent (`follow`).

A target is an agent, or a function of no arguments that returns one
(`handoffs=[lambda: triage]`), called when a run starts: so an agent can
hand back to one that lists it, and the graph may have cycles. A run builds
its graph once (`handoff_graph`), which calls those functions and checks
names; resume finds its active agent there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from runlet.core.context import RunContext
from runlet.core.errors import ResumeError, UserError
from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import Message
from runlet.core.tools import ToolContent

if TYPE_CHECKING:
    from runlet.core.agent import Agent


Target: TypeAlias = "Agent[Any, Any] | Callable[[], Agent[Any, Any]]"
"""A handoff target as given: an agent, or a function that returns one when a run starts."""

_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]+")


def tool_name(text: str) -> str:
    """`text` as a tool name every provider takes: letters, digits, `_` and `-`, the rest as `_`."""
    return _NOT_IN_NAMES.sub("_", text).strip("_") or "agent"


_NO_ARGUMENTS: JsonObject = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


class TransferTool:
    """The tool the model calls to hand the conversation to `target` (`Agent(handoffs=...)`).

    It takes no arguments and returns a short note; the handoff itself is
    made by the loop, after the turn's calls, from the call's result. A
    target given as a function is called once, the first time the tool's
    name or target is needed (when a run starts: `handoff_graph`).
    """

    __slots__ = ("_given", "_target", "_name", "_description")

    def __init__(self, target: Target) -> None:
        self._given: Target = target
        self._target: Agent[Any, Any] | None = None
        self._name: str = ""
        self._description: str = ""
        if not callable(target):
            self._resolve(target)

    @property
    def lazy(self) -> bool:
        """Whether the target was given as a function not called yet: its name is not known."""
        return self._target is None

    @property
    def deferred(self) -> bool:
        """Whether the target was given as a function (called or not): its names are checked when a run starts."""
        return callable(self._given)

    @property
    def target(self) -> Agent[Any, Any]:
        """The agent the tool hands over to."""
        return self._target or self._resolve(self._call())

    @property
    def name(self) -> str:
        """`transfer_to_<target's name>`."""
        if self._target is None:
            self._resolve(self._call())
        return self._name

    @property
    def description(self) -> str:
        """The target's name and description."""
        if self._target is None:
            self._resolve(self._call())
        return self._description

    @property
    def parameters(self) -> JsonObject:
        """No arguments."""
        return _NO_ARGUMENTS

    async def call(self, ctx: RunContext[object], arguments: JsonValue) -> ToolContent:
        """The note the model sees; the loop makes the handoff once the turn is done."""
        return f"Transferred to {self.target.name}."

    def _call(self) -> Agent[Any, Any]:
        from runlet.core.agent import Agent

        given = self._given
        target = given() if callable(given) else given
        if not isinstance(target, Agent):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise UserError(
                f"a handoff target function returned {type(target).__name__}, not an Agent: "
                "give handoffs=[...] agents, or functions of no arguments that return one (lambda: triage)"
            )
        return target

    def _resolve(self, target: Agent[Any, Any]) -> Agent[Any, Any]:
        about = f": {target.description}" if target.description else ""
        self._name = f"transfer_to_{tool_name(target.name)}"
        self._description = (
            f"Hand the conversation over to the agent {target.name!r}{about}. "
            "It answers from the next turn on, with its own instructions and tools."
        )
        self._target = target
        return target

    def __repr__(self) -> str:
        return f"TransferTool({self._target.name!r})" if self._target is not None else "TransferTool(<not called yet>)"


def clashes(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted."""
    listed = list(names)
    return sorted({n for n in listed if listed.count(n) > 1})


def transfer_tools(owner: str, targets: Iterable[Target]) -> tuple[TransferTool, ...]:
    """One transfer tool per target of agent `owner`; `UserError` when two targets (or their tools) share a name.

    Targets given as functions are checked when a run starts (`handoff_graph`).
    """
    tools = tuple(TransferTool(target) for target in targets)
    _check_transfers(owner, (t.name for t in tools if not t.lazy))
    return tools


def _check_transfers(owner: str, names: Iterable[str]) -> None:
    same = clashes(names)
    if same:
        raise UserError(
            f"agent {owner!r} hands off to more than one agent whose transfer tool is named "
            f"{', '.join(map(repr, same))}: give the targets names that differ in letters or digits"
        )


def check_names(root: Agent[Any, Any]) -> None:
    """At `Agent(...)`: the agents reachable from `root` through targets given as agents have names of their own.

    Targets given as functions are not called (they may name an agent not
    made yet): `handoff_graph` checks the whole graph when a run starts.
    """
    _graph(root, call=False)


def handoff_graph(root: Agent[Any, Any]) -> Mapping[str, Agent[Any, Any]]:
    """Every agent reachable from `root` by handoffs (`root` included), by name: the graph of a run that starts with `root`.

    Calls the targets given as functions, follows cycles once, and raises
    `UserError` for two different agents with one name (a run records its
    active agent by name) and for an agent whose tools' names clash once its
    transfer tools are named.
    """
    return _graph(root, call=True)


def _graph(root: Agent[Any, Any], *, call: bool) -> dict[str, Agent[Any, Any]]:
    seen: dict[str, Agent[Any, Any]] = {}
    pending = [root]
    while pending:
        agent = pending.pop()
        if seen.setdefault(agent.name, agent) is not agent:
            raise UserError(
                f"two different agents named {agent.name!r} are reachable by handoffs from {root.name!r}: "
                "a run records its active agent by name, so give each agent its own name"
            )
        transfers = [t for t in agent.tools if isinstance(t, TransferTool) and (call or not t.lazy)]
        if call and any(t.deferred for t in transfers):  # their names are known now
            _check_transfers(agent.name, (t.name for t in transfers))
            same = clashes(t.name for t in (*agent.tools, *agent.hosted_tools))
            if same:
                raise UserError(
                    f"agent {agent.name!r} has more than one tool named {', '.join(map(repr, same))} once its "
                    "handoff targets are named: rename the tool or the target agent"
                )
        pending.extend(t.target for t in transfers if seen.get(t.target.name) is not t.target)
    return seen


def find_agent(root: Agent[Any, Any], name: str) -> Agent[Any, Any]:
    """The agent called `name` in the handoff graph of `root`; `ResumeError` if none is."""
    found = handoff_graph(root).get(name)
    if found is None:
        raise ResumeError(
            f"the run was handed off to agent {name!r}, which is not {root.name!r} nor reachable from it by handoffs: "
            f"resume with the agent the run started with, whose handoffs (or theirs) include {name!r}"
        )
    return found


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
        if message.role == "tool" and agent.handoff_targets:
            handoff = handed_to(agent, message)
            if handoff is not None:
                agent = handoff[0]
    return agent
