"""What a project's workflows need from a runtime, read off the model (no profile involved).

These facts decide which objects a production chart gets: persistence for workflows that
can wait, Triggers for consumed events, a sink for produced ones, Secret keys for every
secret used, whether the runtime talks to the Kubernetes API, and the services it calls.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from chartgen.errors import Diagnostics, Location
from chartgen.formats.credentials import java_text
from chartgen.formats.source import display_path
from chartgen.plan.config import ConfigEntry, entry_of, file_profile
from chartgen.plan.credentials import externalize
from chartgen.plan.files import is_properties
from chartgen.plan.model import ConsumedEvent, WorkflowData
from chartgen.schema.check import Checker
from chartgen.values.types import SecretKey
from chartgen.workflow.model import Project, SpecDoc, Workflow
from chartgen.workflow.names import dns_name
from chartgen.workflow.specs import operation_path

# Kubernetes API paths: the core group's well-known resources, or a named group/version
# (dotted groups such as apps.openshift.io, or the built-in undotted ones).
KUBE_PATH = re.compile(
    r"^/(api/v1/(namespaces|pods|services|configmaps|secrets|nodes|serviceaccounts|events|endpoints"
    r"|persistentvolumes|persistentvolumeclaims)"
    r"|apis/([a-z0-9-]+(\.[a-z0-9-]+)+|apps|batch|autoscaling|policy)/v\d\w*)(/|$)"
)
REST_CLIENT_URL = re.compile(r"^(%[\w-]+\.)?quarkus\.rest-client\.(\"[^\"]+\"|[^.]+)\.(url|uri)$")


@dataclass(frozen=True)
class Endpoint:
    """A URL the runtime calls, and where it was written (found only for a warning: that re-reads)."""

    url: str
    locate: Callable[[], Location | None]
    what: str  # "property 'quarkus.rest-client.x.url'", "server of specs/x.yaml"


@dataclass
class ProjectFacts:
    workflows: list[WorkflowData] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)  # "workflow 'x': state 'y' ..."; empty: nothing waits
    timers: list[str] = field(default_factory=list)  # the waits a timer ends (a subset of waits)
    consumed: list[ConsumedEvent] = field(default_factory=list)
    produced: list[str] = field(default_factory=list)  # event types
    secret_names: list[str] = field(default_factory=list)  # keys read as config properties by name
    secret_env: dict[str, str] = field(default_factory=dict)  # env var -> secret key (rewritten credentials)
    kube_api_calls: list[str] = field(default_factory=list)  # "workflow 'w' function 'f' (/api/v1/...)"
    config: list[ConfigEntry] = field(default_factory=list)  # every application*.properties entry
    endpoints: list[Endpoint] = field(default_factory=list)  # services the workflows call

    @property
    def can_wait(self) -> bool:
        return bool(self.waits)

    @property
    def http_started(self) -> list[str]:
        """Root workflows a client starts over HTTP (not by an event)."""
        return [w.id for w in self.workflows if w.root and w.startedBy == "http"]


def project_facts(project: Project, specs: dict[Path, SpecDoc], diag: Diagnostics) -> ProjectFacts:
    facts = ProjectFacts()
    for wf in sorted(project.workflows, key=lambda w: w.rel_path):
        facts.workflows.append(workflow_data(wf))
        facts.waits += [f"workflow '{wf.id}': {reason}" for reason in wf.wait_reasons]
        facts.timers += [f"workflow '{wf.id}': {reason}" for reason in wf.timer_reasons]
    facts.consumed = _consumed(project)
    facts.produced = sorted({e.type for w in project.workflows for e in w.produced_events if e.type})
    facts.secret_env = credential_env(project)
    facts.secret_names = secret_names(project, diag)
    facts.kube_api_calls = _kube_api_calls(project, specs)
    facts.config = _config(project)
    facts.endpoints = _endpoints(project, specs)
    return facts


def workflow_data(wf: Workflow, flow_files: bool = True) -> WorkflowData:
    """What the chart knows of a workflow; `flow_files`: root workflows ship a SonataFlow spec.flow."""
    name = dns_name(wf.id)
    start = next((s for s in wf.states if wf.start and s.name == wf.start.name), None)
    return WorkflowData(
        id=wf.id,
        name=name,
        file=wf.rel_path,
        root=not wf.is_subflow,
        version=wf.version or "0.0.0",
        description=wf.description or "",
        flow=f"files/flows/{name}.yaml" if flow_files and not wf.is_subflow else None,
        startedBy="event" if start is not None and start.type == "event" else "http",
    )


# The keys a SonataFlow's spec.flow takes (its CRD); identity goes to metadata instead.
CR_FLOW_KEYS = (
    "start", "annotations", "metadata", "dataInputSchema", "constants", "secrets", "timeouts",
    "errors", "keepActive", "events", "functions", "autoRetries", "retries", "auth", "states",
)  # fmt: skip


def cr_flow(wf: Workflow) -> dict[str, Any]:
    """The workflow as a SonataFlow's spec.flow: the definition without its identity keys."""
    data = wf.definition
    flow = {key: data[key] for key in CR_FLOW_KEYS if key in data}
    # The CRD only takes the object forms of these 0.8 shorthands.
    if isinstance(flow.get("dataInputSchema"), str):
        flow["dataInputSchema"] = {"schema": flow["dataInputSchema"], "failOnValidationErrors": True}
    if isinstance(flow.get("timeouts"), dict):
        flow["timeouts"] = _object_timeouts(flow["timeouts"])
    if isinstance(flow.get("states"), list):
        flow["states"] = [
            {**st, "timeouts": _object_timeouts(st["timeouts"])}
            if isinstance(st, dict) and isinstance(st.get("timeouts"), dict)
            else st
            for st in flow["states"]
        ]
    return flow


