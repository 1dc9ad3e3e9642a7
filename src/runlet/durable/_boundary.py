"""What crosses a durable engine's boundary: model calls and tool calls as JSON, their errors, and the deps.

The workflow side (`BoundaryExecutor`, the `Executor` a durable run uses)
turns each call into a JSON payload and hands it to the engine, which runs it
as an activity or a step (`run_model_call`, `run_tool_call`, where the
provider and the tools live) and records the JSON it returns. Errors come
back as values, not exceptions, so that the engine's own retries are kept for
lost workers and the runtime's `RetryPolicy` alone retries a provider's
errors: nothing is retried twice. The workflow side raises them again as the
same exceptions the loop knows, so a durable run reports a failed call
exactly as a local run does.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Generic, Protocol, cast

from typing_extensions import TypeAlias, TypeVar

from runlet.core.agent import Agent
from runlet.core.asking import HumanInputRequired, ToolCallAnswers, current_answers
from runlet.core.context import RunContext
from runlet.core.errors import (
    AuthenticationFailed,
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    MalformedResponse,
    ModelTimeout,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ToolError,
    ToolTimeout,
    UserError,
    ValidationError,
    ValidationIssue,
)
from runlet.core.json import JsonValue
from runlet.core.models import ModelRequest, ModelResponse, ModelStreamEvent, Provider, ResponseCompleted, TextDelta
from runlet.core.schema import TypeAdapter, adapter_for
from runlet.core.serialize import (
    human_response_from_json,
    human_response_to_json,
    media_from_json,
    media_to_json,
    message_from_json,
    message_to_json,
    model_request_from_json,
    model_request_to_json,
    model_response_from_json,
    model_response_to_json,
    usage_from_json,
    usage_to_json,
)
from runlet.core.human import CLAIM_PREFIX, KEY_SESSION, Checkpoint
from runlet.core.messages import MEDIA_PARTS, Message
from runlet.core.state import SessionConflict, StateError, StateStore, StoreUnavailable
from runlet.core.tools import Tool, ToolContent
from runlet.durable._tracing import traced
from runlet.loop.executor import RaisedElsewhere, current_call
from runlet.stores.memory import MemoryStore

DepsT = TypeVar("DepsT")

Payload: TypeAlias = "dict[str, Any]"
"""A JSON object that crosses the boundary: a call's input or its recorded result (engines' converters take dicts)."""

TraceHeaders: TypeAlias = "Callable[[str, str], Awaitable[dict[str, str] | None]]"
"""The W3C trace context (`traceparent`) of a run's event span (run id, span id), if a sink traces it."""

_PROVIDER_ERRORS: dict[str, type[ProviderError]] = {
    cls.__name__: cls
    for cls in (
        ProviderError, ModelTimeout, RateLimited, ProviderUnavailable, AuthenticationFailed, BadRequest,
        ContextLengthExceeded, ContentFiltered, MalformedResponse,
    )
}


class DepsCodec(Generic[DepsT]):
    """An agent's deps as JSON and back, by their declared type.

    Deps cross the boundary when a run starts and with every tool call, so
    their type must be one Runlet can describe as JSON (what a tool's
    parameters may be: a dataclass, a TypedDict, a NamedTuple, an Enum, a
    pydantic model or JSON types; `None` for an agent without deps). The
    check happens here, when the durable agent is declared, not mid-run.
    """

    def __init__(self, agent: str, deps_type: type[DepsT]) -> None:
        try:
            self.adapter: TypeAdapter[DepsT] = adapter_for(deps_type)
        except UserError as error:
            raise UserError(
                f"agent {agent!r}: its deps type {getattr(deps_type, '__name__', deps_type)!r} cannot cross a durable "
                f"engine's boundary ({error}); deps must be JSON-describable, so keep clients and connections "
                "in the worker (module level or the tool's closure) and pass only what names them"
            ) from None

    def dump(self, deps: DepsT) -> JsonValue:
        """The deps as JSON."""
        return self.adapter.dump(deps)

    def load(self, value: JsonValue) -> DepsT:
        """The deps from `dump`, validated against their type."""
        return self.adapter.validate(value)


