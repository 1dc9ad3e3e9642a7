"""What an MCP tool call returns, as a Runlet tool's content: text, images, audio and documents.

Text blocks become text; image and audio blocks become `ImagePart` and
`AudioPart`; an embedded resource becomes its text, or a media part for its
bytes; a resource link becomes a line naming it. When the result has no text,
its `structuredContent` is sent as JSON text. A result marked `isError` raises
`ToolError` with the server's text: the model sees it and the run goes on.
"""

from __future__ import annotations

import base64
import binascii
import json

from mcp import types
from typing_extensions import assert_never

from runlet.core.errors import ToolError
from runlet.core.messages import AudioPart, DocumentPart, ImagePart, MediaPart
from runlet.core.tools import ToolContent


def tool_content(server: str, tool: str, result: types.CallToolResult) -> ToolContent:
    """The content of a `tools/call` result, or `ToolError` for a result the server marked as an error."""
    items: list[str | MediaPart] = []
    for block in result.content:
        item = _item(server, tool, block)
        if item is not None:
            items.append(item)
    texts = [item for item in items if isinstance(item, str)]
    if not texts and result.structured_content is not None:
        structured = json.dumps(result.structured_content, ensure_ascii=False)
        items.insert(0, structured)
        texts.append(structured)
    if result.is_error:
        message = "\n".join(texts) or f"the MCP tool {tool!r} of server {server!r} failed without saying why"
        raise ToolError(message)
    if len(texts) == len(items):
        return "\n".join(texts)
    return tuple(items)


def _item(server: str, tool: str, block: types.ContentBlock) -> str | MediaPart | None:
    """One content block as text or a media part; `None` for an empty embedded text resource."""
    match block:
        case types.TextContent(text=text):
            return text
        case types.ImageContent(data=data, mime_type=mime_type):
            return _media(server, tool, ImagePart, data, mime_type)
        case types.AudioContent(data=data, mime_type=mime_type):
            return _media(server, tool, AudioPart, data, mime_type)
        case types.EmbeddedResource(resource=resource):
            return _resource(server, tool, resource)
        case types.ResourceLink(uri=uri, name=name, description=description):
            about = f": {description}" if description else ""
            return f"[resource {name!r} at {uri}{about}]"
        case _:
            assert_never(block)


def _resource(server: str, tool: str, resource: types.TextResourceContents | types.BlobResourceContents) -> str | MediaPart | None:
    """An embedded resource: its text, or its bytes as an image, audio or a document."""
    match resource:
        case types.TextResourceContents(text=text):
            return text or None
        case types.BlobResourceContents(blob=blob, mime_type=mime_type, uri=uri):
            kind = (mime_type or "").partition("/")[0]
            if kind == "image":
                return _media(server, tool, ImagePart, blob, mime_type or "")
            if kind == "audio":
                return _media(server, tool, AudioPart, blob, mime_type or "")
            return _document(server, tool, blob, mime_type or "", str(uri))
        case _:
            assert_never(resource)


def _media(server: str, tool: str, part: type[ImagePart] | type[AudioPart], data: str, mime_type: str) -> MediaPart:
    try:
        return part(data=_bytes(data), media_type=mime_type)
    except ValueError as error:
        raise ToolError(f"the MCP server {server!r} sent {tool!r} a {part.kind} Runlet cannot read: {error}") from None


def _document(server: str, tool: str, data: str, mime_type: str, uri: str) -> DocumentPart:
    try:
        return DocumentPart(data=_bytes(data), media_type=mime_type or "application/octet-stream", filename=uri.rsplit("/", 1)[-1])
    except ValueError as error:
        raise ToolError(f"the MCP server {server!r} sent {tool!r} a resource Runlet cannot read: {error}") from None


def _bytes(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as error:
        raise ValueError(f"its base64 data is not valid ({error})") from None
