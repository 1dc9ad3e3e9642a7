"""Docstring parsing: a function's or class's text, and its parameters' descriptions (Google, Sphinx, numpydoc)."""

from __future__ import annotations

import inspect
import re


_GOOGLE_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "kwargs",
        "other parameters",
        "attributes",
    }
)
_NUMPY_SECTIONS = frozenset({"parameters", "other parameters", "attributes"})
_GOOGLE_HEADER = re.compile(r"\s*([A-Za-z][A-Za-z ]*?)\s*:\s*\Z")
_GOOGLE_ENTRY = re.compile(r"\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:(?:\s+(.*))?\Z")
_NUMPY_ENTRY = re.compile(r"\*{0,2}(\w+)(?:\s*:\s*(.*))?\Z")
_DASHES = re.compile(r"\s*-{3,}\s*\Z")
_SPHINX_PARAM = re.compile(
    r":(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*?\s+)?\*{0,2}(\w+)\s*:\s*(.*)\Z"
)
_SPHINX_TYPE = re.compile(r":(?:type|vartype)\s+\*{0,2}\w+\s*:")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _next_content(lines: list[str], index: int) -> int | None:
    while index < len(lines):
        if lines[index].strip():
            return index
        index += 1
    return None


def _parse_google(lines: list[str], index: int, header_indent: int, params: dict[str, str]) -> int:
    entry_indent: int | None = None
    current: str | None = None
    parts: list[str] = []

    def flush() -> None:
        if current is not None:
            params.setdefault(current, " ".join(p for p in parts if p).strip())

    while index < len(lines):
        line = lines[index]
        if not line.strip():
            following = _next_content(lines, index)
            if following is None or _indent(lines[following]) <= header_indent:
                break
            index += 1
            continue
        indent = _indent(line)
        if indent <= header_indent:
            break
        if entry_indent is None:
            entry_indent = indent
        match = _GOOGLE_ENTRY.match(line.strip()) if indent <= entry_indent else None
        if match:
            flush()
            current = match.group(1)
            parts = [match.group(3) or ""]
        else:
            parts.append(line.strip())
        index += 1
    flush()
    return index


def _parse_numpy(lines: list[str], index: int, header_indent: int, params: dict[str, str]) -> int:
    current: str | None = None
    parts: list[str] = []

    def flush() -> None:
        if current is not None:
            params.setdefault(current, " ".join(p for p in parts if p).strip())

    while index < len(lines):
        line = lines[index]
        if not line.strip():
            following = _next_content(lines, index)
            if following is None or _indent(lines[following]) <= header_indent:
                break
            index += 1
            continue
        indent = _indent(line)
        if indent < header_indent:
            break
        if indent == header_indent:
            if index + 1 < len(lines) and _DASHES.match(lines[index + 1]):
                break  # the next section
            match = _NUMPY_ENTRY.match(line.strip())
            if not match:
                break
            flush()
            current = match.group(1)
            parts = []
        else:
            parts.append(line.strip())
        index += 1
    flush()
    return index


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a docstring into its text (without parameter sections) and parameter descriptions.

    Understands Google (``Args:``), Sphinx (``:param x:``) and numpydoc
    (``Parameters`` / ``----------``) styles.
    """
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        indent = _indent(line)
        if (
            stripped.lower() in _NUMPY_SECTIONS
            and index + 1 < len(lines)
            and _DASHES.match(lines[index + 1])
        ):
            index = _parse_numpy(lines, index + 2, indent, params)
            continue
        header = _GOOGLE_HEADER.match(line)
        if header and header.group(1).lower() in _GOOGLE_SECTIONS:
            index = _parse_google(lines, index + 1, indent, params)
            continue
        sphinx = _SPHINX_PARAM.match(stripped)
        if sphinx or _SPHINX_TYPE.match(stripped):
            parts = [sphinx.group(2)] if sphinx else []
            index += 1
            while index < len(lines) and lines[index].strip() and _indent(lines[index]) > indent:
                parts.append(lines[index].strip())
                index += 1
            if sphinx:
                params.setdefault(sphinx.group(1), " ".join(p for p in parts if p).strip())
            continue
        kept.append(line.rstrip())
        index += 1
    text = "\n".join(kept).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, params

