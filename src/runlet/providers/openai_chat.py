"""`OpenAIChatCompletionsProvider`: the Chat Completions API behind Runlet's `Provider` protocol.

Chat Completions is the API most self-hosted and third-party servers speak
(vLLM, llama.cpp's server, Ollama, LM Studio, gateways), so this provider is
deliberately lenient about what servers leave out and conservative about what
it sends. Importing this module does not import `openai`; constructing the
provider does, and raises `UserError` when the extra is missing
(`pip install "runlet[openai]"`).

Decisions worth knowing:

- Connection, retries and `options["openai"]` follow exactly the rules of
  `OpenAIResponsesProvider` (the code is shared): SDK retries off by default, a
  key optional when a base URL is given, `extra_headers` / `extra_query` /
  `extra_body` / `timeout` as the SDK's request options and every other key as
  the `chat.completions.create()` parameter of that name (winning over what the
  provider derived; a `response_format` mapping replaces the derived one;
  `max_completion_tokens` replaces the derived `max_tokens`).
- System messages are joined into one leading system message: many chat
  templates refuse a system message anywhere else.
- `request.max_output_tokens` is sent as `max_tokens`, which every compatible
  server knows (`max_tokens_parameter="max_completion_tokens"` for OpenAI's
  reasoning models). Nothing is sent when it is `None`: the server's default.
- A tool's `"strict": true` is sent, with the strict form of its schema, when
  the definition is strict and the schema has one (`runlet.providers.strict_schema`);
  otherwise the field is left out.
- Structured output uses `response_format` of type `json_schema`. With a
  `capabilities=` that says `structured_output=False`, the schema goes into
  the system message instead, for servers that reject `response_format`.
- Streaming asks for usage in the last chunk (`stream_options.include_usage`;
  `stream_usage=False` for servers that refuse the field). Usage is read from
  whichever chunk carries it; a server that sends none gives `Usage(requests=1)`.
  Tool-call deltas are accumulated by `index`: the first delta of an index
  brings the id and name, later ones bring argument text. A call id the
  server leaves out is made up (`call_<random>`). Every `ToolCallDone` is sent
  once, when the choice's `finish_reason` arrives; `ResponseCompleted` follows
  when the stream ends, after the usage chunk. A stream that ends without a
  `finish_reason` raises `StreamInterrupted`, which the runtime retries.
- Servers that say `"stop"` while returning tool calls (several do) still give
  `finish_reason="tool_calls"`. A refusal becomes text with `"content_filter"`.
- A reasoning text some servers add (`reasoning_content` or `reasoning`, as
  vLLM, DeepSeek and Ollama do) streams as `ReasoningDelta` and is kept as a
  `ReasoningPart(provider="openai_chat")`, which is never sent back (those
  servers ask not to).
- Capabilities are conservative (`DEFAULT_CAPABILITIES`: 8k context, 2k output,
  no parallel tool calls) unless the model is a known OpenAI model reached
  through a gateway; pass `capabilities=` to describe your server's model.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

from typing_extensions import assert_never

from runlet.core.errors import MalformedResponse, StreamInterrupted, UnsupportedContent, UnsupportedFeature, UserError
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
    UseTool,
    check_content,
)
from runlet.providers._envelope import Envelope
from runlet.providers._model_table import OPENAI_MODELS
from runlet.providers._openai import OPENAI, data_url, int_attr, openai_client, openai_sdk, schema_name
from runlet.providers._options import CallOptions, ToolsOption, api_parameters, apply_options
from runlet.providers._settings import OPENAI_CACHE_RETENTION, tool_choice
from runlet.providers.strict_schema import schema_to_send

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types import CompletionUsage
    from openai.types.chat import (
        ChatCompletion,
        ChatCompletionChunk,
        ChatCompletionContentPartParam,
        ChatCompletionFunctionToolParam,
        ChatCompletionMessageFunctionToolCallParam,
        ChatCompletionMessageParam,
    )
    from openai.types.chat.completion_create_params import CompletionCreateParamsBase
    from openai.types.shared_params import ResponseFormatJSONSchema

__all__ = ["OpenAIChatCompletionsProvider"]

OPTIONS_KEY = OPENAI
"""The key of this provider's options in `ModelRequest.options` (shared with the Responses provider)."""

