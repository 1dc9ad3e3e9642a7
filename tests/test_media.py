"""Images, audio and documents: the parts, what is read from their headers, budgeting, storage, tools, events."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import media_cases  # noqa: E402

from runlet import (  # noqa: E402
    Agent,
    AudioPart,
    Capabilities,
    DocumentPart,
    ImagePart,
    Message,
    ModelRequest,
    Runtime,
    StateFormatError,
    TextPart,
    ToolResultPart,
    UnsupportedContent,
    tool,
)
from runlet.budget import (  # noqa: E402
    AUDIO_SECOND_TOKENS,
    DOCUMENT_PAGE_TOKENS,
    TokenBudgeter,
    anthropic_image_tokens,
    anthropic_media_tokens,
    estimate_tokens,
    media_tokens,
    openai_image_tokens,
    openai_media_tokens,
)
from runlet.core._media import image_size, pdf_pages, sniff_media_type, wav_seconds  # noqa: E402
from runlet.events import RunStarted, ToolCompleted  # noqa: E402
from runlet.providers import check_content  # noqa: E402
from runlet.sinks import ConsoleSink, JsonlSink, LoggingSink, MemorySink, RedactingSink, redact_strings  # noqa: E402
from runlet.stores import dumps_message, loads_message, run_state_from_json, run_state_to_json  # noqa: E402
from runlet.testing import ScriptedProvider, call  # noqa: E402

PNG = media_cases.png(1024, 1024)

# -- reading headers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (media_cases.png(640, 480), (640, 480)),
        (media_cases.jpeg(1920, 1080), (1920, 1080)),
        (media_cases.gif(33, 17), (33, 17)),
        (media_cases.webp_lossy(800, 600), (800, 600)),
        (media_cases.webp_lossless(1000, 250), (1000, 250)),
        (media_cases.webp_extended(4000, 3000), (4000, 3000)),
    ],
    ids=["png", "jpeg", "gif", "webp-lossy", "webp-lossless", "webp-extended"],
)
def test_image_sizes_are_read_from_the_headers(data: bytes, size: tuple[int, int]) -> None:
    assert image_size(data) == size
    assert sniff_media_type(data) is not None and sniff_media_type(data).startswith("image/")  # type: ignore[union-attr]


def test_what_the_headers_cannot_say_is_none() -> None:
    assert image_size(b"") is None
    assert image_size(b"\x89PNG\r\n\x1a\n") is None  # cut short
    assert image_size(b"\xff\xd8\xff\xe0\x00") is None
    assert image_size(b"%PDF-1.7") is None
    assert sniff_media_type(b"hello") is None
    assert pdf_pages(b"not a pdf") is None
    assert wav_seconds(b"RIFF\x00\x00\x00\x00WAVE") is None


def test_media_types_pages_and_seconds() -> None:
    assert [sniff_media_type(d) for d in (media_cases.pdf(2), media_cases.wav(1), b"ID3\x04", b"\xff\xfb\x90")] == [
        "application/pdf",
        "audio/wav",
        "audio/mpeg",
        "audio/mpeg",
    ]
    assert pdf_pages(media_cases.pdf(7)) == 7
    # Page objects hidden in compressed object streams: the page tree's count answers.
    assert pdf_pages(b"%PDF-1.7\n1 0 obj << /Type /Pages /Kids [] /Count 12 >> endobj") == 12
    assert wav_seconds(media_cases.wav(2.5)) == 2.5


# -- the parts ---------------------------------------------------------------------------


def test_a_part_reads_its_media_type_from_its_bytes_and_takes_data_urls_apart() -> None:
    image = ImagePart(PNG)
    assert image.media_type == "image/png" and image.size == len(PNG) and image.url is None
    encoded = base64.b64encode(PNG).decode()
    assert ImagePart(url=f"data:image/png;base64,{encoded}") == image
    assert ImagePart(url="https://example.com/cat.jpg").data is None
    assert DocumentPart(media_cases.pdf(1)).name == "document.pdf"
    assert DocumentPart(b"a,b\n", "text/csv", filename="table.csv").name == "table.csv"
    assert AudioPart(media_cases.wav(1)).media_type == "audio/wav"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ImagePart(), "needs data= .bytes. or url=, exactly one"),
        (lambda: ImagePart(PNG, url="https://example.com/x.png"), "exactly one"),
        (lambda: DocumentPart(b"\x00\x01unknown"), "pass media_type="),
        (lambda: ImagePart(media_cases.pdf(1)), "needs an image/. media type, not 'application/pdf'"),
        (lambda: AudioPart(PNG), "needs an audio/. media type"),
        (lambda: ImagePart("not bytes"), "must be bytes"),  # type: ignore[arg-type]
        (lambda: ImagePart(url="data:image/png;base64,@@@"), "base64 is not valid"),
    ],
)
def test_a_bad_part_says_what_to_fix(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_the_repr_and_the_summary_never_show_the_bytes() -> None:
    secret = media_cases.png(2, 2) + b"TOP-SECRET"
    image = ImagePart(secret)
    for shown in (repr(image), repr(Message.user("look", image)), json.dumps(image.summary())):
        assert "TOP-SECRET" not in shown and base64.b64encode(secret).decode() not in shown
    assert image.summary() == {
        "kind": "image",
        "media_type": "image/png",
        "size": len(secret),
        "sha256": image.sha256,
    }
    assert ImagePart(url="https://example.com/x.png").summary() == {
        "kind": "image",
        "media_type": "",
        "url": "https://example.com/x.png",
    }


def test_message_user_takes_text_and_media_in_order() -> None:
    doc = DocumentPart(media_cases.pdf(1))
    message = Message.user("Read this:", doc, "and summarise it.")
    assert message.parts == (TextPart("Read this:"), doc, TextPart("and summarise it."))
    assert message.text == "Read this:and summarise it."
    result = Message.tool_result("c1", "chart", media=(ImagePart(PNG),))
    assert message.media == (doc,) and result.media == (ImagePart(PNG),)


# -- budgeting ---------------------------------------------------------------------------


def test_openai_tile_rule_matches_the_published_examples() -> None:
    assert openai_image_tokens(1024, 1024, "high") == 765
    assert openai_image_tokens(2048, 4096, "high") == 1105
    assert openai_image_tokens(4096, 8192, "low") == 85
    assert openai_image_tokens(500, 500, "high") == 255  # one tile, no upscaling
    assert openai_image_tokens(1024, 1024) == 765  # auto counts as high


def test_anthropic_pixel_rule_matches_the_published_examples() -> None:
    assert anthropic_image_tokens(200, 200) == 54
    assert anthropic_image_tokens(1000, 1000) == 1334
    assert anthropic_image_tokens(1092, 1092) == 1590
    assert anthropic_image_tokens(4000, 3000) <= 1600  # scaled down first
    assert anthropic_image_tokens(8000, 100) == math_ceil(1568 * 19 / 750)  # long edge to 1568


def math_ceil(value: float) -> int:
    import math

    return math.ceil(value)


def test_media_counters_read_the_image_and_err_high_by_default() -> None:
    image = ImagePart(PNG)
    assert openai_media_tokens(image) == 765
    assert anthropic_media_tokens(image) == 1399
    assert media_tokens(image) == 1399
    assert openai_media_tokens(ImagePart(PNG, detail="low")) == 85
    assert openai_media_tokens(ImagePart(url="https://example.com/x.png")) == 85 + 170 * 8
    assert anthropic_media_tokens(ImagePart(url="https://example.com/x.png")) == 1600


def test_documents_and_audio_are_stated_estimates() -> None:
    assert media_tokens(DocumentPart(media_cases.pdf(3))) == 3 * DOCUMENT_PAGE_TOKENS
    assert media_tokens(DocumentPart(url="https://example.com/a.pdf")) == DOCUMENT_PAGE_TOKENS
    text = "hello world, " * 100
    assert media_tokens(DocumentPart(text.encode(), "text/plain")) == estimate_tokens(text)
    assert media_tokens(DocumentPart(b"\x00" * 400, "application/octet-stream")) == 100
    assert media_tokens(AudioPart(media_cases.wav(3))) == 3 * AUDIO_SECOND_TOKENS
    assert media_tokens(AudioPart(b"ID3" + b"\x00" * 31_997)) == 2 * AUDIO_SECOND_TOKENS  # 128 kbit/s


def test_the_budgeter_counts_media_in_messages_and_tool_results() -> None:
    text_only = ModelRequest(messages=[Message.user("What is this?")])
    with_image = ModelRequest(messages=[Message.user("What is this?", ImagePart(PNG))])
    budgeter = TokenBudgeter()
    assert budgeter.count(with_image).tokens - budgeter.count(text_only).tokens == 1399
    openai = TokenBudgeter(media_counter=openai_media_tokens)
    assert openai.count(with_image).tokens - openai.count(text_only).tokens == 765
    result = ModelRequest(messages=[Message.tool_result("c1", "chart", media=(ImagePart(PNG),))])
    plain = ModelRequest(messages=[Message.tool_result("c1", "chart")])
    assert openai.count(result).tokens - openai.count(plain).tokens == 765


# -- storage -----------------------------------------------------------------------------


def test_the_codec_keeps_media_exactly_as_base64() -> None:
    message = Message.user("Compare", ImagePart(PNG, detail="high"), DocumentPart(url="https://example.com/a.pdf"))
    text = dumps_message(message)
    assert json.loads(text)["parts"][1] == {
        "kind": "image",
        "media_type": "image/png",
        "data": base64.b64encode(PNG).decode(),
        "url": None,
        "detail": "high",
    }
    assert loads_message(text) == message
    result = Message.tool_result("c1", "ok", name="chart", media=(AudioPart(media_cases.wav(0.1)),))
    assert loads_message(dumps_message(result)) == result


def test_a_tool_result_without_media_is_written_as_before() -> None:
    text = dumps_message(Message.tool_result("c1", "ok", name="lookup"))
    assert "media" not in text
    assert loads_message(text) == Message.tool_result("c1", "ok", name="lookup")


@pytest.mark.parametrize(
    ("part", "error"),
    [
        ({"kind": "image", "media_type": "image/png", "data": "***", "url": None, "detail": "auto"}, "not valid base64"),
        ({"kind": "image", "media_type": "image/png", "data": None, "url": None, "detail": "auto"}, "exactly one"),
        ({"kind": "image", "media_type": "image/png", "data": None, "url": "x", "detail": "max"}, "detail must be"),
        ({"kind": "audio", "media_type": "audio/wav", "data": 3, "url": None}, "must be base64 text or null"),
        ({"kind": "document", "media_type": "text/plain", "data": None, "url": "x"}, "missing \\['filename'\\]"),
    ],
)
def test_damaged_media_is_a_state_format_error(part: dict[str, object], error: str) -> None:
    with pytest.raises(StateFormatError, match=error):
        loads_message(json.dumps({"role": "user", "parts": [part]}))


async def test_a_run_state_with_media_round_trips(tmp_path: Path) -> None:
    provider = ScriptedProvider(["A black square."])
    agent = Agent(name="vision", model=provider)
    result = await Runtime().run(agent, [Message.user("What is this?", ImagePart(PNG))])
    from runlet import RunState

    state = RunState(run_id="r", agent="vision", new=result.new_messages, context=result.messages)
    assert run_state_from_json(json.loads(json.dumps(run_state_to_json(state)))) == state


# -- tools return media ------------------------------------------------------------------


@tool
def chart(metric: str) -> ImagePart:
    """Draw a chart of a metric."""
    return ImagePart(media_cases.png(64, 64))


@tool
def report(month: str) -> list[str | DocumentPart]:
    """The month's report, with its PDF."""
    return [f"Report for {month}", DocumentPart(media_cases.pdf(2), filename="report.pdf")]