def _object_timeouts(timeouts: dict[str, Any]) -> dict[str, Any]:
    out = dict(timeouts)
    if isinstance(out.get("workflowExecTimeout"), str):
        out["workflowExecTimeout"] = {"duration": out["workflowExecTimeout"]}
    if isinstance(out.get("stateExecTimeout"), str):
        out["stateExecTimeout"] = {"total": out["stateExecTimeout"]}
    return out


def _consumed(project: Project) -> list[ConsumedEvent]:
    receivers: set[tuple[str, str]] = set()
    roots = [w for w in sorted(project.workflows, key=lambda w: w.rel_path) if not w.is_subflow]
    for wf in sorted(project.workflows, key=lambda w: (w.is_subflow, w.rel_path)):
        for event in wf.consumed_events:
            if event.type:  # a missing type is reported by validation
                # Under the sonataflow runtime each root workflow is its own service.
                receiver = roots[0] if wf.is_subflow and roots else wf
                receivers.add((event.type, dns_name(receiver.id)))
    ordered = sorted(receivers)
    return [
        ConsumedEvent(
            type=t,
            trigger=_trigger_name(t, s),
            subscriber=s,
            firstOfType=i == 0 or ordered[i - 1][0] != t,
        )
        for i, (t, s) in enumerate(ordered)
    ]


def _trigger_name(event_type: str, subscriber: str) -> str:
    """A short DNS name suffix for a Trigger, readable and unique per (type, receiver)."""
    digest = hashlib.sha256(f"{event_type}|{subscriber}".encode()).hexdigest()[:8]
    return f"{dns_name(event_type, 20)}-{digest}"


def secret_names(project: Project, diag: Diagnostics) -> list[str]:
    """Secrets the workflows read by name: `secrets:`, `$SECRET.x`, secret.properties keys."""
    keys: set[str] = set()
    for wf in project.workflows:
        keys.update(wf.secret_names)
    for entry in project.secret_keys:
        checker = Checker("secret key")
        if checker.check(SecretKey, entry.key):
            keys.add(entry.key)
        else:
            # Only the key is shown: the value is a secret.
            diag.error(checker.problems[0].message, Location(display_path(entry.path), entry.line))
    return _one_key_per_variable(sorted(keys), project, diag)


def env_variable(key: str) -> str:
    """How MicroProfile Config finds a property in the environment: a.b-c -> A_B_C."""
    return re.sub(r"[^A-Za-z0-9]", "_", key).upper()


