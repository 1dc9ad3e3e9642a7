"""`AnthropicProvider`: Anthropic's Messages API behind Runlet's `Provider` protocol.

Importing this module does not import `anthropic`; constructing the provider
does, and raises `UserError` when the extra is missing
(`pip install "runlet[anthropic]"`). It uses the official SDK's `AsyncAnthropic`.

Decisions worth knowing:

- System messages are joined into the request's `system` text. Messages of the
  same role in a row are merged into one turn, and in a user turn the
  `tool_result` blocks come first: consecutive tool results travel in one user
  message, right after the assistant turn with their `tool_use` blocks, as the
  API requires. A failed tool call's result is sent with `is_error: true`.
- Thinking: `thinking` and `redacted_thinking` blocks become
  `ReasoningPart(provider="anthropic", data=<the block>)` (signature included)
  and go back unchanged, in their place before the `tool_use` they led to, as
  the API requires with extended thinking. Other providers' reasoning is skipped.
  Thinking text streams as `ReasoningDelta`.
- `max_tokens`, which the API requires, is `request.max_output_tokens`, else the
  model's `capabilities().max_output_tokens`. Like every shipped provider,
  `complete()` and `stream()` send the timeout explicitly (the one of
  `options["anthropic"]`, else the client's own), so the SDK's "streaming is
  required for long requests" guard does not refuse a large `max_tokens`;
  `Runtime(model_timeout=...)` bounds the call.
- Usage: Anthropic's `input_tokens` counts only the uncached part of the input.
  Runlet's `input_tokens` is the total the model saw (uncached + cache reads +
  cache writes), as OpenAI reports it, so budgets, limits and calibration mean
  the same on every provider; `cached_input_tokens` is `cache_read_input_tokens`.
- Structured output: by default (`structured_output="native"`) the documented
  structured-outputs feature, `output_config.format` of type `json_schema`: the
  answer comes back as JSON text. Models or compatible servers without it can
  use `structured_output="tool"`: the schema becomes a tool named
  `OUTPUT_TOOL_NAME` that the model must call (`tool_choice` `any` when the
  agent has tools of its own, else that tool), and its input comes back as the
  answer text (and streams as `TextDelta`s), never as a tool call. A forced
  `tool_choice` is incompatible with extended thinking: with thinking on, use
  the native mode or override `tool_choice` in the options.
- Tools go without `"strict"`: `ToolDefinition.strict` follows OpenAI's strict
  rules, and Anthropic's strict tool use has limits of its own (see
  docs/providers.md, "Strict schemas").
- `request.options["anthropic"]` follows the rules of the OpenAI providers:
  `extra_headers`, `extra_query`, `extra_body` and `timeout` as the SDK's
  request options, every other key as the `messages.create()` parameter of
  that name (winning over what the provider derived; an `output_config`
  mapping is merged over the derived one). Keys the SDK does not know raise
  `UserError`: put them under `extra_body`.
- Errors: 429 -> `RateLimited`; 529 (overloaded) and 5xx -> `ProviderUnavailable`
  (both retryable); 401/403 -> `AuthenticationFailed`; a 400 saying the prompt
  is too long -> `ContextLengthExceeded`; other 4xx -> `BadRequest`. An `error`
  event inside a stream is mapped by its type the same way. The stop reasons
  `max_tokens` and `model_context_window_exceeded` give `finish_reason="length"`,
  `refusal` gives `"content_filter"`, `pause_turn` gives `"other"`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

from typing_extensions import assert_never

from runlet.core.errors import (
    MalformedResponse,
    ProviderError,
    ProviderUnavailable,
    UnsupportedContent,
    UnsupportedFeature,
    UserError,
)
from runlet.core.hosted import CodeInterpreter, FileSearch, HostedTool, WebSearch
from runlet.core.json import JsonObject
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImagePart,
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from runlet.core.models import (
    Capabilities,
    FinishReason,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    ModelStreamEvent,
    OutputSchema,
    ReasoningDelta,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
    ToolDefinition,
    Usage,
    check_content,
)
from runlet.providers._connection import Redactor, api_key_or_placeholder, reject_settings_beside_client
from runlet.providers._envelope import Envelope, Sdk, body_message, status_error
from runlet.providers._model_table import CLAUDE_MODELS, VISION
from runlet.providers._options import CallOptions, ToolsOption, api_parameters, apply_options
from runlet.providers._settings import tool_choice, unsupported
from runlet.providers.strict_schema import schema_to_send

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import (
        ContentBlock,
        Message as AnthropicMessage,
        MessageParam,
        RawContentBlockDeltaEvent,
        RawContentBlockStartEvent,
        RawMessageStreamEvent,
        ToolChoiceParam,
        ToolParam,
        ToolUnionParam,
        WebSearchTool20250305Param,
    )
    from anthropic.types.message_create_params import MessageCreateParamsBase

__all__ = ["AnthropicProvider"]

PROVIDER = "anthropic"
"""The key of this provider's options in `ModelRequest.options` and of its `ReasoningPart`s."""

