"""Messages and model requests, as user code builds them."""

from __future__ import annotations

from typing import Literal

from typing_extensions import assert_type

from runlet import Message, ModelRequest, ModelResponse, Part, Role, TextPart, ToolCallPart, Usage

user = Message.user("What is 2 + 2?")
assert_type(user, Message)
assert_type(user.role, Role)
assert_type(user.parts, tuple[Part, ...])
assert_type(user.text, str)
assert_type(user.tool_calls, tuple[ToolCallPart, ...])

request = ModelRequest(messages=[Message.system("Be brief."), user])
assert_type(request.messages[0], Message)
assert_type(request.max_output_tokens, int | None)

usage = Usage(input_tokens=3, output_tokens=1) + Usage(requests=1)
assert_type(usage, Usage)
assert_type(usage.total_tokens, int)

response = ModelResponse(parts=(TextPart("4"),), usage=usage)
assert_type(response.message, Message)
assert_type(response.finish_reason == "stop", bool)

# Runlet's data classes are dataclasses to the type checkers (declared with `@frozen`).
import dataclasses  # noqa: E402
from typing import Any  # noqa: E402

assert_type(dataclasses.replace(user, role="assistant"), Message)
assert_type(dataclasses.replace(usage, output_tokens=2).output_tokens, int)
assert_type(dataclasses.fields(request), tuple[dataclasses.Field[Any], ...])
assert_type(dataclasses.asdict(usage), dict[str, Any])
match user:
    case Message(role, parts):
        assert_type(role, Role)
        assert_type(parts, tuple[Part, ...])
parts_seen: set[Message] = {user, Message.user("What is 2 + 2?")}

# Images, audio and documents.
from runlet import (  # noqa: E402
    AudioPart,
    Capabilities,
    DocumentPart,
    ImagePart,
    JsonValue,
    MediaKind,
    MediaPart,
    RunContext,
    ToolContent,
    ToolResultPart,
    tool,
)

image = ImagePart(b"\x89PNG\r\n\x1a\n", detail="low")
assert_type(image.data, bytes | None)
assert_type(image.url, str | None)
assert_type(image.size, int)
assert_type(image.kind, Literal["image"])
asked = Message.user("What is this?", image, DocumentPart(url="https://example.com/a.pdf"))
assert_type(asked.media, tuple[MediaPart, ...])
assert_type(ToolResultPart("c1", "chart", "", media=(AudioPart(b"ID3"),)).media, tuple[MediaPart, ...])
vision = Capabilities(context_window=8_000, max_output_tokens=500, media=frozenset({"image", "document"}))
assert_type(vision.media, frozenset[MediaKind])
for part in asked.parts:
    match part:
        case ImagePart(detail=detail):
            assert_type(detail, Literal["auto", "low", "high"])
        case AudioPart() | DocumentPart():
            assert_type(part.summary()["kind"], JsonValue)
        case _:
            pass


@tool
def chart(metric: str) -> ImagePart:
    """A chart."""
    return ImagePart(b"\x89PNG\r\n\x1a\n")


async def render(ctx: RunContext[None]) -> ToolContent:
    return await chart.call(ctx, {"metric": "sales"})
