"""What crosses the boundary to a model: requests, responses, stream events, `Provider`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import field, fields
from typing import Literal, Protocol, Union

from typing_extensions import TypeAlias

from runlet.core._frozen import frozen
from runlet.core.errors import UnsupportedContent
from runlet.core.hosted import HostedTool
from runlet.core.json import JsonObject
from runlet.core.messages import MEDIA_PARTS, MediaKind, MediaPart, Message, Part, TextPart, ToolCallPart, ToolResultPart

FinishReason: TypeAlias = Literal["stop", "tool_calls", "length", "content_filter", "other"]
"""Why the model stopped: a final answer, tool calls, the output limit, a filter, or else."""


@frozen
class Usage:
    """Token and request counts. Add two with `+`."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.requests + other.requests,
        )


@frozen
class Capabilities:
    """What a model can do and how much it can take."""

    context_window: int
    max_output_tokens: int
    streaming: bool = True
    tools: bool = True
    structured_output: bool = True
    parallel_tool_calls: bool = True
    media: frozenset[MediaKind] = frozenset()
    """The kinds of media the model takes as input besides text (`"image"`, `"audio"`, `"document"`).

    A request with any other kind is refused before it is sent (`check_content`).
    """


@frozen
class ToolDefinition:
    """A tool as the model sees it: name, description and JSON schema of its parameters.

    Build one from a tool with `runlet.core.tools.tool_definition`, which sets `strict`.
    """

    name: str
    description: str
    parameters: JsonObject
    strict: bool = False
    """Ask for strict mode, which makes the model's arguments always fit `parameters`.

    The OpenAI providers then send the strict form of the schema
    (`runlet.providers.strict_schema`), or no strict mode when the schema has
    none (`runlet.core.schema.can_be_strict`); `AnthropicProvider` does not use it.
    """


@frozen
class OutputSchema:
    """The JSON schema the final answer must follow (structured output)."""

    name: str
    schema: JsonObject
    strict: bool = False
    """Ask for strict mode: the shipped providers send the strict form of `schema` where it has one.

    The agent's output sets it wherever the schema can be strict (`runlet.core.schema.can_be_strict`).
    """


@frozen
class UseTool:
    """A `tool_choice` that makes the model call the tool named `name`."""

    name: str


ToolChoice: TypeAlias = Union[Literal["auto", "none", "required"], UseTool]
"""Whether the model may call tools (`"auto"`), must not (`"none"`), must call one (`"required"`), or must call one named tool."""

ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
"""How much a reasoning model thinks; which levels a model takes varies (docs/providers.md)."""

PromptCacheRetention: TypeAlias = Literal["short", "long"]
"""How long the provider keeps a cached prompt prefix: its default, or its extended retention (docs/providers.md)."""


@frozen(kw_only=True)
class ModelSettings:
    """Model settings every shipped provider maps to its own API; `None` leaves a setting to the provider's default.

    Given per agent (`Agent(settings=...)`), per run (`run(..., settings=...)`)
    and per step (`Agent(prepare_settings=...)`), merged in that order: a
    field set later wins. A setting a provider cannot send raises
    `UnsupportedSetting` before anything is sent, or is a no-op that
    docs/providers.md lists. Provider extras stay in `options`, which win.
    """

    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    """Output tokens to ask for and to reserve in the context window (wins over `Agent.max_output_tokens`)."""
    tool_choice: ToolChoice | None = None
    """`"auto"`, `"none"`, `"required"` or `UseTool("name")`.

    A forced choice (`"required"` or `UseTool`) given to the agent or the run
    goes back to `"auto"` once the run has made such a call, so the model is
    not made to call tools forever; `persist_tool_choice=True` keeps it.
    """
    persist_tool_choice: bool | None = None
    """Keep a forced `tool_choice` for the whole run (default: back to `"auto"` after the call)."""
    parallel_tool_calls: bool | None = None
    """Whether the model may ask for several tool calls in one turn."""
    seed: int | None = None
    stop: Sequence[str] | None = None
    """Sequences that end the answer where they appear."""
    reasoning_effort: ReasoningEffort | None = None
    prompt_cache_key: str | None = None
    """Groups requests that share a prompt prefix, for the provider's prompt cache."""
    prompt_cache_retention: PromptCacheRetention | None = None
    service_tier: str | None = None
    """The provider's processing tier (OpenAI: `"auto"`, `"default"`, `"flex"`, `"priority"`; Anthropic: `"auto"`, `"standard_only"`)."""

    def __post_init__(self) -> None:
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        elif self.stop is not None:
            object.__setattr__(self, "stop", tuple(self.stop))
        if self.temperature is not None and self.temperature < 0:
            raise ValueError(f"temperature must not be negative, got {self.temperature}")
        if self.top_p is not None and not 0 <= self.top_p <= 1:
            raise ValueError(f"top_p must be between 0 and 1, got {self.top_p}")
        if self.max_output_tokens is not None and self.max_output_tokens < 1:
            raise ValueError(f"max_output_tokens must be at least 1, got {self.max_output_tokens}")

    def merged(self, later: ModelSettings | None) -> ModelSettings:
        """These settings with every field `later` sets (not `None`) taken from `later`."""
        if later is None or later == _NO_SETTINGS:
            return self
        if self == _NO_SETTINGS:
            return later
        changes = {name: value for name in _SETTING_NAMES if (value := getattr(later, name)) is not None}
        return ModelSettings(**{**{name: getattr(self, name) for name in _SETTING_NAMES}, **changes})


