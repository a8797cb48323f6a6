"""Bearer tokens of workflow `auth` definitions, where SonataFlow's OpenAPI clients read them.

SonataFlow 10.0 does not apply a workflow's `auth` (authRef) to OpenAPI calls: the generated
REST client reads its token from `quarkus.openapi-generator.<spec key>.auth.<scheme>.bearer-token`
(the scheme as the spec names it). Without that property the call goes out without
`Authorization` (the runtime tier's credentials test saw it). So each bearer `auth` a function
uses becomes that property, referring to the same secret property the `auth` reads: the value
stays in the Secret.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chartgen.plan.facts import rest_client_key
from chartgen.plan.files import APPLICATION_PROPERTIES, ProjectFile
from chartgen.workflow.model import Project, SpecDoc

SECRET_REF = re.compile(r"^\s*(?:\$\{\s*)?\$SECRET\.([A-Za-z_][\w.-]*)\s*\}?\s*$")


def bearer_properties(project: Project, specs: Mapping[Path, SpecDoc]) -> list[str]:
    """`key=${secret}` lines, sorted and unique, for the chart's application.properties."""
    lines: set[str] = set()
    for wf in project.workflows:
        tokens = _bearer_tokens(wf.definition)
        for fn in wf.functions:
            raw = _function(wf.definition, fn.name)
            auth = raw.get("authRef") if raw else None
            name = auth.get("resource") if isinstance(auth, Mapping) else auth
            secret = tokens.get(name) if isinstance(name, str) else None
            if secret is None or fn.spec is None or fn.spec.path is None:
                continue
            spec = specs.get(fn.spec.path)
            key = rest_client_key(fn.spec.path.name)
            for scheme in _bearer_schemes(spec.doc if spec else {}):
                lines.add(f"quarkus.openapi-generator.{key}.auth.{scheme}.bearer-token=${{{secret}}}")
    return sorted(lines)


def _bearer_tokens(flow: Mapping[str, Any]) -> dict[str, str]:
    """auth name -> the secret property its bearer token reads ($SECRET.x)."""
    found = {}
    for auth in flow.get("auth") or []:
        if not isinstance(auth, Mapping) or str(auth.get("scheme", "")).lower() != "bearer":
            continue
        props = auth.get("properties")
        token = props.get("token") if isinstance(props, Mapping) else None
        m = SECRET_REF.match(token) if isinstance(token, str) else None
        if m and isinstance(auth.get("name"), str):
            found[auth["name"]] = m.group(1)
    return found


def _function(flow: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for fn in flow.get("functions") or []:
        if isinstance(fn, Mapping) and fn.get("name") == name:
            return fn
    return None


def _bearer_schemes(doc: Mapping[str, Any]) -> list[str]:
    components = doc.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    if not isinstance(schemes, Mapping):
        return []
    return sorted(
        name
        for name, s in schemes.items()
        if isinstance(s, Mapping)
        and s.get("type") == "http"
        and str(s.get("scheme", "")).lower() == "bearer"
        and re.fullmatch(r"[A-Za-z0-9_-]+", str(name))  # it becomes part of a property key
    )


def with_bearer_properties(files: list[ProjectFile], lines: list[str]) -> list[ProjectFile]:
    """The files, with `lines` appended to application.properties (always among them)."""
    if not lines:
        return files
    block = "\n# Added by chartgen: workflow bearer auth, where SonataFlow's OpenAPI clients read it\n"
    block += "".join(line + "\n" for line in lines)
    out = []
    for f in files:
        if f.rel_path == APPLICATION_PROPERTIES:
            text = f.content.decode("utf-8", errors="replace")
            text = (text if not text or text.endswith("\n") else text + "\n") + block
            f = dataclasses.replace(f, content=text.encode())
        out.append(f)
    return out
