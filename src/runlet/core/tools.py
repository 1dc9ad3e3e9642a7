"""Tools: the `Tool` protocol and the `@tool` decorator for plain functions."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import typing
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, Union, overload

from typing_extensions import Concatenate, ParamSpec, TypeAlias, TypeVar

from runlet.core.context import RunContext
from runlet.core.errors import ToolError, ToolRetry, ToolTimeout, UserError
from runlet.core.json import JsonObject, JsonValue
from runlet.core.messages import MEDIA_PARTS, MediaPart
from runlet.core.models import ToolDefinition
from runlet.core.schema import FunctionSchema, TypeAdapter, adapter_for, can_be_strict

DepsT = TypeVar("DepsT")
DepsT_contra = TypeVar("DepsT_contra", contravariant=True)
P = ParamSpec("P")
R = TypeVar("R")

ToolContent: TypeAlias = Union[str, tuple[Union[str, MediaPart], ...]]
"""What a tool returns for the model: text, or text and images, audio and documents in order.

The texts become the result's `content` (joined by newlines), the media its
`ToolResultPart.media`.
"""


ToolPrepare: TypeAlias = Callable[
    [RunContext[DepsT], ToolDefinition], Union[ToolDefinition, None, Awaitable[Union[ToolDefinition, None]]]
]
"""A tool's `prepare`: called before every model call with the run context and the tool's definition, it
returns the definition for this step (its description or schema changed, not its name), or `None` to leave the
tool out of the step (then the model cannot call it). May be `async def`. Give it as `@tool(prepare=...)`, or as
a `prepare` attribute of any tool."""


class Tool(Protocol[DepsT_contra]):
    """Something the model can call. Any object with these members fits.

    `call` receives the decoded JSON arguments, validates them and returns
    what the model sees: text, or text and media (`ToolContent`). Raise `ValidationError` for bad arguments and
    `ToolError` (or any exception) for a failure: the runtime turns both into a
    tool error result for the model, and the run goes on. Any other exception
    fails the run instead when failures are fatal (`Runtime.fatal_tool_errors`,
    or a `fatal_errors` attribute of the tool, which wins when not `None`).
    """

    @property
    def name(self) -> str:
        """The name the model calls the tool by."""
        ...

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        ...

    @property
    def parameters(self) -> JsonObject:
        """JSON schema of the arguments (an object schema)."""
        ...

    async def call(self, ctx: RunContext[DepsT_contra], arguments: JsonValue) -> ToolContent:
        """Run the tool with the model's decoded arguments."""
        ...


def tool_definition(tool: Tool[Any]) -> ToolDefinition:
    """The tool as the model sees it, strict wherever its parameters' schema can be (`can_be_strict`)."""
    parameters = tool.parameters
    return ToolDefinition(tool.name, tool.description, parameters, strict=can_be_strict(parameters))