OUTPUT_TOOL_NAME = "runlet_output"
"""The tool that carries the final answer when `structured_output="tool"`."""

DEFAULT_CAPABILITIES = Capabilities(context_window=200_000, max_output_tokens=8_192, media=VISION)
"""For models the table of Claude models does not know. Every current Claude model takes 200k
tokens, images and PDFs; the output limit is kept small so a default `max_tokens` is always accepted."""

HOSTED_TOOLS = ToolsOption(frozenset({"custom"}), True, '{"type": "web_search_20250305", "name": "web_search"}')
"""`options["anthropic"]["tools"]` adds server and Anthropic-defined tools to the agent's; custom tools are refused."""

# The HTTP status an error type stands for, for `error` events inside a 200 stream.
_TYPE_STATUS: Mapping[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}

_TOOL_CHOICES: Mapping[str, dict[str, object]] = {"auto": {"type": "auto"}, "none": {"type": "none"}, "required": {"type": "any"}}
"""`ModelSettings.tool_choice` as Anthropic's `tool_choice` types."""

_STOP: Mapping[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
    "pause_turn": "other",
}


class AnthropicProvider:
    """A Claude model behind Anthropic's Messages API (or a server compatible with it).

    ```python
    provider = AnthropicProvider(model="claude-sonnet-4-5")
    ```

    Arguments:
        model: the model name sent with every request.
        base_url: the API root (default: `ANTHROPIC_BASE_URL`, else Anthropic's).
        api_key: the key (default: `ANTHROPIC_API_KEY`, or the SDK's other
            credentials: `ANTHROPIC_AUTH_TOKEN`, `ANTHROPIC_PROFILE`). Optional
            when a base URL is given: a placeholder is sent then.
        client: an `anthropic.AsyncAnthropic` you configured yourself; it is
            used as is, and the connection arguments must then be left out.
        capabilities: what the model can do; wins over the built-in table
            (`DEFAULT_CAPABILITIES` for unknown models).
        timeout: seconds per request (default: the SDK's, 10 minutes).
        max_retries: the SDK's own retries, 0 by default because the runtime
            retries with its own policy.
        structured_output: `"native"` (`output_config.format`) or `"tool"`
            (a forced output tool), see the module's notes.
        default_headers: passed to `AsyncAnthropic`.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncAnthropic | None = None,
        capabilities: Capabilities | None = None,
        timeout: float | None = None,
        max_retries: int = 0,
        structured_output: Literal["native", "tool"] = "native",
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        if structured_output not in ("native", "tool"):
            raise UserError(f'AnthropicProvider: structured_output must be "native" or "tool", not {structured_output!r}')
        self.model = model
        self._capabilities = capabilities
        self._structured_output = structured_output
        self._client = _anthropic_client(
            base_url=base_url,
            api_key=api_key,
            client=client,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        self._envelope = Envelope(self._client, _anthropic_sdk())
        self._api_parameters = api_parameters(self._client.messages.create)

    def __repr__(self) -> str:
        return f"AnthropicProvider(model={self.model!r})"

    # -- Provider protocol -------------------------------------------------

    def capabilities(self) -> Capabilities:
        """The `capabilities=` given, else the known family's, else `DEFAULT_CAPABILITIES`."""
        return CLAUDE_MODELS.capabilities(self.model, given=self._capabilities, default=DEFAULT_CAPABILITIES)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send the request with `client.messages.create()` and map the whole message."""
        params, options = self._build_call(request)
        message = await self._envelope.send(lambda sdk: self._client.messages.create(**params, **sdk), options)
        try:
            return self._model_response(message)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise self._envelope.unreadable("Anthropic message", exc) from exc

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelStreamEvent, None]:
        """Stream the message as provider-neutral events, ending with `ResponseCompleted`.

        It is an async generator: closing it early (`aclose()`, a `break` inside
        `contextlib.aclosing(...)`, task cancellation) closes the HTTP stream.
        """
        params, options = self._build_call(request)
        state = _StreamState(model=self.model, output_tool=self._output_tool(request))
        async for out in self._envelope.stream(
            lambda sdk: self._client.messages.create(**params, stream=True, **sdk),
            options,
            state.step,
            marker="message_stop",
        ):
            yield out

    # -- request -------------------------------------------------------------

    def _output_tool(self, request: ModelRequest) -> str | None:
        if request.output is not None and self._structured_output == "tool":
            return OUTPUT_TOOL_NAME
        return None

    def _build_call(self, request: ModelRequest) -> tuple[MessageCreateParamsBase, CallOptions]:
        check_content(request.messages, self.capabilities(), model=repr(self))
        system, messages = _messages(request.messages)
        max_tokens = request.max_output_tokens or self.capabilities().max_output_tokens
        params: MessageCreateParamsBase = {"model": self.model, "max_tokens": max_tokens, "messages": messages}
        if system:
            params["system"] = system
        tools: list[ToolUnionParam] = [_tool_param(tool) for tool in request.tools]
        for hosted in request.hosted_tools:
            tools.append(_server_tool(hosted, params))
        if request.output is not None:
            if self._structured_output == "native":
                params["output_config"] = {"format": {"type": "json_schema", "schema": _output_schema(request.output)}}
            else:
                tools.append(_output_tool_param(request.output))
                choice: ToolChoiceParam = (
                    {"type": "any"} if request.tools else {"type": "tool", "name": OUTPUT_TOOL_NAME}
                )
                params["tool_choice"] = choice
        if tools:
            params["tools"] = tools
        names = [tool.name for tool in request.tools] + [str(tool.get("name", "")) for tool in tools[len(request.tools) :]]
        self._apply_settings(params, request.settings, names)
        options = apply_options(
            request.options.get(PROVIDER),
            cast("dict[str, object]", params),
            key=PROVIDER,
            parameters=self._api_parameters,
            method="anthropic.AsyncAnthropic().messages.create()",
            tools=HOSTED_TOOLS,
            merge=frozenset({"output_config"}),
        )
        return params, options

    def _apply_settings(self, params: MessageCreateParamsBase, settings: ModelSettings, tools: list[str]) -> None:
        """`ModelSettings` as `messages.create()` parameters; see docs/providers.md for what has no equivalent."""
        owner = "AnthropicProvider"
        for name in ("temperature", "top_p"):
            value: float | None = getattr(settings, name)
            if value is None:
                continue
            if name not in self._api_parameters:
                raise unsupported(
                    owner,
                    name,
                    "the installed anthropic SDK's messages.create() takes no such parameter (recent Claude models fix it)",
                    f'Leave it out, or send options={{"anthropic": {{"extra_body": {{"{name}": ...}}}}}} to a model that takes it.',
                )
            cast("dict[str, object]", params)[name] = value
        choice = tool_choice(settings, tools, owner, hosted=False)  # hosted tools are in `tools` here
        parallel = settings.parallel_tool_calls
        if choice is not None or (parallel is not None and tools):
            chosen: dict[str, object] = dict(params.get("tool_choice") or {"type": "auto"})
            if choice is not None:
                chosen = _TOOL_CHOICES[choice] if isinstance(choice, str) else {"type": "tool", "name": choice.name}
            if parallel is not None and chosen["type"] != "none":
                chosen["disable_parallel_tool_use"] = not parallel
            params["tool_choice"] = cast("ToolChoiceParam", chosen)
        if settings.seed is not None:
            raise unsupported(owner, "seed", "the Messages API takes no seed", "Leave it out.")
        if settings.stop is not None:
            params["stop_sequences"] = list(settings.stop)
        effort = settings.reasoning_effort
        if effort is not None:
            if effort == "none" or effort == "minimal":
                raise unsupported(
                    owner, f"reasoning_effort={effort!r}", "Claude's efforts are low, medium, high, xhigh and max", "Use one of those."
                )
            params["output_config"] = {**params.get("output_config", {}), "effort": effort}
        # prompt_cache_key has no Anthropic equivalent (its cache matches prompt prefixes): a documented no-op.
        if settings.prompt_cache_retention is not None:
            if "cache_control" not in self._api_parameters:
                raise unsupported(
                    owner, "prompt_cache_retention", "the installed anthropic SDK takes no top-level cache_control", "Upgrade the SDK, or leave it out."
                )
            ttl: Literal["5m", "1h"] = "5m" if settings.prompt_cache_retention == "short" else "1h"
            params["cache_control"] = {"type": "ephemeral", "ttl": ttl}
        tier = settings.service_tier
        if tier is not None:
            if tier == "auto":
                params["service_tier"] = "auto"
            elif tier == "standard_only":
                params["service_tier"] = "standard_only"
            else:
                raise unsupported(owner, f"service_tier={tier!r}", 'Anthropic\'s tiers are "auto" and "standard_only"', "Use one of those.")

    # -- response ------------------------------------------------------------

    def _model_response(self, message: AnthropicMessage) -> ModelResponse:
        output_tool = OUTPUT_TOOL_NAME if self._structured_output == "tool" else None
        parts: list[Part] = []
        for block in message.content:
            part = _Block.of(block).part(output_tool)
            if part is not None:
                parts.append(part)
        usage = _usage(_usage_counts(message.usage))
        return _response(parts, message.stop_reason, usage, message.model or self.model, message.id)


# -- the SDK -----------------------------------------------------------------------


def _anthropic_client(
    *,
    base_url: str | None,
    api_key: str | None,
    client: AsyncAnthropic | None,
    timeout: float | None,
    max_retries: int,
    default_headers: Mapping[str, str] | None,
) -> AsyncAnthropic:
    """`client` when given (alone), else an `AsyncAnthropic` built from the settings."""
    try:
        import anthropic
    except ImportError as exc:
        raise UserError('AnthropicProvider needs the anthropic package: pip install "runlet[anthropic]"') from exc

    settings = {"base_url": base_url, "api_key": api_key, "timeout": timeout, "default_headers": default_headers}
    if client is not None:
        reject_settings_beside_client("AnthropicProvider", settings, max_retries=max_retries)
        return client
    key = api_key_or_placeholder(
        "AnthropicProvider",
        api_key,
        base_url,
        env_prefix="ANTHROPIC",
        other_credentials=("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"),
        hint="; for other credentials build an anthropic.AsyncAnthropic and pass client=",
    )
    try:
        return anthropic.AsyncAnthropic(
            api_key=key or None,
            base_url=base_url,
            timeout=anthropic.NOT_GIVEN if timeout is None else timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
    except anthropic.AnthropicError as exc:
        raise UserError(f"AnthropicProvider: {Redactor(key)(str(exc))}") from exc


def _anthropic_sdk() -> Sdk:
    """The Anthropic SDK as the envelope sees it (imports `anthropic`)."""
    import anthropic

    return Sdk(
        name="Anthropic", provider=PROVIDER, exceptions=anthropic, error=anthropic.AnthropicError, classify=_classify
    )


def _classify(exc: BaseException, redact: Redactor) -> ProviderError | None:
    """Status errors (and `error` events in a stream) by status, transport errors as unavailable."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        kind = exc.type
        status = exc.status_code
        if status < 400:  # an `error` event inside a stream
            status = _TYPE_STATUS.get(kind or "", 500)
        message = exc.api_message or body_message(exc.body, exc.message)
        text = redact(f"Anthropic API error {status}{f' [{kind}]' if kind else ''}: {message}")
        lowered = message.lower()
        too_long = "prompt is too long" in lowered or "context window" in lowered or (
            exc.error_code is not None and "too_long" in exc.error_code
        )
        return status_error(status, text, provider=PROVIDER, context_exceeded=too_long)
    if _is_transport_error(exc):
        # The SDK lets a connection dropped mid-stream through as its HTTP library's error.
        return ProviderUnavailable(
            redact(f"the connection to the Anthropic API failed: {type(exc).__name__}: {exc}"),
            provider=PROVIDER,
        )
    return None