async def test_a_tool_returns_media_and_the_model_gets_it_in_the_result() -> None:
    provider = ScriptedProvider([[call("chart", metric="sales"), call("report", month="May")], "Done."])
    sink = MemorySink()
    agent = Agent(name="analyst", model=provider, tools=(chart, report))
    await Runtime(sinks=[sink]).run(agent, "Show me sales")
    results = provider.requests[1].messages[-1].tool_results
    assert results[0] == ToolResultPart(results[0].call_id, "chart", "", False, (ImagePart(media_cases.png(64, 64)),))
    assert results[1].content == "Report for May"
    assert results[1].media == (DocumentPart(media_cases.pdf(2), filename="report.pdf"),)
    completed = [event for event in sink.events if isinstance(event, ToolCompleted)]
    assert [event.media[0]["kind"] for event in completed] == ["image", "document"]
    assert completed[1].payload["media"] == [DocumentPart(media_cases.pdf(2)).summary()]


async def test_a_tool_list_of_media_and_other_things_is_a_tool_error() -> None:
    @tool
    def mixed() -> list[object]:
        """Returns something odd."""
        return ["text", ImagePart(PNG), 3]

    provider = ScriptedProvider([call("mixed"), "ok"])
    await Runtime().run(Agent(name="a", model=provider, tools=(mixed,)), "go")
    result = provider.requests[1].messages[-1].tool_results[0]
    assert result.is_error and "may hold only those and strings" in result.content


