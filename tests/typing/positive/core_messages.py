"""Messages and model requests, as user code builds them."""

from __future__ import annotations

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
