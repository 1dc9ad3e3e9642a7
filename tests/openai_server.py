"""A small Responses-API-compatible HTTP server for tests, on the standard library.

`FakeResponsesServer` binds 127.0.0.1 on a free port and serves `POST
/v1/responses` from a script of replies, one per request, recording every
request (path, headers, JSON body). Replies are JSON bodies (`JsonReply`,
`api_error`) or server-sent event streams (`SseReply`) that end cleanly, drop the
connection mid-body (`end="abort"`), or stall until the client goes away
(`end="stall"`, which sets `disconnected`).

Every payload built here (`response_payload`, the items, `EventScript` events)
is validated against the installed `openai.types.responses` models in strict
mode and with no unknown fields, so the fake cannot drift from the real shapes.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Union, cast
from typing_extensions import Self

from openai.types.responses import Response, ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

JsonDict = dict[str, Any]

# -- payload validation ---------------------------------------------------------

_RESPONSE = TypeAdapter(Response)
_EVENT: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)


def _no_extra_fields(value: object, path: str) -> None:
    if isinstance(value, BaseModel):
        extra = value.model_extra
        assert not extra, f"{path}: fields the openai types do not know: {sorted(extra)}"
        for name in type(value).model_fields:
            _no_extra_fields(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(cast("Sequence[object]", value)):
            _no_extra_fields(item, f"{path}[{index}]")


def check_response(payload: JsonDict) -> JsonDict:
    """Validate a Response payload against `openai.types.responses.Response`."""
    _no_extra_fields(_RESPONSE.validate_python(payload, strict=True), "response")
    return payload


def check_event(payload: JsonDict) -> JsonDict:
    """Validate a stream event payload against `openai.types.responses.ResponseStreamEvent`."""
    event = _EVENT.validate_python(payload, strict=True)
    assert event.type == payload["type"], (event.type, payload["type"])
    _no_extra_fields(event, str(payload["type"]))
    return payload


# -- payload builders -------------------------------------------------------------


def usage_payload(
    input_tokens: int = 10, output_tokens: int = 5, *, cached: int = 0, reasoning: int = 0
) -> JsonDict:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


def message_item(
    text: str | None = None,
    *,
    id: str = "msg_1",
    refusal: str | None = None,
    status: Literal["in_progress", "completed", "incomplete"] = "completed",
) -> JsonDict:
    content: list[JsonDict] = []
    if text is not None:
        content.append({"type": "output_text", "text": text, "annotations": []})
    if refusal is not None:
        content.append({"type": "refusal", "refusal": refusal})
    return {"id": id, "type": "message", "role": "assistant", "status": status, "content": content}


def function_call_item(
    call_id: str,
    name: str,
    arguments: str,
    *,
    id: str = "fc_1",
    status: Literal["in_progress", "completed", "incomplete"] = "completed",
) -> JsonDict:
    return {
        "id": id,
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def reasoning_item(
    id: str = "rs_1", summary: Sequence[str] = (), *, encrypted_content: str | None = None
) -> JsonDict:
    item: JsonDict = {
        "id": id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text} for text in summary],
    }
    if encrypted_content is not None:
        item["encrypted_content"] = encrypted_content
    return item


def response_payload(
    output: Sequence[JsonDict],
    *,
    id: str = "resp_1",
    model: str = "gpt-5.5",
    status: Literal["completed", "incomplete", "failed", "in_progress", "queued", "cancelled"] = "completed",
    usage: JsonDict | None = None,
    incomplete_reason: Literal["max_output_tokens", "content_filter"] | None = None,
    error: JsonDict | None = None,
) -> JsonDict:
    payload: JsonDict = {
        "id": id,
        "object": "response",
        "created_at": 1_700_000_000.0,
        "model": model,
        "status": status,
        "output": list(output),
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "usage": usage if usage is not None else (usage_payload() if status != "in_progress" else None),
    }
    return check_response(payload)


def text_response(text: str, *, id: str = "resp_1", usage: JsonDict | None = None) -> JsonDict:
    """A completed response whose output is one assistant message."""
    return response_payload([message_item(text)], id=id, usage=usage)


class EventScript:
    """Builds a realistic Responses event stream, numbering events as the API does."""

    def __init__(self, *, response_id: str = "resp_1", model: str = "gpt-5.5") -> None:
        self.response_id = response_id
        self.model = model
        self.events: list[JsonDict] = []
        self.output: list[JsonDict] = []

    def add(self, type: str, **fields: object) -> EventScript:
        self.events.append(check_event({"type": type, "sequence_number": len(self.events), **fields}))
        return self

    def created(self) -> EventScript:
        response = response_payload([], id=self.response_id, model=self.model, status="in_progress")
        self.add("response.created", response=response)
        return self.add("response.in_progress", response=response)

    def text(self, chunks: Sequence[str], *, item_id: str = "msg_1") -> EventScript:
        index = len(self.output)
        self.add(
            "response.output_item.added",
            output_index=index,
            item=message_item(id=item_id, status="in_progress"),
        )
        self.add(
            "response.content_part.added",
            item_id=item_id,
            output_index=index,
            content_index=0,
            part={"type": "output_text", "text": "", "annotations": []},
        )
        for chunk in chunks:
            self.add(
                "response.output_text.delta",
                item_id=item_id,
                output_index=index,
                content_index=0,
                delta=chunk,
                logprobs=[],
            )
        text = "".join(chunks)
        self.add(
            "response.output_text.done",
            item_id=item_id,
            output_index=index,
            content_index=0,
            text=text,
            logprobs=[],
        )
        self.add(
            "response.content_part.done",
            item_id=item_id,
            output_index=index,
            content_index=0,
            part={"type": "output_text", "text": text, "annotations": []},
        )
        item = message_item(text, id=item_id)
        self.add("response.output_item.done", output_index=index, item=item)
        self.output.append(item)
        return self

    def function_call(
        self, call_id: str, name: str, chunks: Sequence[str], *, item_id: str = "fc_1"
    ) -> EventScript:
        index = len(self.output)
        self.add(
            "response.output_item.added",
            output_index=index,
            item=function_call_item(call_id, name, "", id=item_id, status="in_progress"),
        )
        for chunk in chunks:
            self.add(
                "response.function_call_arguments.delta",
                item_id=item_id,
                output_index=index,
                delta=chunk,
            )
        arguments = "".join(chunks)
        self.add(
            "response.function_call_arguments.done",
            item_id=item_id,
            output_index=index,
            arguments=arguments,
        )
        item = function_call_item(call_id, name, arguments, id=item_id)
        self.add("response.output_item.done", output_index=index, item=item)
        self.output.append(item)
        return self

    def reasoning(self, summary: Sequence[str], *, item_id: str = "rs_1") -> EventScript:
        index = len(self.output)
        self.add("response.output_item.added", output_index=index, item=reasoning_item(item_id))
        for summary_index, text in enumerate(summary):
            self.add(
                "response.reasoning_summary_part.added",
                item_id=item_id,
                output_index=index,
                summary_index=summary_index,
                part={"type": "summary_text", "text": ""},
            )
            self.add(
                "response.reasoning_summary_text.delta",
                item_id=item_id,
                output_index=index,
                summary_index=summary_index,
                delta=text,
            )
            self.add(
                "response.reasoning_summary_text.done",
                item_id=item_id,
                output_index=index,
                summary_index=summary_index,
                text=text,
            )
        item = reasoning_item(item_id, summary)
        self.add("response.output_item.done", output_index=index, item=item)
        self.output.append(item)
        return self

    def completed(
        self,
        *,
        usage: JsonDict | None = None,
        output: Sequence[JsonDict] | None = None,
    ) -> EventScript:
        response = response_payload(
            self.output if output is None else output,
            id=self.response_id,
            model=self.model,
            usage=usage,
        )
        return self.add("response.completed", response=response)

    def incomplete(self, reason: Literal["max_output_tokens", "content_filter"]) -> EventScript:
        response = response_payload(
            self.output, id=self.response_id, model=self.model, status="incomplete", incomplete_reason=reason
        )
        return self.add("response.incomplete", response=response)

    def failed(self, code: str, message: str) -> EventScript:
        response = response_payload(
            self.output,
            id=self.response_id,
            model=self.model,
            status="failed",
            error={"code": code, "message": message},
        )
        return self.add("response.failed", response=response)

    def error(self, code: str | None, message: str) -> EventScript:
        return self.add("error", code=code, message=message, param=None)


# -- replies ----------------------------------------------------------------------


@dataclass(frozen=True)
class JsonReply:
    """A JSON body with a status code, after an optional delay."""

    body: object
    status: int = 200
    delay: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict[str, str])


def api_error(status: int, message: str, *, code: str | None = None, type: str = "invalid_request_error") -> JsonReply:
    """An error reply shaped like OpenAI's: `{"error": {"message", "type", "param", "code"}}`."""
    return JsonReply({"error": {"message": message, "type": type, "param": None, "code": code}}, status=status)


