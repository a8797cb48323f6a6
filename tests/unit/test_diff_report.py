"""chartgen diff without helm: object comparison, rolling pods, secret masking, and the reports.

After an intended change of the Markdown report: pytest tests/unit/test_diff_report.py
--update-golden, then review tests/golden/diff/report.md.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.cli.diff import data_indexes
from chartgen.errors import UserError
from chartgen.verify.diff_report import DEV_ONLY, NO_CHANGES, code, fenced, to_json, to_markdown, to_text
from chartgen.verify.objects_diff import (
    HIDDEN,
    HIDDEN_CHANGED,
    ChartDiff,
    DiffResult,
    EnvDiff,
    ObjectChange,
    Waiting,
    changed_paths,
    compare,
    differing_documents,
    parse_objects,
    roll_reasons,
)
from testing.repo import REPO

GOLDEN = REPO / "tests" / "golden" / "diff" / "report.md"
SECRET_VALUE = "hunter2-do-not-print"
ENV_SECRET = "tok-7f3a-never-shown"


def deployment(image: str = "acme/app:1.0", checksum: str = "aaa", level: str = "INFO") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app", "labels": {"helm.sh/chart": "app-0.1.0"}},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app": "app"}, "annotations": {"checksum/config": checksum}},
                "spec": {
                    "containers": [
                        {
                            "name": "workflow",
                            "image": image,
                            "env": [
                                {"name": "LOG_LEVEL", "value": level},
                                {"name": "API_TOKEN", "value": ENV_SECRET},
                            ],
                            "resources": {"limits": {"cpu": "1"}},
                        }
                    ]
                },
            },
        },
    }


def secret(value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "app-secrets"},
        "stringData": {"db_password": value},
        "data": {"token": "c2VjcmV0"},
    }


def config_map(flow: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app-config"},
        "data": {"flow.sw.yaml": flow},
    }


FLOW = "id: flow\nstates:\n  - name: Wait\n    type: sleep\n    duration: PT1H\n    end: true\n"


def keyed(*objects: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


def sample_result() -> DiffResult:
    """Every kind of line a report has: a version bump, added/removed/changed objects, rolling
    pods, a changed Secret, a dev chart, a chart helm could not render, names with | and `."""
    base = keyed(
        deployment(), config_map(FLOW), secret(SECRET_VALUE), {"kind": "Service", "metadata": {"name": "old"}}
    )
    head = keyed(
        deployment(image="acme/app:1.1", checksum="bbb", level="DEBUG"),
        config_map(FLOW.replace("PT1H", "PT2H")),
        secret(SECRET_VALUE + "-rotated"),
        {"kind": "Trigger", "metadata": {"name": "on-`event`|x"}},
    )
    prod = EnvDiff("prod", compare(base, head))
    staging = EnvDiff("staging", compare(keyed(config_map(FLOW)), keyed(config_map(FLOW))))
    qa = EnvDiff("q|a`", compare({}, keyed(config_map(FLOW))), note="new environment")
    return DiffResult(
        "main",
        "0123456789abcdef0123456789abcdef01234567",
        [
            ChartDiff("acme-dev", "changed", "0.1.0", "0.1.0", True, [EnvDiff("dev", compare(base, head))]),
            ChartDiff("app", "changed", "0.1.0", "0.2.0", False, [prod, qa, staging]),
            ChartDiff(
                "broken",
                "changed",
                "0.3.0",
                "0.3.0",
                False,
                [EnvDiff("prod", error="head: Error: ```parse``` error")],
            ),
            ChartDiff(
                "fresh", "new", None, "0.1.0", False, [EnvDiff("prod", compare({}, keyed(config_map(FLOW))))]
            ),
        ],
    )


