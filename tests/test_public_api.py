"""One import path per public name: every name has one home, and the README, the docs and the examples use it.

The homes are `runlet` and one module per pluggable part (HOMES). A home's
`__all__` lists the names whose home it is, sorted the way ruff's RUF022 sorts
(constants, then classes, then the rest). The modules under `runlet.core`
define the names and their paths keep working (the 0.2 README imports
`runlet.core.Message`), but no text a user reads imports from them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import runlet
from runlet.core.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
HOMES = (
    "runlet",
    "runlet.budget",
    "runlet.durable.dbos",
    "runlet.durable.temporal",
    "runlet.events",
    "runlet.hooks",
    "runlet.mcp",
    "runlet.providers",
    "runlet.sinks",
    "runlet.stores",
    "runlet.testing",
    "runlet.tokenizers",
    "runlet.toolsets",
)
DEEP_ONLY = {
    "CHECKPOINT_VERSION": "the checkpoint format's version, written into every checkpoint",
    "FORMAT_VERSION": "the messages envelope's version, written into every envelope",
    "SCHEMA_VERSION": "a store's table version (SQLite, PostgreSQL), written into its tables",
    "ToolCallAnswers": "how the runtime hands a resumed tool its answers",
    "current_answers": "how the runtime hands a resumed tool its answers",
    "current_call": "how the loop tells an executor the span of the call it makes (durable runs send its trace context)",
    "RaisedElsewhere": "how an executor that runs tools in another process brings back the tool's own traceback",
    "FunctionSchema": "the schema engine behind @tool",
    "TypeAdapter": "the schema engine behind @tool and output_type",
    "adapter_for": "the schema engine behind @tool and output_type",
    "to_strict_schema": "the schema engine behind providers' strict mode",
    "RUN_STATE_VERSION": "the run state format's version, written into every run state",
    "can_be_strict": "the schema engine behind strict tool definitions",
    "validate_json": "the schema engine behind checking human answers",
    "schema_to_send": "the schema engine behind providers' strict mode",
    "T": "a type variable",
}
"""Names in the `__all__` of a defining module that have no home, and why."""

BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
DOTTED = re.compile(r"\brunlet(?:\.\w+)+")


def exported(module: str) -> list[str]:
    names: list[str] = getattr(importlib.import_module(module), "__all__")
    return names


def home_of() -> dict[str, str]:
    return {name: module for module in HOMES for name in exported(module)}


def ruff_order(name: str) -> tuple[int, str]:
    """RUF022's isort-style order: SCREAMING_CASE constants, then CamelCase, then everything else."""
    if len(name) > 1 and name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


# -- the homes --------------------------------------------------------------------------


@pytest.mark.parametrize("module", HOMES)
def test_a_homes_all_is_sorted_and_resolves(module: str) -> None:
    names = exported(module)
    assert names == sorted(set(names), key=ruff_order)
    package = importlib.import_module(module)
    for name in names:
        assert getattr(package, name) is not None, f"{module}.{name}"
    assert set(names) <= set(dir(package))


@pytest.mark.parametrize("module", HOMES)
def test_a_home_exports_the_classes_and_functions_it_defines(module: str) -> None:
    package = importlib.import_module(module)
    defined = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module
    }
    assert defined <= set(exported(module))


def test_no_name_has_two_homes() -> None:
    seen: dict[str, str] = {}
    for module in HOMES:
        for name in exported(module):
            assert name not in seen, f"{name} is exported by {seen[name]} and {module}"
            seen[name] = module


def test_every_public_name_of_the_defining_modules_has_a_home() -> None:
    homes = home_of()
    homeless: list[str] = []
    for info in pkgutil.walk_packages(runlet.__path__, "runlet."):
        if info.name in HOMES:
            continue
        for name in getattr(importlib.import_module(info.name), "__all__", ()):
            if name not in homes and name not in DEEP_ONLY:
                homeless.append(f"{info.name}.{name}")
    assert not homeless, f"give these a home in HOMES (or a reason in DEEP_ONLY): {homeless}"
    assert not set(DEEP_ONLY) & set(homes)