def _one_key_per_variable(keys: list[str], project: Project, diag: Diagnostics) -> list[str]:
    """`api_token` and `API_TOKEN` would be one variable: keep one key (the variable's own
    spelling when present), since MicroProfile Config reads either name from it."""
    chosen: dict[str, str] = {}
    for key in keys:
        variable = env_variable(key)
        other = chosen.get(variable)
        if other is None:
            chosen[variable] = key
            continue
        keep = key if key == variable else other
        chosen[variable] = keep
        drop = other if keep == key else key
        diag.warning(
            f"project '{project.rel}': secrets '{keep}' and '{drop}' are both read from variable "
            f"{variable}; the Secret holds '{keep}' only"
        )
    return sorted(chosen.values())


def _kube_api_calls(project: Project, specs: dict[Path, SpecDoc]) -> list[str]:
    """Functions whose operation is a Kubernetes API path (/api/v1/..., /apis/<group>/<v>/...)."""
    calls = set()
    for wf in project.workflows:
        for fn in wf.functions:
            spec = specs.get(fn.spec.path) if fn.spec and fn.spec.path else None
            route = operation_path(spec.doc, fn.spec.operation_id) if spec and fn.spec else None
            if route and KUBE_PATH.match(route):
                calls.add(f"workflow '{wf.id}' function '{fn.name}' ({route})")
    return sorted(calls)


def credential_env(project: Project) -> dict[str, str]:
    """Literal credentials of the project's properties files: env var -> Secret key."""
    env: dict[str, str] = {}
    for asset in project.assets:
        if is_properties(asset.rel_path):
            _, found = externalize(asset.properties)
            env.update({c.env: c.secret_key for c in found})
    return dict(sorted(env.items()))


def _config(project: Project) -> list[ConfigEntry]:
    """The properties of the project's application*.properties, as the runtime reads them."""
    found = []
    for asset in (a for a in project.assets if is_properties(a.rel_path)):
        shown, profile = display_path(asset.path), file_profile(asset.rel_path)
        found += [
            entry_of(e.key, java_text(e.value), profile, Location(shown, e.line))
            for e in asset.properties.entries
        ]
    return found


def rest_client_key(spec_file: str) -> str:
    """The rest-client config key SonataFlow gives a spec file: specs/billing-api.yaml -> billing_api_yaml."""
    return re.sub(r"[^A-Za-z0-9_]", "_", spec_file.rsplit("/", 1)[-1])


def _endpoints(project: Project, specs: dict[Path, SpecDoc]) -> list[Endpoint]:
    """URLs the runtime calls: rest-client URL properties, else the servers of the specs it uses."""
    found: list[Endpoint] = []
    configured: set[str] = set()
    for asset in project.assets:
        if not is_properties(asset.rel_path):
            continue
        for entry in asset.properties.entries:
            m = REST_CLIENT_URL.match(entry.key)
            if m:
                configured.add(m.group(2).strip('"'))
                where = Location(display_path(asset.path), entry.line)
                found.append(Endpoint(entry.value, _known(where), f"property '{entry.key}'"))
    used = sorted(
        {fn.spec.path for wf in project.workflows for fn in wf.functions if fn.spec and fn.spec.path}
    )
    for path in used:
        spec = specs.get(path)
        if spec is not None and rest_client_key(path.name) not in configured:
            found += _servers(spec)
    return found


def _known(location: Location) -> Callable[[], Location | None]:
    return lambda: location


def _servers(spec: SpecDoc) -> list[Endpoint]:
    doc = spec.doc
    if isinstance(doc.get("host"), str):  # Swagger 2
        schemes = doc.get("schemes") or ["https"]
        url = f"{schemes[0]}://{doc['host']}"
        return [Endpoint(url, partial(spec.source.location, 0, ("host",)), f"host of {spec.source.display}")]
    servers = doc.get("servers")
    out = []
    for i, server in enumerate(servers if isinstance(servers, list) else []):
        if isinstance(server, dict) and isinstance(server.get("url"), str):
            where = partial(spec.source.location, 0, ("servers", i, "url"))
            out.append(Endpoint(server["url"], where, f"server of {spec.source.display}"))
    return out
