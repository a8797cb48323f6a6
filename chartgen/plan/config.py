"""The configuration a production runtime starts with, read as Quarkus 3.8 (SonataFlow 10.0)
reads it, to find the `${NAME}` placeholders nothing provides before the runtime does.

- Sources: the chart's environment variables (ordinal 300) over application.properties and,
  for each active profile, application-<profile>.properties. A property an environment
  variable sets (`quarkus.datasource.password` by QUARKUS_DATASOURCE_PASSWORD) is never
  expanded from the files.
- Profiles: `prod` unless the environment sets QUARKUS_PROFILE; `%dev.`, `%test.` and other
  profiles' keys, and their application-<profile>.properties, are not read.
- A placeholder `${NAME}` is provided by a property NAME of the active files, or by an
  environment variable NAME, NAME with every character but letters and digits made `_`, or
  that upper-cased (SmallRye's environment source: `${KOGITO_DATA-INDEX_URL}` reads
  KOGITO_DATA_INDEX_URL); `${NAME:default}` falls back to its default.
- Whether a missing one stops the runtime depends on who reads the property at start-up:
  a required item fails it (SRCFG00011), an optional one or a property nobody reads at
  start-up is left empty (the app starts; a call may fail). `STARTUP_REQUIRED` lists the
  required ones a workflow project sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from chartgen.errors import Location

# Properties SonataFlow 10.0 (Quarkus 3.8.4) reads at start-up into required items: an unresolved
# placeholder, or an empty value, stops the runtime. Measured on the real runtime; everything else
# a project sets (rest-client URLs, kogito.service.url, its own keys) is optional at start-up.
_SEGMENT = r'(?:"[^"]+"|[^."]+)'
STARTUP_REQUIRED = (
    # quarkus-openapi-generator's auth parameters (Map<String, String>), but for two optional ones
    re.compile(
        rf"^quarkus\.openapi-generator\.{_SEGMENT}\.auth\.{_SEGMENT}\.(?!token-propagation$|header-name$)[^.]+$"
    ),
    re.compile(rf"^quarkus\.rest-client\.{_SEGMENT}\.headers\..+$"),  # Map<String, String>
    re.compile(r"^mp\.messaging\.outgoing\.[^.]+\.url$"),  # the quarkus-http connector's mandatory url
    re.compile(r"^quarkus\.http\.(port|ssl-port|host)$"),
    re.compile(r"^quarkus\.log\.(level|category\..+\.level)$"),
    re.compile(r"^kogito\.process\.instances\.limit$"),
)
DEFAULT_PROFILE = "prod"
_PROFILE_FILE = re.compile(r"^application-([\w.-]+)\.properties$")
_NOT_NAME = re.compile(r"[^A-Za-z0-9]")


class ConfigEntry(NamedTuple):  # a tuple: a file may hold a hundred thousand
    """One property of a project's application*.properties, as written."""

    name: str  # without its %profile. prefix
    value: str  # as Java reads it (escapes resolved)
    profiles: tuple[str, ...]  # from `%a,b.name`; () for every profile
    file_profile: str | None  # application-<profile>.properties; None for application.properties
    where: Location


@dataclass(frozen=True)
class Missing:
    """A placeholder nothing provides, in the property that holds it."""

    placeholder: str
    entry: ConfigEntry
    stops_startup: bool


def file_profile(file_name: str) -> str | None:
    """The profile of application-<profile>.properties; None for application.properties."""
    found = _PROFILE_FILE.match(file_name)
    return found.group(1) if found else None


def entry_of(key: str, value: str, profile_of_file: str | None, where: Location) -> ConfigEntry:
    """The entry of `key=value` in a file of that profile."""
    if key[:1] != "%" or "." not in key:
        return ConfigEntry(key, value, (), profile_of_file, where)
    marker, key = key[1:].split(".", 1)
    return ConfigEntry(key, value, tuple(p for p in marker.split(",") if p), profile_of_file, where)


def active_profiles(env: Mapping[str, object]) -> tuple[str, ...]:
    """QUARKUS_PROFILE of the environment variables a profile sets, else `prod`."""
    chosen = str(env.get("QUARKUS_PROFILE") or "")
    return tuple(p.strip() for p in chosen.split(",") if p.strip()) or (DEFAULT_PROFILE,)