def test_markdown_report_matches_golden(request: pytest.FixtureRequest) -> None:
    got = to_markdown(sample_result())
    if request.config.getoption("--update-golden"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8"), "report differs: run with --update-golden and review"


def test_markdown_has_table_and_collapsible_details() -> None:
    md = to_markdown(sample_result())
    assert md.startswith("## chartgen diff\n")
    assert "| Chart | Version | Environment | Added | Changed | Removed | Rolls pods |" in md
    assert (
        "| app | 0.1.0 → 0.2.0 | prod | 1 | 3 | 1 | yes (checksum annotation checksum/config, env, image) |"
        in md
    )
    assert "<details><summary>app · prod: 1 added, 3 changed, 1 removed</summary>" in md
    assert "error: not rendered" in md


def test_names_cannot_break_the_table_or_a_fence() -> None:
    md = to_markdown(sample_result())
    row = next(line for line in md.splitlines() if line.startswith("| app |") and "new environment" in line)
    assert row.count("|") == 8  # the environment q|a` is one cell
    assert "q&#124;a&#96;" in row
    # The error holds ``` : its fence is longer, so the block cannot be closed from inside.
    assert "````text\nhead: Error: ```parse``` error\n````" in md
    assert fenced("a\n`````\nb").startswith("``````")
    assert code("on-`event`|x") == "``on-`event`|x``"
    assert code("`x") == "`` `x ``"


def test_secret_values_never_appear_in_any_format() -> None:
    result = sample_result()
    outputs = [to_markdown(result), to_text(result), json.dumps(to_json(result))]
    for out in outputs:
        assert SECRET_VALUE not in out
        assert ENV_SECRET not in out
        assert "c2VjcmV0" not in out  # base64 data too
        assert "db_password" in out  # the key names stay
    prod = result.charts[1].environments[0]
    changed = {o.key: o for o in prod.objects}["Secret/app-secrets"]
    assert changed.fields == ["stringData.db_password"]  # a rotated value is still a change
    assert f"+  db_password: {HIDDEN_CHANGED}" in changed.diff


def test_unchanged_secret_and_credential_env_are_masked_not_reported() -> None:
    a = keyed(secret(SECRET_VALUE), deployment())
    b = copy.deepcopy(a)
    assert compare(a, b) == []
    b["Deployment/app"]["spec"]["template"]["spec"]["containers"][0]["env"][1]["value"] = "other-token"
    (change,) = compare(a, b)
    assert change.fields == ["spec.template.spec.containers[workflow].env[API_TOKEN].value"]
    assert "other-token" not in change.diff and ENV_SECRET not in change.diff
    assert HIDDEN in change.diff and change.rolls == ["env"]


def test_changed_fields_match_list_items_by_name() -> None:
    a, b = deployment(), deployment(level="DEBUG")
    b["spec"]["template"]["spec"]["containers"][0]["env"].insert(0, {"name": "NEW", "value": "1"})
    assert changed_paths(a, b) == [
        "spec.template.spec.containers[workflow].env[LOG_LEVEL].value",
        "spec.template.spec.containers[workflow].env[NEW]",
    ]
    assert changed_paths({"data": {"a.b": 1}}, {"data": {"a.b": 2}}) == ['data["a.b"]']
    assert changed_paths({"x": [1, 2]}, {"x": [1, 3]}) == ["x[1]"]


def test_multiline_text_diffs_line_by_line() -> None:
    (change,) = compare(keyed(config_map(FLOW)), keyed(config_map(FLOW.replace("PT1H", "PT2H"))))
    assert change.fields == ['data["flow.sw.yaml"]']
    assert "-        duration: PT1H\n+        duration: PT2H" in change.diff
    assert not change.workload and change.rolls == []


@pytest.mark.parametrize(
    ("change", "reasons"),
    [
        ({"image": "acme/app:2"}, ["image"]),
        ({"checksum": "zzz"}, ["checksum annotation checksum/config"]),
        ({"level": "WARN"}, ["env"]),
        ({}, []),
    ],
)
def test_rolls_pods_reasons(change: dict[str, str], reasons: list[str]) -> None:
    assert roll_reasons(deployment(), deployment(**change)) == reasons


def test_rolls_pods_for_resources_labels_other_and_not_for_replicas_or_jobs() -> None:
    base = deployment()
    more = copy.deepcopy(base)
    more["spec"]["replicas"] = 5
    assert roll_reasons(base, more) == []  # scaling does not replace pods
    limits = copy.deepcopy(base)
    limits["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "2"}}
    assert roll_reasons(base, limits) == ["resources"]
    other = copy.deepcopy(base)
    other["spec"]["template"]["spec"]["serviceAccountName"] = "x"
    other["spec"]["template"]["metadata"]["labels"]["helm.sh/chart"] = "app-0.2.0"
    assert roll_reasons(base, other) == ["pod labels", "other pod spec"]
    job_a, job_b = (dict(base, kind="Job"), dict(deployment(image="x"), kind="Job"))
    assert roll_reasons(job_a, job_b) == []


def test_rolls_pods_of_a_sonataflow() -> None:
    def flow(image: str, cpu: str) -> dict[str, Any]:
        return {
            "apiVersion": "sonataflow.org/v1alpha08",
            "kind": "SonataFlow",
            "metadata": {"name": "wf"},
            "spec": {
                "flow": {"start": "A"},
                "podTemplate": {"container": {"image": image, "resources": {"limits": {"cpu": cpu}}}},
            },
        }

    assert roll_reasons(flow("a", "1"), flow("b", "2")) == ["image", "resources"]
    changed = flow("a", "1")
    changed["spec"]["flow"]["start"] = "B"
    assert roll_reasons(flow("a", "1"), changed) == []


def test_parse_objects_keys_kind_name_and_foreign_namespaces() -> None:
    text = (
        "---\n# Source: x\napiVersion: v1\nkind: Service\nmetadata: {name: app}\n"
        "---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: app}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: other}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\n---\n"
    )
    assert sorted(parse_objects(text, "ns")) == [
        "ConfigMap/cm",
        "RoleBinding/other/rb",
        "Service.serving.knative.dev/app",
        "Service/app",
    ]


def test_dev_only_and_no_changes() -> None:
    dev = ChartDiff(
        "acme-dev", "changed", "0.1.0", "0.1.0", True, [EnvDiff("dev", compare({}, keyed(config_map(FLOW))))]
    )
    quiet = ChartDiff("app", "changed", "0.1.0", "0.1.0", False, [EnvDiff("prod")])  # README only
    result = DiffResult("main", "0" * 40, [dev, quiet])
    assert result.dev_only
    assert DEV_ONLY in to_markdown(result) and DEV_ONLY in to_text(result)
    assert to_json(result)["devOnly"] is True
    assert not sample_result().dev_only
    empty = DiffResult("main", "0" * 40)
    assert to_markdown(empty) == f"## chartgen diff\n\n{NO_CHANGES}\n"
    assert to_text(empty) == NO_CHANGES


def test_text_report_lines() -> None:
    text = to_text(sample_result())
    assert "app 0.1.0 → 0.2.0" in text
    assert "    + Trigger/on-`event`|x" in text
    assert "    - Service/old" in text
    assert "    ~ Deployment/app (" in text
    assert "      rolls pods: yes (checksum annotation checksum/config, env, image)" in text
    assert "acme-dev 0.1.0 (version unchanged) (dev chart)" in text
    assert "  staging: no change in the rendered objects" in text
    assert "fresh new chart 0.1.0" in text
    assert "    error: head: Error: ```parse``` error" in text
    assert text.endswith("4 charts changed since main (0123456789ab); 1 could not be rendered")


def test_an_unreadable_chart_is_an_error_of_its_own() -> None:
    result = DiffResult(
        "main", "0" * 40, [ChartDiff("bad", "changed", None, None, False, error="Chart.yaml:1:1: x")]
    )
    assert not result.ok
    assert to_text(result).startswith("bad (Chart.yaml not read)\n  error: Chart.yaml:1:1: x\n")
    assert "| bad | (Chart.yaml not read) | — | — | — | — | error: not rendered |" in to_markdown(result)


def test_json_is_the_result_in_camel_case() -> None:
    data = json.loads(json.dumps(to_json(sample_result())))
    assert data["ok"] is False
    app = data["charts"][1]
    assert (app["baseVersion"], app["headVersion"]) == ("0.1.0", "0.2.0")
    assert [o["change"] for o in app["environments"][0]["objects"]] == [
        "changed",
        "changed",
        "changed",
        "removed",
        "added",
    ]


def test_the_chart_version_label_alone_is_not_a_change_but_rolls_a_pod_template() -> None:
    def objects(version: str) -> dict[str, dict[str, Any]]:
        labels = {"app.kubernetes.io/name": "app", "helm.sh/chart": f"app-{version}"}
        return {
            "Service/app": {"kind": "Service", "metadata": {"name": "app", "labels": dict(labels)}},
            "Deployment/app": {
                "kind": "Deployment",
                "metadata": {"name": "app", "labels": dict(labels)},
                "spec": {"template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": []}}},
            },
        }

    changes = compare(objects("0.1.0"), objects("0.2.0"))
    assert [(c.key, c.fields, c.rolls) for c in changes] == [
        ("Deployment/app", ['spec.template.metadata.labels["helm.sh/chart"]'], ["pod labels"])
    ]


