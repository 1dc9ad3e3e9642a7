"""Images, audio and documents over real HTTP: what each provider sends, checked against the SDKs' own request types."""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import anthropic_server  # noqa: E402
import chat_server  # noqa: E402
import media_cases  # noqa: E402
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming  # noqa: E402
from openai_server import FakeResponsesServer, JsonReply, text_response  # noqa: E402

from runlet import (  # noqa: E402
    AudioPart,
    Capabilities,
    DocumentPart,
    ImagePart,
    Message,
    ModelRequest,
    ToolCallPart,
    UnsupportedContent,
)
from runlet.providers import AnthropicProvider, OpenAIChatCompletionsProvider, OpenAIResponsesProvider  # noqa: E402

PNG = media_cases.png(4, 4)
PDF = media_cases.pdf(2)
WAV = media_cases.wav(0.05)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def data_url(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{b64(data)}"


def conversation() -> list[Message]:
    """A user message with an image, a PDF and a document URL; a tool call whose result carries an image."""
    return [
        Message.user(
            "Compare these:",
            ImagePart(PNG, detail="low"),
            DocumentPart(PDF, filename="invoice.pdf"),
            DocumentPart(url="https://example.com/terms.pdf"),
        ),
        Message.assistant((ToolCallPart("call_1", "chart", '{"metric": "sales"}'),)),
        Message.tool_result("call_1", "the chart", name="chart", media=(ImagePart(url="https://example.com/chart.png"),)),
    ]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


# -- Responses ------------------------------------------------------------------------------


@pytest.fixture
def responses() -> Iterator[tuple[OpenAIResponsesProvider, FakeResponsesServer]]:
    with FakeResponsesServer() as server:
        yield OpenAIResponsesProvider(model="gpt-5.5", base_url=server.base_url, api_key="sk-test"), server


async def test_responses_sends_input_image_and_input_file(responses: tuple[OpenAIResponsesProvider, FakeResponsesServer]) -> None:
    provider, server = responses
    server.add(JsonReply(text_response("They match.")))
    await provider.complete(ModelRequest(messages=conversation()))
    body = server.bodies[0]
    chat_server.check_params(body, ResponseCreateParamsNonStreaming)
    user, call, result = body["input"]
    assert user == {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "Compare these:"},
            {"type": "input_image", "image_url": data_url("image/png", PNG), "detail": "low"},
            {"type": "input_file", "file_data": data_url("application/pdf", PDF), "filename": "invoice.pdf"},
            {"type": "input_file", "file_url": "https://example.com/terms.pdf"},
        ],
    }
    assert call["type"] == "function_call"
    assert result == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": [
            {"type": "input_text", "text": "the chart"},
            {"type": "input_image", "image_url": "https://example.com/chart.png", "detail": "auto"},
        ],
    }


async def test_responses_refuses_audio_before_sending(responses: tuple[OpenAIResponsesProvider, FakeResponsesServer]) -> None:
    provider, server = responses
    given = OpenAIResponsesProvider(
        model="gpt-audio",
        base_url=server.base_url,
        api_key="sk-test",
        capabilities=Capabilities(context_window=8_000, max_output_tokens=100, media=frozenset({"audio"})),
    )
    with pytest.raises(UnsupportedContent, match="Responses API takes no audio input"):
        await given.complete(ModelRequest(messages=[Message.user("Transcribe", AudioPart(WAV))]))
    with pytest.raises(UnsupportedContent, match="does not accept audio input"):  # the table leaves audio out
        await OpenAIResponsesProvider(model="gpt-audio", base_url=server.base_url, api_key="k").complete(
            ModelRequest(messages=[Message.user("Transcribe", AudioPart(WAV))])
        )
    assert server.requests == []


async def test_responses_refuses_images_for_a_model_it_does_not_know(
    responses: tuple[OpenAIResponsesProvider, FakeResponsesServer],
) -> None:
    _, server = responses
    unknown = OpenAIResponsesProvider(model="my-local-model", base_url=server.base_url, api_key="k")
    with pytest.raises(UnsupportedContent, match="my-local-model.*does not accept image input"):
        await unknown.complete(ModelRequest(messages=[Message.user("What is this?", ImagePart(PNG))]))
    assert server.requests == []


# -- Chat Completions -----------------------------------------------------------------------