def _is_transport_error(exc: BaseException) -> bool:
    """Whether `exc` is a transport error of the HTTP stack under the SDK (httpx2 or httpx)."""
    return any(
        klass.__name__ in ("TransportError", "TimeoutException")
        and klass.__module__.split(".")[0] in ("httpx", "httpx2")
        for klass in type(exc).__mro__
    )


# -- content blocks and streaming ----------------------------------------------------


@dataclass
class _Block:
    """A content block: as the SDK gave it (`data`), plus the text and signature streamed into it."""

    type: str
    data: dict[str, object]
    text: list[str] = field(default_factory=list[str])
    signature: list[str] = field(default_factory=list[str])

    @classmethod
    def of(cls, block: ContentBlock) -> _Block:
        return cls(block.type, cast("dict[str, object]", block.model_dump(mode="json", exclude_none=True)))

    def part(self, output_tool: str | None) -> Part | None:
        """The part the block is; server tools' calls and results are `HostedToolPart`s; `None` for other blocks."""
        data = self.data
        if self.type == "text":
            return TextPart(str(data.get("text", "")) + "".join(self.text))
        if self.type == "thinking":
            thinking = str(data.get("thinking", "")) + "".join(self.text)
            signature = str(data.get("signature", "")) + "".join(self.signature)
            return ReasoningPart(
                provider=PROVIDER,
                data={"type": "thinking", "thinking": thinking, "signature": signature},
                summary=thinking,
            )
        if self.type == "redacted_thinking":
            return ReasoningPart(provider=PROVIDER, data=cast(JsonObject, data))
        if self.type == "tool_use":
            call_id, name = data.get("id"), data.get("name")
            if not isinstance(call_id, str) or not isinstance(name, str) or not call_id or not name:
                raise MalformedResponse(f"Anthropic tool_use block without id or name: {data!r}", provider=PROVIDER)
            arguments = "".join(self.text) or json.dumps(data.get("input") or {})
            if name == output_tool:
                return TextPart(arguments)
            return ToolCallPart(call_id, name, arguments)
        if self.type == "server_tool_use":
            return self._server_call()
        if self.type.endswith("_tool_result") and isinstance(data.get("tool_use_id"), str):
            name = self.type.removesuffix("_tool_result")
            return HostedToolPart(PROVIDER, name, str(data["tool_use_id"]), cast(JsonObject, data), result=True)
        return None

    def _server_call(self) -> HostedToolPart:
        """A server tool's call (web search, code execution), its streamed input put back into the block."""
        data = dict(self.data)
        if self.text:
            data["input"] = json.loads("".join(self.text))
        call_id, name, given = data.get("id"), data.get("name"), data.get("input")
        if not isinstance(call_id, str) or not isinstance(name, str):
            raise MalformedResponse(f"Anthropic server_tool_use block without id or name: {data!r}", provider=PROVIDER)
        inputs = cast("dict[str, object]", given) if isinstance(given, dict) else {}
        detail = next((str(inputs[key]) for key in ("query", "code", "command", "url") if key in inputs), "")
        return HostedToolPart(PROVIDER, name, call_id, cast(JsonObject, data), detail=detail)


