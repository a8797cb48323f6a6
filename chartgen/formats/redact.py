"""Credentials out of what is shown: git and helm may echo a remote URL with its password."""

from __future__ import annotations

import re

_CREDENTIALS = re.compile(r"(?<=//)[^/@\s]+@")  # user:secret@ in a URL


def redact(text: str) -> str:
    """`text` with any `user:secret@` of a URL removed."""
    return _CREDENTIALS.sub("***@", text)
