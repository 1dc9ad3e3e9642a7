"""Misuses of messages and model requests that the type checkers must reject."""

from __future__ import annotations

from runlet import Message, ModelRequest, TextPart, Usage

Message.user(42)  # expect-error
Message("robot", (TextPart("hi"),))  # expect-error
ModelRequest(messages="hello")  # expect-error
Usage(input_tokens="3")  # expect-error
Usage() + 1  # expect-error

message = Message.user("ok")
message.role = "system"  # expect-error

Usage(3, 1, 0, 0, 1, 9)  # expect-error

from runlet import Capabilities, ImagePart  # noqa: E402

Message.user("look", b"raw bytes")  # expect-error
ImagePart(b"...", detail="max")  # expect-error
ImagePart(data="not bytes")  # expect-error
Capabilities(context_window=1, max_output_tokens=1, media=frozenset({"video"}))  # expect-error
ImagePart(b"...").data = b""  # expect-error
