"""The platform chart as helm renders it: each service runs with the settings of the one table
`chartgen run` and `build` use, the workflow runtimes reach exactly its Services, and the
invariants the corpus test checks do catch a broken platform chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from chartgen.plan.platform_services import DATA_INDEX, JOBS_SERVICE, service_env, service_url
from testing.invariants import matches, platform_problems
from testing.repo import Render

CHART = "acme-workflows-platform"


def _data(chart: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((chart / "files/chartgen-data.yaml").read_text())
    return loaded


def _by_name(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_each_service_runs_with_the_settings_run_and_build_use(
    variant_charts: dict[str, Path], render: Render
) -> None:
    chart = variant_charts["platform"] / CHART
    objects = render(chart, "values-prod.yaml", namespace="workflows-prod")
    deployments = _by_name(objects, "Deployment")
    index = service_url("acme-workflows", DATA_INDEX, "workflows-prod")
    for service in (JOBS_SERVICE, DATA_INDEX):
        (container,) = deployments[f"{CHART}-{service.name}"]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        expected = service_env(service, "pg.prod.svc", 5432, "workflows", index)
        assert {v.name: v.value for v in expected}.items() <= env.items()
        assert env["SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS"] == "/var/run/secrets/chartgen/credentials"
        assert not any("PASSWORD" in name for name in env)  # the login is a file, never a variable
    assert deployments[f"{CHART}-jobs-service"]["spec"]["strategy"] == {"type": "Recreate"}
    assert deployments[f"{CHART}-jobs-service"]["spec"]["replicas"] == 1
    assert "replicas" not in deployments[f"{CHART}-data-index"]["spec"]  # its HPA's
    assert set(_by_name(objects, "HorizontalPodAutoscaler")) == {f"{CHART}-data-index"}
    assert platform_problems(objects, _data(chart), "prod") == []


def test_the_runtimes_are_admitted_and_reach_the_platform_services(
    variant_charts: dict[str, Path], render: Render
) -> None:
    charts = variant_charts["platform"]
    platform = render(charts / CHART, "values-prod.yaml", namespace="workflows-prod")
    runtime = render(charts / "order-approval", "values-prod.yaml", namespace="workflows-prod")
    (deployment,) = _by_name(runtime, "Deployment").values()
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    services = _by_name(platform, "Service")
    assert env["KOGITO_JOBS_SERVICE_URL"] == f"http://{CHART}-jobs-service.workflows-prod.svc.cluster.local"
    assert f"{CHART}-jobs-service" in services and f"{CHART}-data-index" in services
    for name, policy in _by_name(platform, "NetworkPolicy").items():
        admitted = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        assert any(matches(peer["podSelector"], pod_labels) for peer in admitted), name


def test_the_invariants_catch_a_broken_platform_chart(
    variant_charts: dict[str, Path], render: Render
) -> None:
    chart = variant_charts["platform"] / CHART
    objects = render(chart, "values-prod.yaml", namespace="workflows-prod")
    data = _data(chart)
    without_pdb = [o for o in objects if o["kind"] != "PodDisruptionBudget"]
    assert f"Deployment/{CHART}-data-index: PodDisruptionBudget missing" in platform_problems(
        without_pdb, data, "prod"
    )
    for o in objects:
        if o["kind"] == "NetworkPolicy":
            o["spec"]["podSelector"] = {"matchLabels": {"app.kubernetes.io/name": CHART}}
    problems = platform_problems(objects, data, "prod")
    assert f"Deployment/{CHART}-jobs-service: its NetworkPolicy does not select exactly its pods" in problems