def missing_placeholders(
    entries: Iterable[ConfigEntry], env: Iterable[str], profiles: tuple[str, ...] = (DEFAULT_PROFILE,)
) -> list[Missing]:
    """Placeholders of the active properties that neither a property nor the environment
    provides (`env`: the names of the runtime's environment variables)."""
    variables = set(env)
    read = active(entries, profiles)
    defined = {e.name for e in read}
    found = []
    for entry in read:
        if "${" not in entry.value or _from_env(entry.name, variables):
            continue  # nothing to expand, or the environment sets it: the file's value is never read
        for name in _unresolved(entry.value, lambda n: n in defined or _from_env(n, variables)):
            found.append(Missing(name, entry, any(p.match(entry.name) for p in STARTUP_REQUIRED)))
    return found


# What the runtime chartgen builds (sonataflow-quarkus, the Knative eventing add-on) has for
# events: the quarkus-http connector and JSON CloudEvents. A channel configured with another
# connector, or events read as Avro, fail its build.
CONNECTOR = re.compile(r"^mp\.messaging\.(incoming|outgoing)\.([^.]+)\.connector$")
MARSHALLER = re.compile(r"^kogito\.addon\.messaging\.(un)?marshaller\.[^.]+$")
BUILT_CONNECTORS = ("quarkus-http",)
_BUILD_CHECKED = ("mp.messaging.", "kogito.addon.messaging.")  # what the two patterns start with


def build_refusals(entries: Iterable[ConfigEntry]) -> list[tuple[ConfigEntry, str]]:
    """Properties the runtime's build (profile prod) refuses, with why."""
    found = []
    named = (e for e in entries if e.name.startswith(_BUILD_CHECKED))
    for entry in active(named, (DEFAULT_PROFILE,)):
        connector = CONNECTOR.match(entry.name)
        value = entry.value.strip()
        if connector and value not in BUILT_CONNECTORS:
            why = (
                f"channel '{connector.group(2)}' uses connector '{value}', which the runtime chartgen "
                "builds does not have (its events travel as CloudEvents over HTTP, through Knative): its "
                "build fails ('configured with an unknown connector'); give the property a %dev. prefix, "
                "or remove it"
            )
            found.append((entry, why))
        elif MARSHALLER.match(entry.name) and value.lower() == "avro":
            why = (
                f"'{entry.name}' reads events as Avro, which needs an add-on the runtime chartgen builds "
                "does not have: its build fails (unsatisfied CloudEventUnmarshallerFactory 'avro')"
            )
            found.append((entry, why))
    return found


def active(entries: Iterable[ConfigEntry], profiles: tuple[str, ...]) -> list[ConfigEntry]:
    """The entries a runtime with these profiles reads."""
    return [
        e
        for e in entries
        if (e.file_profile is None or e.file_profile in profiles)
        and (not e.profiles or any(p in profiles for p in e.profiles))
    ]


def _from_env(name: str, variables: set[str]) -> bool:
    """Whether an environment variable sets property `name` (SmallRye's EnvConfigSource)."""
    sanitized = _NOT_NAME.sub("_", name)
    return name in variables or sanitized in variables or sanitized.upper() in variables


def _unresolved(value: str, provided: Callable[[str], bool]) -> Iterator[str]:
    """Names of the `${NAME}` expressions of `value` that resolve to nothing: NAME not provided
    and no default, or a default that itself holds such an expression."""
    for name, default in _expressions(value):
        if provided(name):
            continue
        if default is None:
            yield name
        else:
            yield from _unresolved(default, provided)


def _expressions(value: str) -> Iterator[tuple[str, str | None]]:
    """(NAME, default or None) of each top-level `${...}` of `value` (nested ones stay in the
    default); `$${` and `\\${` are written out, not expressions."""
    i = 0
    while (start := value.find("${", i)) >= 0:
        if start and value[start - 1] in "$\\":
            i = start + 2
            continue
        depth, j = 1, start + 2
        while j < len(value) and depth:
            if value.startswith("${", j):
                depth, j = depth + 1, j + 2
                continue
            depth -= value[j] == "}"
            j += 1
        if depth:
            return  # unclosed: Quarkus reads it as text
        body = value[start + 2 : j - 1]
        name, colon, default = _split_default(body)
        if name and "${" not in name:
            yield name, default if colon else None
        i = j


def _split_default(body: str) -> tuple[str, bool, str]:
    """`NAME:default` at the first ':' outside a nested expression."""
    depth = 0
    for k, ch in enumerate(body):
        if body.startswith("${", k):
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return body[:k], True, body[k + 1 :]
    return body, False, ""
