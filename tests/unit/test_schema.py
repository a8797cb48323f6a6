"""The typed models: one declaration gives the check, the JSON Schema and the descriptions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Literal, get_args

import pytest

from chartgen.profile.model import PolicyRule, ProfileSettings
from chartgen.profile.rbac import refusals
from chartgen.schema.check import Checker, load
from chartgen.schema.json_schema import model_schema
from chartgen.schema.spec import Rule, docs, dump, value
from chartgen.values.model import MIN_REPLICAS, ProductionValues
from chartgen.values.types import PodLabels, Tolerations


@dataclass(kw_only=True)
class Inner:
    size: Annotated[int, Rule(minimum=1)] = value("How big", 1)


@dataclass(kw_only=True)
class Outer:
    name: Annotated[str, Rule(pattern=r"^[a-z]+$", expected="lowercase letters")] = value("The name")
    kind: Literal["a", "b"] | None = value("Which kind", None)
    inner: Inner | None = value("Nested", None)
    dashed: int | None = value("A key that is not a Python name", None, key="dashed-key")


def test_load_builds_the_model_and_locates_every_problem() -> None:
    instance, problems = load(
        Outer, {"name": "ok", "kind": "b", "inner": {"size": 3}, "dashed-key": 2}, "doc"
    )
    assert problems == [] and instance == Outer(name="ok", kind="b", inner=Inner(size=3), dashed=2)
    _, problems = load(
        Outer, {"name": "Bad", "kind": "c", "inner": {"size": 0, "sise": 1}, "extra": None}, "doc"
    )
    assert [(p.message, p.at, p.key) for p in problems] == [
        ("unknown key 'extra' in doc (known keys: dashed-key, inner, kind, name)", ("extra",), True),
        ("'name' must be lowercase letters; got 'Bad'", ("name",), False),
        ("'kind' must be one of a, b; got 'c'", ("kind",), False),
        ("unknown key 'sise' in 'inner' (did you mean 'size'?) (known keys: size)", ("inner", "sise"), True),
        ("'inner.size' must be at least 1; got 0", ("inner", "size"), False),
    ]
    _, problems = load(Outer, {"kind": None}, "doc")
    assert [p.message for p in problems] == ["'name' is required", "'kind' must be one of a, b; got None"]


def test_an_instance_is_checked_as_its_dump_would_be_loaded() -> None:
    wrong = [
        Outer(name="Bad", kind="c", inner=Inner(size=0)),  # type: ignore[arg-type]
        Outer(name=None, inner=Inner(size="3")),  # type: ignore[arg-type]
        ProductionValues(
            replicaCount=0,
            podLabels={"bad key!": "x", "ok": "y"},
            tolerations=[{"key": "a"}, "not a mapping"],  # type: ignore[list-item]
        ),
        ProductionValues(replicaCount=2),
    ]
    for instance in wrong:
        walked = Checker("values")
        walked.check_instance(instance)
        _, loaded = load(type(instance), dump(instance), "values")
        assert walked.problems == loaded
    assert len(walked.problems) == 0 and len(loaded) == 0  # the last one is right
    assert all(len(load(type(i), dump(i), "values")[1]) > 0 for i in wrong[:-1])


def test_json_schema_and_descriptions_come_from_the_same_declaration() -> None:
    schema = model_schema(Outer)
    assert schema["required"] == ["name"] and schema["additionalProperties"] is False
    assert schema["properties"]["name"] == {
        "description": "The name",
        "type": "string",
        "pattern": "^[a-z]+$",
    }
    assert schema["properties"]["inner"]["properties"]["size"]["minimum"] == 1
    assert "dashed-key" in schema["properties"]
    assert docs(Outer)[("inner", "size")] == "How big"
    assert dump(Outer(name="x", inner=Inner())) == {"name": "x", "inner": {"size": 1}}


def test_profiles_and_values_share_one_schema_for_shared_settings() -> None:
    """Tolerations, pod labels, ... mean the same thing, with the same words, in both."""
    profile, values = model_schema(ProfileSettings), model_schema(ProductionValues)
    for key in ("tolerations", "affinity", "priorityClassName", "podLabels", "podAnnotations", "nodeSelector",
                "resources", "properties", "env"):  # fmt: skip
        assert profile["properties"][key] == values["properties"][key], key
    assert values["properties"]["tolerations"]["description"] == get_args(Tolerations)[1].doc
    assert values["properties"]["podLabels"]["description"] == get_args(PodLabels)[1].doc


def test_every_value_of_the_charts_is_described() -> None:
    undocumented = [".".join(path) for path, doc in docs(ProductionValues).items() if not doc]
    assert undocumented == []


def test_scaling_bound_lives_in_one_place() -> None:
    schema = model_schema(ProductionValues)
    assert schema["properties"]["autoscaling"]["properties"]["minReplicas"]["minimum"] == MIN_REPLICAS
    templates = resources.files("chartgen") / "templates"
    assert not any(
        f"{MIN_REPLICAS}" in line and "minReplicas" in line
        for tpl in ("production/templates/_production.tpl", "production/templates/hpa.yaml")
        for line in (templates / tpl).read_text().splitlines()
    )


@pytest.mark.parametrize(
    ("resources", "verbs"),
    [
        (["secrets"], ["get"]),
        (["*"], ["get"]),
        (["*/exec"], ["create"]),
        (["*/attach"], ["get"]),
        (["*/portforward"], ["create"]),
        (["*/token"], ["create"]),
        (["pods"], ["create"]),
        (["pods"], ["*"]),
        (["deployments"], ["patch"]),
        (["serviceaccounts/token"], ["create"]),
        (["rolebindings"], ["create"]),
        (["configmaps"], ["impersonate"]),
    ],
)
def test_grants_are_refused_as_the_api_server_would_match_them(
    resources: list[str], verbs: list[str]
) -> None:
    rule = PolicyRule(apiGroups=["", "apps"], resources=resources, verbs=verbs)
    assert refusals(rule)
    assert json.dumps(model_schema(ProductionValues)).count("kubernetesApi") == 0  # not a value at all


@pytest.mark.parametrize(
    ("resources", "verbs"),
    [
        (["pods", "pods/log"], ["get", "list", "watch"]),
        (["configmaps"], ["create", "update"]),
        (["*/status"], ["get"]),
    ],
)
def test_harmless_grants_pass(resources: list[str], verbs: list[str]) -> None:
    assert refusals(PolicyRule(apiGroups=[""], resources=resources, verbs=verbs)) == []
