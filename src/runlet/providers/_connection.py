"""The connection rules every shipped provider follows when it gets or builds its SDK client.

A `client=` the user built is used as is, so it must come alone, without
connection settings; otherwise the key comes from the argument or the
environment, and may be left out only for a local server (a placeholder is
sent then). Keys never appear in messages: `Redactor` removes them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from runlet.core.errors import UserError

PLACEHOLDER_API_KEY = "runlet-no-api-key"
"""Sent as the key when none is configured and a base URL is given (local servers)."""

_SECRET_PATTERN = re.compile(r"\b((?:sk-ant-|sk-)[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-]{6,}")


class Redactor:
    """Removes API keys from text that may end up in an exception or an event."""

    def __init__(self, *keys: str | None) -> None:
        self.secrets = tuple(
            key for key in keys if key and key != PLACEHOLDER_API_KEY and len(key) >= 8
        )

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _SECRET_PATTERN.sub(r"\1***", text)


def reject_settings_beside_client(owner: str, settings: Mapping[str, object], *, max_retries: int) -> None:
    """Raise `UserError` when connection `settings` (those not `None`) came with a `client=`.

    `max_retries` counts as given when it is not the default 0.
    """
    given = [name for name, value in settings.items() if value is not None]
    if max_retries != 0:
        given.append("max_retries")
    if given:
        raise UserError(
            f"{owner}: pass either client= or connection settings, not both "
            f"(got client= and {', '.join(given)}=); configure your client instead"
        )


def api_key_or_placeholder(
    owner: str,
    api_key: str | None,
    base_url: str | None,
    *,
    env_prefix: str,
    other_credentials: Sequence[str] = (),
    hint: str = "",
) -> str:
    """The key to build the client with: `api_key`, else `<env_prefix>_API_KEY`.

    Without a key, the SDK's `other_credentials` variables (when one is set)
    give `""`, and a base URL (`base_url` or `<env_prefix>_BASE_URL`, a local
    server) gives `PLACEHOLDER_API_KEY`; with neither, `UserError` (with `hint`
    added to its advice).
    """
    key = api_key if api_key is not None else os.environ.get(f"{env_prefix}_API_KEY")
    if key:
        return key
    if any(os.environ.get(name) for name in other_credentials):
        return ""
    if not (base_url or os.environ.get(f"{env_prefix}_BASE_URL")):
        raise UserError(
            f"{owner}: no API key; pass api_key= or set {env_prefix}_API_KEY "
            f"(a key is optional only with base_url=, for local servers{hint})"
        )
    return PLACEHOLDER_API_KEY
