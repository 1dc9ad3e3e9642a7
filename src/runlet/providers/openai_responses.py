"""`OpenAIResponsesProvider`: the OpenAI Responses API behind Runlet's `Provider` protocol.

Importing this module does not import `openai`; constructing the provider does,
and raises `UserError` when the extra is missing (`pip install "runlet[openai]"`).

Decisions worth knowing:

- The SDK's own retries are off (`max_retries=0`): the Runlet runtime retries
  retryable `ProviderError`s with its own policy, and two retry layers would
  multiply. Pass `max_retries=` to turn SDK retries back on. A `client=` you
  build yourself keeps its own settings.
- An API key is required unless a base URL is given (`base_url=` or
  `OPENAI_BASE_URL`): local Responses-compatible servers often need none, and a
  placeholder key is sent then.
- `request.options["openai"]` is passed through to `client.responses.create()`:
  `extra_headers`, `extra_query`, `extra_body` and `timeout` as the SDK's
  request options, every other key as the API parameter of that name (these
  win over what the provider derives from the request; a `text` mapping is
  merged over the structured-output format; a `tools` list adds hosted tools
  to the agent's and refuses function tools, see `HOSTED_TOOLS`). Keys the SDK
  does not know raise `UserError`: put such fields under `extra_body`. Other
  providers' keys are ignored.
- A refusal becomes a `TextPart` with the refusal text, and the response's
  `finish_reason` is `"content_filter"` (unless it also asks for tool calls).
  An incomplete response is returned, not raised: `"length"` for
  `max_output_tokens`, `"content_filter"` for the content filter, `"other"`
  otherwise. The runtime decides what to do with it.
- Streaming: a tool call is reported done once, from `response.output_item.done`
  (`response.function_call_arguments.done` is ignored). A stream that ends
  without `response.completed` / `response.incomplete`, drops, or sends an
  event Runlet cannot read raises `StreamInterrupted`, which the runtime
  retries (after a `model.stream.discarded` event when output was shown).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

from typing_extensions import assert_never

from runlet.core.errors import MalformedResponse, ProviderError, UnsupportedContent, UnsupportedFeature
from runlet.core.hosted import CodeInterpreter, FileSearch, HostedTool, WebSearch
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImagePart,
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
from runlet.providers._connection import PLACEHOLDER_API_KEY as PLACEHOLDER_API_KEY
from runlet.providers._envelope import Envelope
from runlet.providers._model_table import OPENAI_MODELS
from runlet.providers._openai import OPENAI, data_url, error_for_code, int_attr, openai_client, openai_sdk, schema_name
from runlet.providers._options import CallOptions, ToolsOption, api_parameters, apply_options
from runlet.providers._settings import OPENAI_CACHE_RETENTION, tool_choice, unsupported
from runlet.providers.strict_schema import schema_to_send

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.responses import (
        FileSearchToolParam,
        FunctionToolParam,
        Response,
        ResponseCodeInterpreterToolCall,
        ResponseFileSearchToolCall,
        ResponseFunctionWebSearch,
        ResponseFunctionToolCall,
        ResponseFunctionCallOutputItemParam,
        ResponseFunctionToolCallParam,
        ResponseInputContentParam,
        ResponseInputFileParam,
        ResponseInputImageParam,
        ResponseInputItemParam,
        ResponseOutputItem,
        ResponseOutputTextParam,
        ResponseReasoningItem,
        ResponseStreamEvent,
        ResponseTextConfigParam,
        ToolParam,
        WebSearchToolParam,
    )
    from openai.types.responses.tool_param import CodeInterpreterContainerCodeInterpreterToolAuto
    from openai.types.responses import ServiceTier
    from openai.types.responses.response_create_params import ResponseCreateParamsBase
    from openai.types.responses.response_input_item_param import FunctionCallOutput

__all__ = ["OpenAIResponsesProvider"]

PROVIDER = OPENAI
"""The key of this provider's options in `ModelRequest.options` and of its `ReasoningPart`s."""

