"""Hosted tools: tools the provider runs on its own side (web search, file search, code interpreter).

Give them in `Agent(tools=...)` next to function tools; they travel in
`ModelRequest.hosted_tools`, and each shipped provider sends the ones its API
has (docs/providers.md, "Hosted tools"); one it does not have raises
`UnsupportedFeature` before anything is sent. What they did comes back as
`HostedToolPart`s in the assistant's message, which go back to the same
provider on the next turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal, Union

from typing_extensions import TypeAlias

from runlet.core._frozen import frozen


@frozen(kw_only=True)
class WebSearch:
    """The model searches the web (Responses `web_search`, Anthropic `web_search_20250305`)."""

    allowed_domains: Sequence[str] = ()
    """Search only these domains (both providers); empty: any."""
    search_context_size: Literal["low", "medium", "high"] | None = None
    """How much of the results the model reads (Responses only)."""
    max_uses: int | None = None
    """Searches one request may make (Anthropic only)."""
    name: ClassVar[Literal["web_search"]] = "web_search"

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_domains", tuple(self.allowed_domains))


@frozen(kw_only=True)
class FileSearch:
    """The model searches your vector stores (Responses `file_search`)."""

    vector_store_ids: Sequence[str]
    max_num_results: int | None = None
    name: ClassVar[Literal["file_search"]] = "file_search"

    def __post_init__(self) -> None:
        object.__setattr__(self, "vector_store_ids", tuple(self.vector_store_ids))


@frozen(kw_only=True)
class CodeInterpreter:
    """The model runs code in a sandbox (Responses `code_interpreter`, Anthropic `code_execution_20250825`)."""

    container: str | None = None
    """An existing container's id; `None` for a new one."""
    file_ids: Sequence[str] = ()
    """Uploaded files the new container holds (Responses only)."""
    name: ClassVar[Literal["code_interpreter"]] = "code_interpreter"

    def __post_init__(self) -> None:
        object.__setattr__(self, "file_ids", tuple(self.file_ids))
        if self.container is not None and self.file_ids:
            raise ValueError("CodeInterpreter: file_ids go into a new container; give container= or file_ids=, not both")


HostedTool: TypeAlias = Union[WebSearch, FileSearch, CodeInterpreter]
"""A tool the provider runs itself."""

HOSTED_TOOLS: tuple[type[HostedTool], ...] = (WebSearch, FileSearch, CodeInterpreter)
"""The hosted tool classes (for `isinstance`)."""
