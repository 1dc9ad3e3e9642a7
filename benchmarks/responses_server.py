"""A local Responses-API-compatible server for the benchmarks, in its own process.

It answers one scripted tool round trip, the same for every client:

1. a request whose input has no `function_call_output` gets a response whose
   output is one function call: `lookup({"order_id": "123"})`;
2. a request that carries the tool's output gets a text answer.

The decision is made from the request alone (no per-client state), so any
number of clients can run the round trip concurrently or one after another.
Both JSON and server-sent-event (`"stream": true`) replies are served. The
server needs the standard library only (it starts in a few milliseconds);
its payloads are checked against the installed `openai` types by
`tests/test_benchmarks_smoke.py`, with `tests/openai_server.py`'s strict
validators, so every client reads well-formed responses. Payloads are built
once at start-up: serving costs the same for every client.

    python benchmarks/responses_server.py [--port N]

prints `READY <port>` on stdout once it listens, and exits when its standard
input closes (so it never outlives the harness) or on SIGTERM.

`GET /v1/_stats` returns counters (requests, tool-call replies, final replies,
streamed replies, and the last tool output received); `POST /v1/_reset`
zeroes them. The harness uses them to check that each client did exactly the
same two requests.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "gpt-5.5"
TOOL = "lookup"
CALL_ID = "call_bench_1"
ARGUMENTS = '{"order_id": "123"}'
ANSWER = "Order 123 has shipped."

JsonDict = dict[str, Any]


def _usage() -> JsonDict:
    return {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 15,
    }


def _response(id: str, output: list[JsonDict], status: str = "completed") -> JsonDict:
    return {
        "id": id,
        "object": "response",
        "created_at": 1_700_000_000.0,
        "model": MODEL,
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "usage": _usage() if status == "completed" else None,
    }


def _call_item(arguments: str, status: str = "completed") -> JsonDict:
    return {"id": "fc_bench", "type": "function_call", "call_id": CALL_ID, "name": TOOL, "arguments": arguments, "status": status}


def _message_item(text: str | None, status: str = "completed") -> JsonDict:
    content = [] if text is None else [{"type": "output_text", "text": text, "annotations": []}]
    return {"id": "msg_bench", "type": "message", "role": "assistant", "status": status, "content": content}


def call_response() -> JsonDict:
    """The first reply: the model asks for `lookup(order_id="123")`."""
    return _response("resp_call", [_call_item(ARGUMENTS)])


def final_response() -> JsonDict:
    """The second reply: the answer."""
    return _response("resp_final", [_message_item(ANSWER)])


def _events(response_id: str, item: JsonDict, deltas: list[JsonDict], done: list[JsonDict]) -> list[JsonDict]:
    started = _response(response_id, [], status="in_progress")
    events: list[JsonDict] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        *deltas,
        *done,
    ]
    return [{**event, "sequence_number": index} for index, event in enumerate(events)]


def call_events() -> list[JsonDict]:
    """The first reply streamed: the function call's arguments in two deltas."""
    chunks = ['{"order_id": ', '"123"}']
    deltas = [
        {"type": "response.function_call_arguments.delta", "item_id": "fc_bench", "output_index": 0, "delta": chunk}
        for chunk in chunks
    ]
    done = [
        {"type": "response.function_call_arguments.done", "item_id": "fc_bench", "output_index": 0, "arguments": ARGUMENTS},
        {"type": "response.output_item.done", "output_index": 0, "item": _call_item(ARGUMENTS)},
        {"type": "response.completed", "response": call_response()},
    ]
    return _events("resp_call", _call_item("", status="in_progress"), deltas, done)


def final_events() -> list[JsonDict]:
    """The second reply streamed: the answer in three text deltas."""
    chunks = ["Order 123 ", "has ", "shipped."]
    where = {"item_id": "msg_bench", "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": "", "annotations": []}
    deltas = [
        {"type": "response.content_part.added", **where, "part": part},
        *({"type": "response.output_text.delta", **where, "delta": chunk, "logprobs": []} for chunk in chunks),
    ]
    done = [
        {"type": "response.output_text.done", **where, "text": ANSWER, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": {**part, "text": ANSWER}},
        {"type": "response.output_item.done", "output_index": 0, "item": _message_item(ANSWER)},
        {"type": "response.completed", "response": final_response()},
    ]
    return _events("resp_final", _message_item(None, status="in_progress"), deltas, done)


def _payloads() -> dict[str, bytes]:
    def sse(events: list[JsonDict]) -> bytes:
        return b"".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode() for event in events)

    return {
        "call": json.dumps(call_response()).encode(),
        "final": json.dumps(final_response()).encode(),
        "call_sse": sse(call_events()),
        "final_sse": sse(final_events()),
    }


class _Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.calls = 0
        self.finals = 0
        self.streamed = 0
        self.tool_output: Any = None
        self.tools_sent: list[str] = []

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "calls": self.calls,
                "finals": self.finals,
                "streamed": self.streamed,
                "tool_output": self.tool_output,
                "tools_sent": self.tools_sent,
            }


PAYLOADS: dict[str, bytes] = {}
STATS = _Stats()


def _tool_output(body: dict[str, Any]) -> Any:
    items = body.get("input")
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict) and item.get("type") == "function_call_output":
            return item.get("output")
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # with Nagle, a small reply can wait for the client's delayed ACK (~40 ms)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/_stats"):
            self._send(200, "application/json", json.dumps(STATS.snapshot()).encode())
        else:
            self._send(404, "application/json", b'{"error": {"message": "not found", "type": "invalid_request_error", "param": null, "code": null}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/").endswith("/_reset"):
            with STATS.lock:
                STATS.reset()
            self._send(200, "application/json", b"{}")
            return
        if not self.path.rstrip("/").endswith("/responses"):
            self._send(404, "application/json", b'{"error": {"message": "not found", "type": "invalid_request_error", "param": null, "code": null}}')
            return
        body = json.loads(raw) if raw else {}
        output = _tool_output(body)
        stream = bool(body.get("stream"))
        kind = "call" if output is None else "final"
        with STATS.lock:
            STATS.requests += 1
            STATS.streamed += stream
            if output is None:
                STATS.calls += 1
            else:
                STATS.finals += 1
                STATS.tool_output = output
            STATS.tools_sent = sorted(
                str(tool.get("name")) for tool in body.get("tools") or () if isinstance(tool, dict)
            )
        if stream:
            self._send(200, "text/event-stream; charset=utf-8", PAYLOADS[kind + "_sse"])
        else:
            self._send(200, "application/json", PAYLOADS[kind])

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        try:
            self.wfile.write(head + data)  # one write: headers and body in the same segment
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    PAYLOADS.update(_payloads())
    server = _Server(("127.0.0.1", args.port), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        sys.stdin.read()  # returns when the parent closes our stdin (or exits)
    except KeyboardInterrupt:
        pass
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
