"""The OpenAI SDK as both OpenAI providers (Responses, Chat Completions) use it.

Building the `AsyncOpenAI` client, describing the SDK to the envelope (its
status errors and API error codes as Runlet's errors), the names the APIs
accept, and reading the numbers compatible servers may leave out. Importing
this module does not import `openai`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from runlet.core.errors import (
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    UserError,
)
from runlet.core.messages import MediaPart
from runlet.providers._connection import Redactor, api_key_or_placeholder, reject_settings_beside_client
from runlet.providers._envelope import Sdk, body_message, status_error

if TYPE_CHECKING:
    from openai import AsyncOpenAI

OPENAI = "openai"
"""The key of the OpenAI providers' options in `ModelRequest.options`, and their errors' `provider`."""

SCHEMA_NAME = re.compile(r"[^A-Za-z0-9_-]")
"""Characters not allowed in a schema or tool name sent to the APIs."""

_CONTENT_POLICY_CODES = frozenset(
    {
        "bio_policy",
        "misalignment_policy_violation",
        "image_content_policy_violation",
        "content_filter",
        "content_policy_violation",
    }
)


def schema_name(name: str) -> str:
    """`name` made safe for the APIs' `name` fields (letters, digits, `_`, `-`; 64 at most)."""
    return SCHEMA_NAME.sub("_", name)[:64] or "output"


def data_url(part: MediaPart) -> str:
    """The part as the OpenAI APIs take it: its URL, or its bytes as a `data:` URL."""
    if part.data is None:
        return part.url or ""
    return f"data:{part.media_type};base64,{base64.b64encode(part.data).decode('ascii')}"


def int_attr(obj: object, name: str) -> int:
    """An int field, or 0 when a compatible server left it out."""
    value: object = getattr(obj, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def openai_client(
    owner: str,
    *,
    base_url: str | None,
    api_key: str | None,
    client: AsyncOpenAI | None,
    timeout: float | None,
    max_retries: int,
    organization: str | None,
    project: str | None,
    default_headers: Mapping[str, str] | None,
) -> AsyncOpenAI:
    """`client` when given (alone), else an `AsyncOpenAI` built from the settings.

    Raises `UserError` when `openai` is not installed, when `client` comes with
    settings, and when no key is configured and no base URL either.
    """
    try:
        import openai
    except ImportError as exc:
        raise UserError(f'{owner} needs the openai package: pip install "runlet[openai]"') from exc

    settings = {
        "base_url": base_url,
        "api_key": api_key,
        "timeout": timeout,
        "organization": organization,
        "project": project,
        "default_headers": default_headers,
    }
    if client is not None:
        reject_settings_beside_client(owner, settings, max_retries=max_retries)
        return client
    key = api_key_or_placeholder(owner, api_key, base_url, env_prefix="OPENAI")
    try:
        return openai.AsyncOpenAI(
            api_key=key,
            base_url=base_url,
            timeout=openai.NOT_GIVEN if timeout is None else timeout,
            max_retries=max_retries,
            organization=organization,
            project=project,
            default_headers=default_headers,
        )
    except openai.OpenAIError as exc:
        raise UserError(f"{owner}: {Redactor(key)(str(exc))}") from exc


def openai_sdk() -> Sdk:
    """The OpenAI SDK as the envelope sees it (imports `openai`)."""
    import openai

    return Sdk(name="OpenAI", provider=OPENAI, exceptions=openai, error=openai.OpenAIError, classify=_classify)


def error_for_code(code: str | None, message: str, redact: Redactor) -> ProviderError:
    """The error for an API error code sent inside a 200 response or a stream."""
    text = redact(f"OpenAI error{f' [{code}]' if code else ''}: {message}")
    return _error_kind(code, message)(text, provider=OPENAI)


def _error_kind(code: str | None, message: str) -> type[ProviderError]:
    """The Runlet error class for an OpenAI API error code (a failed response, an error event)."""
    lowered = message.lower()
    if code == "context_length_exceeded" or "maximum context length" in lowered:
        return ContextLengthExceeded
    if code is None:
        return ProviderError
    if code in ("rate_limit_exceeded", "rate_limit_error"):
        return RateLimited
    if code in ("server_error", "vector_store_timeout", "timeout", "service_unavailable"):
        return ProviderUnavailable
    if code in _CONTENT_POLICY_CODES:
        return ContentFiltered
    if code.startswith(("invalid_", "image_", "unsupported_")) or code in (
        "data_residency_mismatch",
        "empty_image_file",
        "failed_to_download_image",
    ):
        return BadRequest
    return ProviderError


def _classify(exc: BaseException, redact: Redactor) -> ProviderError | None:
    """Status errors by HTTP status (and code), other API errors by their code."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        code, status = exc.code, exc.status_code
        message = body_message(exc.body, exc.message)
        text = redact(f"OpenAI API error {status}{f' [{code}]' if code else ''}: {message}")
        return status_error(
            status,
            text,
            provider=OPENAI,
            context_exceeded=_error_kind(code, message) is ContextLengthExceeded,
            out_of_credit=code == "insufficient_quota",
        )
    if isinstance(exc, openai.APIError):
        return error_for_code(exc.code, body_message(exc.body, exc.message), redact)
    return None