def test_the_homes_of_names_users_reach_for() -> None:
    homes = home_of()
    assert {cls.__name__ for cls in EVENT_TYPES} | {"Event", "EventBase", "EventSink"} <= set(exported("runlet.events"))
    for name in ("ToolCallPart", "ToolRetry", "UserError", "OutputValidationError", "HumanResponse", "Approve",
                 "Reject", "EditArguments", "Answer", "Checkpoint", "RunInterrupted", "SessionConflict"):
        assert homes[name] == "runlet", name
    for name in ("StateStore", "MemoryStore", "SQLiteStore"):
        assert homes[name] == "runlet.stores", name
    for name in ("Decision", "Hooks", "Hook"):
        assert homes[name] == "runlet.hooks", name
    assert homes["Provider"] == "runlet.providers"
    assert homes["OpenTelemetrySink"] == "runlet.sinks"
    assert homes["TokenBudgeter"] == "runlet.budget"


def test_the_old_deep_paths_still_import() -> None:
    from runlet.core import Message
    from runlet.core.events import Event
    from runlet.core.human import Checkpoint
    from runlet.core.models import ModelRequest

    assert Message is runlet.Message and ModelRequest is runlet.ModelRequest and Checkpoint is runlet.Checkpoint
    assert Event is importlib.import_module("runlet.events").Event


# -- what users read --------------------------------------------------------------------


def user_facing() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").glob("*.py"))]


def python_of(path: Path) -> Iterator[tuple[int, str]]:
    """The Python code of a file: an example whole, a Markdown file's python blocks, with their first line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        yield 1, text
        return
    for match in BLOCK.finditer(text):
        yield text.count("\n", 0, match.start()) + 2, match.group(1)


def import_problems(code: str, homes: dict[str, str]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "runlet" and alias.name not in HOMES:
                    yield node.lineno, f"import {alias.name}: not one of the homes {HOMES}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "runlet":
            for alias in node.names:
                where = homes.get(alias.name)
                if f"{node.module}.{alias.name}" in HOMES:
                    continue
                if where is None:
                    yield node.lineno, f"from {node.module} import {alias.name}: {alias.name} has no home (not public)"
                elif where != node.module:
                    yield node.lineno, f"from {node.module} import {alias.name}: import it from {where}"


def reference_problems(text: str, homes: dict[str, str]) -> Iterator[tuple[int, str]]:
    """Dotted references such as `runlet.core.events.Event`: the part before a public name must be its home."""
    for match in DOTTED.finditer(text):
        parts = match.group(0).split(".")
        for index, part in enumerate(parts[1:], start=1):
            if part in homes:
                prefix = ".".join(parts[:index])
                if prefix != homes[part]:
                    line = text.count("\n", 0, match.start()) + 1
                    yield line, f"{match.group(0)}: write {homes[part]}.{part}"
                break


@pytest.mark.parametrize("path", user_facing(), ids=lambda path: str(path.relative_to(ROOT)))
def test_users_read_every_name_at_its_home(path: Path) -> None:
    homes = home_of()
    problems: list[str] = []
    for first, code in python_of(path):
        try:
            found = list(import_problems(code, homes))
        except SyntaxError:
            assert "import" not in code, f"{path.name}:{first}: a block with imports must be valid Python"
            continue
        problems += [f"{path.name}:{first + line - 1}: {problem}" for line, problem in found]
    problems += [f"{path.name}:{line}: {problem}" for line, problem in reference_problems(path.read_text(encoding="utf-8"), homes)]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_the_old_paths() -> None:
    homes = home_of()
    code = "from runlet.core.messages import ToolCallPart\nfrom runlet import Event\nimport runlet.core.events\nfrom runlet.core import Agnet\n"
    assert [line for line, _ in import_problems(code, homes)] == [1, 2, 3, 4]
    assert list(import_problems("from runlet import events, ToolCallPart\nfrom runlet.events import Event\n", homes)) == []
    text = "`runlet.core.events.Event`, `runlet.sinks.otel.OpenTelemetrySink`, `runlet.ToolError`, `runlet.core.serialize`"
    assert [problem.split(":")[0] for _, problem in reference_problems(text, homes)] == [
        "runlet.core.events.Event",
        "runlet.sinks.otel.OpenTelemetrySink",
    ]
