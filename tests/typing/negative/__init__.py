"""Typing cases where each line ending in `# expect-error` must be rejected (see tests/test_typing.py)."""
