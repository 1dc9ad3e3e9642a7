"""The JSON codec: messages, usage, run states and checkpoints to JSON and back, exactly.

Every stored or sent form of a run goes through this module: sessions (one
message per row or key), `RunState` (what a durable engine or a checkpoint
keeps between steps) and `Checkpoint` (a run state and the requests waiting
for a human). Each document carries its format and version; reading a newer
version raises `UnsupportedStateVersion`, reading anything malformed raises
`StateFormatError` naming the field.

One message is a JSON object:

    {"role": "assistant", "parts": [
        {"kind": "text", "text": "Let me look."},
        {"kind": "tool_call", "call_id": "c1", "name": "lookup", "arguments": "{\\"id\\": 1}"},
        {"kind": "reasoning", "provider": "openai", "data": {...}, "summary": ""},
        {"kind": "hosted_tool", "provider": "openai", "name": "web_search", "call_id": "ws_1",
         "data": {...}, "result": false, "detail": "weather in Paris"}]}
    {"role": "tool", "parts": [
        {"kind": "tool_result", "call_id": "c1", "name": "lookup", "content": "ok", "is_error": false}]}
    {"role": "user", "parts": [
        {"kind": "text", "text": "What is on this invoice?"},
        {"kind": "image", "media_type": "image/png", "data": "iVBORw0KGgo...", "url": null, "detail": "auto"},
        {"kind": "document", "media_type": "application/pdf", "data": null, "url": "https://...", "filename": ""},
        {"kind": "audio", "media_type": "audio/wav", "data": "UklGR...", "url": null}]}

Media bytes are written as base64 (a third larger than the bytes); a tool
result that returned media has a `"media"` array of such parts, and no
`"media"` key when it returned none, so what Runlet 0.3 wrote reads the same.

A list of messages saved on its own (`dumps_messages`) is wrapped in an
envelope with a format version: `{"format": "runlet.messages", "version": 1,
"messages": [...]}`. Reading a newer version raises `UnsupportedStateVersion`.

Round trips are exact: `message_from_json(message_to_json(m)) == m`, with
one caveat for `ReasoningPart.data`, which is JSON: arrays come back as
lists and objects as dicts whatever sequence or mapping type went in. NaN
and infinities are not JSON and are refused (`ValueError`).
"""

from __future__ import annotations

from runlet.core.serialize._messages import (
    FORMAT_VERSION as FORMAT_VERSION,
    dumps_message as dumps_message,
    dumps_messages as dumps_messages,
    loads_message as loads_message,
    loads_messages as loads_messages,
    message_from_json as message_from_json,
    message_to_json as message_to_json,
    messages_from_json as messages_from_json,
    messages_to_json as messages_to_json,
)
from runlet.core.serialize._runs import (
    CHECKPOINT_VERSION as CHECKPOINT_VERSION,
    RUN_STATE_VERSION as RUN_STATE_VERSION,
    canonical_json as canonical_json,
    checkpoint_content as checkpoint_content,
    checkpoint_from_json as checkpoint_from_json,
    checkpoint_to_json as checkpoint_to_json,
    human_request_from_json as human_request_from_json,
    human_request_to_json as human_request_to_json,
    human_response_from_json as human_response_from_json,
    human_response_to_json as human_response_to_json,
    run_state_from_json as run_state_from_json,
    run_state_to_json as run_state_to_json,
    usage_from_json as usage_from_json,
    usage_to_json as usage_to_json,
)
from runlet.core.serialize._calls import (
    media_from_json as media_from_json,
    media_to_json as media_to_json,
    model_request_from_json as model_request_from_json,
    model_request_to_json as model_request_to_json,
    model_response_from_json as model_response_from_json,
    model_response_to_json as model_response_to_json,
    settings_from_json as settings_from_json,
    settings_to_json as settings_to_json,
)

__all__ = [
    "CHECKPOINT_VERSION",
    "FORMAT_VERSION",
    "RUN_STATE_VERSION",
    "checkpoint_from_json",
    "checkpoint_to_json",
    "dumps_message",
    "dumps_messages",
    "loads_message",
    "loads_messages",
    "message_from_json",
    "message_to_json",
    "messages_from_json",
    "messages_to_json",
    "run_state_from_json",
    "run_state_to_json",
    "usage_from_json",
    "usage_to_json",
]