REASONING_PROVIDER = "openai_chat"
"""The `provider` of the `ReasoningPart`s this provider makes (never sent back)."""

DEFAULT_CAPABILITIES = Capabilities(
    context_window=8_192, max_output_tokens=2_048, parallel_tool_calls=False
)
"""For models not known to be OpenAI's: small on purpose, since servers vary.
Pass `capabilities=` to describe the real model and server."""

HOSTED_TOOLS = ToolsOption(frozenset({"function", "custom"}), False, '{"type": "<a tool type your server runs itself>"}')
"""`options["openai"]["tools"]` adds tools the server runs itself to the agent's; function and custom tools are refused."""

_FINISH: Mapping[str, FinishReason] = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
}


class OpenAIChatCompletionsProvider:
    """A model behind the Chat Completions API: OpenAI's, or any compatible server's.

    ```python
    provider = OpenAIChatCompletionsProvider(model="qwen3:8b", base_url="http://localhost:11434/v1")
    provider = OpenAIChatCompletionsProvider(
        model="meta-llama/Llama-3.1-8B-Instruct",
        base_url="http://localhost:8000/v1",
        capabilities=Capabilities(context_window=131_072, max_output_tokens=8_192),
    )
    ```

    Arguments:
        model: the model name sent with every request.
        base_url: the API root (default: `OPENAI_BASE_URL`, else OpenAI's).
        api_key: the key (default: `OPENAI_API_KEY`). Optional when a base URL
            is given: a placeholder is sent then.
        client: an `openai.AsyncOpenAI` you configured yourself; it is used as
            is, and the connection arguments must then be left out.
        capabilities: what the model can do (default: a known OpenAI model's,
            else the conservative `DEFAULT_CAPABILITIES`).
        timeout: seconds per request (default: the SDK's, 10 minutes).
        max_retries: the SDK's own retries, 0 by default because the runtime
            retries with its own policy.
        stream_usage: ask for usage in the last stream chunk (default `True`).
        max_tokens_parameter: the field `max_output_tokens` is sent as.
        organization: passed to `AsyncOpenAI`.
        project: passed to `AsyncOpenAI`.
        default_headers: passed to `AsyncOpenAI`.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncOpenAI | None = None,
        capabilities: Capabilities | None = None,
        timeout: float | None = None,
        max_retries: int = 0,
        stream_usage: bool = True,
        max_tokens_parameter: Literal["max_tokens", "max_completion_tokens"] = "max_tokens",
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self._capabilities = capabilities
        self._stream_usage = stream_usage
        self._max_tokens_parameter = max_tokens_parameter
        self._client = openai_client(
            "OpenAIChatCompletionsProvider",
            base_url=base_url,
            api_key=api_key,
            client=client,
            timeout=timeout,
            max_retries=max_retries,
            organization=organization,
            project=project,
            default_headers=default_headers,
        )
        self._envelope = Envelope(self._client, openai_sdk())
        self._api_parameters = api_parameters(self._client.chat.completions.create)

    def __repr__(self) -> str:
        return f"OpenAIChatCompletionsProvider(model={self.model!r})"

    # -- Provider protocol -------------------------------------------------

    def capabilities(self) -> Capabilities:
        """The `capabilities=` given, else a known OpenAI model's, else `DEFAULT_CAPABILITIES`."""
        return OPENAI_MODELS.capabilities(self.model, given=self._capabilities, default=DEFAULT_CAPABILITIES)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send the request with `client.chat.completions.create()` and map the completion."""
        params, options = self._build_call(request, stream=False)
        completion = await self._envelope.send(
            lambda sdk: self._client.chat.completions.create(**params, **sdk), options
        )
        try:
            return self._model_response(completion)
        except (AttributeError, TypeError, KeyError, IndexError) as exc:
            raise self._envelope.unreadable("Chat Completions response", exc) from exc

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelStreamEvent, None]:
        """Stream the completion as provider-neutral events, ending with `ResponseCompleted`.

        It is an async generator: closing it early (`aclose()`, a `break` inside
        `contextlib.aclosing(...)`, task cancellation) closes the HTTP stream.
        """
        params, options = self._build_call(request, stream=True)
        state = _ChunkState(model=self.model)
        async for out in self._envelope.stream(
            lambda sdk: self._client.chat.completions.create(**params, stream=True, **sdk),
            options,
            state.step,
            marker="a finish_reason",
            end=state.end,
        ):
            yield out

    # -- request -------------------------------------------------------------

    def _build_call(self, request: ModelRequest, *, stream: bool) -> tuple[CompletionCreateParamsBase, CallOptions]:
        check_content(request.messages, self.capabilities(), model=repr(self))
        if request.hosted_tools:
            names = ", ".join(tool.name for tool in request.hosted_tools)
            raise UnsupportedFeature(
                f"Chat Completions has no hosted tools ({names}); nothing was sent. Use OpenAIResponsesProvider "
                "or AnthropicProvider for them, or a function tool",
                feature="hosted tools",
                provider="OpenAIChatCompletionsProvider",
            )
        structured = request.output is not None and self.capabilities().structured_output
        schema_note = None if request.output is None or structured else _schema_instructions(request.output)
        params: CompletionCreateParamsBase = {
            "model": self.model,
            "messages": _chat_messages(request.messages, schema_note),
        }
        if request.tools:
            params["tools"] = [_tool_param(tool) for tool in request.tools]
        if request.output is not None and structured:
            params["response_format"] = _response_format(request.output)
        if request.max_output_tokens is not None:
            params[self._max_tokens_parameter] = request.max_output_tokens
        if stream and self._stream_usage:
            params["stream_options"] = {"include_usage": True}
        _apply_settings(params, request.settings, [tool.name for tool in request.tools])
        body = cast("dict[str, object]", params)
        derived_limit = self._max_tokens_parameter
        other_limit = "max_completion_tokens" if derived_limit == "max_tokens" else "max_tokens"
        options = apply_options(
            request.options.get(OPTIONS_KEY),
            body,
            key=OPTIONS_KEY,
            parameters=self._api_parameters,
            method="openai.AsyncOpenAI().chat.completions.create()",
            tools=HOSTED_TOOLS,
            replaces={other_limit: derived_limit},
        )
        if not stream:
            body.pop("stream_options", None)
        return params, options

    # -- response ------------------------------------------------------------

    def _model_response(self, completion: ChatCompletion) -> ModelResponse:
        if not completion.choices:
            raise MalformedResponse(
                f"Chat Completions response {completion.id!r} has no choices", provider=OPENAI
            )
        choice = completion.choices[0]
        message = choice.message
        parts: list[Part] = []
        reasoning = _reasoning_text(message)
        if reasoning:
            parts.append(_reasoning_part(reasoning))
        refused = False
        if message.content:
            parts.append(TextPart(message.content))
        elif message.refusal:
            parts.append(TextPart(message.refusal))
            refused = True
        for call in message.tool_calls or ():
            if call.type != "function":
                continue  # custom (free-form) tools are not Runlet tools
            if not call.function.name:
                raise MalformedResponse(
                    f"Chat Completions tool call without a name: {call.id!r}", provider=OPENAI
                )
            parts.append(ToolCallPart(call.id or _new_call_id(), call.function.name, call.function.arguments or "{}"))
        has_calls = any(isinstance(part, ToolCallPart) for part in parts)
        finish = _finish_reason(choice.finish_reason, has_calls, refused)
        if finish == "stop" and not parts:
            parts.append(TextPart(""))  # an empty answer; the runtime's validation decides
        return ModelResponse(
            parts=tuple(parts),
            usage=_usage(completion.usage),
            finish_reason=finish,
            model=str(completion.model or self.model),
            response_id=completion.id or "",
        )

@dataclass
class _ToolCallBuffer:
    call_id: str
    name: str
    arguments: list[str] = field(default_factory=list[str])
    started: bool = False


@dataclass
class _ChunkState:
    """What a stream has seen so far: text, reasoning, tool calls by index, usage, finish."""

    model: str
    response_id: str = ""
    text: list[str] = field(default_factory=list[str])
    reasoning: list[str] = field(default_factory=list[str])
    calls: dict[int, _ToolCallBuffer] = field(default_factory=dict[int, _ToolCallBuffer])
    done: list[ToolCallPart] = field(default_factory=list[ToolCallPart])
    usage: CompletionUsage | None = None
    finish: str | None = None
    refused: bool = False

    def step(self, chunk: ChatCompletionChunk) -> list[ModelStreamEvent]:
        if chunk.id:
            self.response_id = chunk.id
        if chunk.model:
            self.model = chunk.model
        if chunk.usage is not None:
            self.usage = chunk.usage
        out: list[ModelStreamEvent] = []
        for choice in chunk.choices:
            if choice.index != 0:
                continue  # n > 1 is not supported: the first choice is the answer
            delta = choice.delta
            reasoning = _reasoning_text(delta)
            if reasoning:
                self.reasoning.append(reasoning)
                out.append(ReasoningDelta(reasoning))
            if delta.content:
                self.text.append(delta.content)
                out.append(TextDelta(delta.content))
            if delta.refusal:
                self.refused = True
                self.text.append(delta.refusal)
                out.append(TextDelta(delta.refusal))
            for piece in delta.tool_calls or ():
                out.extend(self._tool_call_delta(piece.index, piece.id, piece.function))
            if choice.finish_reason is not None and self.finish is None:
                self.finish = choice.finish_reason
                out.extend(self._finish_calls())
        return out

    def _tool_call_delta(self, index: int, call_id: str | None, function: object) -> list[ModelStreamEvent]:
        name: object = getattr(function, "name", None)
        arguments: object = getattr(function, "arguments", None)
        buffer = self.calls.get(index)
        if buffer is None:
            buffer = self.calls[index] = _ToolCallBuffer(call_id or "", name if isinstance(name, str) else "")
        else:
            if call_id and not buffer.call_id:
                buffer.call_id = call_id
            if isinstance(name, str) and name and not buffer.name:
                buffer.name = name
        out: list[ModelStreamEvent] = []
        if not buffer.started and buffer.name:
            buffer.call_id = buffer.call_id or _new_call_id()
            buffer.started = True
            out.append(ToolCallStarted(buffer.call_id, buffer.name))
            if buffer.arguments:  # arguments that came before the name
                out.append(ToolCallDelta(buffer.call_id, "".join(buffer.arguments)))
        if isinstance(arguments, str) and arguments:
            buffer.arguments.append(arguments)
            if buffer.started:
                out.append(ToolCallDelta(buffer.call_id, arguments))
        return out

    def _finish_calls(self) -> list[ModelStreamEvent]:
        out: list[ModelStreamEvent] = []
        for index in sorted(self.calls):
            buffer = self.calls[index]
            if not buffer.name:
                raise MalformedResponse(
                    f"Chat Completions stream sent tool call #{index} without a name", provider=OPENAI
                )
            if not buffer.started:
                out.extend(self._tool_call_delta(index, None, None))
            call = ToolCallPart(buffer.call_id, buffer.name, "".join(buffer.arguments) or "{}")
            self.done.append(call)
            out.append(ToolCallDone(call))
        return out

    def end(self) -> list[ModelStreamEvent]:
        if self.finish is None:
            raise StreamInterrupted("the openai stream ended before a finish_reason", provider=OPENAI)
        parts: list[Part] = []
        if self.reasoning:
            parts.append(_reasoning_part("".join(self.reasoning)))
        if self.text:
            parts.append(TextPart("".join(self.text)))
        parts.extend(self.done)
        finish = _finish_reason(self.finish, bool(self.done), self.refused)
        if not parts:
            parts.append(TextPart(""))
        response = ModelResponse(
            parts=tuple(parts),
            usage=_usage(self.usage),
            finish_reason=finish,
            model=self.model,
            response_id=self.response_id,
        )
        return [ResponseCompleted(response)]


# -- mapping helpers -----------------------------------------------------------


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _finish_reason(reason: str | None, has_calls: bool, refused: bool) -> FinishReason:
    if has_calls:
        return "tool_calls"
    if refused:
        return "content_filter"
    finish = _FINISH.get(reason or "stop", "other")
    return "stop" if finish == "tool_calls" else finish


def _reasoning_text(obj: object) -> str:
    """The reasoning text some servers add as an extra field (`reasoning_content`, `reasoning`)."""
    for name in ("reasoning_content", "reasoning"):
        value: object = getattr(obj, name, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _reasoning_part(text: str) -> ReasoningPart:
    return ReasoningPart(provider=REASONING_PROVIDER, data={"reasoning_content": text}, summary=text)


def _usage(usage: CompletionUsage | None) -> Usage:
    if usage is None:
        return Usage(requests=1)
    return Usage(
        input_tokens=int_attr(usage, "prompt_tokens"),
        output_tokens=int_attr(usage, "completion_tokens"),
        cached_input_tokens=int_attr(getattr(usage, "prompt_tokens_details", None), "cached_tokens"),
        reasoning_tokens=int_attr(getattr(usage, "completion_tokens_details", None), "reasoning_tokens"),
        requests=1,
    )


def _schema_instructions(output: OutputSchema) -> str:
    return (
        "Answer with one JSON value only, no prose and no code fence, that follows this JSON schema:\n"
        + json.dumps(output.schema, separators=(",", ":"))
    )


def _chat_messages(messages: Sequence[Message], schema_note: str | None) -> list[ChatCompletionMessageParam]:
    """System text joined into one leading system message, then every other message in order.

    A user message with media has a list of content parts; tool results' media
    (a `tool` message takes text only) follow the message's results in one user
    message that says whose they are.
    """
    system: list[str] = [message.text for message in messages if message.role == "system" and message.text]
    if schema_note:
        system.append(schema_note)
    out: list[ChatCompletionMessageParam] = []
    if system:
        out.append({"role": "system", "content": "\n\n".join(system)})
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant":
            out.extend(_assistant_messages(message.parts))
            continue
        pending: list[TextPart | MediaPart] = []
        returned: list[ToolResultPart] = []
        for part in message.parts:
            match part:
                case TextPart() | ImagePart() | AudioPart() | DocumentPart():
                    pending.append(part)
                case ToolResultPart():
                    _flush_user(out, pending)
                    out.append({"role": "tool", "tool_call_id": part.call_id, "content": part.content})
                    if part.media:
                        returned.append(part)
                case ToolCallPart():
                    raise UserError(f"a {message.role} message cannot carry a tool call ({part.call_id!r})")
                case ReasoningPart() | HostedToolPart():
                    pass  # reasoning and hosted tools' items in a user or tool message are nobody's
                case _:
                    assert_never(part)
        _flush_user(out, pending)
        _returned_media(out, returned)
    return out


def _flush_user(out: list[ChatCompletionMessageParam], pending: list[TextPart | MediaPart]) -> None:
    """The pending text (a string) or text and media (a list of content parts) as one user message."""
    if not pending:
        return
    if all(isinstance(part, TextPart) for part in pending):
        out.append({"role": "user", "content": "".join(part.text for part in pending if isinstance(part, TextPart))})
    else:
        out.append({"role": "user", "content": [_content(part) for part in pending]})
    pending.clear()


def _returned_media(out: list[ChatCompletionMessageParam], results: list[ToolResultPart]) -> None:
    """The media tools returned, in one user message after their results (a tool message takes text only)."""
    if not results:
        return
    content: list[ChatCompletionContentPartParam] = []
    for result in results:
        content.append({"type": "text", "text": f"Returned by the tool {result.name or 'call'} (call {result.call_id}):"})
        content.extend(_content(media) for media in result.media)
    out.append({"role": "user", "content": content})


def _content(part: TextPart | MediaPart) -> ChatCompletionContentPartParam:
    """A text or media part as a Chat Completions content part: `image_url`, `input_audio`, `file`."""
    match part:
        case TextPart():
            return {"type": "text", "text": part.text}
        case ImagePart():
            return {"type": "image_url", "image_url": {"url": data_url(part), "detail": part.detail}}
        case AudioPart():
            audio_format = _AUDIO_FORMATS.get(part.media_type)
            if part.data is None or audio_format is None:
                raise UnsupportedContent(
                    f"Chat Completions takes audio as WAV or MP3 bytes, not {part.media_type or 'a URL'}"
                    f"{f' ({part.url})' if part.url else ''}: pass the recording's bytes (AudioPart(data=...))",
                    feature="audio input",
                    provider="OpenAIChatCompletionsProvider",
                )
            return {"type": "input_audio", "input_audio": {"data": base64.b64encode(part.data).decode("ascii"), "format": audio_format}}
        case DocumentPart():
            if part.data is None:
                raise UnsupportedContent(
                    f"Chat Completions takes documents as bytes, not a URL ({part.url}): download it and "
                    "pass DocumentPart(data=...), or use OpenAIResponsesProvider, which takes file URLs",
                    feature="document input",
                    provider="OpenAIChatCompletionsProvider",
                )
            return {"type": "file", "file": {"file_data": data_url(part), "filename": part.name}}
        case _:
            assert_never(part)


_AUDIO_FORMATS: Mapping[str, Literal["wav", "mp3"]] = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}


def _assistant_messages(parts: Sequence[Part]) -> list[ChatCompletionMessageParam]:
    texts: list[str] = []
    calls: list[ChatCompletionMessageFunctionToolCallParam] = []
    results: list[ChatCompletionMessageParam] = []
    for part in parts:
        match part:
            case TextPart():
                texts.append(part.text)
            case ToolCallPart():
                calls.append(
                    {"id": part.call_id, "type": "function", "function": {"name": part.name, "arguments": part.arguments}}
                )
            case ToolResultPart():
                results.append({"role": "tool", "tool_call_id": part.call_id, "content": part.content})
            case ReasoningPart() | HostedToolPart() | ImagePart() | AudioPart() | DocumentPart():
                # Reasoning is not sent back (the servers that send it ask not to), hosted tools' items are
                # other providers' (Chat Completions has none), media: check_content refuses it here.
                pass
            case _:
                assert_never(part)
    text = "".join(texts)
    if not text and not calls:
        return results
    if calls:
        message: ChatCompletionMessageParam = {
            "role": "assistant",
            "content": text or None,
            "tool_calls": calls,
        }
    else:
        message = {"role": "assistant", "content": text}
    return [message, *results]


def _apply_settings(params: CompletionCreateParamsBase, settings: ModelSettings, tools: list[str]) -> None:
    """`ModelSettings` as `chat.completions.create()` parameters (`parallel_tool_calls` only with tools, which the API requires)."""
    if settings.temperature is not None:
        params["temperature"] = settings.temperature
    if settings.top_p is not None:
        params["top_p"] = settings.top_p
    choice = tool_choice(settings, tools, "OpenAIChatCompletionsProvider", hosted=False)
    if choice is not None:
        params["tool_choice"] = (
            {"type": "function", "function": {"name": choice.name}} if isinstance(choice, UseTool) else choice
        )
    if settings.parallel_tool_calls is not None and tools:
        params["parallel_tool_calls"] = settings.parallel_tool_calls
    if settings.seed is not None:
        params["seed"] = settings.seed
    if settings.stop is not None:
        params["stop"] = list(settings.stop)
    if settings.reasoning_effort is not None:
        params["reasoning_effort"] = settings.reasoning_effort
    if settings.prompt_cache_key is not None:
        params["prompt_cache_key"] = settings.prompt_cache_key
    if settings.prompt_cache_retention is not None:
        params["prompt_cache_retention"] = OPENAI_CACHE_RETENTION[settings.prompt_cache_retention]
    if settings.service_tier is not None:
        params["service_tier"] = cast("Literal['auto', 'default', 'flex', 'scale', 'priority', 'fast']", settings.service_tier)


def _tool_param(tool: ToolDefinition) -> ChatCompletionFunctionToolParam:
    parameters, strict = schema_to_send(tool.parameters, tool.strict)
    param: ChatCompletionFunctionToolParam = {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": dict(parameters)},
    }
    if strict:
        param["function"]["strict"] = True
    return param


def _response_format(output: OutputSchema) -> ResponseFormatJSONSchema:
    schema, strict = schema_to_send(output.schema, output.strict)
    return {
        "type": "json_schema",
        "json_schema": {"name": schema_name(output.name), "schema": dict(schema), "strict": strict},
    }
