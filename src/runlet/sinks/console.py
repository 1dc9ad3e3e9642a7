"""`ConsoleSink`: a compact, readable trace of runs, for people watching a terminal.

    runtime = Runtime(sinks=[ConsoleSink(sys.stdout)])

One line per meaningful event: the run and its input, each step, tool calls
with their arguments and results, model answers with usage, compression,
hooks' decisions, retries and failures; streamed text is written inline as it
arrives. Long values are cut to `max_chars`. Bookkeeping events (budget
checks, stream start and end, tool-call argument deltas) are not shown.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import IO

from typing_extensions import assert_never

from runlet.core.events import (
    ContextBudgetChecked,
    ContextCompressed,
    Event,
    Handoff,
    HookDecided,
    HumanRequested,
    HumanResponded,
    RunSuspended,
    RunResumed,
    ModelCompleted,
    ModelFailed,
    ModelRequested,
    ModelRetried,
    ModelStreamCompleted,
    ModelStreamDelta,
    ModelStreamPartialOutput,
    ModelStreamDiscarded,
    ModelStreamReasoningDelta,
    ModelStreamStarted,
    ModelStreamToolCallDelta,
    OutputValidationFailed,
    PolicyStopped,
    RunCancelled,
    RunCompleted,
    RunFailed,
    RunStarted,
    StateLoaded,
    StateSaved,
    StepCompleted,
    StepStarted,
    ToolCompleted,
    ToolDenied,
    ToolFailed,
    ToolStarted,
    ToolTimedOut,
)
from runlet.core.json import JsonValue
from runlet.core.models import Usage


def _cut(text: str, limit: int) -> str:
    text = text.replace("\r", "").replace("\n", " \u21b5 ")
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "\u2026"


def _media(media: Sequence[Mapping[str, JsonValue]]) -> str:
    """Media summaries as the console shows them: ` [image image/png 12.3 KB sha256:9f86d081]`, never the bytes."""
    shown: list[str] = []
    for summary in media:
        size, digest = summary.get("size"), summary.get("sha256")
        if isinstance(size, int) and isinstance(digest, str):
            where = f"{_size(size)} sha256:{digest[:8]}"
        else:
            where = _cut(str(summary.get("url")), 60)
        shown.append(f" [{summary.get('kind')} {summary.get('media_type') or '?'} {where}]")
    return "".join(shown)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"


def _usage(usage: Usage) -> str:
    return f"{usage.input_tokens} in / {usage.output_tokens} out tokens"


class ConsoleSink:
    """Writes a human-readable trace to a text stream (default: `sys.stderr`, looked up at each write)."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        max_chars: int = 200,
        show_reasoning: bool = False,
        show_run_id: bool = False,
    ) -> None:
        """`max_chars`: longest value shown; `show_reasoning`: also stream reasoning summaries;
        `show_run_id`: prefix each line with the run's id (for concurrent runs)."""
        self.stream = stream
        self.max_chars = max_chars
        self.show_reasoning = show_reasoning
        self.show_run_id = show_run_id
        self._inline: str | None = None
        """The run whose streamed text is on the current, unfinished line."""
        self._streamed: set[tuple[str, str]] = set()
        """(run, span) of model calls whose text was streamed, so it is not repeated."""
        self._depth: dict[str, int] = {}
        """How deep each open run is nested: agents run as tools are indented under their parent's call."""
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        """Write the lines this event deserves, if any."""
        with self._lock:
            self._write(event)

    def _write(self, event: Event) -> None:
        out = self.stream if self.stream is not None else sys.stderr
        cut = self.max_chars
        line: str | None = None
        match event:
            case RunStarted(input=text, media=media, parent_run_id=parent):
                if parent is not None:
                    self._depth[event.run_id] = self._depth.get(parent, 0) + 1
                line = f"\u25b6 {event.agent}: {_cut(text, cut)}{_media(media)}"
            case StepStarted(step=step):
                line = f"  step {step}"
            case ModelStreamDelta(delta=delta):
                self._inline_text(out, event, delta)
                return
            case ModelStreamReasoningDelta(delta=delta):
                if self.show_reasoning:
                    self._inline_text(out, event, delta)
                return
            case ModelCompleted(
                model=model, finish_reason=reason, usage=usage, text=text, tool_calls=calls, hosted_tool_calls=hosted
            ):
                streamed = (event.run_id, event.span_id) in self._streamed
                self._streamed.discard((event.run_id, event.span_id))
                said = "" if streamed or not text else f": {_cut(text, cut)}"
                ran = f" [ran {', '.join(hosted)}]" if hosted else ""
                wants = f" -> calls {', '.join(calls)}" if calls else ""
                line = f"  model {model} ({reason}, {_usage(usage)}){ran}{wants}{said}"
            case ModelFailed(error_type=kind, message=message, attempt=attempt):
                line = f"  ! model call failed (attempt {attempt}): {kind}: {_cut(message, cut)}"
            case ModelRetried(attempt=attempt, delay_seconds=delay, delay_source=source):
                asked = " as the provider asked" if source == "retry-after" else ""
                line = f"  ~ retrying the model call in {delay:.1f}s{asked} (attempt {attempt})"
            case ModelStreamDiscarded(error_type=kind):
                line = f"  ~ the answer above broke off ({kind}): discarded, asking again"
            case ToolStarted(tool=tool, arguments=arguments):
                line = f"  \u2192 {tool}({_cut(arguments, cut)})"
            case ToolCompleted(tool=tool, result=result, duration_ms=ms, media=media):
                line = f"  \u2190 {tool}: {_cut(result, cut)}{_media(media)} ({ms:.0f} ms)"
            case ToolFailed(tool=tool, error=error):
                line = f"  ! {tool} failed: {_cut(error, cut)}"
            case ToolTimedOut(tool=tool, timeout_seconds=timeout):
                line = f"  ! {tool} timed out after {timeout:g}s"
            case ToolDenied(tool=tool, reason=reason, hook=hook):
                line = f"  ! {tool} denied by {hook}: {_cut(reason, cut)}"
            case ContextCompressed(tokens_before=before, tokens_after=after, strategies=strategies, removed_messages=n):
                how = ", ".join(strategies) or "no strategy"
                line = f"  context compressed {before} \u2192 {after} tokens ({how}; {n} messages removed)"
            case StateLoaded(session=session, messages=n):
                line = f"  session {session!r}: loaded {n} messages"
            case StateSaved(session=session, messages=n):
                line = f"  session {session!r}: saved {n} messages"
            case HookDecided(hook=hook, point=point, action=action, reason=reason):
                why = f": {_cut(reason, cut)}" if reason else ""
                line = f"  hook {hook} {'vetoed' if action == 'veto' else 'replaced'} at {point}{why}"
            case OutputValidationFailed(error=error, attempt=attempt):
                line = f"  ! answer did not validate (attempt {attempt}): {_cut(error, cut)}"
            case PolicyStopped(limit=limit, value=value, maximum=maximum):
                line = f"  ! limit {limit} reached: {value:g} of {maximum:g}"
            case RunCompleted(output=output, usage=usage, steps=steps):
                shown = output if isinstance(output, str) else _json(output)
                line = f"\u2714 done in {steps} step{'s' if steps != 1 else ''} ({_usage(usage)}): {_cut(shown, cut)}"
            case RunFailed(error_type=kind, message=message):
                line = f"\u2716 failed: {kind}: {_cut(message, cut)}"
            case RunCancelled(reason=reason):
                line = f"\u2716 cancelled ({reason})"
            case HumanRequested(tool=tool, kind=kind, prompt=prompt, request_id=request_id):
                wants = "approval" if kind == "approval" else "answer"
                line = f"  ? {tool} waits for a human's {wants} [{request_id}]: {_cut(prompt, cut)}"
            case HumanResponded(tool=tool, response=response, detail=detail):
                said = f": {_cut(detail, cut)}" if detail else ""
                line = f"  ? human: {response} {tool}{said}"
            case RunSuspended(checkpoint_id=checkpoint_id, requests=requests):
                line = f"\u23f8 suspended: waiting for {len(requests)} human decision(s) (checkpoint {checkpoint_id})"
            case RunResumed(checkpoint_id=checkpoint_id, responses=n):
                line = f"\u25b6 {event.agent} resumed from checkpoint {checkpoint_id} ({n} response(s))"
            case Handoff(from_agent=from_agent, to_agent=to_agent):
                line = f"  \u21aa {from_agent} hands off to {to_agent}"
            case (
                ModelRequested()
                | ModelStreamStarted()
                | ModelStreamToolCallDelta()
                | ModelStreamPartialOutput()
                | ModelStreamCompleted()
                | StepCompleted()
                | ContextBudgetChecked()
            ):
                return
            case _:
                assert_never(event)
        self._end_inline(out)
        prefix = f"[{event.run_id[:8]}] " if self.show_run_id else ""
        depth = self._depth.get(event.run_id, 0)
        if depth and isinstance(event, (RunCompleted, RunFailed, RunCancelled, RunSuspended)):
            del self._depth[event.run_id]
        _put(out, f"{prefix}{'    ' * depth}{line}\n")
        out.flush()

    def _inline_text(self, out: IO[str], event: Event, delta: str) -> None:
        if self._inline != event.run_id:
            self._end_inline(out)
            prefix = f"[{event.run_id[:8]}] " if self.show_run_id else ""
            _put(out, f"{prefix}  \u2026 ")
            self._inline = event.run_id
        self._streamed.add((event.run_id, event.span_id))
        _put(out, delta)
        out.flush()

    def _end_inline(self, out: IO[str]) -> None:
        if self._inline is not None:
            out.write("\n")
            self._inline = None

    def __repr__(self) -> str:
        return f"ConsoleSink({self.stream!r})"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _put(out: IO[str], text: str) -> None:
    """Write, replacing what the stream's encoding cannot show (a cp1252 console, say)."""
    try:
        out.write(text)
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "ascii"
        out.write(text.encode(encoding, "replace").decode(encoding))
