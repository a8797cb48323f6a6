"""Credentials in a project's files and profiles: literal ones never reach a chart.

The rule of what is a credential is `formats/credentials.py`. Here: where the whole value is
the credential, an application.properties entry is rewritten to `${CHARTGEN_SECRET_<NAME>}`
and the value is expected in the runtime's Secret (from Vault) under a key named after the
property. Anything else is refused, located. Only key names and shapes are ever reported,
never values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.formats.credentials import embedded, java_text, judge, literal_text
from chartgen.formats.properties import PropertiesFile
from chartgen.formats.source import ParseError, SourceFile
from chartgen.profile.model import Profile

_DEFAULTED = re.compile(r"\$\{([^{}:]+):[^{}]*\}")  # the whole value is ${VAR:default}
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_KEY_INVALID = re.compile(r"[^-._a-zA-Z0-9]")


@dataclass(frozen=True)
class Credential:
    property: str  # the property name, as written
    secret_key: str  # where the value lives in the Secret / Vault path
    env: str  # the environment variable the rewritten property reads
    line: int


@dataclass(frozen=True)
class Finding:
    """A credential that cannot move to a Secret: where it is and what it looks like."""

    key: str
    what: str
    line: int
    col: int


def holds_private_key(content: bytes) -> bool:
    """A PEM private key block (a certificate alone is public and may be packaged)."""
    return _PRIVATE_KEY.search(content) is not None


# -- application.properties: rewrite what can move, find what cannot --------------------------


def env_name(secret_key: str) -> str:
    """A distinct variable per key: `a.password` and `a-password` must not meet."""
    readable = re.sub(r"[^A-Za-z0-9]", "_", secret_key).upper().strip("_")
    digest = hashlib.sha256(secret_key.encode()).hexdigest()[:6].upper()
    return f"CHARTGEN_SECRET_{readable}_{digest}"


def externalize(props: PropertiesFile, optional: bool = False) -> tuple[PropertiesFile, list[Credential]]:
    """The file with literal credentials replaced by references, and what was replaced.

    `${VAR:literal}` keeps its variable: `${VAR:${CHARTGEN_SECRET_...}}`. `optional`
    references fall back to an empty value (the dev pod may run without them).
    """
    values: dict[int, str] = {}
    found: list[Credential] = []
    for i, verdict in props.credentials:
        if not verdict.whole:
            continue
        entry = props.entries[i]
        secret_key = _KEY_INVALID.sub("_", java_text(entry.key)).strip(".")
        env = env_name(secret_key)
        reference = f"${{{env}{':' if optional else ''}}}"
        defaulted = _DEFAULTED.fullmatch(entry.value.strip())
        values[i] = f"${{{defaulted.group(1)}:{reference}}}" if defaulted else reference
        found.append(Credential(entry.key, secret_key, env, entry.line))
    return (props.replaced(values) if values else props), found


def properties_refusals(props: PropertiesFile) -> list[Finding]:
    """Credentials inside larger values (URL, JAAS, header): they cannot move as they are."""
    lines = props.text.splitlines() if any(not v.whole for _, v in props.credentials) else []
    found = []
    for i, verdict in props.credentials:
        if not verdict.whole:
            entry = props.entries[i]
            first = lines[entry.line - 1]
            col = len(first) - len(first.lstrip(" \t\f")) + 1
            found.append(Finding(entry.key, verdict.what, entry.line, col))
    return found


# -- application.yaml and profiles: refused wherever found -----------------------------------


def yaml_refusals(source: SourceFile) -> list[Finding]:
    """Every literal credential of an application.yaml (keys joined with '.', as Quarkus reads them)."""
    try:
        docs = source.documents()
    except ParseError:
        return []  # not YAML: the runtime cannot read it either, nor could a check
    found = []
    for i, doc in enumerate(docs):
        for pointer, value in _leaves(doc, ()):
            key = ".".join(str(p) for p in pointer if isinstance(p, str))
            verdict = judge(key, value)
            if verdict is not None:
                where = source.location(i, pointer, key=True)
                found.append(Finding(key, verdict.what, where.line, where.col))
    return found


def _leaves(node: Any, pointer: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*pointer, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*pointer, i))
    elif node is not None:
        yield pointer, node


_EXPRESSION = re.compile(r"^\s*\$\{.*\}\s*$", re.DOTALL)  # a jq expression: computed, not written


def workflow_refusals(flow: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(where, what) of every credential a workflow definition writes out: a literal value of
    an `Authorization` key (a header a function sends), or a credential's shape inside any
    string (a URL's user:password@, a password= setting, an `Authorization: Bearer` header)."""
    found = []
    for pointer, value in _leaves(flow, ()):
        if not isinstance(value, str) or _EXPRESSION.match(value):
            continue
        key = next((str(p) for p in reversed(pointer) if isinstance(p, str)), "")
        verdict = judge(key, value) if key.lower() == "authorization" else None
        if verdict is not None or (key.lower() == "authorization" and literal_text(value)):
            found.append((pointer, verdict.what if verdict else "a literal Authorization value"))
        elif inside := embedded(value):
            found.append((pointer, inside))
    return found


def check_profile(profile: Profile, diag: Diagnostics) -> None:
    """Profiles are committed, and their `properties` and `env` copied into values files; any
    other string (a URL, a host, a sink) must not carry a credential inside it either."""
    for pf in profile.chain:  # a shared base is reported once: the same line, the same message
        for pointer, text in _leaves(pf.data, ()):
            if pointer[:1] in (("properties",), ("env",)) or not isinstance(text, str):
                continue
            inside = embedded(text)
            if inside:
                diag.error(
                    f"'{'.'.join(str(p) for p in pointer)}' holds a credential ({inside}), which the "
                    "chart's values would carry: keep it in Vault (the value is not shown)",
                    pf.source.location(0, pointer),
                )
    advice = {
        "properties": ", give it a variable in secrets.env and write ${VARIABLE} here",
        "env": " and set this variable from its Secret key in secrets.env instead",
    }
    for section, instead in advice.items():
        for key, value in (getattr(profile.settings, section) or {}).items():
            verdict = judge(key, value)
            if verdict is not None:
                diag.error(
                    f"{section} '{key}' holds a credential ({verdict.what}), which the chart's values "
                    f"would carry: keep the value in Vault{instead} (the value is not shown)",
                    profile.location(section, key, key=True),
                )
