"""Typing cases that must pass `mypy --strict` and pyright strict (see tests/test_typing.py)."""
