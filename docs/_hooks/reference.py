"""MkDocs hook: one API reference page per public home, generated from `HOMES` in tests/test_public_api.py.

A home is an import path users write (`runlet`, `runlet.providers`, ...); its page
renders every name of its `__all__` with mkdocstrings. Adding a home to `HOMES`
adds its page and its entry in the navigation: nothing else to edit.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_API_TEST = ROOT / "tests" / "test_public_api.py"
SRC = ROOT / "src"
SECTION = "API reference"


def strings(value: object) -> list[str] | None:
    """`value` as a list of strings, if it is a tuple or list of strings."""
    if not isinstance(value, (tuple, list)):
        return None
    items = list(cast("Iterable[object]", value))
    return [item for item in items if isinstance(item, str)] if all(isinstance(item, str) for item in items) else None


def homes() -> tuple[str, ...]:
    """The `HOMES` tuple of tests/test_public_api.py, read without importing the test."""
    tree = ast.parse(PUBLIC_API_TEST.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HOMES" for t in node.targets):
            value = strings(ast.literal_eval(node.value))
            if value is not None:
                return tuple(value)
    raise LookupError(f"no HOMES = (...) tuple of strings in {PUBLIC_API_TEST}")


def exported(home: str) -> list[str]:
    """The names whose home is `home`: its `__all__`, read from the source (the build imports no extra)."""
    base = SRC.joinpath(*home.split("."))
    source = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            names = strings(ast.literal_eval(node.value))
            if names is not None:
                return names
    raise LookupError(f"{source} has no __all__ = [...] list of strings")


def page_of(home: str) -> str:
    return f"reference/{home}.md"


def content_of(home: str) -> str:
    return (
        f"# `{home}`\n\n"
        f"Every public name whose import path is `{home}`: write `from {home} import ...`.\n\n"
        f"::: {home}\n"
        "    options:\n"
        "      show_root_heading: false\n"
        "      members_order: alphabetical\n"
        "      show_submodules: false\n"
        "      show_if_no_docstring: true\n"
        f"      members: [{', '.join(exported(home))}]\n"
    )


def on_config(config: MkDocsConfig, **kwargs: Any) -> MkDocsConfig:
    nav = cast("list[object] | None", config["nav"]) or []
    pages = [{home: page_of(home)} for home in homes()]
    for entry in nav:
        if isinstance(entry, dict) and SECTION in entry:
            cast("dict[str, object]", entry)[SECTION] = ["reference/index.md", *pages]
            return config
    raise LookupError(f"mkdocs.yml's nav has no {SECTION!r} section to fill")


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    listing = "".join(f"- [`{home}`]({home}.md)\n" for home in homes())
    index = (
        "# API reference\n\n"
        "Generated from the docstrings, one page per import path. Each public name has exactly one\n"
        "of these homes (`tests/test_public_api.py` checks it), and every example imports it from there.\n\n"
        + listing
    )
    files.append(File.generated(config, "reference/index.md", content=index))
    for home in homes():
        files.append(File.generated(config, page_of(home), content=content_of(home)))
    return files