@dataclass(frozen=True)
class SseReply:
    """A `text/event-stream` reply (chunked).

    `end`: "close" finishes the body properly; "abort" drops the connection
    mid-body; "stall" keeps the connection open, sending nothing, until the
    client disconnects (which sets `FakeResponsesServer.disconnected`).
    Items of `events` are event payloads, or raw strings sent as `data:` lines.
    """

    events: Sequence[Union[JsonDict, str]]
    end: Literal["close", "abort", "stall"] = "close"
    delay: float = 0.0


Reply = Union[JsonReply, SseReply]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any

    @property
    def json(self) -> JsonDict:
        body: JsonDict = self.body
        assert type(body) is dict, body
        return body


class FakeResponsesServer:
    """The server; use as a context manager or call `close()`."""

    def __init__(self, *, stall_limit: float = 15.0) -> None:
        self.requests: list[RecordedRequest] = []
        self.unexpected: list[RecordedRequest] = []
        self.disconnected = threading.Event()
        self.stall_limit = stall_limit
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self.closing = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self.port = int(self._httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, *replies: Reply) -> FakeResponsesServer:
        """Queue replies, served in order, one per request."""
        with self._lock:
            self._replies.extend(replies)
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    @property
    def bodies(self) -> list[JsonDict]:
        return [request.json for request in self.requests]

    def close(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # used by the handler
    def take_reply(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            if self._replies:
                return self._replies.pop(0)
            self.unexpected.append(request)
            return None

    def sleep(self, seconds: float) -> None:
        self.closing.wait(seconds)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeResponsesServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = cast(_HTTPServer, self.server).fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: object = json.loads(raw) if raw else None
        request = RecordedRequest(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        reply = fake.take_reply(request)
        if reply is None:
            self._send_json(
                500, {"error": {"message": f"fake server: no scripted reply for request #{len(fake.requests)}",
                                "type": "server_error", "param": None, "code": None}}
            )
        elif isinstance(reply, JsonReply):
            if reply.delay:
                fake.sleep(reply.delay)
            self._send_json(reply.status, reply.body, reply.headers)
        else:
            self._send_sse(fake, reply)

    def _send_json(self, status: int, body: object, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _send_sse(self, fake: FakeResponsesServer, reply: SseReply) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in reply.events:
                if reply.delay:
                    fake.sleep(reply.delay)
                if isinstance(event, str):
                    self._chunk(f"data: {event}\n\n".encode())
                else:
                    self._chunk(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
            if reply.end == "close":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
        except OSError:
            self.close_connection = True
            fake.disconnected.set()
            return
        self.close_connection = True
        if reply.end == "abort":
            self._drop()
            return
        self._wait_for_disconnect(fake)

    def _drop(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _wait_for_disconnect(self, fake: FakeResponsesServer) -> None:
        sock = self.connection
        deadline = time.monotonic() + fake.stall_limit
        while time.monotonic() < deadline and not fake.closing.is_set():
            readable, _, _ = select.select([sock], [], [], 0.05)
            if not readable:
                continue
            try:
                data = sock.recv(1, socket.MSG_PEEK)
            except OSError:
                data = b""
            if not data:
                fake.disconnected.set()
                return
        self._drop()