DEFAULT_CAPABILITIES = Capabilities(context_window=32_768, max_output_tokens=4_096)
"""For models the table of OpenAI models does not know: small on purpose, so budgeting stays safe.
Pass `capabilities=` to describe the real model."""

HOSTED_TOOLS = ToolsOption(frozenset({"function", "custom"}), False, '{"type": "web_search"}')
"""`options["openai"]["tools"]` adds hosted tools (web search, file search, MCP, ...) to the agent's; function tools are refused."""

class OpenAIResponsesProvider:
    """A model behind the OpenAI Responses API (or a server compatible with it).

    ```python
    provider = OpenAIResponsesProvider(model="gpt-5.5")
    provider = OpenAIResponsesProvider(model="my-model", base_url="http://localhost:8000/v1")
    ```

    Arguments:
        model: the model name sent with every request.
        base_url: the API root (default: `OPENAI_BASE_URL`, else OpenAI's).
        api_key: the key (default: `OPENAI_API_KEY`). Optional when a base URL
            is given: a placeholder is sent then.
        client: an `openai.AsyncOpenAI` you configured yourself; it is used as
            is (its own retries and timeout apply), and the connection
            arguments above must then be left out.
        capabilities: what the model can do; wins over the built-in table
            (`DEFAULT_CAPABILITIES` for unknown models).
        timeout: seconds per request (default: the SDK's, 10 minutes).
        max_retries: the SDK's own retries, 0 by default because the runtime
            retries with its own policy.
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
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self._capabilities = capabilities
        self._client = openai_client(
            "OpenAIResponsesProvider",
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
        self._api_parameters = api_parameters(self._client.responses.create)

    def __repr__(self) -> str:
        return f"OpenAIResponsesProvider(model={self.model!r})"

    # -- Provider protocol -------------------------------------------------

    def capabilities(self) -> Capabilities:
        """The `capabilities=` given, else the known family's (without audio, which the API does not take), else `DEFAULT_CAPABILITIES`."""
        capabilities = OPENAI_MODELS.capabilities(self.model, given=self._capabilities, default=DEFAULT_CAPABILITIES)
        if self._capabilities is None and "audio" in capabilities.media:
            return replace(capabilities, media=capabilities.media - {"audio"})
        return capabilities

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send the request with `client.responses.create()` and map the whole response."""
        params, options = self._build_call(request)
        response = await self._envelope.send(lambda sdk: self._client.responses.create(**params, **sdk), options)
        return self._model_response(response)

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelStreamEvent, None]:
        """Stream the response as provider-neutral events, ending with `ResponseCompleted`.

        It is an async generator: closing it early (`aclose()`, a `break` inside
        `contextlib.aclosing(...)`, task cancellation) closes the HTTP stream.
        """
        params, options = self._build_call(request)
        state = _StreamState()
        async for out in self._envelope.stream(
            lambda sdk: self._client.responses.create(**params, stream=True, **sdk),
            options,
            lambda event: self._stream_events(state, event),
            marker="response.completed",
        ):
            yield out

    # -- request -------------------------------------------------------------

    def _build_call(self, request: ModelRequest) -> tuple[ResponseCreateParamsBase, CallOptions]:
        check_content(request.messages, self.capabilities(), model=repr(self))
        instructions, items = _input_items(request.messages)
        params: ResponseCreateParamsBase = {"model": self.model, "input": items}
        if instructions:
            params["instructions"] = instructions
        if request.tools or request.hosted_tools:
            params["tools"] = [*(_tool_param(tool) for tool in request.tools), *map(_hosted_param, request.hosted_tools)]
        if request.output is not None:
            params["text"] = _text_format(request.output)
        if request.max_output_tokens is not None:
            params["max_output_tokens"] = request.max_output_tokens
        _apply_settings(params, request.settings, [tool.name for tool in request.tools], hosted=bool(request.hosted_tools))

        options = apply_options(
            request.options.get(PROVIDER),
            cast("dict[str, object]", params),
            key=PROVIDER,
            parameters=self._api_parameters,
            method="openai.AsyncOpenAI().responses.create()",
            tools=HOSTED_TOOLS,
            merge=frozenset({"text", "reasoning"}),
        )
        return params, options

    # -- response ------------------------------------------------------------

    def _model_response(
        self, response: Response, output: Sequence[ResponseOutputItem] | None = None
    ) -> ModelResponse:
        try:
            return self._map_response(response, output)
        except (AttributeError, TypeError, KeyError) as exc:
            raise self._envelope.unreadable("OpenAI response", exc) from exc

    def _map_response(
        self, response: Response, output: Sequence[ResponseOutputItem] | None
    ) -> ModelResponse:
        status = response.status or "completed"
        if status == "failed":
            raise self._failed_error(response)
        if status not in ("completed", "incomplete"):
            raise ProviderError(
                f"OpenAI response {response.id!r} has status {status!r}; Runlet needs a finished "
                "response (background responses are not supported)",
                provider=PROVIDER,
            )
        items = response.output if output is None or response.output else output
        parts: list[Part] = []
        has_tool_calls = False
        refused = False
        for item in items:
            if item.type == "message":
                for content in item.content:
                    if content.type == "output_text":
                        parts.append(TextPart(content.text))
                    elif content.type == "refusal":
                        parts.append(TextPart(content.refusal))
                        refused = True
            elif item.type == "function_call":
                parts.append(_tool_call_part(item))
                has_tool_calls = True
            elif item.type == "reasoning":
                parts.append(_reasoning_part(item))
            elif item.type == "web_search_call" or item.type == "file_search_call" or item.type == "code_interpreter_call":
                parts.append(_hosted_part(item))
            # Other items (image generation, MCP, ...) come from tools Runlet does not offer: skipped.

        finish: FinishReason
        if status == "incomplete":
            details = response.incomplete_details
            reason = details.reason if details is not None else None
            if reason == "max_output_tokens":
                finish = "length"
            elif reason == "content_filter":
                finish = "content_filter"
            else:
                finish = "other"
        else:
            if not parts:
                raise MalformedResponse(
                    f"OpenAI response {response.id!r} is completed but has no text, tool call "
                    f"or reasoning in its output ({len(items)} item(s))",
                    provider=PROVIDER,
                )
            finish = "tool_calls" if has_tool_calls else "content_filter" if refused else "stop"
        return ModelResponse(
            parts=tuple(parts),
            usage=_usage(response),
            finish_reason=finish,
            model=str(response.model or self.model),
            response_id=response.id,
        )

    def _stream_events(self, state: _StreamState, event: ResponseStreamEvent) -> list[ModelStreamEvent]:
        if event.type == "response.output_text.delta":
            return [TextDelta(event.delta)] if event.delta else []
        if event.type == "response.refusal.delta":
            return [TextDelta(event.delta)] if event.delta else []
        if event.type == "response.reasoning_summary_text.delta":
            return [ReasoningDelta(event.delta)] if event.delta else []
        if event.type == "response.output_item.added":
            item = event.item
            if item.type != "function_call":
                return []
            if item.id:
                state.call_ids[item.id] = item.call_id
            return state.start(item.call_id, item.name)
        if event.type == "response.function_call_arguments.delta":
            call_id = state.call_ids.get(event.item_id)
            if call_id is None or not event.delta:
                return []
            return [ToolCallDelta(call_id, event.delta)]
        if event.type == "response.output_item.done":
            item = event.item
            state.done_items[event.output_index] = item
            if item.type != "function_call":
                return []
            try:
                return state.done(_tool_call_part(item))
            except (AttributeError, TypeError) as exc:
                raise MalformedResponse(
                    f"OpenAI stream sent a function call Runlet cannot read: {exc!r}",
                    provider=PROVIDER,
                ) from exc
        if event.type == "response.completed" or event.type == "response.incomplete":
            collected = [state.done_items[index] for index in sorted(state.done_items)]
            response = self._model_response(event.response, collected)
            out: list[ModelStreamEvent] = []
            for call in response.tool_calls:
                out.extend(state.done(call))
            out.append(ResponseCompleted(response))
            return out
        if event.type == "response.failed":
            raise self._failed_error(event.response)
        if event.type == "error":
            raise error_for_code(event.code, event.message, self._envelope.redact)
        return []

    # -- errors --------------------------------------------------------------

    def _failed_error(self, response: Response) -> ProviderError:
        error = response.error
        if error is None:
            return ProviderError(
                f"OpenAI response {response.id!r} failed without an error message", provider=PROVIDER
            )
        return error_for_code(error.code, error.message, self._envelope.redact)


@dataclass
class _StreamState:
    """What a stream has seen so far: tool calls by item id, finished items, calls reported."""

    call_ids: dict[str, str] = field(default_factory=dict[str, str])
    started: set[str] = field(default_factory=set[str])
    completed: set[str] = field(default_factory=set[str])
    done_items: dict[int, ResponseOutputItem] = field(default_factory=dict["int", "ResponseOutputItem"])

    def start(self, call_id: str, name: str) -> list[ModelStreamEvent]:
        if call_id in self.started:
            return []
        self.started.add(call_id)
        return [ToolCallStarted(call_id, name)]

    def done(self, call: ToolCallPart) -> list[ModelStreamEvent]:
        if call.call_id in self.completed:
            return []
        out = self.start(call.call_id, call.name)
        self.completed.add(call.call_id)
        out.append(ToolCallDone(call))
        return out


# -- mapping helpers -----------------------------------------------------------


def _input_items(messages: Sequence[Message]) -> tuple[str, list[ResponseInputItemParam]]:
    """System text joined as instructions, and every other part as an input item, in order."""
    instructions: list[str] = []
    items: list[ResponseInputItemParam] = []
    for message in messages:
        if message.role == "system":
            if message.text:
                instructions.append(message.text)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        content: list[TextPart | ImagePart | DocumentPart] = []
        parts = message.parts
        for index, part in enumerate(parts):
            match part:
                case TextPart() | ImagePart() | DocumentPart():
                    content.append(part)
                    continue
                case AudioPart():
                    raise UnsupportedContent(
                        "the OpenAI Responses API takes no audio input; use OpenAIChatCompletionsProvider "
                        "with an audio model (gpt-audio) for audio",
                        feature="audio input",
                        provider="OpenAIResponsesProvider",
                    )
                case ToolCallPart():
                    _flush(items, role, content)
                    call: ResponseFunctionToolCallParam = {
                        "type": "function_call",
                        "call_id": part.call_id,
                        "name": part.name,
                        "arguments": part.arguments,
                    }
                    items.append(call)
                case ToolResultPart():
                    _flush(items, role, content)
                    items.append(_function_output(part))
                case ReasoningPart():
                    _flush(items, role, content)
                    if part.provider == PROVIDER and _has_following_item(parts[index + 1 :]):
                        # Sent back as the API returned it; it must come right before its item.
                        items.append(cast("ResponseInputItemParam", dict(part.data)))
                case HostedToolPart():
                    _flush(items, role, content)
                    if part.provider == PROVIDER:
                        items.append(cast("ResponseInputItemParam", dict(part.data)))  # as the API returned it
                case _:
                    assert_never(part)
        _flush(items, role, content)
    return "\n\n".join(instructions), items


def _has_following_item(rest: Sequence[Part]) -> bool:
    """Whether a reasoning item is followed by the output it led to (the API requires it)."""
    return any(isinstance(part, (TextPart, ToolCallPart, HostedToolPart)) for part in rest)


def _flush(items: list[ResponseInputItemParam], role: str, content: list[TextPart | ImagePart | DocumentPart]) -> None:
    """The pending text and media as one message item: text alone as a string, with media as a content list."""
    if not content:
        return
    texts = [part.text for part in content if isinstance(part, TextPart)]
    if role == "assistant":
        contents: list[ResponseOutputTextParam] = [
            {"type": "output_text", "text": text, "annotations": []} for text in texts if text
        ]
        if contents:
            # An assistant message with output_text content, as the API returned it
            # (without the item id, which the API does not need back).
            items.append(
                cast(
                    "ResponseInputItemParam",
                    {"type": "message", "role": "assistant", "content": contents},
                )
            )
    elif len(texts) == len(content):
        items.append({"type": "message", "role": "user", "content": "".join(texts)})
    else:
        parts: list[ResponseInputContentParam] = [
            {"type": "input_text", "text": part.text} if isinstance(part, TextPart) else _media(part) for part in content
        ]
        items.append({"type": "message", "role": "user", "content": parts})
    content.clear()


def _media(part: ImagePart | DocumentPart) -> ResponseInputImageParam | ResponseInputFileParam:
    """An image as `input_image`, a document as `input_file` (its bytes as a data URL, or its URL)."""
    if isinstance(part, ImagePart):
        return {"type": "input_image", "image_url": data_url(part), "detail": part.detail}
    if part.data is None:
        return {"type": "input_file", "file_url": part.url or ""}
    return {"type": "input_file", "file_data": data_url(part), "filename": part.name}


def _function_output(result: ToolResultPart) -> FunctionCallOutput:
    """A tool result: its text, or its text and media as a list of input contents."""
    if not result.media:
        return {"type": "function_call_output", "call_id": result.call_id, "output": result.content}
    output: list[ResponseFunctionCallOutputItemParam] = [{"type": "input_text", "text": result.content}]
    for media in result.media:
        if isinstance(media, AudioPart):
            raise UnsupportedContent(
                f"tool {result.name!r} returned audio, which the OpenAI Responses API does not take",
                feature="audio input",
                provider="OpenAIResponsesProvider",
            )
        output.append(cast("ResponseFunctionCallOutputItemParam", _media(media)))
    return {"type": "function_call_output", "call_id": result.call_id, "output": output}


def _apply_settings(params: ResponseCreateParamsBase, settings: ModelSettings, tools: list[str], *, hosted: bool) -> None:
    """`ModelSettings` as `responses.create()` parameters; seed and stop sequences do not exist there."""
    owner = "OpenAIResponsesProvider"
    if settings.temperature is not None:
        params["temperature"] = settings.temperature
    if settings.top_p is not None:
        params["top_p"] = settings.top_p
    choice = tool_choice(settings, tools, owner, hosted=hosted)
    if choice is not None:
        params["tool_choice"] = {"type": "function", "name": choice.name} if isinstance(choice, UseTool) else choice
    if settings.parallel_tool_calls is not None and (tools or hosted):
        params["parallel_tool_calls"] = settings.parallel_tool_calls
    if settings.seed is not None:
        raise unsupported(owner, "seed", "the Responses API takes no seed", "Leave it out, or use OpenAIChatCompletionsProvider.")
    if settings.stop is not None:
        raise unsupported(owner, "stop", "the Responses API takes no stop sequences", "Leave it out, or use OpenAIChatCompletionsProvider.")
    if settings.reasoning_effort is not None:
        params["reasoning"] = {"effort": settings.reasoning_effort}
    if settings.prompt_cache_key is not None:
        params["prompt_cache_key"] = settings.prompt_cache_key
    if settings.prompt_cache_retention is not None:
        params["prompt_cache_retention"] = OPENAI_CACHE_RETENTION[settings.prompt_cache_retention]
    if settings.service_tier is not None:
        params["service_tier"] = cast("ServiceTier", settings.service_tier)


def _tool_param(tool: ToolDefinition) -> FunctionToolParam:
    parameters, strict = schema_to_send(tool.parameters, tool.strict)
    return {
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "parameters": dict(parameters),
        "strict": strict,
    }


def _text_format(output: OutputSchema) -> ResponseTextConfigParam:
    schema, strict = schema_to_send(output.schema, output.strict)
    name = schema_name(output.name)
    return {"format": {"type": "json_schema", "name": name, "schema": dict(schema), "strict": strict}}


def _tool_call_part(item: ResponseFunctionToolCall) -> ToolCallPart:
    if not item.call_id or not item.name:
        raise MalformedResponse(
            f"OpenAI function call without call_id or name: {item.id!r}", provider=PROVIDER
        )
    return ToolCallPart(call_id=item.call_id, name=item.name, arguments=item.arguments or "{}")


def _hosted_param(tool: HostedTool) -> ToolParam:
    """A hosted tool as the Responses API's `web_search`, `file_search` or `code_interpreter` tool."""
    match tool:
        case WebSearch():
            if tool.max_uses is not None:
                raise UnsupportedFeature(
                    "WebSearch(max_uses=...) is Anthropic's; the Responses API bounds a request's tool calls with "
                    'options={"openai": {"max_tool_calls": ...}}',
                    feature="web_search max_uses",
                    provider="OpenAIResponsesProvider",
                )
            search: WebSearchToolParam = {"type": "web_search"}
            if tool.allowed_domains:
                search["filters"] = {"allowed_domains": list(tool.allowed_domains)}
            if tool.search_context_size is not None:
                search["search_context_size"] = tool.search_context_size
            return search
        case FileSearch():
            files: FileSearchToolParam = {"type": "file_search", "vector_store_ids": list(tool.vector_store_ids)}
            if tool.max_num_results is not None:
                files["max_num_results"] = tool.max_num_results
            return files
        case CodeInterpreter():
            if tool.container is not None:
                return {"type": "code_interpreter", "container": tool.container}
            container: CodeInterpreterContainerCodeInterpreterToolAuto = {"type": "auto"}
            if tool.file_ids:
                container["file_ids"] = list(tool.file_ids)
            return {"type": "code_interpreter", "container": container}
        case _:
            assert_never(tool)