_NO_SETTINGS = ModelSettings()
_SETTING_NAMES = tuple(f.name for f in fields(ModelSettings))


@frozen
class ModelRequest:
    """One call to a model.

    `hosted_tools` are tools the provider runs itself (web search, ...), sent
    beside the function tools of `tools`. `settings` are the model settings
    every provider maps (`ModelSettings`);
    the output limit is `max_output_tokens` (a `settings.max_output_tokens`
    is copied there). Provider-specific options live under the provider's own
    key, for example `options={"openai": {"extra_body": {...}}}`; providers
    ignore other keys.
    """

    messages: Sequence[Message]
    tools: Sequence[ToolDefinition] = ()
    output: OutputSchema | None = None
    max_output_tokens: int | None = None
    options: Mapping[str, Mapping[str, object]] = field(default_factory=dict[str, Mapping[str, object]])
    settings: ModelSettings = _NO_SETTINGS
    hosted_tools: Sequence[HostedTool] = ()

    def __post_init__(self) -> None:
        if type(self.messages) is not tuple:
            object.__setattr__(self, "messages", tuple(self.messages))
        if type(self.tools) is not tuple:
            object.__setattr__(self, "tools", tuple(self.tools))
        if self.hosted_tools:
            object.__setattr__(self, "hosted_tools", tuple(self.hosted_tools))
        limit = self.settings.max_output_tokens
        if limit is not None and limit != self.max_output_tokens:
            if self.max_output_tokens is not None:
                raise ValueError(
                    f"max_output_tokens={self.max_output_tokens} and settings.max_output_tokens={limit} "
                    "disagree: give the limit once"
                )
            object.__setattr__(self, "max_output_tokens", limit)


@frozen
class ModelResponse:
    """What a model answered: parts (text, tool calls, reasoning), usage, why it stopped."""

    parts: tuple[Part, ...]
    usage: Usage = Usage()
    finish_reason: FinishReason = "stop"
    model: str = ""
    response_id: str = ""
    provider: str = ""
    """Which provider answered, when a provider says (`FallbackProvider` names the one of its providers that did)."""

    @property
    def text(self) -> str:
        """The text parts joined together."""
        return "".join(part.text for part in self.parts if isinstance(part, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        """The tool calls the model asks for."""
        return tuple([part for part in self.parts if isinstance(part, ToolCallPart)])

    @property
    def message(self) -> Message:
        """The response as an assistant message for the history."""
        return Message("assistant", self.parts)


@frozen
class TextDelta:
    """A piece of answer text, as it streams."""

    delta: str


@frozen
class ReasoningDelta:
    """A piece of reasoning summary text, as it streams."""

    delta: str


@frozen
class ToolCallStarted:
    """The model began a tool call."""

    call_id: str
    name: str


@frozen
class ToolCallDelta:
    """A piece of a tool call's JSON arguments."""

    call_id: str
    delta: str


@frozen
class ToolCallDone:
    """A tool call is complete. Sent exactly once per call."""

    call: ToolCallPart


@frozen
class ResponseCompleted:
    """The stream finished; `response` is the whole response with usage. Always last."""

    response: ModelResponse


ModelStreamEvent: TypeAlias = Union[
    TextDelta, ReasoningDelta, ToolCallStarted, ToolCallDelta, ToolCallDone, ResponseCompleted
]
"""What `Provider.stream()` yields. A stream that ends without `ResponseCompleted` is an error."""


def check_content(messages: Sequence[Message], capabilities: Capabilities, *, model: str) -> None:
    """Refuse media the model does not accept, or media where no message may carry it, before anything is sent.

    Images, audio and documents go in user messages and in tool results; a
    kind the model's `Capabilities.media` leaves out raises `UnsupportedContent`
    naming the kind and the fix. The runtime checks every request, and the
    shipped providers check what they are given.
    """
    accepted = capabilities.media
    for message in messages:
        for part in message.parts:
            if isinstance(part, MEDIA_PARTS):
                if message.role != "user":
                    raise UnsupportedContent(
                        f"a {message.role} message carries {_a(part.kind)}: images, audio and documents go in "
                        "user messages and in tool results (ToolResultPart.media)",
                        feature=f"{part.kind} input",
                        provider=model,
                    )
                if part.kind not in accepted:
                    raise _refused(part, accepted, model)
            elif isinstance(part, ToolResultPart):
                for media in part.media:
                    if media.kind not in accepted:
                        raise _refused(media, accepted, model)


def _refused(part: MediaPart, accepted: frozenset[MediaKind], model: str) -> UnsupportedContent:
    takes = ", ".join(sorted(accepted)) or "text only"
    return UnsupportedContent(
        f"{model} does not accept {part.kind} input (its Capabilities.media: {takes}); nothing was sent. "
        f"Use a model that does, declare what the model takes with capabilities=Capabilities(..., "
        f'media=frozenset({{"{part.kind}", ...}})), or leave the {part.kind} out',
        feature=f"{part.kind} input",
        provider=model,
    )


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


class Provider(Protocol):
    """A model behind some API. Any object with these three methods fits."""

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send the request and return the whole response."""
        ...

    def stream(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """Send the request and yield events as they arrive, ending with `ResponseCompleted`."""
        ...

    def capabilities(self) -> Capabilities:
        """What the model can do, including its context window."""
        ...
