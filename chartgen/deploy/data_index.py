"""The platform's Data Index, asked over GraphQL: each workflow instance, its status, and the
states it waits in (what an administrator asks first, and what an upgrade must not strand).

SonataFlow runs each state as a node of the instance; the Data Index keeps every node an
instance entered, with `exit` empty while it is in it. A state an instance waits in is such a
node of type CompositeContextNode (the state's own node; its event and timer nodes are inside).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chartgen.errors import UserError
from chartgen.tools.helm import is_loopback
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.port_forward import forwarded

STATUSES = ("active", "completed", "error", "aborted", "suspended", "pending")
MAX_INSTANCES = 1000  # one answer's bound: an administrator narrows with --workflow/--status
MAX_ANSWER = 32 * 1024 * 1024
STATE_NODE = "CompositeContextNode"
QUERY = """query Instances($where: ProcessInstanceArgument, $limit: Int) {
  ProcessInstances(where: $where, orderBy: {start: ASC}, pagination: {limit: $limit, offset: 0}) {
    id processId version state start lastUpdate
    error { message nodeDefinitionId }
    nodes { name type exit }
  }
}"""


@dataclass(frozen=True)
class Instance:
    id: str
    workflow: str
    version: str
    status: str  # lower case: active, completed, error, ...
    waiting_in: tuple[str, ...]  # the states it is in now (empty once it ended)
    started: str
    updated: str
    error: str = ""


def where(workflows: Sequence[str], statuses: Sequence[str]) -> dict[str, Any]:
    """The GraphQL filter: these workflows (process ids), in these statuses (none: any)."""
    found: dict[str, Any] = {"processId": {"in": sorted(set(workflows))}}
    if statuses:
        found["state"] = {"in": sorted({s.upper() for s in statuses})}
    return found


@dataclass(frozen=True)
class InCluster:
    """A Data Index URL naming a Service by its cluster DNS name (reached by a port-forward)."""

    service: str
    namespace: str
    port: int
    path: str

    def local(self, port: int) -> str:
        return f"http://127.0.0.1:{port}{self.path}"


_SERVICE_HOST = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?"
)


def in_cluster(url: str) -> InCluster | None:
    """The Service an http URL names as `<service>.<namespace>.svc[.cluster.local]` (None: an
    address reached as it is)."""
    try:
        parts = urlsplit(url)
        port = parts.port or 80
    except ValueError:
        return None
    found = _SERVICE_HOST.fullmatch(parts.hostname or "")
    if parts.scheme != "http" or found is None or parts.username or parts.password:
        return None
    return InCluster(found.group(1), found.group(3), port, parts.path.rstrip("/"))


def ask_through(
    url: str, workflows: Sequence[str], statuses: Sequence[str], cluster: Callable[[], Kubectl] | None
) -> tuple[list[Instance], str]:
    """`ask`, an in-cluster URL through a port-forward on `cluster` (the chosen one, asked for
    only then); the instances and how the Data Index was reached, for the report."""
    service = in_cluster(url)
    if service is None or cluster is None:
        return ask(url, workflows, statuses), shown_url(url)
    with forwarded(cluster(), service.namespace, service.service, service.port) as port:
        return ask(
            service.local(port), workflows, statuses
        ), f"{shown_url(url)} (port-forward 127.0.0.1:{port})"


def configured_url(values: Mapping[str, Mapping[str, Any]], env: str) -> str:
    """The one `dataIndex.url` the charts of `env` send their events to, from each chart's
    values for `env` (chart -> values); a UserError when none names one, or they differ."""
    urls: dict[str, str] = {}
    for chart, chart_values in sorted(values.items()):
        named = chart_values.get("dataIndex") or {}
        if isinstance(named, dict) and isinstance(named.get("url"), str) and named["url"]:
            urls.setdefault(named["url"], chart)
    if not urls:
        raise UserError(
            f"no chart of '{env}' sends its events to a Data Index: set dataIndex.url in the profile "
            "(and regenerate), or name one with --data-index URL"
        )
    if len(urls) > 1:
        shown = "; ".join(f"{chart}: {url}" for url, chart in sorted(urls.items()))
        raise UserError(
            f"the charts of '{env}' name different Data Indexes ({shown}): choose with --data-index"
        )
    return next(iter(urls))


def ask(url: str, workflows: Sequence[str], statuses: Sequence[str], timeout: float = 15) -> list[Instance]:
    """The instances of `workflows` the Data Index at `url` knows (at most MAX_INSTANCES, the
    oldest first). A UserError says why it could not be asked or what it answered."""
    body = json.dumps(
        {"query": QUERY, "variables": {"where": where(workflows, statuses), "limit": MAX_INSTANCES}}
    )
    endpoint = url.rstrip("/") + "/graphql"
    request = urllib.request.Request(
        endpoint,
        data=body.encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    # A Data Index on this machine (a port-forward, chartgen run) is never reached through a proxy.
    handlers = [urllib.request.ProxyHandler({})] if is_loopback(url) else []
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as answer:
            raw = answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        raise UserError(
            f"the Data Index at {shown_url(url)} answered HTTP {exc.code} ({exc.reason})"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"the Data Index at {shown_url(url)} cannot be reached: {reason}") from None
    if len(raw) > MAX_ANSWER:
        raise UserError(f"the Data Index at {shown_url(url)} answered more than {MAX_ANSWER // 2**20} MiB")
    return parse(raw, url)


def parse(raw: bytes, url: str = "") -> list[Instance]:
    """The instances of a GraphQL answer; a UserError for an answer that is an error or not one."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise UserError(f"the Data Index at {shown_url(url)} answered something that is not JSON") from None
    errors = document.get("errors") if isinstance(document, dict) else None
    if errors:
        first = errors[0].get("message") if isinstance(errors[0], dict) else errors[0]
        raise UserError(f"the Data Index at {shown_url(url)} refused the query: {str(first)[:300]}")
    data = document.get("data") if isinstance(document, dict) else None
    found = data.get("ProcessInstances") if isinstance(data, dict) else None
    if not isinstance(found, list):
        raise UserError(f"the Data Index at {shown_url(url)} answered no ProcessInstances")
    return [_instance(item) for item in found if isinstance(item, dict)]


def _instance(item: dict[str, Any]) -> Instance:
    error = item.get("error") if isinstance(item.get("error"), dict) else {}
    return Instance(
        id=_text(item.get("id")),
        workflow=_text(item.get("processId")),
        version=_text(item.get("version")),
        status=_text(item.get("state")).lower(),
        waiting_in=waiting_in(item.get("nodes") or []),
        started=_text(item.get("start")),
        updated=_text(item.get("lastUpdate")),
        error=_text((error or {}).get("message")),
    )


def waiting_in(nodes: Iterable[Any]) -> tuple[str, ...]:
    """The states an instance is in: its state nodes entered and not left, in order, once each."""
    names = [
        _text(n.get("name"))
        for n in nodes
        if isinstance(n, dict) and n.get("type") == STATE_NODE and n.get("exit") is None
    ]
    return tuple(dict.fromkeys(n for n in names if n))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def shown_url(url: str) -> str:
    """The URL without any user:password part."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a URL that does not parse)"
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}" if parts.scheme else url
