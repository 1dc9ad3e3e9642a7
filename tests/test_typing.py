"""Static typing tests: mypy --strict and pyright strict over user-style code, plus --verifytypes.

Layout (see also tests/typing/*/__init__.py):

- ``tests/typing/positive/*.py``: code with ``assert_type(...)`` that both checkers must accept
  with no error. ``src/`` is checked in the same run and must be clean too.
- ``tests/typing/negative/*.py``: each line that must be rejected ends with ``# expect-error``.
  Both checkers must report an error on every marked line, and on no other line.

Each checker runs once, over everything, and the three runs (mypy, pyright, pyright
--verifytypes) start together in the background the first time a test needs one, so the
module costs about as long as its slowest checker.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.typing

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
TYPING_DIR = ROOT / "tests" / "typing"
POSITIVE = TYPING_DIR / "positive"
NEGATIVE = TYPING_DIR / "negative"
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = "runlet"
PYTHON_VERSION = "3.10"
TIMEOUT_SECONDS = 600

MARKER = re.compile(r"#\s*expect-error\b")
MYPY_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?:(?P<column>\d+):)? (?P<severity>error|warning|note): (?P<message>.*)$"
)


@dataclass(frozen=True)
class Diagnostic:
    file: Path
    line: int
    message: str

    def show(self) -> str:
        return f"{_rel(self.file)}:{self.line}: {self.message}"


@dataclass(frozen=True)
class CheckerRun:
    name: str
    command: list[str]
    returncode: int
    stdout: str
    stderr: str

    def output(self) -> str:
        return f"$ {' '.join(self.command)}\n(exit {self.returncode})\n{self.stdout[-4000:]}\n{self.stderr[-4000:]}"


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _cases(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.py") if p.name != "__init__.py")


def _missing_tools() -> list[str]:
    return [name for name in ("mypy", "pyright") if importlib.util.find_spec(name) is None]


def _require_tools() -> None:
    missing = _missing_tools()
    if not missing:
        return
    reason = f"{' and '.join(missing)} not importable: install the dev extra (pip install -e '.[dev]')"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; the typing tests may not be skipped in CI")
    pytest.skip(reason)


class _Background:
    """A checker process started now and waited for later."""

    def __init__(self, name: str, command: list[str], cwd: Path) -> None:
        self.name = name
        self.command = command
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
            env=_checker_env(),
        )
        self._result: CheckerRun | None = None

    def result(self) -> CheckerRun:
        if self._result is None:
            try:
                self._process.wait(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
                pytest.fail(f"{self.name} took more than {TIMEOUT_SECONDS}s: {' '.join(self.command)}")
            self._out.seek(0)
            self._err.seek(0)
            self._result = CheckerRun(
                self.name,
                self.command,
                self._process.returncode,
                self._out.read().decode("utf-8", "replace"),
                self._err.read().decode("utf-8", "replace"),
            )
            self._out.close()
            self._err.close()
        return self._result

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def _checker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MYPYPATH", None)
    env["NO_COLOR"] = "1"
    env["PYTHONUTF8"] = "1"
    # `pyright --verifytypes` ignores --pythonpath and asks the `python` found on PATH for the
    # import paths: put this interpreter's directory first so both find the package under test.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # The PyPI pyright wrapper: no "new version" check on PyPI (it skips it for --outputjson too).
    env["PYRIGHT_PYTHON_IGNORE_WARNINGS"] = "1"
    return env


@pytest.fixture(scope="module")
def checkers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, _Background]]:
    _require_tools()
    targets = [str(SRC), str(POSITIVE), str(NEGATIVE)]
    cache = tmp_path_factory.mktemp("mypy-cache")
    started = {
        "mypy": _Background(
            "mypy",
            [
                sys.executable, "-m", "mypy",
                "--strict",
                "--config-file", str(PYPROJECT),
                "--cache-dir", str(cache),
                "--python-executable", sys.executable,
                "--show-absolute-path",
                "--show-column-numbers",
                "--show-error-codes",
                "--hide-error-context",
                "--no-pretty",
                "--no-color-output",
                "--no-error-summary",
                *targets,
            ],
            ROOT,
        ),
        "pyright": _Background(
            "pyright",
            [
                sys.executable, "-m", "pyright",
                "--outputjson",
                "--project", str(PYPROJECT),
                "--pythonpath", sys.executable,
                "--pythonversion", PYTHON_VERSION,
                *targets,
            ],
            ROOT,
        ),
        "verifytypes": _Background(
            "pyright --verifytypes",
            [
                sys.executable, "-m", "pyright",
                "--verifytypes", PACKAGE,
                "--ignoreexternal",
                "--outputjson",
                "--pythonpath", sys.executable,
            ],
            ROOT,
        ),
    }
    try:
        yield started
    finally:
        for process in started.values():
            process.stop()


def _mypy_errors(run: CheckerRun) -> list[Diagnostic]:
    # 0: clean, 1: type errors; anything else (2) is a crash or a blocking error.
    if run.returncode not in (0, 1):
        pytest.fail(f"mypy did not run to the end:\n{run.output()}")
    errors: list[Diagnostic] = []
    for raw in run.stdout.splitlines():
        match = MYPY_LINE.match(raw)
        if match is None or match["severity"] != "error":
            continue
        errors.append(Diagnostic(Path(match["file"]).resolve(), int(match["line"]), match["message"]))
    if run.returncode == 1 and not errors:
        pytest.fail(f"mypy failed but printed no error line that could be read:\n{run.output()}")
    return errors


def _pyright_errors(run: CheckerRun) -> list[Diagnostic]:
    # 0: clean, 1: errors; 2: fatal, 3: bad configuration, 4: bad command line.
    if run.returncode not in (0, 1):
        pytest.fail(f"pyright did not run to the end:\n{run.output()}")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright printed no JSON report:\n{run.output()}")
    errors: list[Diagnostic] = []
    for item in report.get("generalDiagnostics", []):
        if item.get("severity") != "error":
            continue
        rule = f"  [{item['rule']}]" if item.get("rule") else ""
        line = int(item.get("range", {}).get("start", {}).get("line", -1)) + 1
        file = Path(item.get("file") or "<no file>").resolve()
        errors.append(Diagnostic(file, line, f"{_one_line(item.get('message', ''))}{rule}"))
    if run.returncode == 1 and not errors:
        pytest.fail(f"pyright failed but reported no error diagnostic:\n{run.output()}")
    return errors


def _is_under(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _marked_lines(source: bytes) -> set[int]:
    """The lines whose comment holds the `# expect-error` marker (comments only, not strings)."""
    lines: set[int] = set()
    for token in tokenize.tokenize(io.BytesIO(source).readline):
        if token.type == tokenize.COMMENT and MARKER.search(token.string):
            lines.add(token.start[0])
    return lines


def _one_line(text: str) -> str:
    return " | ".join(part.strip() for part in text.splitlines() if part.strip())


def _check_positive(checker: str, errors: list[Diagnostic]) -> None:
    assert _cases(POSITIVE), f"no positive typing case in {_rel(POSITIVE)}"
    unexpected = [e for e in errors if not _is_under(e.file, NEGATIVE)]
    if unexpected:
        listing = "\n".join(f"  {e.show()}" for e in unexpected)
        pytest.fail(
            f"{checker} (strict) reported {len(unexpected)} error(s) in src/ or the positive cases, "
            f"which must type-check cleanly:\n{listing}",
            pytrace=False,
        )


def _check_negative(checker: str, errors: list[Diagnostic]) -> None:
    cases = _cases(NEGATIVE)
    assert cases, f"no negative typing case in {_rel(NEGATIVE)}"
    by_line: dict[tuple[Path, int], list[Diagnostic]] = {}
    for error in errors:
        if _is_under(error.file, NEGATIVE):
            by_line.setdefault((error.file, error.line), []).append(error)
    problems: list[str] = []
    for case in cases:
        case = case.resolve()
        expected = _marked_lines(case.read_bytes())
        if not expected:
            problems.append(f"  {_rel(case)}: no line is marked `# expect-error`")
        for line in sorted(expected):
            if (case, line) not in by_line:
                source = case.read_text(encoding="utf-8").splitlines()[line - 1].strip()
                problems.append(f"  {_rel(case)}:{line}: not rejected: {source}")
        for (file, line), found in sorted(by_line.items(), key=lambda item: (str(item[0][0]), item[0][1])):
            if file == case and line not in expected:
                problems.extend(f"  {e.show()}  (unexpected: line not marked `# expect-error`)" for e in found)
    if problems:
        listing = "\n".join(problems)
        pytest.fail(f"{checker} (strict) on the negative cases:\n{listing}", pytrace=False)


def test_mypy_positive(checkers: dict[str, _Background]) -> None:
    _check_positive("mypy", _mypy_errors(checkers["mypy"].result()))


def test_mypy_negative(checkers: dict[str, _Background]) -> None:
    _check_negative("mypy", _mypy_errors(checkers["mypy"].result()))


def test_pyright_positive(checkers: dict[str, _Background]) -> None:
    _check_positive("pyright", _pyright_errors(checkers["pyright"].result()))


def test_pyright_negative(checkers: dict[str, _Background]) -> None:
    _check_negative("pyright", _pyright_errors(checkers["pyright"].result()))


def test_pyright_verifytypes_complete(checkers: dict[str, _Background]) -> None:
    run = checkers["verifytypes"].result()
    try:
        report: dict[str, Any] = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright --verifytypes printed no JSON report:\n{run.output()}")
    completeness: dict[str, Any] = report.get("typeCompleteness") or {}
    score: object = completeness.get("completenessScore")
    symbols: list[dict[str, Any]] = completeness.get("symbols", [])
    problems: list[str] = []
    for symbol in symbols:
        if symbol.get("isTypeKnown", True):
            continue
        diagnostics: list[dict[str, Any]] = symbol.get("diagnostics", [])
        details = "; ".join(_one_line(str(d.get("message", ""))) for d in diagnostics)
        problems.append(f"  {symbol.get('name')} ({symbol.get('category')})" + (f": {details}" if details else ""))
    for item in report.get("generalDiagnostics", []):
        if item.get("severity") == "error":
            problems.append(f"  {item.get('file', '')}: {_one_line(item.get('message', ''))}")
    if score != 1 or problems:
        listing = "\n".join(problems) or run.output()
        pytest.fail(
            f"pyright --verifytypes {PACKAGE}: completeness score {score!r}, expected 1.0 (100%); "
            f"not fully typed:\n{listing}",
            pytrace=False,
        )


def test_expect_error_markers_are_found() -> None:
    """The marker is read from comments only, never from the text of a string."""
    source = b'x = "# expect-error"\ny: int = "a"  # expect-error\nz = 1  #expect-error: wrong type\n'
    assert _marked_lines(source) == {2, 3}
