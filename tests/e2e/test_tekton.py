"""pipelines/tekton on a real API server: Tekton's own CRDs (full schemas), every Task and
Pipeline applied server-side with strict field validation, read back unchanged, and a broken
object refused. Tekton's controller and webhook are not installed: nothing runs, and the
references between the objects are checked here instead."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.tools.kubectl import Kubectl
from chartgen.tools.kwok import Cluster
from testing.repo import CRDS, REPO

pytestmark = pytest.mark.e2e
TEKTON = REPO / "pipelines" / "tekton"
NAMESPACE = "chartgen-pipelines"
RESOURCE = {"Task": "tasks.v1.tekton.dev", "Pipeline": "pipelines.v1.tekton.dev"}
Object = dict[str, Any]


def objects() -> list[tuple[Path, Object]]:
    found = []
    for path in sorted(TEKTON.glob("*.yaml")):
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert len(documents) == 1, f"{path.name}: one object per file"
        found.append((path, documents[0]))
    return found


@pytest.fixture(scope="module")
def kubectl(cluster: Cluster) -> Iterator[Kubectl]:
    """The cluster with Tekton's CRDs and an empty namespace for the pipeline objects.

    The CRDs name a conversion webhook (tekton-pipelines-webhook) that does not exist here.
    The API server calls it only to convert between v1beta1 and v1: v1 is the storage version,
    so creating, applying (managed fields recorded for v1) and reading v1 objects never does."""
    k = cluster.kubectl()
    for crd in sorted((CRDS / "tekton").glob("*.yaml")):
        k.apply_server_side(crd.read_text(), "default", "chartgen-e2e")
    established(k, [f"{r}.tekton.dev" for r in ("tasks", "pipelines", "pipelineruns")])
    k.run(["create", "namespace", NAMESPACE])
    try:
        yield k
    finally:
        k.run(["delete", "namespace", NAMESPACE, "--wait=false", "--ignore-not-found"], check=False)


def established(kubectl: Kubectl, crds: list[str], seconds: float = 60) -> None:
    """Poll: `kubectl wait` fails outright on a CRD whose status has no conditions yet."""
    deadline = time.monotonic() + seconds
    while True:
        items = kubectl.get_json("crd", *crds)["items"]
        ready = {
            c["metadata"]["name"]
            for c in items
            for cond in c.get("status", {}).get("conditions") or []
            if cond["type"] == "Established" and cond["status"] == "True"
        }
        if ready == set(crds):
            return
        assert time.monotonic() < deadline, f"not established after {seconds}s: {sorted(set(crds) - ready)}"
        time.sleep(0.5)


def apply(kubectl: Kubectl, manifest: str) -> tuple[bool, str]:
    """Server-side apply; kubectl's default --validate=strict makes the server refuse unknown
    and duplicate fields instead of dropping them."""
    args = ["apply", "--server-side", "--field-manager=chartgen-e2e", "--validate=strict"]
    done = kubectl.run([*args, "-n", NAMESPACE, "-f", "-"], input_text=manifest, check=False)
    return done.ok, done.stdout + done.stderr


def contained(mine: Any, stored: Any, where: str = "spec") -> list[str]:
    """Where `stored` lacks or differs from what `mine` says (the server may add defaults)."""
    if isinstance(mine, dict):
        if not isinstance(stored, dict):
            return [where]
        return [p for k, v in mine.items() for p in contained(v, stored.get(k), f"{where}.{k}")]
    if isinstance(mine, list):
        if not isinstance(stored, list) or len(stored) != len(mine):
            return [where]
        pairs = enumerate(zip(mine, stored, strict=True))
        return [p for i, (a, b) in pairs for p in contained(a, b, f"{where}[{i}]")]
    return [] if mine == stored else [where]


def test_the_layout_chartgen_init_copies() -> None:
    found = {path.name: (obj["apiVersion"], obj["kind"], obj["metadata"]["name"]) for path, obj in objects()}
    for name in (
        "task-chartgen-pr.yaml",
        "task-build-image.yaml",
        "task-chartgen-release.yaml",
        "task-chartgen-deploy.yaml",
        "task-chartgen-promote.yaml",
        "pipeline-pr.yaml",
        "pipeline-main.yaml",
    ):
        assert name in found, f"pipelines/tekton/{name} is missing"
    for name, (api, kind, _) in found.items():
        assert api == "tekton.dev/v1", name
        assert kind == ("Pipeline" if name.startswith("pipeline-") else "Task"), name
    names = [(kind, n) for _, kind, n in found.values()]
    assert len(names) == len(set(names)), "two objects share a name"


def test_every_object_applies_server_side_and_reads_back(kubectl: Kubectl) -> None:
    for path, _ in objects():
        ok, output = apply(kubectl, path.read_text())
        assert ok, f"{path.name}: {output}"
    for path, obj in objects():
        stored = kubectl.get_json(RESOURCE[obj["kind"]], obj["metadata"]["name"], "-n", NAMESPACE)
        assert stored["apiVersion"] == "tekton.dev/v1"
        changed = contained(obj["spec"], stored["spec"])
        assert changed == [], f"{path.name}: the server dropped or changed these"
    listed = kubectl.get_json("tasks.v1.tekton.dev,pipelines.v1.tekton.dev", "-n", NAMESPACE)["items"]
    assert {(o["kind"], o["metadata"]["name"]) for o in listed} == {
        (obj["kind"], obj["metadata"]["name"]) for _, obj in objects()
    }
    # Why only v1: reading through v1beta1 needs the conversion webhook, which is not here.
    old = kubectl.run(["get", "tasks.v1beta1.tekton.dev", "-n", NAMESPACE], check=False)
    assert not old.ok and "conversion webhook" in old.stderr, old.stderr


def broken_task() -> Object:
    task = next(obj for path, obj in objects() if path.name == "task-chartgen-pr.yaml")
    return copy.deepcopy(task)


@pytest.mark.parametrize(
    "change, refusal",
    [
        ("a step's script is a number", "spec.steps[0].script"),
        ("params is a map", "spec.params"),
        ("a misspelt field", "stepz"),
    ],
)
def test_a_broken_task_is_refused(kubectl: Kubectl, change: str, refusal: str) -> None:
    task = broken_task()
    task["metadata"]["name"] = "broken"
    if change == "a step's script is a number":
        task["spec"]["steps"][0]["script"] = 42
    elif change == "params is a map":
        task["spec"]["params"] = {"target-branch": "main"}
    else:
        task["spec"]["stepz"] = task["spec"].pop("steps")
    ok, output = apply(kubectl, json.dumps(task))
    print(f"[e2e] {change}: {output.strip()}")
    assert not ok, f"{change}: accepted"
    assert refusal in output, output
    missing = kubectl.run(["get", RESOURCE["Task"], "broken", "-n", NAMESPACE], check=False)
    assert not missing.ok and "NotFound" in missing.stderr


def required(declared: list[Object]) -> set[str]:
    return {d["name"] for d in declared if "default" not in d and not d.get("optional")}


def test_pipelines_use_the_tasks_as_declared() -> None:
    """What Tekton's webhook would refuse when a run starts: a task that is not in the folder,
    a param or workspace the task does not declare, a required one not given, a missing runAfter."""
    tasks = {obj["metadata"]["name"]: obj["spec"] for _, obj in objects() if obj["kind"] == "Task"}
    pipelines = [(path, obj["spec"]) for path, obj in objects() if obj["kind"] == "Pipeline"]
    used = set()
    for path, pipeline in pipelines:
        own_params = {p["name"] for p in pipeline.get("params", [])}
        own_workspaces = {w["name"]: w for w in pipeline.get("workspaces", [])}
        names = {t["name"] for t in pipeline["tasks"]}
        for step in pipeline["tasks"]:
            where = f"{path.name}: task {step['name']}"
            task = tasks.get(step["taskRef"]["name"])
            assert task is not None, f"{where}: no Task {step['taskRef']['name']} in pipelines/tekton"
            used.add(step["taskRef"]["name"])
            given = {p["name"] for p in step.get("params", [])}
            assert given <= {p["name"] for p in task.get("params", [])}, where
            assert required(task.get("params", [])) <= given, where
            bound = {w["name"]: w["workspace"] for w in step.get("workspaces", [])}
            assert set(bound) <= {w["name"] for w in task.get("workspaces", [])}, where
            assert required(task.get("workspaces", [])) <= set(bound), where
            for name, workspace in bound.items():
                assert workspace in own_workspaces, f"{where}: workspace {workspace} is not declared"
                if own_workspaces[workspace].get("optional"):
                    declared = next(w for w in task["workspaces"] if w["name"] == name)
                    assert declared.get("optional"), f"{where}: optional {workspace} bound to required {name}"
            for p in step.get("params", []):
                for ref in str(p["value"]).split("$(params.")[1:]:
                    assert ref.split(")")[0] in own_params, f"{where}: $(params.{ref.split(')')[0]})"
            assert set(step.get("runAfter", [])) <= names, where
    assert used == set(tasks), f"Tasks no pipeline uses: {sorted(set(tasks) - used)}"
