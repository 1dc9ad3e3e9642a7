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
