"""Credentials written as literal values in application.properties never reach a chart.

A property whose name says it holds a credential (password, secret, token, API key...)
and whose value is a literal is rewritten to `${CHARTGEN_SECRET_<NAME>}`; the value is
expected in the runtime's Secret (from Vault) under a key named after the property.
Only names are ever reported, never values.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from chartgen.formats.properties import parse_properties

_WORD = re.compile(
    r"(^|[-_])(password|passwd|secret|token|api-?key|private-?key|credentials?)$", re.IGNORECASE
)
_KEY_INVALID = re.compile(r"[^-._a-zA-Z0-9]")


@dataclass(frozen=True)
class Credential:
    property: str  # the property name, as written
    secret_key: str  # where the value lives in the Secret / Vault path
    env: str  # the environment variable the rewritten property reads
    line: int


def env_name(secret_key: str) -> str:
    """A distinct variable per key: `a.password` and `a-password` must not meet."""
    readable = re.sub(r"[^A-Za-z0-9]", "_", secret_key).upper().strip("_")
    digest = hashlib.sha256(secret_key.encode()).hexdigest()[:6].upper()
    return f"CHARTGEN_SECRET_{readable}_{digest}"


def is_credential(name: str) -> bool:
    parts = name.lstrip("%").split(".")
    last = parts[-1]
    if _WORD.search(last):
        return True
    return last == "value" and len(parts) > 1 and bool(_WORD.search(parts[-2]))


def externalize(text: str, optional: bool = False) -> tuple[str, list[Credential]]:
    """`text` with literal credentials replaced by references, and what was replaced.

    `optional` references fall back to an empty value (the dev pod may run without them).
    """
    lines = text.splitlines(keepends=True)
    found: list[Credential] = []
    for entry in reversed(parse_properties(text)):
        if not is_credential(entry.key) or not entry.value.strip() or "${" in entry.value:
            continue
        secret_key = _KEY_INVALID.sub("_", entry.key).strip(".")
        env = env_name(secret_key)
        fallback = ":" if optional else ""
        lines[entry.line - 1 : entry.last_line] = [f"{entry.key}=${{{env}{fallback}}}\n"]
        found.append(Credential(entry.key, secret_key, env, entry.line))
    return "".join(lines), sorted(found, key=lambda c: c.line)