def many_charts(count: int, alike: bool) -> DiffResult:
    """`count` charts whose Deployment changes the same way (or, not `alike`, each its own way)."""
    charts = []
    for i in range(count):
        name = f"wf-{i:03d}"
        hash_line = f"         checksum/config: {(f'{i:02x}' * 32)[:64]}"
        value = "workflows" if alike else f"team-{i}"
        diff = "\n".join([f"--- base/Deployment/{name}", f"+++ head/Deployment/{name}", "@@ -1,3 +1,4 @@",
                          hash_line, f"+        team.example/owner: {value}", "       labels:"] + ["   " + "x" * 60] * 20)  # fmt: skip
        change = ObjectChange(f"Deployment/{name}", "changed", ['spec.template.metadata.annotations["o"]'],
                              diff, ["other pod spec"], True)  # fmt: skip
        envs = [EnvDiff(env, [change]) for env in ("prod", "staging")]
        charts.append(ChartDiff(name, "changed", "0.1.0", "0.1.1", False, envs))
    return DiffResult("main", "a" * 40, charts)


def test_the_same_change_in_many_charts_is_shown_once_naming_them_all() -> None:
    result = many_charts(43, alike=True)
    full, comment = to_markdown(result), to_markdown(result, 60_000, "https://ci.example/run/1")
    assert len(full) > 60_000 > len(comment)
    assert comment.count("<details>") == 2  # one per environment
    names = ", ".join(f"wf-{i:03d}" for i in range(43))
    assert f"The same change in {names} (shown for wf-000)." in comment
    assert "<details><summary>43 charts · prod: 1 changed</summary>" in comment
    assert comment.count("| wf-") == 86  # the table is whole
    assert "shortened" not in comment