_HOSTED_NAMES = {"web_search_call": "web_search", "file_search_call": "file_search", "code_interpreter_call": "code_interpreter"}


def _hosted_part(item: ResponseFunctionWebSearch | ResponseFileSearchToolCall | ResponseCodeInterpreterToolCall) -> HostedToolPart:
    """A hosted tool's call item, kept whole so it goes back as the API returned it."""
    data = item.model_dump(mode="json", exclude_none=True, by_alias=True)
    if item.type == "web_search_call":
        query: object = getattr(item.action, "query", None)
        detail = query if isinstance(query, str) else ""
    elif item.type == "file_search_call":
        detail = "; ".join(item.queries)
    else:
        detail = item.code or ""
    return HostedToolPart(provider=PROVIDER, name=_HOSTED_NAMES[item.type], call_id=item.id, data=data, detail=detail)


def _reasoning_part(item: ResponseReasoningItem) -> ReasoningPart:
    data = item.model_dump(mode="json", exclude_none=True, by_alias=True)
    summary = "\n\n".join(part.text for part in item.summary or ())
    return ReasoningPart(provider=PROVIDER, data=data, summary=summary)


def _usage(response: Response) -> Usage:
    usage = response.usage
    if usage is None:
        return Usage(requests=1)
    return Usage(
        input_tokens=int_attr(usage, "input_tokens"),
        output_tokens=int_attr(usage, "output_tokens"),
        cached_input_tokens=int_attr(getattr(usage, "input_tokens_details", None), "cached_tokens"),
        reasoning_tokens=int_attr(getattr(usage, "output_tokens_details", None), "reasoning_tokens"),
        requests=1,
    )