class DurableAgents:
    """The agents a durable agent's runs may use: its own, and those reachable by handoffs and agents as tools.

    A worker registers each one's model calls and tools, so that a run that
    hands off (or runs an agent as a tool) calls the other agent's model and
    tools as that agent's activities or steps. Names are unique among them
    (a `UserError` otherwise), since calls find their agent by name.
    Toolsets (`runlet.toolsets`) and prepare functions run in workflow code,
    every step and on every replay: they must be deterministic and do no I/O.
    An MCP server does, so an agent with one is refused here.
    """

    def __init__(self, root: Agent[Any, Any], inline: Collection[str]) -> None:
        from runlet.loop.agent_tools import AgentTool

        self.root: Agent[Any, Any] = root
        self.agents: dict[str, Agent[Any, Any]] = {root.name: root}
        """Every agent by name, the root first, then in the order the handoffs and agent tools name them."""
        order = [root]
        for agent in order:
            delegated = [t for t in agent.tools if isinstance(t, AgentTool)]
            for mapped in (t for t in delegated if t.maps_deps):
                raise UserError(
                    f"agent {agent.name!r} runs {mapped.agent.name!r} as the tool {mapped.name!r} with deps made by "
                    "as_tool(deps=...), which durable runs do not take: deps cross the boundary as the durable agent's "
                    "deps_type, so give the child the parent's deps (as_tool() without deps=)"
                )
            for other in (*agent.handoffs, *(t.agent for t in delegated)):
                known = self.agents.get(other.name)
                if known is None:
                    self.agents[other.name] = other
                    order.append(other)
                elif known is not other:
                    raise UserError(
                        f"two different agents named {other.name!r} are reachable from {root.name!r} (handoffs, agents "
                        "as tools): a durable run finds an agent's calls by its name, so give each agent its own name"
                    )
        for agent in order:
            _check_toolsets(agent)
        self.tools: dict[str, dict[str, Tool[Any]]] = {a.name: {t.name: t for t in a.tools} for a in order}
        """Each agent's function tools by name, as a worker finds them."""
        unknown = set(inline) - {name for tools in self.tools.values() for name in tools}
        if unknown:
            raise UserError(f"agent {root.name!r} has no tools named {', '.join(sorted(unknown))} (inline_tools)")
        self.inline: frozenset[str] = frozenset(inline)
        """The names of the tools that run in workflow code, of any of the agents."""

    def crosses(self, tool: Tool[Any]) -> bool:
        """Whether a call of `tool` crosses the boundary: not named in `inline`, not a transfer, not an agent run as a tool."""
        from runlet.core.handoffs import TransferTool
        from runlet.loop.agent_tools import AgentTool

        return tool.name not in self.inline and not isinstance(tool, (TransferTool, AgentTool))

    def known(self, agent: str) -> str:
        """`agent`, one of the agents; a `UserError` for an agent the worker has not registered (one a toolset gave as a tool)."""
        if agent not in self.agents:
            raise UserError(
                f"agent {agent!r} is not reachable from {self.root.name!r} by handoffs or Agent(tools=[agent.as_tool()]), so "
                "no worker runs its calls (a toolset that gives agents as tools?): give its agent tool in Agent(tools=...)"
            )
        return agent

    def remote_tools(self, agent: str) -> list[Tool[Any]]:
        """The function tools of `agent` that run as activities or steps."""
        return [t for t in self.tools[agent].values() if self.crosses(t)]

    def waiting_tools(self, checkpoint: Checkpoint) -> dict[str, Tool[Any]]:
        """The function tools of the agent a checkpoint waits in (the root, or the one a handoff left the run with)."""
        active = checkpoint.state.active_agent
        return self.tools.get(self.root.name if active is None else active, {})


def _check_toolsets(agent: Agent[Any, Any]) -> None:
    from runlet.core.toolsets import sources

    for toolset in agent.toolsets:
        for source in sources(toolset):
            if type(source).__module__.startswith("runlet.mcp"):
                raise UserError(
                    f"agent {agent.name!r} has the MCP server toolset {source!r}, which durable runs do not take: toolsets "
                    "are asked for their tools in workflow code, which does no I/O; wrap the server's calls in function "
                    "tools (Agent(tools=...)), or run this agent with Runtime"
                )


def call_name(root: str, agent: str, what: str) -> str:
    """The name of an activity or step: `runlet:<root>.<what>` for the root agent, `runlet:<root>/<agent>.<what>` for another."""
    return f"runlet:{root}.{what}" if agent == root else f"runlet:{root}/{agent}.{what}"


