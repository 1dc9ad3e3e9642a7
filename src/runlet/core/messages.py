"""Messages and their parts: the conversation as frozen data.

Text, tool calls and results, reasoning, and media: images, audio and
documents, as bytes with their media type or as a URL, in user messages and
in what tools return (docs/messages.md).
"""

from __future__ import annotations

import json
from dataclasses import field
from typing import ClassVar, Literal, Union

from typing_extensions import TypeAlias

from runlet.core._frozen import frozen
from runlet.core._media import sniff_media_type
from runlet.core.json import JsonObject, JsonValue

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]

MediaKind: TypeAlias = Literal["image", "audio", "document"]
"""The kinds of media a message can carry; `Capabilities.media` says which a model accepts."""

ImageDetail: TypeAlias = Literal["auto", "low", "high"]
"""How closely the model looks at an image (OpenAI's `detail`; other providers ignore it)."""


@frozen
class _Media:
    """What images, audio and documents share: bytes with their media type, or a URL.

    Give `data` (the media type is read from the bytes when left out) or a
    `url`; a `data:` URL is taken apart into its bytes and media type. The
    repr, events and logs show a summary (kind, media type, size, SHA-256),
    never the bytes.
    """

    data: bytes | None = None
    """The content itself; `None` when the part is a URL."""
    media_type: str = ""
    """The IANA media type (`image/png`, `audio/wav`, `application/pdf`, ...)."""
    url: str | None = None
    """Where the provider fetches the content; `None` when the part carries its bytes."""
    kind: ClassVar[MediaKind]

    def __post_init__(self) -> None:
        data, url, media_type = self.data, self.url, self.media_type
        name = type(self).__name__
        if url is not None and url.startswith("data:"):
            data, media_type = _data_url(url, media_type, name)
            url = None
            object.__setattr__(self, "data", data)
            object.__setattr__(self, "url", None)
        if (data is None) == (url is None):
            raise ValueError(f"{name} needs data= (bytes) or url=, exactly one of them")
        if data is not None and not isinstance(data, bytes):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ValueError(f"{name}.data must be bytes, not {type(data).__name__}: read the file in binary mode")
        if not media_type and data is not None:
            media_type = sniff_media_type(data) or ""
            if not media_type:
                raise ValueError(f"{name} cannot tell the media type of these bytes: pass media_type=")
        if media_type:
            media_type = media_type.lower()
            major = media_type.partition("/")[0]
            if self.kind != "document" and major != self.kind:
                raise ValueError(f"{name} needs an {self.kind}/* media type, not {media_type!r}")
        object.__setattr__(self, "media_type", media_type)

    @property
    def size(self) -> int:
        """The number of bytes carried (0 for a URL)."""
        return len(self.data) if self.data is not None else 0

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes, in hex ("" for a URL)."""
        if self.data is None:
            return ""
        import hashlib

        return hashlib.sha256(self.data).hexdigest()

    def summary(self) -> dict[str, JsonValue]:
        """What events, logs and the console show of the part: kind, media type, and size and hash, or the URL."""
        summary: dict[str, JsonValue] = {"kind": self.kind, "media_type": self.media_type}
        if self.data is not None:
            summary["size"] = len(self.data)
            summary["sha256"] = self.sha256
        else:
            summary["url"] = self.url
        return summary

    def __repr__(self) -> str:
        what = f"{self.size:,} bytes, sha256:{self.sha256[:12]}" if self.data is not None else repr(self.url)
        return f"{type(self).__name__}({self.media_type or '?'}, {what})"


def _data_url(url: str, media_type: str, name: str) -> tuple[bytes, str]:
    """The bytes and media type of a `data:` URL (`data:image/png;base64,...`)."""
    import base64
    import binascii
    from urllib.parse import unquote_to_bytes

    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise ValueError(f"{name}: a data: URL needs a comma before its data")
    fields = header.split(";")
    try:
        data = base64.b64decode(payload, validate=True) if "base64" in fields[1:] else unquote_to_bytes(payload)
    except binascii.Error as error:
        raise ValueError(f"{name}: the data: URL's base64 is not valid ({error})") from None
    return data, media_type or fields[0]


@frozen
class ImagePart(_Media):
    """An image (PNG, JPEG, GIF, WebP): `ImagePart(png_bytes)`, `ImagePart(url="https://...")`."""

    detail: ImageDetail = "auto"
    """How closely the model looks: `"low"` costs a fixed, small number of tokens (OpenAI)."""
    kind: ClassVar[Literal["image"]] = "image"


@frozen
class AudioPart(_Media):
    """A recording (WAV or MP3 for OpenAI's audio models): `AudioPart(wav_bytes)`."""

    kind: ClassVar[Literal["audio"]] = "audio"


@frozen
class DocumentPart(_Media):
    """A document: a PDF, plain text, or another file the model reads: `DocumentPart(pdf_bytes, filename="invoice.pdf")`."""

    filename: str = ""
    """The file's name, sent where the API asks for one (default: `document` with the media type's extension)."""
    kind: ClassVar[Literal["document"]] = "document"

    @property
    def name(self) -> str:
        """`filename`, or a name made from the media type (`document.pdf`)."""
        if self.filename:
            return self.filename
        subtype = self.media_type.partition("/")[2]
        return f"document.{_EXTENSIONS.get(subtype, subtype.rpartition('+')[0] or subtype or 'bin')}"


_EXTENSIONS = {"plain": "txt", "markdown": "md", "vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"}

MediaPart: TypeAlias = Union[ImagePart, AudioPart, DocumentPart]
"""An image, a recording or a document."""

MEDIA_PARTS: tuple[type[MediaPart], ...] = (ImagePart, AudioPart, DocumentPart)
"""The media part classes (for `isinstance`)."""


@frozen
class TextPart:
    """Plain text."""

    text: str
    kind: Literal["text"] = field(default="text", init=False, repr=False)


@frozen
class ToolCallPart:
    """The model asks for a tool call.

    `arguments` is the JSON text exactly as the model sent it; `call_id` pairs
    the call with its `ToolResultPart`.
    """

    call_id: str
    name: str
    arguments: str = "{}"
    kind: Literal["tool_call"] = field(default="tool_call", init=False, repr=False)

    def parsed_arguments(self) -> JsonValue:
        """The arguments decoded from JSON (raises `ValueError` when they are not JSON)."""
        value: JsonValue = json.loads(self.arguments or "{}")
        return value


@frozen
class ToolResultPart:
    """The result of a tool call, sent back to the model."""

    call_id: str
    name: str
    content: str
    """The text the tool returned."""
    is_error: bool = False
    media: tuple[MediaPart, ...] = ()
    """Images, audio and documents the tool returned, sent after the text."""
    kind: Literal["tool_result"] = field(default="tool_result", init=False, repr=False)


@frozen
class ReasoningPart:
    """A model's reasoning item, kept so it can be sent back as the provider requires.

    `data` is the provider's own representation, opaque to the runtime;
    `provider` names whose it is, and other providers skip it.
    """

    provider: str
    data: JsonObject
    summary: str = ""
    kind: Literal["reasoning"] = field(default="reasoning", init=False, repr=False)


@frozen
class HostedToolPart:
    """What a hosted tool did (a web search, a file search, code run), as the provider reports it.

    The provider ran it on its own side; the part is kept in the history so
    it goes back on the next turn. `data` is the provider's own item, sent
    back as received; `provider` names whose it is, and other providers skip it.
    """

    provider: str
    name: str
    """The tool: `web_search`, `file_search`, `code_interpreter`, `code_execution`, ..."""
    call_id: str
    data: JsonObject
    result: bool = False
    """Whether this is the tool's output, which some providers (Anthropic) send apart from the call."""
    detail: str = ""
    """What it did, for people and events: the search query, the code."""
    kind: Literal["hosted_tool"] = field(default="hosted_tool", init=False, repr=False)


Part: TypeAlias = Union[
    TextPart, ToolCallPart, ToolResultPart, ReasoningPart, HostedToolPart, ImagePart, AudioPart, DocumentPart
]
"""Any part of a message."""


@frozen
class Message:
    """One message of the conversation: a role and its parts."""

    role: Role
    parts: tuple[Part, ...]

    @classmethod
    def system(cls, text: str) -> Message:
        """Instructions for the model."""
        return cls("system", (TextPart(text),))

    @classmethod
    def user(cls, *content: str | MediaPart) -> Message:
        """What the user says: text, and images, audio or documents, in order (`Message.user("What is this?", image)`)."""
        return cls("user", tuple(TextPart(item) if isinstance(item, str) else item for item in content))

    @classmethod
    def assistant(cls, content: str | tuple[Part, ...]) -> Message:
        """What the model said: text, or parts (text, tool calls, reasoning)."""
        parts = (TextPart(content),) if isinstance(content, str) else content
        return cls("assistant", parts)

    @classmethod
    def tool_result(
        cls, call_id: str, content: str, *, name: str = "", is_error: bool = False, media: tuple[MediaPart, ...] = ()
    ) -> Message:
        """The result of one tool call."""
        return cls("tool", (ToolResultPart(call_id, name, content, is_error, media),))

    @property
    def text(self) -> str:
        """The text parts joined together."""
        return "".join(part.text for part in self.parts if isinstance(part, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        """The tool calls this message asks for."""
        return tuple([part for part in self.parts if isinstance(part, ToolCallPart)])

    @property
    def tool_results(self) -> tuple[ToolResultPart, ...]:
        """The tool results this message carries."""
        return tuple(part for part in self.parts if isinstance(part, ToolResultPart))

    @property
    def media(self) -> tuple[MediaPart, ...]:
        """The images, audio and documents of the message, its tool results' included, in order."""
        found: list[MediaPart] = []
        for part in self.parts:
            if isinstance(part, MEDIA_PARTS):
                found.append(part)
            elif isinstance(part, ToolResultPart):
                found.extend(part.media)
        return tuple(found)