# -- events, logs and the console show summaries -----------------------------------------


async def test_events_logs_and_the_console_never_carry_the_bytes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = media_cases.png(8, 8) + b"PRIVATE-PIXELS"
    encoded = base64.b64encode(secret).decode()

    @tool
    def snapshot() -> ImagePart:
        """Take a snapshot."""
        return ImagePart(secret)

    console = io.StringIO()
    memory = MemorySink()
    sinks = [memory, JsonlSink(tmp_path / "run.jsonl"), LoggingSink(), ConsoleSink(console)]
    provider = ScriptedProvider([call("snapshot"), "A tiny image."])
    agent = Agent(name="camera", model=provider, tools=(snapshot,))
    with caplog.at_level(logging.DEBUG, logger="runlet"):
        await Runtime(sinks=sinks).run(agent, [Message.user("Look:", ImagePart(secret))])
    started = next(e for e in memory.events if isinstance(e, RunStarted))
    assert started.media == (ImagePart(secret).summary(),)
    logged = (tmp_path / "run.jsonl").read_text() + caplog.text + console.getvalue()
    for text in (logged, repr(memory.events)):
        assert "PRIVATE-PIXELS" not in text and encoded not in text and encoded[:40] not in text
    digest = ImagePart(secret).sha256
    assert f"[image image/png {len(secret)} B sha256:{digest[:8]}]" in console.getvalue()
    assert digest in (tmp_path / "run.jsonl").read_text()