class Boundary(Protocol):
    """How a durable engine runs one call outside the workflow and records its JSON result."""

    async def model_call(self, agent: str, payload: Payload) -> Payload:
        """The recorded result of `run_model_call` of the model of agent `agent` for `payload`."""
        ...

    async def tool_call(self, agent: str, tool: Tool[Any], payload: Payload) -> Payload:
        """The recorded result of `run_tool_call` of `tool` (of agent `agent`, a function tool or a toolset's) for `payload`."""
        ...

    async def store_call(self, payload: Payload) -> Payload:
        """The recorded result of `run_store_call` for `payload`: a session read or write."""
        ...


class BoundaryExecutor(Generic[DepsT]):
    """The `Executor` of a durable run: every model call and tool call crosses the engine's boundary.

    Tools named in `inline` run in workflow code instead (deterministic
    tools: pure ones, or ones that wait with `asyncio.sleep`, which is a
    durable timer under Temporal). A streamed model call is buffered: the
    engine records whole responses, so the stream is one text delta and the
    completed response. Each call carries the trace context of its span
    (`trace`, from the run's `OpenTelemetrySink`), so that spans made where it
    runs nest under the run's model call or tool call span.
    """

    def __init__(self, boundary: Boundary, deps: DepsCodec[DepsT], agents: DurableAgents, trace: TraceHeaders | None = None) -> None:
        self.boundary: Boundary = boundary
        self.deps: DepsCodec[DepsT] = deps
        self.agents: DurableAgents = agents
        self.trace: TraceHeaders | None = trace

    async def _traced(self, payload: Payload, call: tuple[str, str, str] | None) -> Payload:
        """`payload` with the trace context of `call` (run id, span id, agent), when a sink traces it."""
        if self.trace is not None and call is not None:
            headers = await self.trace(call[0], call[1])
            if headers:
                payload["trace"] = headers
        return payload

    async def complete(self, model: Provider, request: ModelRequest) -> ModelResponse:
        return await self._complete(request, current_call.get())

    def stream(self, model: Provider, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        return self._buffered(request, current_call.get())  # read now: the loop sets the call while stream() is called

    async def _buffered(self, request: ModelRequest, call: tuple[str, str, str] | None) -> AsyncIterator[ModelStreamEvent]:
        response = await self._complete(request, call)
        if response.text:
            yield TextDelta(response.text)
        yield ResponseCompleted(response)

    async def _complete(self, request: ModelRequest, call: tuple[str, str, str] | None) -> ModelResponse:
        try:
            sent = model_request_to_json(request)
        except (TypeError, ValueError) as not_json:
            raise UserError(f"a durable run's model request must be JSON; its options are not ({not_json})") from None
        agent = self.agents.known(self.agents.root.name if call is None else call[2])
        result = await self.boundary.model_call(agent, await self._traced({"request": sent}, call))
        error = result.get("error")
        if error is not None:
            raise provider_error_from_json(error)
        return model_response_from_json(result["response"])

    async def call_tool(self, tool: Tool[Any], ctx: RunContext[Any], arguments: JsonValue) -> ToolContent:
        if not self.agents.crosses(tool):
            return await tool.call(ctx, arguments)
        answers = current_answers.get()
        payload: Payload = await self._traced({
            "arguments": arguments,
            "deps": self.deps.dump(ctx.deps),
            "run_id": ctx.run_id,
            "agent": ctx.agent_name,
            "step": ctx.step,
            "usage": usage_to_json(ctx.usage),
            "messages": [message_to_json(m) for m in ctx.messages],
            "answers": [human_response_to_json(a) for a in (answers.answers if answers is not None else ())],
        }, current_call.get())
        if tool.name not in self.agents.tools[self.agents.known(ctx.agent_name)]:
            payload["tool"] = tool.name  # a toolset's: the worker asks the agent's toolsets for it
        result = await self.boundary.tool_call(ctx.agent_name, tool, payload)
        error = result.get("error")
        if error is not None:
            raise tool_error_from_json(cast("Mapping[str, Any]", error))
        return tool_content_from_json(result["content"])


class BoundaryStore:
    """The `StateStore` of a durable run: sessions are read and written through the engine's boundary.

    Each `load` and `append` of a session is an activity or a step, run where
    the runtime's store lives and recorded, so a replay or a recovery reads the
    recorded result and never loads or appends twice. What the runtime keeps
    for itself (a checkpoint's claim, the checkpoint key) and the key-value
    space, which the loop does not use, stay in a store private to the
    workflow: a durable run's checkpoint never leaves it.
    """

    def __init__(self, boundary: Boundary) -> None:
        self.boundary: Boundary = boundary
        self.private: MemoryStore = MemoryStore()

    async def load(self, session: str) -> tuple[Message, ...]:
        if _private(session):
            return await self.private.load(session)
        result = await self._call({"op": "load", "session": session})
        return tuple(message_from_json(m) for m in result["messages"])

    async def append(self, session: str, messages: Sequence[Message], *, expected_length: int | None = None) -> int:
        if _private(session):
            return await self.private.append(session, messages, expected_length=expected_length)
        payload: Payload = {
            "op": "append", "session": session, "messages": [message_to_json(m) for m in messages], "expected_length": expected_length
        }
        length: int = (await self._call(payload))["length"]
        return length

    async def get_state(self, session: str, key: str) -> JsonValue:
        return await self.private.get_state(session, key)

    async def set_state(self, session: str, key: str, value: JsonValue) -> None:
        await self.private.set_state(session, key, value)

    async def _call(self, payload: Payload) -> Payload:
        result = await self.boundary.store_call(payload)
        error = result.get("error")
        if error is not None:
            raise store_error_from_json(error)
        return result


def _private(session: str) -> bool:
    """Whether a session name is one the runtime keeps for itself (checkpoint claims, the checkpoint key)."""
    return session == KEY_SESSION or session.startswith(CLAIM_PREFIX)


# The side that runs the calls (an activity, a step)


async def run_model_call(model: Provider, payload: Mapping[str, Any]) -> Payload:
    """Call the model for a payload of `BoundaryExecutor.complete`; its response, or its `ProviderError`, as JSON."""
    request = model_request_from_json(payload["request"])
    try:
        with traced(payload.get("trace")):
            response = await model.complete(request)
    except ProviderError as error:
        return {"error": provider_error_to_json(error)}
    return {"response": model_response_to_json(response)}


async def run_tool_call(tool: Tool[Any] | Agent[Any, Any], deps: DepsCodec[Any], payload: Mapping[str, Any]) -> Payload:
    """Call the tool for a payload of `BoundaryExecutor.call_tool`; what it returned, or what it raised, as JSON.

    `tool` is the function tool, or the agent whose toolsets give the tool
    the payload names, asked for their tools at the call's step.
    """
    ctx = RunContext(
        deps.load(payload["deps"]),
        payload["run_id"],
        payload["agent"],
        payload["step"],
        usage_from_json(payload["usage"]),
        tuple(message_from_json(m) for m in payload["messages"]),
    )
    token = current_answers.set(ToolCallAnswers([human_response_from_json(a) for a in payload["answers"]]))
    try:
        if isinstance(tool, Agent):
            tool = await _toolset_tool(tool, ctx, payload["tool"])
        with traced(payload.get("trace")):
            content = await tool.call(ctx, payload["arguments"])
    except ValidationError as error:
        return {"error": {"kind": "validation", "issues": [[i.path, i.message] for i in error.issues]}}
    except HumanInputRequired as ask:
        return {"error": {"kind": "human", "ask": ask.kind, "prompt": ask.prompt, "schema": ask.schema}}
    except ToolTimeout as error:
        return {"error": {"kind": "timeout", "timeout": error.timeout}}
    except ToolError as error:
        return {"error": {"kind": "tool", "message": str(error)}}
    except Exception as error:
        text, frames = RaisedElsewhere.describe(error)
        raised: Payload = {"kind": "raised", "type": type(error).__name__, "message": str(error)}
        return {"error": {**raised, "traceback": text, "frames": [list(frame) for frame in frames]}}
    finally:
        current_answers.reset(token)
    encoded = tool_content_to_json(content)
    if encoded is None:  # a tool typed loosely
        message = f"returned {type(content).__name__}, not str or a tuple of str and media parts"
        return {"error": {"kind": "raised", "type": "TypeError", "message": message}}
    return {"content": encoded}


async def _toolset_tool(agent: Agent[Any, Any], ctx: RunContext[Any], name: str) -> Tool[Any]:
    from runlet.loop.step_tools import resolve

    found = (await resolve(agent, ctx)).get(name)
    if found is None:
        raise UserError(
            f"agent {agent.name!r}'s toolsets give no tool {name!r} in this worker at step {ctx.step}, where the workflow's "
            "did: a toolset's tools must depend only on the run context (no I/O, nothing that differs between processes)"
        )
    return found


async def run_store_call(store: StateStore, payload: Mapping[str, Any]) -> Payload:
    """Load or append a session in `store` for a payload of `BoundaryStore`; the result, or its `StateError`, as JSON.

    `StoreUnavailable` (a lost connection) and other exceptions are raised, so
    the engine tries the call again by the agent's retry policy (an append
    with `expected_length` never stores twice).
    """
    session: str = payload["session"]
    try:
        if payload["op"] == "load":
            return {"messages": [message_to_json(m) for m in await store.load(session)]}
        messages = [message_from_json(m) for m in payload["messages"]]
        return {"length": await store.append(session, messages, expected_length=payload["expected_length"])}
    except StoreUnavailable:
        raise
    except SessionConflict as conflict:
        return {"error": {"type": "SessionConflict", "session": session, "expected": conflict.expected, "actual": conflict.actual}}
    except StateError as error:
        return {"error": {"type": type(error).__name__, "message": str(error)}}


def store_error_from_json(error: Mapping[str, Any]) -> StateError:
    """The error of `run_store_call`: a `SessionConflict` as it was, another store error as a `StateError` naming its class."""
    if error["type"] == "SessionConflict":
        return SessionConflict(error["session"], expected=error["expected"], actual=error["actual"])
    return StateError(f"{error['type']}: {error['message']}")


def tool_content_to_json(content: object) -> JsonValue | None:
    """A tool's content as JSON: its text as a string, or text and media as an array of strings and media objects.

    The media keep their bytes (base64, as the message codec writes them), so
    a durable tool's images, audio and documents reach the model exactly as a
    local tool's do. `None` when `content` is not a `ToolContent`.
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, tuple):
        return None
    items: list[JsonValue] = []
    for item in cast("tuple[object, ...]", content):
        if isinstance(item, str):
            items.append(item)
        elif isinstance(item, MEDIA_PARTS):
            items.append(media_to_json(item))
        else:
            return None
    return items


def tool_content_from_json(value: JsonValue) -> ToolContent:
    """The content of `tool_content_to_json`: a string, or a tuple of strings and media parts."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise UserError(f"a durable tool's recorded content is not a string or an array: {type(value).__name__}")
    return tuple(item if isinstance(item, str) else media_from_json(item) for item in value)


# Errors as JSON


def provider_error_to_json(error: ProviderError) -> Payload:
    """A provider's error as JSON: its class, message, provider, status code and whether it may be retried."""
    return {
        "type": type(error).__name__,
        "message": str(error),
        "provider": error.provider,
        "status_code": error.status_code,
        "retryable": error.retryable,
    }


def provider_error_from_json(value: Mapping[str, Any]) -> ProviderError:
    """The error of `provider_error_to_json`: the same Runlet class, or a `ProviderError` keeping the retry flag."""
    obj = value
    cls = _PROVIDER_ERRORS.get(obj["type"])
    error = (cls or ProviderError)(obj["message"], provider=obj["provider"], status_code=obj["status_code"])
    if cls is None:
        error.retryable = bool(obj["retryable"])  # a provider's own subclass: its flag, not the base class's
    return error


class ToolRaised(RaisedElsewhere):
    """What a tool raised on the other side of the boundary, under the name of the original exception's class, with its traceback."""


_RAISED: dict[str, type[ToolRaised]] = {}


def tool_error_from_json(error: Mapping[str, Any]) -> Exception:
    """The exception that `run_tool_call` caught, as the loop expects to see it."""
    kind = error["kind"]
    if kind == "validation":
        return ValidationError([ValidationIssue(path, message) for path, message in error["issues"]])
    if kind == "human":
        return HumanInputRequired(error["ask"], error["prompt"], error["schema"])
    if kind == "timeout":
        return ToolTimeout(error["timeout"])
    if kind == "tool":
        return ToolError(error["message"])
    name: str = error["type"]
    cls = _RAISED.get(name)
    if cls is None:  # the loop reports `type(error).__name__`: keep the original name
        cls = _RAISED[name] = type(name, (ToolRaised,), {"__doc__": ToolRaised.__doc__})
    frames = tuple((str(file), int(line), str(name)) for file, line, name in error.get("frames", ()))
    return cls(error["message"], error.get("traceback", ""), frames)



def workflow_checkpoint_key(given: bytes | None, workflow_id: str) -> bytes:
    """The key that signs a durable run's checkpoints: the runtime's own, else one derived from the workflow id.

    A durable run's checkpoint never leaves the engine: it is made, kept and
    resumed inside one workflow, whose recorded history is what the engine
    protects. The key must be the same on every replay and every worker, and
    making one (random bytes, a store round trip) would be neither, so it is
    derived from the workflow id unless the application gives its own.
    """
    if given is not None:
        return given
    return hashlib.sha256(b"runlet durable checkpoint key\0" + workflow_id.encode()).digest()