@dataclass
class _StreamState:
    """The message as it streams: blocks by index, stop reason, usage."""

    model: str
    output_tool: str | None
    message_id: str = ""
    blocks: dict[int, _Block] = field(default_factory=dict[int, _Block])
    parts: dict[int, Part] = field(default_factory=dict[int, Part])
    stop_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict[str, int])
    """The usage counts reported so far: later events carry cumulative counts."""

    def step(self, event: RawMessageStreamEvent) -> list[ModelStreamEvent]:
        """The events one SDK event makes (most make none)."""
        if event.type == "message_start":
            self.message_id = event.message.id
            self.model = event.message.model or self.model
            self.usage.update(_usage_counts(event.message.usage))
        elif event.type == "content_block_start":
            return self._block_start(event)
        elif event.type == "content_block_delta":
            return self._block_delta(event)
        elif event.type == "content_block_stop":
            return self._block_stop(event.index)
        elif event.type == "message_delta":
            if event.delta.stop_reason is not None:
                self.stop_reason = event.delta.stop_reason
            self.usage.update(_usage_counts(event.usage))
        elif event.type == "message_stop":
            parts = [self.parts[index] for index in sorted(self.parts)]
            response = _response(parts, self.stop_reason, _usage(self.usage), self.model, self.message_id)
            return [ResponseCompleted(response)]
        return []

    def _block_start(self, event: RawContentBlockStartEvent) -> list[ModelStreamEvent]:
        block = event.content_block
        self.blocks[event.index] = _Block.of(block)
        if block.type == "tool_use" and block.name != self.output_tool:
            return [ToolCallStarted(block.id, block.name)]
        if block.type == "text" and block.text:
            return [TextDelta(block.text)]
        return []

    def _block_delta(self, event: RawContentBlockDeltaEvent) -> list[ModelStreamEvent]:
        current = self.blocks.get(event.index)
        if current is None:
            raise MalformedResponse(
                f"Anthropic stream sent a delta for block {event.index} before its start", provider=PROVIDER
            )
        delta = event.delta
        if delta.type == "text_delta":
            current.text.append(delta.text)
            return [TextDelta(delta.text)] if delta.text else []
        if delta.type == "thinking_delta":
            current.text.append(delta.thinking)
            return [ReasoningDelta(delta.thinking)] if delta.thinking else []
        if delta.type == "signature_delta":
            current.signature.append(delta.signature)
            return []
        if delta.type == "input_json_delta":
            current.text.append(delta.partial_json)
            if not delta.partial_json or current.type == "server_tool_use":
                return []
            if current.data.get("name") == self.output_tool:
                return [TextDelta(delta.partial_json)]
            return [ToolCallDelta(str(current.data.get("id", "")), delta.partial_json)]
        return []  # citations and future delta types

    def _block_stop(self, index: int) -> list[ModelStreamEvent]:
        current = self.blocks.get(index)
        part = current.part(self.output_tool) if current is not None else None
        if part is None:
            return []
        self.parts[index] = part
        return [ToolCallDone(part)] if isinstance(part, ToolCallPart) else []