EVERYTHING = Capabilities(context_window=32_000, max_output_tokens=1_000, media=frozenset({"image", "audio", "document"}))


@pytest.fixture
def chat() -> Iterator[tuple[OpenAIChatCompletionsProvider, chat_server.FakeChatServer]]:
    with chat_server.FakeChatServer() as server:
        provider = OpenAIChatCompletionsProvider(model="local-omni", base_url=server.base_url, capabilities=EVERYTHING)
        yield provider, server
        assert not server.invalid, server.invalid


async def test_chat_sends_content_parts_and_tool_media_in_a_user_message(
    chat: tuple[OpenAIChatCompletionsProvider, chat_server.FakeChatServer],
) -> None:
    provider, server = chat
    server.add(JsonReply(chat_server.completion("ok")))
    messages = [
        Message.user("Listen and read:", AudioPart(WAV), ImagePart(PNG), DocumentPart(PDF)),
        *conversation()[1:],
    ]
    await provider.complete(ModelRequest(messages=messages))
    sent = server.bodies[0]["messages"]
    assert sent[0] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Listen and read:"},
            {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
            {"type": "image_url", "image_url": {"url": data_url("image/png", PNG), "detail": "auto"}},
            {"type": "file", "file": {"file_data": data_url("application/pdf", PDF), "filename": "document.pdf"}},
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": "the chart"}
    assert sent[3] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Returned by the tool chart (call call_1):"},
            {"type": "image_url", "image_url": {"url": "https://example.com/chart.png", "detail": "auto"}},
        ],
    }


@pytest.mark.parametrize(
    ("part", "error"),
    [
        (DocumentPart(url="https://example.com/a.pdf"), "takes documents as bytes, not a URL"),
        (AudioPart(url="https://example.com/a.wav"), "takes audio as WAV or MP3 bytes"),
        (AudioPart(b"fLaC\x00\x00", "audio/flac"), "not audio/flac"),
    ],
)
async def test_chat_refuses_what_its_api_cannot_take(
    chat: tuple[OpenAIChatCompletionsProvider, chat_server.FakeChatServer], part: Any, error: str
) -> None:
    provider, server = chat
    with pytest.raises(UnsupportedContent, match=error):
        await provider.complete(ModelRequest(messages=[Message.user("x", part)]))
    assert server.requests == []


# -- Anthropic ------------------------------------------------------------------------------


@pytest.fixture
def claude() -> Iterator[tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer]]:
    with anthropic_server.FakeAnthropicServer() as server:
        yield AnthropicProvider(model="claude-sonnet-4-6", base_url=server.base_url, api_key="sk-ant-test"), server
        assert not server.invalid, server.invalid


async def test_anthropic_sends_image_and_document_blocks(
    claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer],
) -> None:
    provider, server = claude
    server.add(JsonReply(anthropic_server.message([anthropic_server.text_block("They match.")])))
    messages = [*conversation(), Message.user("And this note:", DocumentPart(b"Pay by Friday.", "text/plain"))]
    await provider.complete(ModelRequest(messages=messages))
    user, assistant, results = server.bodies[0]["messages"]
    assert user["content"] == [
        {"type": "text", "text": "Compare these:"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(PNG)}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(PDF)}, "title": "invoice.pdf"},
        {"type": "document", "source": {"type": "url", "url": "https://example.com/terms.pdf"}},
    ]
    assert assistant["content"][0]["type"] == "tool_use"
    assert results["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "call_1",
            "content": [
                {"type": "text", "text": "the chart"},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/chart.png"}},
            ],
        },
        {"type": "text", "text": "And this note:"},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Pay by Friday."}},
    ]


@pytest.mark.parametrize(
    ("part", "error"),
    [
        (AudioPart(WAV), "does not accept audio input"),
        (ImagePart(b"BM\x00\x00", "image/bmp"), "JPEG, PNG, GIF and WebP images, not image/bmp"),
        (DocumentPart(b"PK\x03\x04", "application/zip"), "PDF and text documents, not application/zip"),
    ],
)
async def test_anthropic_refuses_what_its_api_cannot_take(
    claude: tuple[AnthropicProvider, anthropic_server.FakeAnthropicServer], part: Any, error: str
) -> None:
    provider, server = claude
    with pytest.raises(UnsupportedContent, match=error):
        await provider.complete(ModelRequest(messages=[Message.user("x", part)]))
    assert server.requests == []
