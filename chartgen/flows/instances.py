"""`chartgen instances --env ENV`: the workflow instances of an environment's charts, from the
platform's Data Index — which are running, where each waits, which failed.

The Data Index is the one the charts send their events to (`dataIndex.url`, in the chart's
values for that environment), or `--data-index URL` (the in-cluster address is often not
reachable from CI or a laptop: a port-forward's is)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.charts.chart import GeneratedChart
from chartgen.config import Settings
from chartgen.deploy.data_index import STATUSES, Instance, ask_through, configured_url
from chartgen.emit.switch import settled_charts
from chartgen.emit.values_files import merge
from chartgen.errors import UserError
from chartgen.flows.deploy import select_charts
from chartgen.formats.source import FastLoader, display_path
from chartgen.plan.layout import VALUES_FILE, values_file
from chartgen.tools.kubectl import Kubectl


@dataclass
class InstancesResult:
    environment: str
    data_index: str
    workflows: list[str]  # the process ids asked for
    instances: list[Instance] = field(default_factory=list)


def run_instances(
    settings: Settings,
    env: str,
    only: Sequence[str] = (),
    workflow: str | None = None,
    state: str | None = None,
    status: str | None = None,
    data_index: str | None = None,
    cluster: Callable[[], Kubectl] | None = None,
) -> InstancesResult:
    """`cluster`: the one to port-forward through when the Data Index's URL is an in-cluster
    address (`<service>.<namespace>.svc`)."""
    if status and status not in STATUSES:
        raise UserError(f"--status '{status}': one of {', '.join(STATUSES)}")
    charts = [
        c
        for c in select_charts(settled_charts(settings.out), settings.out, env, only)
        if c.mode == "production"
    ]
    workflows = sorted({w.id for c in charts if c.data for w in c.data.workflows})
    if workflow:
        if workflow not in workflows:
            raise UserError(
                f"--workflow '{workflow}': no chart of '{env}' runs it "
                f"(workflows: {', '.join(workflows) or 'none'})"
            )
        workflows = [workflow]
    url = data_index or configured_url({c.name: _values(c, env) for c in charts}, env)
    found, shown = (
        ask_through(url, workflows, [status] if status else [], cluster) if workflows else ([], url)
    )
    if state:
        found = [i for i in found if state in i.waiting_in]
    return InstancesResult(env, shown, workflows, found)


def _values(chart: GeneratedChart, env: str) -> dict[str, Any]:
    """values.yaml under values-ENV.yaml, merged as Helm merges them."""
    merged: dict[str, Any] = {}
    folder = chart.folder or Path(chart.name)
    for rel in (VALUES_FILE, values_file(env)):
        path = folder / rel
        try:
            loaded = yaml.load(path.read_bytes(), Loader=FastLoader) if path.is_file() else None
        except yaml.YAMLError as exc:
            raise UserError(f"{display_path(path)}: not YAML ({str(exc).splitlines()[0]})") from None
        if isinstance(loaded, dict):
            merged = merge(merged, loaded)
    return merged