# -- mapping helpers -----------------------------------------------------------------


def _response(
    parts: list[Part], stop_reason: str | None, usage: Usage, model: str, response_id: str
) -> ModelResponse:
    has_calls = any(isinstance(part, ToolCallPart) for part in parts)
    finish: FinishReason = "tool_calls" if has_calls else _STOP.get(stop_reason or "end_turn", "other")
    if finish == "tool_calls" and not has_calls:
        finish = "stop"  # the output tool's call is the answer
    if not parts:
        if finish == "stop":
            raise MalformedResponse(
                f"Anthropic message {response_id!r} ended its turn with no content", provider=PROVIDER
            )
        parts = [TextPart("")]
    return ModelResponse(parts=tuple(parts), usage=usage, finish_reason=finish, model=model, response_id=response_id)


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _usage_counts(usage: object) -> dict[str, int]:
    """The usage counts an SDK usage object has (compatible servers may leave some out)."""
    counts: dict[str, int] = {}
    for name in _USAGE_FIELDS:
        value: object = getattr(usage, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            counts[name] = value
    return counts


def _usage(counts: Mapping[str, int]) -> Usage:
    """Runlet's usage: `input_tokens` is the whole input (uncached + cache reads + cache writes)."""
    read = counts.get("cache_read_input_tokens", 0)
    return Usage(
        input_tokens=counts.get("input_tokens", 0) + read + counts.get("cache_creation_input_tokens", 0),
        output_tokens=counts.get("output_tokens", 0),
        cached_input_tokens=read,
        requests=1,
    )


def _tool_param(tool: ToolDefinition) -> ToolParam:
    schema = cast("dict[str, object]", dict(tool.parameters))
    return {"name": tool.name, "description": tool.description, "input_schema": schema}


def _output_schema(output: OutputSchema) -> dict[str, object]:
    """The answer's schema, in its strict form when it has one (every object closed with `additionalProperties: false`)."""
    return cast("dict[str, object]", dict(schema_to_send(output.schema, output.strict)[0]))


def _output_tool_param(output: OutputSchema) -> ToolParam:
    schema = _output_schema(output)
    return {
        "name": OUTPUT_TOOL_NAME,
        "description": f"Give the final answer ({output.name}). Call this once you have everything you need.",
        "input_schema": schema,
    }


def _messages(messages: Sequence[Message]) -> tuple[str, list[MessageParam]]:
    """System text, and the turns with same-role neighbours merged and tool results first."""
    system = [message.text for message in messages if message.role == "system" and message.text]
    turns: list[tuple[Literal["user", "assistant"], list[dict[str, object]], list[dict[str, object]]]] = []
    for message in messages:
        if message.role == "system":
            continue
        role: Literal["user", "assistant"] = "assistant" if message.role == "assistant" else "user"
        results: list[dict[str, object]] = []
        blocks: list[dict[str, object]] = []
        for part in message.parts:
            match part:
                case TextPart():
                    if part.text:
                        blocks.append({"type": "text", "text": part.text})
                case ToolCallPart():
                    if role != "assistant":
                        raise UserError(f"a {message.role} message cannot carry a tool call ({part.call_id!r})")
                    blocks.append({"type": "tool_use", "id": part.call_id, "name": part.name, "input": _tool_input(part)})
                case ToolResultPart():
                    if role == "assistant":
                        raise UserError(f"an assistant message cannot carry a tool result ({part.call_id!r})")
                    results.append(_tool_result(part))
                case ReasoningPart() | HostedToolPart():
                    if part.provider == PROVIDER and role == "assistant":
                        blocks.append(dict(part.data))  # thinking and server tools' blocks, sent back as received
                case ImagePart() | AudioPart() | DocumentPart():
                    blocks.append(_media_block(part))
                case _:
                    assert_never(part)
        if not results and not blocks:
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(results)
            turns[-1][2].extend(blocks)
        else:
            turns.append((role, results, blocks))
    out: list[MessageParam] = []
    for role, results, blocks in turns:
        content = [*results, *blocks]
        if content:
            out.append(cast("MessageParam", {"role": role, "content": content}))
    return "\n\n".join(system), out


def _server_tool(tool: HostedTool, params: MessageCreateParamsBase) -> ToolUnionParam:
    """A hosted tool as Anthropic's server tool (`web_search_20250305`, `code_execution_20250825`)."""
    match tool:
        case WebSearch():
            if tool.search_context_size is not None:
                raise _no_server_tool("WebSearch(search_context_size=...) is the Responses API's; leave it out", "web_search search_context_size")
            search: WebSearchTool20250305Param = {"type": "web_search_20250305", "name": "web_search"}
            if tool.allowed_domains:
                search["allowed_domains"] = list(tool.allowed_domains)
            if tool.max_uses is not None:
                search["max_uses"] = tool.max_uses
            return search
        case CodeInterpreter():
            if tool.file_ids:
                raise _no_server_tool("CodeInterpreter(file_ids=...) is the Responses API's; leave it out", "code_interpreter file_ids")
            if tool.container is not None:
                params["container"] = tool.container
            return {"type": "code_execution_20250825", "name": "code_execution"}
        case FileSearch():
            raise _no_server_tool("Anthropic has no hosted file search: use OpenAIResponsesProvider, or a function tool", "file_search")
        case _:
            assert_never(tool)


def _no_server_tool(message: str, feature: str) -> UnsupportedFeature:
    return UnsupportedFeature(f"AnthropicProvider: {message}; nothing was sent", feature=feature, provider="AnthropicProvider")


def _tool_result(part: ToolResultPart) -> dict[str, object]:
    """A `tool_result` block: the text, or the text and the media the tool returned as content blocks."""
    content: object = part.content
    if part.media:
        text: list[dict[str, object]] = [{"type": "text", "text": part.content}] if part.content else []
        content = [*text, *(_media_block(media) for media in part.media)]
    result: dict[str, object] = {"type": "tool_result", "tool_use_id": part.call_id, "content": content}
    if part.is_error:
        result["is_error"] = True
    return result


_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _media_block(part: MediaPart) -> dict[str, object]:
    """An `image` or `document` block, from the part's bytes (base64, or text for a text document) or its URL."""
    match part:
        case ImagePart():
            if part.data is None:
                return {"type": "image", "source": {"type": "url", "url": part.url}}
            if part.media_type not in _IMAGE_TYPES:
                raise UnsupportedContent(
                    f"Anthropic takes JPEG, PNG, GIF and WebP images, not {part.media_type}: convert the image first",
                    feature="image input",
                    provider="AnthropicProvider",
                )
            return {"type": "image", "source": {"type": "base64", "media_type": part.media_type, "data": _base64(part.data)}}
        case DocumentPart():
            block: dict[str, object] = {"type": "document"}
            if part.data is None:
                block["source"] = {"type": "url", "url": part.url}
            elif part.media_type == "application/pdf":
                block["source"] = {"type": "base64", "media_type": "application/pdf", "data": _base64(part.data)}
            elif part.media_type.startswith("text/"):
                block["source"] = {"type": "text", "media_type": "text/plain", "data": part.data.decode("utf-8", "replace")}
            else:
                raise UnsupportedContent(
                    f"Anthropic takes PDF and text documents, not {part.media_type}: convert the document first",
                    feature="document input",
                    provider="AnthropicProvider",
                )
            if part.filename:
                block["title"] = part.filename
            return block
        case AudioPart():
            raise UnsupportedContent(
                "Anthropic's Messages API takes no audio: transcribe the recording first, or use a model that takes audio",
                feature="audio input",
                provider="AnthropicProvider",
            )
        case _:
            assert_never(part)


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _tool_input(part: ToolCallPart) -> dict[str, object]:
    """The call's arguments as the object the API wants back (`{}` when they were not an object)."""
    try:
        value = json.loads(part.arguments or "{}")
    except ValueError:
        return {}
    return cast("dict[str, object]", value) if isinstance(value, dict) else {}
