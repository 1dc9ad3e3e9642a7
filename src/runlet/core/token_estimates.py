"""Token estimates: what a text, an image, a recording or a document costs, before any tokenizer is asked.

- `estimate_tokens`: the default text counter, fast and erring high.
- `media_tokens`: what an image, a recording or a document costs, by the
  providers' published rules (`openai_media_tokens`, `anthropic_media_tokens`).

`runlet.core.budget`'s `TokenBudgeter` counts requests with these (or with an
exact tokenizer from `runlet.tokenizers`); see docs/budgeting.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from typing_extensions import TypeAlias, assert_never

from runlet.core._media import image_size, pdf_pages, wav_seconds
from runlet.core.messages import AudioPart, DocumentPart, ImageDetail, ImagePart, MediaPart

TokenCounter: TypeAlias = Callable[[str], int]
"""Counts the tokens of a text (`estimate_tokens`, or an exact tokenizer from `runlet.tokenizers`)."""

MESSAGE_OVERHEAD = 4
"""Tokens a message costs beyond its content (role and separators)."""

# estimate_tokens: a linear model over character classes, fitted against the
# o200k_base tokenizer (benchmarks/budget.py measures it) so that it stays
# above the exact count on prose, CJK text, JSON and code.
_DIGITS = b"0123456789"
_PUNCTUATION = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _classes() -> bytes:
    """A `bytes.translate` table from a UTF-8 byte to its class: a digit, punctuation, a newline, a space, an upper-case letter, a 3- or 4-byte lead, or other."""
    table = bytearray(b"o" * 256)
    for chars, mark in ((_DIGITS, b"d"), (_PUNCTUATION, b"p"), (b"\n", b"n"), (b" ", b"s"), (_UPPER, b"u")):
        for char in chars:
            table[char] = mark[0]
    table[0xE0:0xF0] = b"3" * 16
    table[0xF0:0x100] = b"4" * 16
    return bytes(table)


_CLASSES = _classes()
_PER_LETTER = 0.27
_PER_DIGIT = 0.6
_PER_PUNCTUATION = 0.7
_PER_SPACE = 0.2
_PER_NEWLINE = 1.0
_PER_2_BYTE = 0.4
_PER_3_BYTE = 1.0
_PER_4_BYTE = 1.4
_PER_UNBROKEN = 0.75
_RUN_ALLOWANCE = 15


def estimate_tokens(text: str) -> int:
    """A fast estimate of a text's tokens that errs high.

    A weighted sum over character classes: an ASCII letter counts 0.27
    tokens, a space 0.2, a digit 0.6, punctuation 0.7, a newline 1; a
    two-byte character (Cyrillic, Greek, Arabic...) 0.4, a three-byte one
    (CJK, kana, Hangul) 1, a four-byte one (emoji) 1.4. Letters and digits far
    beyond what the spaces and punctuation around them explain count extra
    when they mix cases and digits (base64, keys, hashes). Fitted against `o200k_base`: estimate / exact is
    between 1.1 and 1.4 on English, Chinese, Japanese, JSON and Python code
    (docs/budgeting.md has the numbers). It runs over the UTF-8 bytes with
    C-level `bytes` methods: a few µs per KB.
    """
    if not text:
        return 0
    if text.isascii():
        data = text.encode("ascii")
        size = len(data)
        classes = data.translate(_CLASSES)  # one pass over the bytes; the counts below are C loops too
        wide = 0.0
        multibyte = 0
    else:
        data = text.encode("utf-8", "surrogatepass")
        size = len(data)
        classes = data.translate(_CLASSES)
        three = classes.count(b"3")
        four = classes.count(b"4")
        two = size - len(text) - 2 * three - 3 * four
        wide = _PER_2_BYTE * two + _PER_3_BYTE * three + _PER_4_BYTE * four
        multibyte = 2 * two + 3 * three + 4 * four
    digits = classes.count(b"d")
    punctuation = classes.count(b"p")
    newlines = classes.count(b"n")
    spaces = classes.count(b"s")
    letters = size - multibyte - digits - punctuation - newlines - spaces
    tokens = (
        _PER_LETTER * letters
        + _PER_DIGIT * digits
        + _PER_PUNCTUATION * punctuation
        + _PER_SPACE * spaces
        + _PER_NEWLINE * newlines
        + wide
    )
    unbroken = letters + digits - _RUN_ALLOWANCE * (spaces + punctuation + newlines)
    if unbroken > 0:
        # Long runs of mixed case and digits (base64, keys) tokenize in short pieces; one letter repeated does not.
        mixed = 2 * classes.count(b"u") + digits
        tokens += _PER_UNBROKEN * min(unbroken, mixed)
    return max(1, math.ceil(tokens))


# Media: the providers' published rules.

MediaCounter: TypeAlias = Callable[[MediaPart], int]
"""Counts the tokens of an image, a recording or a document (`media_tokens`, or one provider's rule)."""

DOCUMENT_PAGE_TOKENS = 3_000
"""A PDF page, as estimated: the top of Anthropic's published 1,500-3,000 text tokens a page."""

AUDIO_SECOND_TOKENS = 10
"""A second of audio, as estimated: OpenAI's audio models take about one token per 100 ms."""

UNKNOWN_AUDIO_SECONDS = 60
"""The length assumed for a recording given by URL or whose length cannot be read."""


def openai_image_tokens(width: int, height: int, detail: ImageDetail = "auto") -> int:
    """OpenAI's published tile rule for an image of `width` x `height` pixels.

    `low`: 85 tokens. `high` (and `auto`, counted as `high`): scaled down to fit
    a 2048 x 2048 square, then so that its shortest side is at most 768, and
    85 tokens plus 170 for each 512 px tile that covers it (a 1024 x 1024 image:
    765 tokens; 2048 x 4096: 1105).
    """
    if detail == "low":
        return 85
    scale = min(1.0, 2048 / max(width, height, 1))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / max(min(w, h), 1))
    w, h = round(w * scale), round(h * scale)
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def anthropic_image_tokens(width: int, height: int) -> int:
    """Anthropic's published rule: width x height / 750 tokens, after the API's downscaling.

    An image whose long edge passes 1568 px, or which would pass about 1,600
    tokens, is first scaled down (keeping its aspect ratio) to fit both
    (200 x 200: 54 tokens; 1000 x 1000: 1334; 1092 x 1092: 1590).
    """
    pixels = max(width, 1) * max(height, 1)
    scale = min(1.0, 1568 / max(width, height, 1), math.sqrt(1_600 * 750 / pixels))
    return math.ceil(math.floor(width * scale) * math.floor(height * scale) / 750)