def test_beyond_the_budget_details_are_left_out_last_first_with_a_note() -> None:
    result = many_charts(43, alike=False)
    comment = to_markdown(result, 60_000, "https://ci.example/run/1")
    assert len(comment) <= 60_000
    assert comment.count("| wf-") == 86
    kept = comment.count("<details>")
    assert 0 < kept < 86 and "<details><summary>wf-000 · prod: 1 changed</summary>" in comment
    assert comment.rstrip().endswith(
        f"**This comment is shortened to fit 60,000 characters**: the table is complete; the details "
        f"of {86 - kept} of 86 changes are left out. The full report: "
        "[https://ci.example/run/1](https://ci.example/run/1)."
    )
    assert "`report.md`" in to_markdown(result, 20_000, "report.md")  # a file name, not a link


def test_the_diff_command_writes_the_full_report_and_refuses_a_link_that_is_no_url(tmp_path: Path) -> None:
    from testing.repo import run_cli

    refused = run_cli("-C", str(tmp_path), "diff", "--base", "main", "--full-report-link", "javascript:x)")
    assert refused.code == 1 and "is not an http(s) URL" in refused.err


def test_documents_both_sides_have_are_left_out_once_each() -> None:
    cm = "# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
    dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {replicas: %d}\n"
    keep = "data: |+\n  kept blank lines\n\n\n"  # a block scalar's trailing lines are its value
    base = f"---\n{cm}---\n{dep % 1}---\n{cm}---\n{keep}"
    head = f"{cm}--- \n{dep % 2}---\n{keep}"  # no leading marker, a marker with a trailing blank
    old, new = differing_documents(base, head)
    assert old == f"---\n{dep % 1}---\n{cm}"  # the ConfigMap twice at base, once at head
    assert new == f"---\n{dep % 2}"
    assert [d["kind"] for d in yaml.safe_load_all(old)] == ["Deployment", "ConfigMap"]
    assert differing_documents(base, base) == ("", "")
    assert differing_documents("", head)[1] == f"---\n{cm}---\n{dep % 2}---\n{keep}"


