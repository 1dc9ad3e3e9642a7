"""JSON Schema generation and validation for Python type hints.

`TypeAdapter` compiles a type hint once into a tree of small validator nodes;
`validate` then walks that tree with no further introspection, collecting
every problem (with a path such as ``items[2].name``) into one
`ValidationError`. `FunctionSchema` does the same for a function's parameters
(the `@tool` decorator). `validate_json` checks decoded JSON against a JSON
schema with the same nodes (a human's answer in a checkpoint), and
`can_be_strict` says whether a schema has a strict form (OpenAI's strict
mode; the rewrite itself lives in `runlet.providers.strict_schema`).

Supported hints, nested in any combination: ``str``, ``int``, ``float``,
``bool``, ``None``, ``Any``/``object``, unions (``Optional``, ``Union``,
``X | Y``), ``Literal``, ``Enum``, ``list``/``Sequence``, ``tuple`` (both
``tuple[int, ...]`` and ``tuple[int, str]``), ``set``/``frozenset``,
``dict``/``Mapping`` with ``str`` keys, dataclasses, ``TypedDict``,
``NamedTuple``, ``NewType``, ``Annotated`` (a ``str`` metadata item is the
description) and pydantic models (duck-typed: a class with
``model_json_schema`` and ``model_validate``). Anything else raises
`UserError` when the adapter is created.

Conversion rules (what `validate` accepts beyond the exact JSON type):

* ``int`` accepts a float with an integral value (``5.0`` becomes ``5``),
  since models sometimes write integers that way; it rejects ``bool`` and
  other floats. There is no string coercion: ``"5"`` is not an ``int``.
* ``float`` accepts an ``int`` (converted to ``float``), never a ``bool``.
* ``tuple``, ``set`` and ``frozenset`` accept a JSON array; sets drop
  duplicates.
* ``Enum`` accepts a member's value (or the member itself).
* Objects (dataclasses, TypedDicts, NamedTuples, tool arguments) reject
  unknown keys.
* A union tries its members in declaration order and returns the first that
  validates, except that an ``int`` member is tried before a ``float`` member.

The modules, one job each: `_issues` (problems and how messages show
values), `_nodes` and `_objects` (the validator nodes), `_compile` (type hint
to nodes), `_docstrings` (descriptions from docstrings), `_generate` (nodes to
a JSON schema document), `_adapters` (`TypeAdapter` and `FunctionSchema`),
`_from_schema` (JSON schema back to nodes) and `_strictness` (the strict check).
"""

from __future__ import annotations

from runlet.core.schema._adapters import FunctionSchema, T, TypeAdapter, adapter_for
from runlet.core.schema._from_schema import validate_json
from runlet.core.schema._strictness import can_be_strict

__all__ = ["FunctionSchema", "T", "TypeAdapter", "adapter_for", "can_be_strict", "validate_json"]
