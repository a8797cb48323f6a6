"""`chartgen run`'s chart side: which chart and environment a CHART and --env name, and the
objects helm renders for them (what the local runtime then runs)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.charts.chart import ChartEnvironment, GeneratedChart, charts_in, working_files
from chartgen.config import Settings
from chartgen.errors import UserError
from chartgen.flows import wiring
from chartgen.flows.build import IMAGE_FILE
from chartgen.formats.source import display_path
from chartgen.plan.layout import CHART_FILE
from chartgen.runtime.devmode import start_devmode
from chartgen.runtime.local import read_secrets_file, start_runtime
from chartgen.runtime.postgres import parse_database_url
from chartgen.runtime.running import RunningRuntime
from chartgen.schema.check import did_you_mean
from chartgen.verify.chart_env import render, write_chart

DEFAULT_APP = "build/{chart}/target/quarkus-app/quarkus-run.jar"
DEFAULT_IMAGE_FILE = f"build/{{chart}}/{IMAGE_FILE}"


def chart_folder(chart: str, charts: Path) -> Path:
    """CHART as a folder: a path holding Chart.yaml, else a name in the charts folder."""
    as_path = Path(chart)
    if (as_path / CHART_FILE).is_file():
        return as_path
    named = charts / chart
    if "/" not in chart and (named / CHART_FILE).is_file():
        return named
    known = [c.name for c in charts_in(charts)]
    raise UserError(
        f"{chart}: no chart of that name in {display_path(charts)} and no chart folder there "
        f"(charts: {', '.join(known) or 'none; run chartgen generate'})"
    )


def environment_of(files: dict[str, bytes], chart: str, env: str | None) -> ChartEnvironment:
    read = GeneratedChart.of(chart, files)
    environments = read.environments
    if read.mode != "production":
        raise UserError(
            f"{chart} is not a production chart: chartgen run runs chartgen's production and dev charts"
        )
    if read.raw_data.get("kind") == "platform":
        raise UserError(
            f"{chart} is the platform chart: `chartgen run` of a workflow chart of its environment "
            "starts its Jobs Service and Data Index beside the runtime"
        )
    names = [e.name for e in environments]
    if env is None:
        raise UserError(f"{chart}: --env is required (environments: {', '.join(names)})")
    chosen = next((e for e in environments if e.name == env), None)
    if chosen is None:
        raise UserError(
            f"{chart}: no environment {env}{did_you_mean(env, names)} (environments: {', '.join(names)})"
        )
    return chosen


def dev_environment(files: dict[str, bytes], chart: str, env: str | None) -> ChartEnvironment:
    """The dev chart's one environment (`env`, when given, must be its name)."""
    read = GeneratedChart.of(chart, files)
    if read.mode != "dev":
        raise UserError(f"{chart} is not a dev chart")
    (environment,) = read.environments
    if env is not None and env != environment.name:
        raise UserError(f"{chart}: no environment {env} (a dev chart has one: {environment.name})")
    return environment


def is_dev_chart(folder: Path) -> bool:
    return GeneratedChart.at(folder).mode == "dev"


def render_environment(
    folder: Path, env: str | None, kube_version: str, dev: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """(the objects helm renders for the chart folder's environment, the chart's name);
    `dev`: the folder is the dev chart (its one environment, values.yaml alone)."""
    files = working_files(folder)
    name = _chart_name(files) or folder.resolve().name
    environment = dev_environment(files, name, env) if dev else environment_of(files, name, env)
    with tempfile.TemporaryDirectory(prefix="chartgen-run-chart-") as tmp:
        write_chart(files, Path(tmp) / name)  # the chart as it is in the working tree, nothing else
        objects, problem = render(wiring.helm(), Path(tmp) / name, name, environment, kube_version)
    if objects is None:
        raise UserError(f"{name} ({environment.name}): helm template failed: {problem}")
    return objects, name


def _chart_name(files: dict[str, bytes]) -> str:
    for line in files.get(CHART_FILE, b"").decode(errors="replace").splitlines():
        if line.startswith("name:"):
            return line.partition(":")[2].strip().strip("\"'")
    return ""


@dataclass
class Ready:
    """A chart rendered for `chartgen run`, ready to start here (`start`, with a status
    callback): its name and label, and whether it is the dev chart."""

    name: str
    label: str
    dev: bool
    start: Callable[[Callable[[str], None]], RunningRuntime]


def prepare_run(
    settings: Settings,
    chart: str,
    env: str | None,
    app: str | None,
    secrets_file: str | None,
    database_url: str | None,
    port: int | None,
    container: bool = False,
) -> Ready:
    """The production chart CHART names, rendered for `env`, to start with its built `app`
    (default: build/<chart>/...), or the dev chart, to start in Quarkus dev mode. Starting
    raises RuntimeFailed (with the masked log's tail) when it never becomes ready. `container`:
    run the image `chartgen build --image` built (build/<chart>/image.txt) with podman."""
    if port is not None and not 0 < port < 65536:
        raise UserError(f"--port {port}: not a TCP port")
    database = parse_database_url(database_url) if database_url else None
    secrets = read_secrets_file(Path(secrets_file)) if secrets_file else {}
    folder = chart_folder(chart, settings.out)
    if is_dev_chart(folder):
        for flag, given in (("--app", app), ("--database", database_url)):
            if given:
                raise UserError(
                    f"{flag}: a dev chart runs its files in dev mode, with no built app or database"
                )
        objects, name = render_environment(folder, env, settings.kube_version, dev=True)
        label = f"{name} (dev mode)"
        devmode_image = built_image(name) if container else None
        return Ready(
            name,
            label,
            True,
            lambda status: start_devmode(
                objects,
                label=label,
                name=name,
                secrets=secrets,
                port=port,
                on_status=status,
                image=devmode_image,
            ),
        )
    objects, name = render_environment(folder, env, settings.kube_version)
    label = f"{name} ({env})"
    built = Path(app) if app else Path(DEFAULT_APP.format(chart=name))
    image = built_image(name) if container else None
    return Ready(
        name,
        label,
        False,
        lambda status: start_runtime(
            objects,
            built,
            label=label,
            prefer=name,
            secrets=secrets,
            database=database,
            port=port,
            on_status=status,
            image=image,
        ),
    )


def built_image(chart: str) -> str:
    """The image `chartgen build --chart CHART --image` built (its tag is in image.txt)."""
    tag_file = Path(DEFAULT_IMAGE_FILE.format(chart=chart))
    tag = tag_file.read_text().strip() if tag_file.is_file() else ""
    if not tag:
        raise UserError(
            f"--container: no {tag_file}: build the image first (chartgen build --chart {chart} --image)"
        )
    return tag
