"""Schema generation: the JSON schema document of a compiled node, recursive objects in `$defs`."""

from __future__ import annotations

import re

from runlet.core.json import JsonValue
from runlet.core.schema._nodes import Node, Schema
from runlet.core.schema._objects import ObjectNode


def _find_recursive(root: Node) -> set[Node]:
    """The nodes that are reached again from inside themselves (cycle entries)."""
    recursive: set[Node] = set()
    on_path: set[Node] = set()
    done: set[Node] = set()

    def visit(node: Node) -> None:
        if node in on_path:
            recursive.add(node)
            return
        if node in done:
            return
        on_path.add(node)
        for child in node.children():
            visit(child)
        on_path.discard(node)
        done.add(node)

    visit(root)
    return recursive


class SchemaGen:
    """Builds one schema document: recursive objects go to `$defs`."""

    def __init__(self, root: Node) -> None:
        self.recursive = _find_recursive(root)
        self.defs: dict[str, JsonValue] = {}
        self.names: dict[Node, str] = {}
        self.used: set[str] = set()

    def reserve(self, name: str) -> str:
        """A `$defs` name based on `name` and not used yet."""
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "Model"
        candidate = base
        counter = 2
        while candidate in self.used:
            candidate = f"{base}{counter}"
            counter += 1
        self.used.add(candidate)
        return candidate

    def ref(self, node: ObjectNode) -> Schema:
        """A reference to `node`'s definition, which is added to `$defs` the first time."""
        name = self.names.get(node)
        if name is None:
            name = self.reserve(node.title)
            self.names[node] = name
            self.defs[name] = {}
            self.defs[name] = node.inline_schema(self)
        return {"$ref": f"#/$defs/{name}"}

    def document(self, root: Node) -> Schema:
        """The root's schema, inline even when recursive, with `$defs` last."""
        if isinstance(root, ObjectNode):
            schema = root.inline_schema(self)
        else:
            schema = root.schema(self)
        if self.defs:
            schema["$defs"] = dict(self.defs)
        return schema