def openai_media_tokens(part: MediaPart) -> int:
    """What a media part costs an OpenAI model: images by the tile rule, documents and audio as `media_tokens` states."""
    match part:
        case ImagePart():
            size = image_size(part.data) if part.data is not None else None
            if size is None:  # a URL: the largest an image can cost at this detail
                return 85 if part.detail == "low" else 85 + 170 * 8
            return openai_image_tokens(*size, part.detail)
        case AudioPart() | DocumentPart():
            return _media_estimate(part)
        case _:
            assert_never(part)


def anthropic_media_tokens(part: MediaPart) -> int:
    """What a media part costs a Claude model: images by width x height / 750, documents and audio as `media_tokens` states."""
    match part:
        case ImagePart():
            size = image_size(part.data) if part.data is not None else None
            return anthropic_image_tokens(*size) if size is not None else 1_600
        case AudioPart() | DocumentPart():
            return _media_estimate(part)
        case _:
            assert_never(part)


def media_tokens(part: MediaPart) -> int:
    """The default `MediaCounter`: the larger of OpenAI's and Anthropic's counts, so it errs high on either.

    Images: each provider's published rule (`openai_image_tokens`,
    `anthropic_image_tokens`), from the width and height read from the image's
    header; an image given by URL counts as the most an image can cost.
    Documents, a stated estimate: a PDF counts `DOCUMENT_PAGE_TOKENS` a page
    (pages read from the file, else a page per 100 KB; one page for a URL), a text document counts as
    its text, any other file a token per 4 bytes. Audio: `AUDIO_SECOND_TOKENS`
    a second, the length read from a WAV header, else from the size at 128
    kbit/s (`UNKNOWN_AUDIO_SECONDS` for a URL). Calibration corrects all of
    these after the first call.
    """
    if isinstance(part, ImagePart):
        return max(openai_media_tokens(part), anthropic_media_tokens(part))
    return _media_estimate(part)


def _media_estimate(part: AudioPart | DocumentPart) -> int:
    data = part.data
    if isinstance(part, AudioPart):
        if data is None:
            return AUDIO_SECOND_TOKENS * UNKNOWN_AUDIO_SECONDS
        seconds = wav_seconds(data)
        return math.ceil(AUDIO_SECOND_TOKENS * (seconds if seconds is not None else len(data) / 16_000))
    if data is None:
        return DOCUMENT_PAGE_TOKENS
    if part.media_type == "application/pdf":
        pages = pdf_pages(data)
        return DOCUMENT_PAGE_TOKENS * (pages if pages is not None else max(1, math.ceil(len(data) / 100_000)))
    if part.media_type.startswith("text/"):
        return estimate_tokens(data.decode("utf-8", "replace"))
    return max(1, math.ceil(len(data) / 4))
