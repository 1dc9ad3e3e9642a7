"""`Agent[DepsT, OutputT]`: instructions, a model, tools and an output type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, cast, overload

from typing_extensions import TypeForm, TypeVar

from runlet.core._frozen import frozen
from runlet.core.context import RunContext
from runlet.core.handoffs import TransferTool, check_names, clashes, transfer_tools
from runlet.core.hooks import AnyHook
from runlet.core.hosted import HOSTED_TOOLS, HostedTool
from runlet.core.models import Capabilities, ModelSettings, Provider, ToolDefinition
from runlet.core.output import OutputValidator
from runlet.core.tools import Tool
from runlet.core.toolsets import Toolset

DepsT_contra = TypeVar("DepsT_contra", contravariant=True, default=None)
OutputT = TypeVar("OutputT", default=str)
ParentDepsT = TypeVar("ParentDepsT")

_NO_OPTIONS: Mapping[str, Mapping[str, object]] = {}


@frozen(init=False)
class Agent(Generic[DepsT_contra, OutputT]):
    """What to run: a named set of instructions, a model, tools and an output type.

    `DepsT` is the type of the dependencies its tools, instructions and hooks
    receive through `RunContext[DepsT]`; `OutputT` is the type of
    `RunResult.output` (`str` unless `output_type` says otherwise).

    An agent only hands its deps to what it holds, so it is contravariant in
    `DepsT`, as they are: an `Agent[object, ...]` (whose tools and hooks read
    no deps) fits where an `Agent[Deps, ...]` or an `Agent[None, ...]` is
    expected, and runs with any deps or none.
    """

    name: str
    model: Provider
    description: str
    """What the agent does, for other agents: the description of its transfer tool (`handoffs=`) and of `as_tool()`."""
    instructions: str | Callable[[RunContext[DepsT_contra]], str | Awaitable[str]]
    """A string, or a function (sync or async) of the run context called at the start of a run."""
    tools: tuple[Tool[DepsT_contra], ...]
    """The function tools: the ones the runtime calls (the transfer tools of `handoffs` included)."""
    hosted_tools: tuple[HostedTool, ...]
    """Tools the provider runs itself (`WebSearch`, `FileSearch`, `CodeInterpreter`), given in `tools=` too."""
    toolsets: tuple[Toolset[DepsT_contra], ...]
    """Sources of tools asked for their tools in every step (`runlet.toolsets`, MCP servers), given in `tools=` too."""
    prepare_tools: (
        Callable[
            [RunContext[DepsT_contra], tuple[ToolDefinition, ...]],
            Sequence[ToolDefinition] | Awaitable[Sequence[ToolDefinition]],
        ]
        | None
    )
    """Called before every model call with the run context and the step's tool definitions (after each tool's own
    `prepare`): the definitions to offer, some dropped or redescribed, none renamed or added. May be `async def`."""
    output_type: TypeForm[OutputT]
    """The type of the final answer: `str`, a dataclass, a TypedDict, a primitive, a pydantic model, or a union of them."""
    output_validators: tuple[OutputValidator[DepsT_contra, OutputT], ...]
    """Check the validated answer, in order; one that raises `OutputRetry` sends the model back with the reason."""
    hooks: tuple[AnyHook[DepsT_contra], ...]
    """Hooks for this agent's runs, inside the runtime's; a hook for other deps is a type error."""
    max_steps: int
    """Model calls a run may make before it stops with `MaxStepsExceeded`."""
    max_output_retries: int
    """Times the model is asked again when its final answer does not validate or a validator refuses it."""
    options: Mapping[str, Mapping[str, object]]
    """Provider options for every request, by provider (`{"openai": {...}}`)."""
    max_output_tokens: int | None
    """Output tokens to ask for and to reserve in the context window; default: the model's maximum."""
    capabilities: Capabilities | None
    """Overrides the provider's capabilities (context window, maximum output)."""
    settings: ModelSettings | None
    """Model settings for every request of the agent's runs; a run's `settings=` and `prepare_settings` win."""
    prepare_settings: Callable[[RunContext[DepsT_contra]], ModelSettings | None | Awaitable[ModelSettings | None]] | None
    """Called before every model call with the run context: the step's own settings (merged over the agent's
    and the run's), or `None` for none. May be `async def`."""
    handoff_targets: tuple[Agent[DepsT_contra, OutputT] | Callable[[], Agent[DepsT_contra, OutputT]], ...]
    """The targets of `handoffs=` as given: agents, and functions of no arguments that return one (`lambda: triage`),
    called when a run starts (the way to hand back to an agent that lists this one). `handoffs` gives the agents."""

    @property
    def handoffs(self) -> tuple[Agent[DepsT_contra, OutputT], ...]:
        """The agents this one may hand the conversation to, each by a generated `transfer_to_<name>` tool.

        Calls the targets given as functions (once; a run starts by calling
        them all). They take the same deps and give the same output type
        (the type checkers check both); after a handoff the run goes on with
        the target's instructions, tools, hooks, settings and model.
        """
        if not self.handoff_targets:
            return ()
        return tuple(t.target for t in self.tools if isinstance(t, TransferTool))

    @overload
    def __init__(
        self,
        *,
        name: str,
        model: Provider,
        instructions: str | Callable[[RunContext[DepsT_contra]], str | Awaitable[str]] = "",
        tools: Sequence[Tool[DepsT_contra] | HostedTool | Toolset[DepsT_contra]] | None = None,
        output_type: None = None,
        output_validators: Sequence[OutputValidator[DepsT_contra, str]] | None = None,
        hooks: Sequence[AnyHook[DepsT_contra]] | None = None,
        max_steps: int = 25,
        max_output_retries: int = 2,
        options: Mapping[str, Mapping[str, object]] = _NO_OPTIONS,
        max_output_tokens: int | None = None,
        capabilities: Capabilities | None = None,
        settings: ModelSettings | None = None,
        prepare_settings: Callable[[RunContext[DepsT_contra]], ModelSettings | None | Awaitable[ModelSettings | None]]
        | None = None,
        prepare_tools: Callable[
            [RunContext[DepsT_contra], tuple[ToolDefinition, ...]],
            Sequence[ToolDefinition] | Awaitable[Sequence[ToolDefinition]],
        ]
        | None = None,
        description: str = "",
        handoffs: Sequence[Agent[DepsT_contra, str] | Callable[[], Agent[DepsT_contra, str]]] | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        name: str,
        model: Provider,
        instructions: str | Callable[[RunContext[DepsT_contra]], str | Awaitable[str]] = "",
        tools: Sequence[Tool[DepsT_contra] | HostedTool | Toolset[DepsT_contra]] | None = None,
        output_type: TypeForm[OutputT],
        output_validators: Sequence[OutputValidator[DepsT_contra, OutputT]] | None = None,
        hooks: Sequence[AnyHook[DepsT_contra]] | None = None,
        max_steps: int = 25,
        max_output_retries: int = 2,
        options: Mapping[str, Mapping[str, object]] = _NO_OPTIONS,
        max_output_tokens: int | None = None,
        capabilities: Capabilities | None = None,
        settings: ModelSettings | None = None,
        prepare_settings: Callable[[RunContext[DepsT_contra]], ModelSettings | None | Awaitable[ModelSettings | None]]
        | None = None,
        prepare_tools: Callable[
            [RunContext[DepsT_contra], tuple[ToolDefinition, ...]],
            Sequence[ToolDefinition] | Awaitable[Sequence[ToolDefinition]],
        ]
        | None = None,
        description: str = "",
        handoffs: Sequence[Agent[DepsT_contra, OutputT] | Callable[[], Agent[DepsT_contra, OutputT]]] | None = None,
    ) -> None: ...

    def __init__(
        self,
        *,
        name: str,
        model: Provider,
        instructions: str | Callable[[RunContext[Any]], str | Awaitable[str]] = "",
        tools: Sequence[Tool[Any] | HostedTool | Toolset[Any]] | None = None,
        output_type: TypeForm[Any] | None = None,
        output_validators: Sequence[OutputValidator[Any, Any]] | None = None,
        hooks: Sequence[AnyHook[Any]] | None = None,
        max_steps: int = 25,
        max_output_retries: int = 2,
        options: Mapping[str, Mapping[str, object]] = _NO_OPTIONS,
        max_output_tokens: int | None = None,
        capabilities: Capabilities | None = None,
        settings: ModelSettings | None = None,
        prepare_settings: Callable[[RunContext[Any]], ModelSettings | None | Awaitable[ModelSettings | None]]
        | None = None,
        prepare_tools: Callable[
            [RunContext[Any], tuple[ToolDefinition, ...]], Sequence[ToolDefinition] | Awaitable[Sequence[ToolDefinition]]
        ]
        | None = None,
        description: str = "",
        handoffs: Sequence[Agent[Any, Any] | Callable[[], Agent[Any, Any]]] | None = None,
    ) -> None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}")
        if max_output_retries < 0:
            raise ValueError(f"max_output_retries must not be negative, got {max_output_retries}")
        hosted, function_tools, toolsets = _sorted_tools(name, tools or ())
        targets: tuple[Agent[Any, Any] | Callable[[], Agent[Any, Any]], ...] = ()
        if handoffs:
            targets = tuple(handoffs)
            function_tools = (*function_tools, *transfer_tools(name, targets))
        known = (t for t in (*function_tools, *hosted) if not (isinstance(t, TransferTool) and t.lazy))
        duplicates = clashes(t.name for t in known)  # with targets given as functions: when a run starts, too
        if duplicates:
            raise ValueError(f"agent {name!r} has more than one tool named {', '.join(map(repr, duplicates))}")
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "model", model)
        set_field(self, "description", description)
        set_field(self, "handoff_targets", targets)
        set_field(self, "instructions", instructions)
        set_field(self, "tools", function_tools)
        set_field(self, "hosted_tools", hosted)
        set_field(self, "toolsets", toolsets)
        set_field(self, "output_type", str if output_type is None else output_type)
        set_field(self, "output_validators", tuple(output_validators or ()))
        set_field(self, "hooks", tuple(hooks or ()))
        set_field(self, "max_steps", max_steps)
        set_field(self, "max_output_retries", max_output_retries)
        set_field(self, "options", options)
        set_field(self, "max_output_tokens", max_output_tokens)
        set_field(self, "capabilities", capabilities)
        set_field(self, "settings", settings)
        set_field(self, "prepare_settings", prepare_settings)
        set_field(self, "prepare_tools", prepare_tools)
        if targets:
            check_names(self)

    @overload
    def as_tool(self, *, name: str | None = None, description: str | None = None, deps: None = None) -> Tool[DepsT_contra]: ...

    @overload
    def as_tool(
        self, *, name: str | None = None, description: str | None = None, deps: Callable[[ParentDepsT], DepsT_contra]
    ) -> Tool[ParentDepsT]: ...

    def as_tool(
        self, *, name: str | None = None, description: str | None = None, deps: Callable[[Any], Any] | None = None
    ) -> Tool[Any]:
        """This agent as a tool of another agent: the model calls it with a string `input`, and its answer is the result.

        The child runs inside the parent's tool call, with the parent's
        runtime (sinks, runtime hooks, executor), within what is left of the
        parent's `Limits`; its usage is added to the parent's, and its events
        nest under the call's span (`run.started` names the parent's run in
        `parent_run_id`). The result is its output: the text, or the JSON of a
        structured output.

        `name` defaults to the agent's name (as a tool name), `description` to
        the agent's. Without `deps`, the child gets the parent's deps (so its
        deps type must accept the parent's); `deps` is a function of the
        parent's deps that gives the child's.
        """
        from runlet.loop.agent_tools import AgentTool

        return AgentTool(self, name=name, description=description, deps=deps)


def _sorted_tools(
    agent: str, given: Sequence[Tool[Any] | HostedTool | Toolset[Any]]
) -> tuple[tuple[HostedTool, ...], tuple[Tool[Any], ...], tuple[Toolset[Any], ...]]:
    """`Agent(tools=...)` apart: hosted tools, function tools (with a `call`), toolsets (with a `tools` method)."""
    hosted: list[HostedTool] = []
    function_tools: list[Tool[Any]] = []
    toolsets: list[Toolset[Any]] = []
    for item in given:
        if isinstance(item, HOSTED_TOOLS):
            hosted.append(item)
        elif callable(getattr(item, "call", None)):
            function_tools.append(cast("Tool[Any]", item))
        elif callable(getattr(item, "tools", None)):
            toolsets.append(cast("Toolset[Any]", item))
        else:
            hint = " (to call an agent, give agent.as_tool())" if isinstance(item, Agent) else ""
            raise TypeError(
                f"agent {agent!r}: tools= takes tools (with a call method), hosted tools and toolsets "
                f"(with a tools method), not {type(item).__name__}{hint}"
            )
    return tuple(hosted), tuple(function_tools), tuple(toolsets)
