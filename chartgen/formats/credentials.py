"""What is a credential: one rule for every key and value chartgen reads.

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

Only key names and shapes are ever reported, never values. This module is pure text rules,
so every layer (the schema checker's messages, workflows, profiles, properties) uses the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_CAMEL = (re.compile(r"([a-z0-9])([A-Z])"), re.compile(r"([A-Z]+)([A-Z][a-z])"))
_REFERENCE = re.compile(r"\$\{[^{}:]*(?::([^{}]*))?\}")  # ${VAR} or ${VAR:default}
_MAX_NESTING = 8  # ${A:${B:...}} deeper than this stays written out (and counts as literal)
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


@dataclass(frozen=True)
class Verdict:
    what: str  # the credential's shape, for messages: never the value
    whole: bool  # the whole value is the credential: it can move to a Secret as it is


def java_text(text: str) -> str:
    """`text` as java.util.Properties reads it: `\\uXXXX` and backslash escapes resolved."""

    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        escaped = m.group(1)
        return chr(int(escaped[1:], 16)) if len(escaped) == 5 else _ESCAPED.get(escaped, escaped)

    return _ESCAPE.sub(one, text)


def key_words(key: str) -> list[str]:
    """The words of a key's last name, lowercase: `a.clientSecret.value` -> [client, secret]."""
    last = _last_name(key)
    for camel in _CAMEL:
        last = camel.sub(r"\1 \2", last)
    return [w for w in _NOT_ALNUM.split(last.lower()) if w]


def _last_name(key: str) -> str:
    """The last name of a key as Java reads it, a trailing `.value` skipped."""
    names = [n for n in java_text(key).split(".") if n]
    if len(names) > 1 and names[-1].lower() == "value":
        names.pop()
    return names[-1] if names else ""


# Every term holds one of these: a key without any (and without escapes) is no credential.
_TERM_PARTS = re.compile("pass|secret|token|credential|key|pwd|\\\\", re.IGNORECASE)


def is_credential(key: str) -> bool:
    """Whether a key (property, YAML path, environment variable) names a credential."""
    if not _TERM_PARTS.search(key):
        return False
    joined = _NOT_ALNUM.sub("", _last_name(key).lower())  # the words, joined: camelCase aside
    if joined.endswith(_TERMS):
        return True
    return joined.endswith(tuple(_WHOLE_WORDS)) and key_words(key)[-1] in _WHOLE_WORDS


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
    if "://" in value and any(literal_text(m.group(1)) for m in _USERINFO.finditer(value)):
        return "a URL with user:password@"
    for m in _SETTING.finditer(value) if "=" in value else ():
        if is_credential(m.group(1)) and _holds_literal(m.group(2).strip("\"'")):
            return f"a '{m.group(1)}=' setting"
    if "uthorization" in value.lower() and any(literal_text(m.group(1)) for m in _HEADER.finditer(value)):
        return "an Authorization header"
    return None


def _holds_literal(text: str) -> bool:
    literal = _SCHEME.sub("", literal_text(text))
    return bool(literal) and literal.lower() not in _FLAGS
