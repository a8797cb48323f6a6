"""Which keys and values are credentials; literal ones never reach a chart.

One rule, wherever a value comes from (application.properties, application.yaml, a
profile's `properties` and `env`):

- A key names a credential when its last name (after the last '.'; a trailing `.value`
  skipped), read as java.util.Properties reads it (`\\uXXXX` and backslash escapes) and split
  into words (camelCase, kebab-case, snake_case), ends with password, passwd, passphrase,
  secret, token, credential(s), apikey, accesskey, secretkey, privatekey, or is the word pwd:
  `clientSecret`, `secret-access-key`, `pass\\u0077ord`, `DB_PWD`; not `token-path` or
  `quarkus.oidc.token.lifespan`. Its value is a credential when it holds literal text:
  `${VAR}` is a reference, but `${VAR:text}` has a literal default; `true`/`false` are flags.
- Whatever the key, a value holding a credential's shape is one: `Basic|Bearer <token>`
  as the whole value; inside a value, a URL's `user:password@`, a `password=...` setting
  (URL query, JDBC, JAAS `password="..."`, `-D` option) or an `Authorization:` header.

Where the whole value is the credential, an application.properties entry is rewritten to
`${CHARTGEN_SECRET_<NAME>}` and the value is expected in the runtime's Secret (from Vault)
under a key named after the property. Anything else is refused, located. Only key names
and shapes are ever reported, never values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.formats.properties import parse_properties
from chartgen.formats.source import ParseError, SourceFile
from chartgen.profile.model import Profile

_TERMS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
)
_WHOLE_WORDS = frozenset({"pwd"})  # too short to match inside another word
_FLAGS = frozenset({"true", "false"})
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_ESCAPED = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_CAMEL = (re.compile(r"([a-z0-9])([A-Z])"), re.compile(r"([A-Z]+)([A-Z][a-z])"))
_REFERENCE = re.compile(r"\$\{[^{}:]*(?::([^{}]*))?\}")  # ${VAR} or ${VAR:default}
_MAX_NESTING = 8  # ${A:${B:...}} deeper than this stays written out (and counts as literal)
_DEFAULTED = re.compile(r"\$\{([^{}:]+):[^{}]*\}")  # the whole value is ${VAR:default}
_SCHEME = re.compile(r"^(basic|bearer)\b\s*", re.IGNORECASE)
_SCHEME_VALUE = re.compile(r"^\s*(?:basic|bearer)\s+(\S+)\s*$", re.IGNORECASE)
# ${...} references or the characters given; one way only to match (no backtracking blow-up)
_REF_OR = r"(?:\$\{{[^{{}}]*\}}|\$(?!\{{)|[{}])*"
_USERINFO = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://"
    + _REF_OR.format(r"^$/\s@:?#")
    + ":("
    + _REF_OR.format(r"^$/\s@?#")
    + ")@"
)
_SETTING = re.compile(r"(?<![\w.-])(?:-D|--?)?([A-Za-z_][\w.-]*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s;&,\"')]*)")
_HEADER = re.compile(r"\bauthorization\s*[:=]\s*[\"']?(?:basic|bearer)\s+([^\s\"';,]+)", re.IGNORECASE)
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_KEY_INVALID = re.compile(r"[^-._a-zA-Z0-9]")


@dataclass(frozen=True)
class Credential:
    property: str  # the property name, as written
    secret_key: str  # where the value lives in the Secret / Vault path
    env: str  # the environment variable the rewritten property reads
    line: int


@dataclass(frozen=True)
class Verdict:
    what: str  # the credential's shape, for messages: never the value
    whole: bool  # the whole value is the credential: it can move to a Secret as it is


@dataclass(frozen=True)
class Finding:
    """A credential that cannot move to a Secret: where it is and what it looks like."""

    key: str
    what: str
    line: int
    col: int


# -- the rule ---------------------------------------------------------------------------------


def java_text(text: str) -> str:
    """`text` as java.util.Properties reads it: `\\uXXXX` and backslash escapes resolved."""

    def one(m: re.Match[str]) -> str:
        escaped = m.group(1)
        return chr(int(escaped[1:], 16)) if len(escaped) == 5 else _ESCAPED.get(escaped, escaped)

    return _ESCAPE.sub(one, text)


def key_words(key: str) -> list[str]:
    """The words of a key's last name, lowercase: `a.clientSecret.value` -> [client, secret]."""
    names = [n for n in java_text(key).split(".") if n]
    if len(names) > 1 and names[-1].lower() == "value":
        names.pop()
    last = names[-1] if names else ""
    for camel in _CAMEL:
        last = camel.sub(r"\1 \2", last)
    return [w for w in re.split(r"[^a-z0-9]+", last.lower()) if w]


