"""`PartialJson`: the value of a JSON text that is still arriving, as far as it is known.

A structured answer streams as fragments of one JSON object (`'{"ci'`,
`'ty": "Pa'`, ...). `PartialJson` reads each fragment once, as it comes, and
keeps the containers that are open and the values that have completed; the
text is never parsed again from the start. `value()` is the object so far:
a string, number, `true`, `false` or `null` appears once it is complete (a
number once the character after it has arrived), an object or array as soon
as it opens, filling in as its members complete.

The value is an object. The parser is tolerant: text before the first `{`
(a code fence, a sentence) and after the object closes is skipped, and a text that turns out not to be
JSON stops it (the value keeps what was known). The final answer is parsed
and validated on its own (`runlet.core.output`); this is only for showing it
while it streams.

Each `value()` is a new object and is never changed afterwards: it copies the
open containers (the path from the root to the innermost one), and shares
the completed ones, which no longer change.
"""

from __future__ import annotations

import json
import re
from typing import Union

from runlet.core.json import JsonValue

_NUMBER = re.compile(r"[-+0-9.eE]+")
_STRING_STOP = re.compile(r'["\\]')
_SPACE = frozenset(" \t\n\r,:")
_NUMBER_START = frozenset("-0123456789")
_LITERALS: dict[str, JsonValue] = {"true": True, "false": False, "null": None}


class _Object:
    """An open object: its completed members, and the key whose value is being read."""

    __slots__ = ("items", "key")

    def __init__(self) -> None:
        self.items: dict[str, JsonValue] = {}
        self.key: str | None = None


class _Array:
    """An open array: its completed items."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[JsonValue] = []


_Frame = Union[_Object, _Array]

_Read = tuple[int, bool]
"""A token read: the characters it took (0: cut off, it ends in the next piece) and whether the value changed."""
_CUT: _Read = (0, False)


class PartialJson:
    """Reads a JSON object piece by piece (`feed`); `value()` is what has completed so far."""

    __slots__ = ("_pending", "_scanned", "_stack", "_closed", "_stopped")

    def __init__(self) -> None:
        self._pending = ""
        """The start of a token the last piece cut off (a string, a number, a literal)."""
        self._scanned = 0
        """How much of a cut-off string has been searched for its end already."""
        self._stack: list[_Frame] = []
        """The open containers, the root first."""
        self._closed: JsonValue = None
        """The root, once it has closed."""
        self._stopped = False
        """The root has closed, or the text is not JSON: the rest is ignored."""

    def feed(self, text: str) -> bool:
        """Read the next piece of the text; whether `value()` changed (a value completed, a container opened).

        Closing a container changes nothing: its members were shown as they completed.
        """
        if self._stopped:
            return False
        buffer = self._pending + text if self._pending else text
        scanned, self._pending, self._scanned = self._scanned, "", 0
        position = 0
        if not self._stack:
            position = buffer.find("{")
            if position < 0:
                return False
        changed = False
        while position < len(buffer):
            char = buffer[position]
            if char in _SPACE:
                position += 1
                continue
            read = self._token(char, buffer, position, scanned if position == 0 else 0)
            if read is None:
                return self._stop(changed)
            used, shown = read
            if not used:
                self._pending = buffer[position:]  # cut off: the rest of the token comes with the next piece
                return changed
            changed = changed or shown
            position += used
        return changed

    def _token(self, char: str, buffer: str, position: int, scanned: int) -> _Read | None:
        """Read the token that starts with `char` at `position`; `None` when the text stops being JSON (or the root closed)."""
        if char == '"':
            return self._string(buffer, position, scanned)
        if char == "{" or char == "[":
            if self._stack and not self._accepts_value():
                return None
            self._stack.append(_Object() if char == "{" else _Array())
            return 1, True
        if char == "}" or char == "]":
            frame = self._stack.pop()
            if isinstance(frame, _Object) != (char == "}"):
                return None
            if not self._stack:
                self._closed = frame.items
                return None
            self._add(frame.items)  # already shown while it was open
            return 1, False
        if char in _NUMBER_START:
            return self._number(buffer, position)
        literal = _literal(buffer, position)
        if literal is None or not self._accepts_value():
            return None
        if not literal:
            return _CUT  # "tr", "nul"
        self._add(_LITERALS[literal])
        return len(literal), True

    def _string(self, buffer: str, position: int, scanned: int) -> _Read | None:
        """A string: an object's key, or a value."""
        stop = self._string_end(buffer, position, scanned)
        if stop < 0:
            return _CUT
        raw = buffer[position:stop]
        try:
            string = json.loads(raw) if "\\" in raw else raw[1:-1]
        except ValueError:
            return None
        frame = self._stack[-1]
        if isinstance(frame, _Object) and frame.key is None:
            frame.key = string
            return stop - position, False
        self._add(string)
        return stop - position, True

    def _number(self, buffer: str, position: int) -> _Read | None:
        """A number, once the character after it has arrived (more digits may follow)."""
        match = _NUMBER.match(buffer, position)
        assert match is not None, "a number starts here"
        if match.end() == len(buffer):
            return _CUT
        try:
            number: JsonValue = json.loads(match.group())
        except ValueError:
            return None
        if not self._accepts_value():
            return None
        self._add(number)
        return match.end() - position, True

    def value(self) -> JsonValue:
        """The object so far (`None` before it opens): new containers along the open path, sharing the completed ones."""
        inner: JsonValue = None
        for depth, frame in enumerate(reversed(self._stack)):
            snapshot: JsonValue
            if isinstance(frame, _Object):
                members = dict(frame.items)
                if depth and frame.key is not None:
                    members[frame.key] = inner
                snapshot = members
            else:
                items = list(frame.items)
                if depth:
                    items.append(inner)
                snapshot = items
            inner = snapshot
        return inner if self._stack else self._closed

    def _accepts_value(self) -> bool:
        """Whether a value may come next: in an array, or after an object's key."""
        frame = self._stack[-1]
        return isinstance(frame, _Array) or frame.key is not None

    def _add(self, value: JsonValue) -> None:
        """Put a completed value into the innermost open container."""
        frame = self._stack[-1]
        if isinstance(frame, _Array):
            frame.items.append(value)
        elif frame.key is not None:
            frame.items[frame.key] = value
            frame.key = None

    def _string_end(self, buffer: str, start: int, scanned: int) -> int:
        """The index just past the closing quote of the string at `start`; -1 (and `_scanned` set) when it is cut off.

        `scanned` characters after the opening quote are known to hold no quote or backslash.
        """
        position = start + 1 + scanned
        while True:
            match = _STRING_STOP.search(buffer, position)
            if match is None:
                self._scanned = len(buffer) - start - 1
                return -1
            if match.group() == '"':
                return match.end()
            if match.end() == len(buffer):  # a backslash whose escaped character is yet to come
                self._scanned = match.start() - start - 1
                return -1
            position = match.end() + 1

    def _stop(self, changed: bool) -> bool:
        """The root has closed, or the text is not JSON: ignore the rest."""
        self._stopped = True
        self._pending = ""
        return changed


def _literal(buffer: str, position: int) -> str | None:
    """The literal at `position`; `""` when the text ends inside one; `None` for anything else."""
    rest = buffer[position : position + 5]
    for literal in _LITERALS:
        if rest.startswith(literal):
            return literal
        if position + len(rest) == len(buffer) and len(rest) < len(literal) and literal.startswith(rest):
            return ""
    return None
