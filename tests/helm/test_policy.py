"""Policies as code, for real: opa's own tests of the rules, every generated chart passing
its mode's rules (real helm, real opa), one hand-made bad manifest per rule failing exactly
that rule, and conftest giving the same verdicts on the same manifests."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chartgen.charts.chart import charts_in
from chartgen.tools.helm import Helm
from chartgen.tools.opa import Opa
from chartgen.tools.runner import run
from chartgen.verify.policy import BUILTIN, as_input, check_policies, rule_sets, rules
from testing.repo import built_tool, copy_examples, run_cli

pytestmark = pytest.mark.helm
Objects = list[dict[str, Any]]


@pytest.fixture(scope="module")
def opa() -> Opa:
    return Opa(built_tool("opa"))


def test_the_rules_own_tests_pass(opa: Opa) -> None:
    for mode, least in (("production", 21), ("dev", 5)):
        ok, output = opa.test(rule_sets(mode))
        assert ok, output
        passed = int(output.split("PASS: ")[1].split("/")[0])
        assert passed >= least, output


def test_every_rule_has_an_id_and_a_rationale() -> None:
    found = {mode: rules([BUILTIN / mode]) for mode in ("production", "dev")}
    assert len(found["production"]) == 17 and len(found["dev"]) == 4
    for rule in found["production"] + found["dev"]:
        assert rule.id.startswith(("prod-", "dev-")) and len(rule.rationale) > 40, rule
    readme = (BUILTIN.parent / "README.md").read_text()
    for rule in found["production"] + found["dev"]:
        assert f"| `{rule.id}` | {rule.rationale} |" in readme, (
            f"README lists no {rule.id} (or another rationale)"
        )


def test_every_variant_of_the_examples_passes(
    variant_charts: dict[str, Path], opa: Opa, helm_binary: Path
) -> None:
    for variant, charts in variant_charts.items():
        results = check_policies(charts_in(charts), Helm(helm_binary), opa, "1.34")
        # 3 production charts x staging, prod + the dev chart (+ the platform chart x 2)
        assert len(results) == (9 if variant.startswith("platform") else 7), variant
        for r in results:
            assert r.ok and not r.allowed, (variant, r)


def rendered_prod(
    variant_charts: dict[str, Path], helm_binary: Path, chart: str = "order-approval"
) -> Objects:
    import yaml

    folder = variant_charts["vso"] / chart
    done = Helm(helm_binary).template(chart, folder, [folder / "values-prod.yaml"], "1.34", "workflows-prod")
    assert done.ok, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def first(objects: Objects, kind: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind)


def runtime(objects: Objects) -> dict[str, Any]:
    container: dict[str, Any] = first(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return container


# One hand-made break per rule, on the real rendered order-approval chart.
BREAKS: dict[str, Callable[[Objects], None]] = {
    "prod-resources": lambda o: runtime(o)["resources"]["limits"].pop("memory"),
    "prod-probes": lambda o: runtime(o).update(readinessProbe=runtime(o)["livenessProbe"]),
    "prod-pod-security": lambda o: runtime(o)["securityContext"].update(allowPrivilegeEscalation=True),
    "prod-image-tag": lambda o: runtime(o).update(image="registry.example.com/acme/order-approval:latest"),
    "prod-image-registry": lambda o: runtime(o).update(image="evil.example.net/order-approval:1.2.0"),
    "prod-service-account": lambda o: first(o, "Deployment")["spec"]["template"]["spec"].update(
        automountServiceAccountToken=True
    ),
    "prod-rbac-wildcards": lambda o: first(o, "Role")["rules"][0].update(verbs=["*"]),
    "prod-rbac-runtime": lambda o: o.extend(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "rt"},
                "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}],
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "rt"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rt"},
                "subjects": [{"kind": "ServiceAccount", "name": "order-approval"}],
            },
        ]
    ),
    "prod-no-cluster-rbac": lambda o: o.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "x"},
            "rules": [],
        }
    ),
    "prod-hpa": lambda o: first(o, "HorizontalPodAutoscaler")["spec"].update(minReplicas=1),
    "prod-pdb": lambda o: first(o, "PodDisruptionBudget")["spec"].update(maxUnavailable=0),
    "prod-network-policy": lambda o: first(o, "NetworkPolicy")["spec"]["egress"].append(
        {"ports": [{"port": 443}]}
    ),
    "prod-no-inline-secrets": lambda o: runtime(o)["env"].append({"name": "API_TOKEN", "value": "literal"}),
    "prod-configmap-size": lambda o: first(o, "ConfigMap")["data"].update(big="x" * (1 << 20)),
    "prod-selector-labels": lambda o: first(o, "Service")["spec"]["selector"].update(
        {"app.kubernetes.io/version": "1.2.0"}
    ),
    "prod-service-type": lambda o: first(o, "Service")["spec"].update(type="NodePort"),
    "prod-persistence": lambda o: runtime(o).update(
        env=[e for e in runtime(o)["env"] if e["name"] != "KOGITO_PERSISTENCE_TYPE"]
    ),
}
REGISTRIES = {"chartgen": {"allowedRegistries": ["registry.example.com", "docker.io/library"]}}


def rule_ids(messages: list[str]) -> set[str]:
    return {m.split(" ", 1)[0] for m in messages}


@pytest.fixture(scope="module")
def cases(variant_charts: dict[str, Path], helm_binary: Path) -> dict[str, Objects]:
    good = rendered_prod(variant_charts, helm_binary)
    broken = {"none": good}
    for rule, brake in BREAKS.items():
        objects = copy.deepcopy(good)
        brake(objects)
        broken[rule] = objects
    return broken


def test_each_bad_manifest_fails_exactly_its_rule(
    cases: dict[str, Objects], opa: Opa, tmp_path: Path
) -> None:
    assert set(BREAKS) == {r.id for r in rules([BUILTIN / "production"])}
    data = tmp_path / "data.json"
    data.write_text(json.dumps(REGISTRIES))
    names = list(cases)
    verdicts = opa.evaluate(rule_sets("production"), [as_input(cases[n]) for n in names], [data])
    for name, verdict in zip(names, verdicts, strict=True):
        assert rule_ids(verdict.deny) == (set() if name == "none" else {name}), (name, verdict.deny)


def test_conftest_gives_the_same_verdicts(cases: dict[str, Objects], opa: Opa, tmp_path: Path) -> None:
    conftest = built_tool("conftest")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(REGISTRIES))
    names = list(cases)
    ours = opa.evaluate(rule_sets("production"), [as_input(cases[n]) for n in names], [data])
    for name, verdict in zip(names, ours, strict=True):
        folder = tmp_path / name
        folder.mkdir()
        for doc in as_input(cases[name]):
            (folder / doc["path"]).write_text(json.dumps(doc["contents"]))
        policies = [a for p in rule_sets("production") for a in ("--policy", str(p))]
        done = run(
            [
                conftest,
                "test",
                "--combine",
                "--no-color",
                "--output",
                "json",
                *policies,
                "--data",
                data,
                folder,
            ],
            cwd=tmp_path,
        )
        report = json.loads(done.stdout)
        theirs = sorted(f["msg"] for r in report for f in r.get("failures") or [])
        assert theirs == verdict.deny, name
        assert done.returncode == (0 if name == "none" else 1), done.stderr


def test_cli_reports_text_json_sarif_and_exit_2(variant_charts: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    charts = tmp_path / "charts"
    shutil.copytree(variant_charts["vso"], charts)
    values = charts / "invoice-sync" / "values-prod.yaml"
    values.write_text(
        values.read_text()
        + "service: {type: NodePort}\n"
        + 'podAnnotations: {"chartgen.io/allow": "prod-image-tag: pinned by digest at deploy"}\n'
    )
    text = run_cli("policy", "check", "--charts", str(charts))
    assert text.code == 2, text.out + text.err
    assert (
        "invoice-sync values-prod.yaml Service/invoice-sync prod-service-type: is of type NodePort — Services "
        "are ClusterIP unless the organisation allows another type (data.chartgen.allowedServiceTypes): a "
        "runtime is not exposed outside the cluster by accident. (fix: profile `service.type` (ClusterIP, or "
        "a type of data.chartgen.allowedServiceTypes); or allow it: policyExceptions: {Service: "
        '["prod-service-type: <reason>"]})'
    ) in text.out.splitlines()
    assert (
        "invoice-sync values-prod.yaml Deployment/invoice-sync allowed prod-image-tag: pinned by digest at deploy"
        in text.out
    )
    assert "6 of 7 chart/values pairs pass" in text.out
    sarif = json.loads(run_cli("policy", "check", "--charts", str(charts), "--format", "sarif").out)
    assert sarif["version"] == "2.1.0"
    (result,) = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert result["ruleId"] == "prod-service-type"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "invoice-sync/values-prod.yaml"
    )
    (note,) = [r for r in sarif["runs"][0]["results"] if r["level"] == "note"]
    assert note["suppressions"][0]["justification"] == "pinned by digest at deploy"
    ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"prod-service-type", "dev-single-pod"} <= ids
    as_json = json.loads(
        run_cli("policy", "check", "--charts", str(charts), "--env", "prod", "--format", "json").out
    )
    assert {(r["chart"], r["values"]) for r in as_json} == {
        (c, "values-prod.yaml") for c in ("invoice-sync", "order-approval", "shipment-tracker")
    }


def test_an_organisation_rule_adds_to_the_built_in_ones(
    variant_charts: dict[str, Path], tmp_path: Path
) -> None:
    org = tmp_path / "policies-acme"
    org.mkdir()
    (org / "team.rego").write_text(ACME_RULE)
    result = run_cli(
        "policy", "check", "--charts", str(variant_charts["vso"]), "--env", "prod", "--policies", str(org)
    )
    assert result.code == 2
    found = [line for line in result.out.splitlines() if "acme-team-label" in line]
    assert found == [
        f"{chart} values-prod.yaml Deployment/{chart} acme-team-label: has no acme.example/team label — "
        "Every workload names its owning team. (fix: profile `commonLabels`; or allow it: policyExceptions: "
        '{Deployment: ["acme-team-label: <reason>"]})'
        for chart in ("invoice-sync", "order-approval", "shipment-tracker")
    ]
    assert "0 of 3 chart/values pairs pass 22 rules" in result.out


ACME_RULE = (
    "# rule acme-team-label: Every workload names its owning team.\n"
    "# fix: profile `commonLabels`\n"
    "package main\n\nimport rego.v1\n\n"
    "deny contains msg if {\n"
    "\tsome obj in workloads\n"
    '\tnot obj.metadata.labels["acme.example/team"]\n'
    '\tmsg := denial("acme-team-label", obj, "has no acme.example/team label")\n'
    "}\n"
)


def test_the_readme_organisation_rule_is_met_through_a_profile_and_excepted_through_values(
    tmp_path: Path,
) -> None:
    """commonLabels in the base profile reach every object; policyExceptions in values put
    chartgen.io/allow on every object of a kind, and the report lists each exception."""
    org = tmp_path / "policies-acme"
    org.mkdir()
    (org / "team.rego").write_text(ACME_RULE)
    repo = copy_examples(tmp_path / "repo")
    base = repo / "profiles" / "base.yaml"
    base.write_text(base.read_text() + "commonLabels: {acme.example/team: payments}\n"
                    "commonAnnotations: {acme.example/owner: payments@acme.example}\n")  # fmt: skip
    assert run_cli("-C", str(repo), "generate").code == 0
    passed = run_cli("-C", str(repo), "policy", "check", "--policies", str(org))
    assert passed.code == 0, passed.out
    values = repo / "charts" / "invoice-sync" / "values-prod.yaml"
    values.write_text(values.read_text() + "service: {type: NodePort}\n"
                      'policyExceptions: {Service: ["prod-service-type: the platform team reviewed it"]}\n')  # fmt: skip
    allowed = run_cli("-C", str(repo), "policy", "check", "--policies", str(org), "--env", "prod")
    assert allowed.code == 0, allowed.out
    assert (
        "invoice-sync values-prod.yaml Service/invoice-sync allowed prod-service-type: the platform team "
        "reviewed it"
    ) in allowed.out.splitlines()


FOREIGN_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:latest"}]
"""