async def test_the_redacting_sink_scrubs_media_urls() -> None:
    inner = MemorySink()
    scrub = redact_strings(lambda text: re.sub(r"token=\w+", "token=[redacted]", text))
    provider = ScriptedProvider(["ok"])
    url = "https://cdn.example.com/scan.png?token=abc123"
    await Runtime(sinks=[RedactingSink(inner, scrub)]).run(
        Agent(name="a", model=provider), [Message.user("Read", ImagePart(url=url))]
    )
    started = next(e for e in inner.events if isinstance(e, RunStarted))
    assert started.media == ({"kind": "image", "media_type": "", "url": "https://cdn.example.com/scan.png?token=[redacted]"},)


# -- models that do not take a kind of content -------------------------------------------


async def test_a_model_without_image_input_is_refused_before_anything_is_sent() -> None:
    provider = ScriptedProvider(["never"], capabilities=Capabilities(context_window=8_000, max_output_tokens=500))
    agent = Agent(name="text-only", model=provider)
    with pytest.raises(UnsupportedContent, match="does not accept image input .* nothing was sent") as raised:
        await Runtime().run(agent, [Message.user("What is this?", ImagePart(PNG))])
    assert provider.requests == []
    assert raised.value.feature == "image input"


async def test_a_tool_returning_a_kind_the_model_does_not_take_stops_the_run_before_the_next_call() -> None:
    takes = Capabilities(context_window=8_000, max_output_tokens=500, media=frozenset({"image"}))
    provider = ScriptedProvider([call("report", month="May"), "never"], capabilities=takes)
    with pytest.raises(UnsupportedContent, match="does not accept document input"):
        await Runtime().run(Agent(name="a", model=provider, tools=(report,)), "go")
    assert len(provider.requests) == 1


def test_media_goes_in_user_messages_and_tool_results_only() -> None:
    everything = Capabilities(context_window=8_000, max_output_tokens=500, media=frozenset({"image", "audio", "document"}))
    for role in ("system", "assistant", "tool"):
        with pytest.raises(UnsupportedContent, match=f"a {role} message carries an image"):
            check_content([Message(role, (ImagePart(PNG),))], everything, model="m")  # type: ignore[arg-type]
    check_content([Message.user("x", ImagePart(PNG)), Message.tool_result("c", "x", media=(AudioPart(media_cases.wav(1)),))], everything, model="m")


async def test_a_fallback_provider_takes_the_media_every_provider_takes() -> None:
    from runlet.providers import FallbackProvider
    from runlet.testing import ScriptedProvider as Scripted

    both = Capabilities(context_window=8_000, max_output_tokens=500, media=frozenset({"image", "document"}))
    images = Capabilities(context_window=8_000, max_output_tokens=500, media=frozenset({"image"}))
    model = FallbackProvider(Scripted(["A square."], capabilities=both), Scripted(["never"], capabilities=images))
    assert model.capabilities().media == frozenset({"image"})
    result = await Runtime().run(Agent(name="vision", model=model), [Message.user("What is it?", ImagePart(PNG))])
    assert result.output == "A square."
    with pytest.raises(UnsupportedContent):
        await Runtime().run(Agent(name="vision", model=model), [Message.user("Read it.", DocumentPart(media_cases.pdf(1)))])