class FunctionTool(Generic[DepsT_contra, P, R]):
    """A tool made from a function by `@tool`. Calling it calls the function."""

    def __init__(
        self,
        func: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        retries: int = 0,
        fatal_errors: bool | None = None,
        prepare: ToolPrepare[DepsT_contra] | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must not be negative, got {retries}")
        self._func = func
        self._is_async = inspect.iscoroutinefunction(func)
        self._takes_context = _takes_context(func)
        self._schema = FunctionSchema.from_function(func, skip_first=self._takes_context)
        self._adapter: TypeAdapter[Any] | None = _return_adapter(func)
        self._name = name or self._schema.name
        self._description = description if description is not None else self._schema.description
        self.timeout = timeout
        """Seconds the call may take; `None` for no limit of its own."""
        self.retries = retries
        """Times the function is called again when it raises `ToolRetry`."""
        self.fatal_errors = fatal_errors
        """Whether an exception the function raises (other than `ToolError`) fails the run; `None`: as `Runtime.fatal_tool_errors` says."""
        self._prepare = prepare
        functools.update_wrapper(self, func)

    @property
    def name(self) -> str:
        """The name the model calls the tool by (the function's name unless given)."""
        return self._name

    @property
    def description(self) -> str:
        """The docstring, without the parameter section, unless given."""
        return self._description

    @property
    def parameters(self) -> JsonObject:
        """JSON schema of the parameters, from the type hints and docstring."""
        return self._schema.json_schema

    @property
    def prepare(self) -> ToolPrepare[DepsT_contra] | None:
        """Decides in every step whether and how the tool is offered (`ToolPrepare`); `None`: always, as it is."""
        return self._prepare

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._func(*args, **kwargs)

    async def call(self, ctx: RunContext[DepsT_contra], arguments: JsonValue) -> ToolContent:
        """Validate the arguments, call the function, and render its result: text, or text and media."""
        kwargs = self._schema.validate(arguments)
        attempt = 0
        while True:
            try:
                result = await self._invoke_within_timeout(ctx, kwargs)
                break
            except ToolRetry as retry:
                if attempt >= self.retries:
                    raise
                attempt += 1
                await asyncio.sleep(retry.delay)
        return self._render(result)

    async def _invoke_within_timeout(self, ctx: RunContext[DepsT_contra], kwargs: dict[str, object]) -> object:
        if self.timeout is None:
            return await self._invoke(ctx, kwargs)
        try:
            return await asyncio.wait_for(self._invoke(ctx, kwargs), self.timeout)
        except asyncio.TimeoutError:
            raise ToolTimeout(self.timeout) from None

    async def _invoke(self, ctx: RunContext[DepsT_contra], kwargs: dict[str, object]) -> object:
        func: Callable[..., object] = self._func
        call = functools.partial(func, ctx, **kwargs) if self._takes_context else functools.partial(func, **kwargs)
        if self._is_async:
            return await typing.cast("Awaitable[object]", call())
        result = await asyncio.to_thread(call)
        if inspect.isawaitable(result):
            return await result
        return result

    def _render(self, result: object) -> ToolContent:
        if isinstance(result, str):
            return result
        media = _media_content(self._name, result)
        if media is not None:
            return media
        try:
            dumped: object = self._adapter.dump(result) if self._adapter is not None else result
            return json.dumps(dumped, ensure_ascii=False)
        except (TypeError, ValueError) as error:
            raise ToolError(
                f"tool {self._name!r} returned a {type(result).__name__}, which is not JSON-serialisable"
            ) from error

    def __repr__(self) -> str:
        return f"FunctionTool({self._name!r})"


def _media_content(name: str, result: object) -> ToolContent | None:
    """A returned media part, or list of texts and media parts, as the tool's content; `None` for anything else."""
    if isinstance(result, MEDIA_PARTS):
        return (result,)
    if not isinstance(result, (list, tuple)):
        return None
    items = typing.cast("list[object] | tuple[object, ...]", result)
    if not any(isinstance(item, MEDIA_PARTS) for item in items):
        return None
    content: list[str | MediaPart] = []
    for item in items:
        if isinstance(item, str) or isinstance(item, MEDIA_PARTS):
            content.append(item)
        else:
            raise ToolError(
                f"tool {name!r} returned media with a {type(item).__name__}: a list with images, audio or "
                "documents may hold only those and strings"
            )
    return tuple(content)


def _takes_context(func: Callable[..., object]) -> bool:
    params = list(inspect.signature(func).parameters.values())
    if not params:
        return False
    first = params[0]
    annotation: object = first.annotation
    if isinstance(annotation, str):
        text = annotation
        try:
            annotation = typing.get_type_hints(func).get(first.name, text)
        except Exception:  # an unresolvable hint elsewhere: judge by the text
            return text.split("[")[0].split(".")[-1] == "RunContext"
    return annotation is RunContext or typing.get_origin(annotation) is RunContext


def _return_adapter(func: Callable[..., object]) -> TypeAdapter[Any] | None:
    try:
        hint = typing.get_type_hints(func).get("return")
    except Exception:
        return None
    if hint is None or hint is str or hint is type(None):
        return None
    try:
        return adapter_for(hint)
    except UserError:
        return None


class _ToolDecorator(Protocol):
    @overload
    def __call__(
        self, func: Callable[Concatenate[RunContext[DepsT], P], R], /
    ) -> FunctionTool[DepsT, Concatenate[RunContext[DepsT], P], R]: ...

    @overload
    def __call__(self, func: Callable[P, R], /) -> FunctionTool[Any, P, R]: ...


class _PreparedToolDecorator(Generic[DepsT]):
    """`@tool(..., prepare=...)`: the tool takes the deps its `prepare` reads."""

    __slots__ = ("_options",)

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options

    @overload
    def __call__(
        self, func: Callable[Concatenate[RunContext[DepsT], P], R], /
    ) -> FunctionTool[DepsT, Concatenate[RunContext[DepsT], P], R]: ...

    @overload
    def __call__(self, func: Callable[P, R], /) -> FunctionTool[DepsT, P, R]: ...

    def __call__(self, func: Callable[..., Any], /) -> FunctionTool[DepsT, ..., Any]:
        return FunctionTool[DepsT, ..., Any](func, **self._options)


@overload
def tool(
    func: Callable[Concatenate[RunContext[DepsT], P], R], /
) -> FunctionTool[DepsT, Concatenate[RunContext[DepsT], P], R]: ...


@overload
def tool(func: Callable[P, R], /) -> FunctionTool[Any, P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    fatal_errors: bool | None = None,
    prepare: None = None,
) -> _ToolDecorator: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    fatal_errors: bool | None = None,
    prepare: ToolPrepare[DepsT],
) -> _PreparedToolDecorator[DepsT]: ...


def tool(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    fatal_errors: bool | None = None,
    prepare: ToolPrepare[Any] | None = None,
) -> FunctionTool[Any, ..., Any] | _ToolDecorator | _PreparedToolDecorator[Any]:
    """Make a tool of a function, sync or async.

    The first parameter may be a `RunContext[Deps]`; the others become the
    tool's arguments, described by their type hints and the docstring.
    Use as `@tool` or `@tool(name=..., description=..., timeout=..., retries=..., fatal_errors=..., prepare=...)`;
    `retries` is how often the function is called again when it raises
    `ToolRetry` (a passing failure), before the model is told. `fatal_errors`
    decides, for this tool, whether an exception it raises (a bug, not a
    `ToolError`) fails the run or is told to the model; `None` leaves it to
    `Runtime(fatal_tool_errors=...)`. `prepare` (a `ToolPrepare`) is called
    before every model call and decides whether and how the tool is offered
    in that step; the tool then takes the deps `prepare` reads.
    """

    options: dict[str, Any] = {
        "name": name, "description": description, "timeout": timeout, "retries": retries,
        "fatal_errors": fatal_errors, "prepare": prepare,
    }
    if func is not None:
        return FunctionTool[Any, ..., Any](func, **options)
    decorate = _PreparedToolDecorator[Any](options)
    return decorate if prepare is not None else typing.cast(_ToolDecorator, decorate)