def test_a_chart_chartgen_did_not_generate_is_refused_unless_a_mode_is_chosen(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "templates" / "deployment.yaml").write_text(FOREIGN_DEPLOYMENT)
    refused = run_cli("policy", "check", "--charts", str(tmp_path / "charts"))
    assert refused.code == 1, refused.out + refused.err
    assert "web: no chartgen/mode annotation in Chart.yaml" in refused.err
    assert "--mode production or --mode dev" in refused.err
    checked = run_cli("policy", "check", "--charts", str(tmp_path / "charts"), "--mode", "production")
    assert checked.code == 2, checked.out + checked.err
    assert "web values.yaml Deployment/web prod-image-tag:" in checked.out
    assert "0 of 1 chart/values pairs pass" in checked.out
    nothing = run_cli(
        "policy", "check", "--charts", str(tmp_path / "charts"), "--mode", "dev", "--env", "prod"
    )
    assert nothing.code == 1
    assert "no chart with environment prod" in nothing.err


# Rules a runtime's Role might hold: generate (Python's table) and the policy (Rego, reading
# the table generated from it) must refuse exactly the same ones.
RUNTIME_RULES: list[tuple[list[str], list[str], list[str]]] = [
    ([""], ["pods/exec"], ["get"]),
    ([""], ["*/exec"], ["create"]),
    ([""], ["pods/ephemeralcontainers"], ["patch"]),
    ([""], ["*/ephemeralcontainers"], ["update"]),
    (["apps"], ["deployments"], ["create"]),
    (["apps"], ["deployments"], ["get", "list"]),
    (["batch"], ["jobs"], ["patch"]),
    (["batch"], ["cronjobs"], ["watch"]),
    ([""], ["pods"], ["list"]),
    ([""], ["pods"], ["create"]),
    ([""], ["pods/log"], ["get"]),
    ([""], ["*/status"], ["get"]),
    ([""], ["secrets"], ["list"]),
    ([""], ["configmaps"], ["get", "watch"]),
    ([""], ["configmaps"], ["*"]),
    (["rbac.authorization.k8s.io"], ["roles"], ["bind"]),
    (["rbac.authorization.k8s.io"], ["rolebindings"], ["get"]),
    ([""], ["users"], ["impersonate"]),
    ([""], ["services/proxy"], ["get"]),
    ([""], ["nodes/proxy"], ["get"]),
    ([""], ["serviceaccounts/token"], ["create"]),
    (["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
    (["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"], ["patch"]),
    (["sonataflow.org"], ["sonataflows"], ["get", "list", "watch"]),
]


def test_the_runtime_rbac_policy_refuses_what_generate_refuses(opa: Opa, tmp_path: Path) -> None:
    from chartgen.profile.model import PolicyRule
    from chartgen.profile.rbac import refusals

    data = tmp_path / "data.json"
    data.write_text(json.dumps(REGISTRIES))
    inputs = []
    for groups, resources, verbs in RUNTIME_RULES:
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "rt"},
            "rules": [{"apiGroups": groups, "resources": resources, "verbs": verbs}],
        }
        binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "rt"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rt"},
            "subjects": [{"kind": "ServiceAccount", "name": "wf"}],
        }
        inputs.append(as_input([role, binding]))
    verdicts = opa.evaluate(rule_sets("production"), inputs, [data])
    policy = [bool(rule_ids(v.deny) & {"prod-rbac-runtime", "prod-rbac-wildcards"}) for v in verdicts]
    ours = [bool(refusals(PolicyRule(apiGroups=g, resources=r, verbs=v))) for g, r, v in RUNTIME_RULES]
    assert policy == ours
    assert ours.count(True) == 16  # the cases cover both answers