def test_what_strands_instances_is_reported_and_never_left_out() -> None:
    removed = ChartDiff(
        "orders",
        "changed",
        "1.0.0",
        "2.0.0",
        False,
        [EnvDiff("prod", compare(keyed(config_map(FLOW)), keyed(config_map(FLOW + "x"))))],
        removed=[
            "state 'Wait' removed from workflow 'order' (persisted instances waiting in it cannot resume)"
        ],
        waiting=[
            Waiting(
                "prod", [f"instance i-{n} of 'order' (active) waits in 'Wait'" for n in range(12)], "12 live"
            ),
            Waiting("staging", note="not asked (--data-index staging=URL)"),
        ],
    )
    result = DiffResult("main", "0" * 40, [removed])
    text = to_text(result)
    assert "  removes what persisted instances may need:\n    - state 'Wait' removed" in text
    assert "    staging: not asked (--data-index staging=URL)" in text
    assert "      instance i-9 of 'order' (active) waits in 'Wait'\n      and 2 more" in text
    short = to_markdown(result, budget=1000)
    assert "**orders removes what persisted instances may need** (a major version):" in short
    assert "  - instance i-0 of 'order' (active) waits in 'Wait'" in short
    assert "<details>" not in short  # the object details made way; the removals did not
    assert to_json(result)["charts"][0]["waiting"][1] == {
        "environment": "staging",
        "stranded": [],
        "note": "not asked (--data-index staging=URL)",
        "perState": {},
    }


@pytest.mark.parametrize("pair", ["prod", "prod=", "=http://x", "Prod!=http://x", "prod=ftp://x"])
def test_a_data_index_is_given_as_env_equals_url(pair: str) -> None:
    with pytest.raises(UserError, match="give ENV=URL"):
        data_indexes([pair])
    assert data_indexes(["prod=http://127.0.0.1:8180", "staging=https://di.example"]) == {
        "prod": "http://127.0.0.1:8180",
        "staging": "https://di.example",
    }


def test_a_changed_workflow_is_drawn_above_the_details_and_made_way_for_last() -> None:
    from chartgen.graph.build import graph_of
    from chartgen.graph.merge import merged

    flows = Path(__file__).resolve().parent.parent / "graphs"
    base, head = (yaml.safe_load((flows / f"{side}.sw.yaml").read_text()) for side in ("base", "head"))
    chart = ChartDiff(
        "payments",
        "changed",
        "1.0.0",
        "2.0.0",
        False,
        [EnvDiff("prod", compare(keyed(config_map(FLOW)), keyed(config_map(FLOW + "x"))))],
        removed=["state 'LegacyAudit' removed from workflow 'payment'"],
        waiting=[
            Waiting("prod", ["instance i-1 …"], "1 live", {"payment": {"LegacyAudit": 1}}, answered=True),
            Waiting("staging", note="not asked (--data-index staging=URL)"),
            Waiting("dev", note="the Data Index at http://di answered HTTP 500 (Server Error)"),
            Waiting("test", note="0 instances would be stranded", answered=True),
        ],
        graphs=[merged(graph_of("payment", base), graph_of("payment", head))],
    )
    result = DiffResult("main", "0" * 40, [chart])
    full = to_markdown(result)
    summary = "<details><summary>payments · workflow payment: 1 added, 1 removed, 1 changed</summary>"
    assert summary in full and "```mermaid\nflowchart TD\n" in full
    assert full.index(summary) < full.index("<details><summary>payments · prod:")
    assert "- prod: waiting in removed states: 1 in 'LegacyAudit'" in full
    assert "- staging: not asked (--data-index staging=URL)" in full
    # a Data Index that failed says so; only one that answered can say nothing waits
    assert "- dev: the Data Index at http://di answered HTTP 500 (Server Error)" in full
    assert "- test: no instance waits in a removed state" in full
    graph_only = to_markdown(result, budget=len(full) - 10)  # the details no longer fit
    assert summary in graph_only and "<details><summary>payments · prod:" not in graph_only
    assert "the details of 1 of 1 changes are left out" in graph_only
    nothing = to_markdown(result, budget=1000)
    assert "the details of 1 of 1 changes and 1 of 1 workflow graphs are left out" in nothing
    assert to_json(result)["charts"][0]["graphs"][0]["nodes"][0]["key"] == "start"