def is_credential(key: str) -> bool:
    """Whether a key (property, YAML path, environment variable) names a credential."""
    words = key_words(key)
    return bool(words) and ("".join(words).endswith(_TERMS) or words[-1] in _WHOLE_WORDS)


def literal_text(value: str) -> str:
    """What of `value` is written out: `${VAR}` references dropped, `${VAR:default}` defaults kept."""
    for _ in range(_MAX_NESTING):  # innermost references first: ${A:${B}}
        value, replaced = _REFERENCE.subn(lambda m: m.group(1) or "", value)
        if not replaced:
            break
    return value.strip()


def judge(key: str, value: object) -> Verdict | None:
    """Whether the value a key is given (as the runtime reads it) holds a literal credential."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if is_credential(key) and _holds_literal(text):
        shape = "a literal default (${VAR:...})" if "${" in text else "a literal value"
        return Verdict(shape, whole=True)
    scheme = _SCHEME_VALUE.match(text)
    if scheme and literal_text(scheme.group(1)):
        return Verdict("a Basic/Bearer credential", whole=True)
    inside = embedded(text)
    return Verdict(inside, whole=False) if inside else None


def embedded(value: str) -> str | None:
    """The shape of a literal credential written inside a larger value, if any."""
    if any(literal_text(m.group(1)) for m in _USERINFO.finditer(value)):
        return "a URL with user:password@"
    for m in _SETTING.finditer(value):
        if is_credential(m.group(1)) and _holds_literal(m.group(2).strip("\"'")):
            return f"a '{m.group(1)}=' setting"
    if any(literal_text(m.group(1)) for m in _HEADER.finditer(value)):
        return "an Authorization header"
    return None


def holds_private_key(content: bytes) -> bool:
    """A PEM private key block (a certificate alone is public and may be packaged)."""
    return _PRIVATE_KEY.search(content) is not None


def _holds_literal(text: str) -> bool:
    literal = _SCHEME.sub("", literal_text(text))
    return bool(literal) and literal.lower() not in _FLAGS


# -- application.properties: rewrite what can move, find what cannot --------------------------


def env_name(secret_key: str) -> str:
    """A distinct variable per key: `a.password` and `a-password` must not meet."""
    readable = re.sub(r"[^A-Za-z0-9]", "_", secret_key).upper().strip("_")
    digest = hashlib.sha256(secret_key.encode()).hexdigest()[:6].upper()
    return f"CHARTGEN_SECRET_{readable}_{digest}"


def externalize(text: str, optional: bool = False) -> tuple[str, list[Credential]]:
    """`text` with literal credentials replaced by references, and what was replaced.

    `${VAR:literal}` keeps its variable: `${VAR:${CHARTGEN_SECRET_...}}`. `optional`
    references fall back to an empty value (the dev pod may run without them).
    """
    lines = text.splitlines(keepends=True)
    found: list[Credential] = []
    for entry in reversed(parse_properties(text)):
        verdict = judge(entry.key, java_text(entry.value))
        if verdict is None or not verdict.whole:
            continue
        secret_key = _KEY_INVALID.sub("_", java_text(entry.key)).strip(".")
        env = env_name(secret_key)
        reference = f"${{{env}{':' if optional else ''}}}"
        defaulted = _DEFAULTED.fullmatch(entry.value.strip())
        if defaulted:
            reference = f"${{{defaulted.group(1)}:{reference}}}"
        lines[entry.line - 1 : entry.last_line] = [f"{entry.key}={reference}\n"]
        found.append(Credential(entry.key, secret_key, env, entry.line))
    return "".join(lines), sorted(found, key=lambda c: c.line)


def properties_refusals(text: str) -> list[Finding]:
    """Credentials inside larger values (URL, JAAS, header): they cannot move as they are."""
    lines = text.splitlines()
    found = []
    for entry in parse_properties(text):
        verdict = judge(entry.key, java_text(entry.value))
        if verdict is not None and not verdict.whole:
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


def check_profile(profile: Profile, diag: Diagnostics) -> None:
    """Profiles are committed, and their `properties` and `env` copied into values files."""
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
