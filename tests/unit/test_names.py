"""Kubernetes-safe names: normalisation, length limits, collisions, overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chartgen.errors import Diagnostics, Location
from chartgen.plan import assign_names, project_names
from chartgen.profile.loader import load_profiles
from chartgen.workflow.loader import load_workflows
from chartgen.workflow.model import WorkflowSet
from chartgen.workflow.names import MAX_NAME, NameRegistry, dns_name, is_valid_name
from chartgen.workflow.validate import validate
from testing.trees import GREETING, PROFILES_BASIC, build_tree

HASHED = re.compile(r"^[a-z][-a-z0-9]*-[0-9a-f]{8}$")


def flow(wf_id: str) -> str:
    return GREETING.replace("id: greeting", f"id: {wf_id}")


def load(base: Path) -> WorkflowSet:
    diag = Diagnostics()
    wset = load_workflows(base, diag)
    assert diag.errors == []
    return wset


# -- dns_name -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ticketEscalation", "ticket-escalation"),
        ("TicketEscalation", "ticket-escalation"),
        ("order_approval", "order-approval"),
        ("order.approval", "order-approval"),
        ("order approval", "order-approval"),
        ("Ticket_Escalation.v2", "ticket-escalation-v2"),
        ("v2Beta", "v2-beta"),
        ("ORDERS", "orders"),
        ("a__b..c  d--e", "a-b-c-d-e"),
        ("-_leading and trailing_-", "leading-and-trailing"),
        ("02_advanced", "wf-02-advanced"),
        ("7", "wf-7"),
        ("_9lives", "wf-9lives"),
        ("", "wf"),
        ("!!!", "wf"),
        ("___", "wf"),
        ("日本", "wf"),
        ("greeting", "greeting"),
    ],
)
def test_dns_name(raw: str, expected: str) -> None:
    assert dns_name(raw) == expected
    assert is_valid_name(dns_name(raw))


def test_long_name_is_cut_with_hash_suffix() -> None:
    raw = "averyveryverylongworkflowprojectname_" * 3
    name = dns_name(raw)
    assert len(name) <= MAX_NAME
    assert HASHED.match(name)
    assert name.startswith("averyveryverylongworkflowprojectname-averyve")
    assert is_valid_name(name)
    assert dns_name(raw) == name  # stable across calls


def test_long_names_with_same_prefix_stay_distinct() -> None:
    prefix = "shared-prefix-" * 5
    first, second = dns_name(prefix + "one"), dns_name(prefix + "two")
    assert first != second
    assert first[:-9] == second[:-9]
    assert HASHED.match(first) and HASHED.match(second)


def test_long_names_normalising_alike_stay_distinct() -> None:
    a = dns_name("fooBar" * 12)
    b = dns_name("foo-bar" * 12)
    assert a != b
    assert is_valid_name(a) and is_valid_name(b)


def test_name_at_limit_is_kept() -> None:
    exact = "a" * MAX_NAME
    assert dns_name(exact) == exact
    assert len(dns_name("a" * (MAX_NAME + 1))) == MAX_NAME


def test_cut_never_leaves_double_dash() -> None:
    # the cut point falls right after a '-': it is not kept before the hash
    raw = "a" * 43 + "-" + "b" * 20
    name = dns_name(raw)
    assert "--" not in name
    assert is_valid_name(name)


ODD = [
    "",
    "-",
    "0",
    "9" * 80,
    "_" * 80,
    "A" * 80,
    "a-" * 40,
    "-a" * 40,
    "x.y_z w",
    "ÄÖÜ straße",
    "emoji 🎉 flow",
    "tab\tand\nnewline",
    "CamelCaseWithNumbers123AndMore",
    "a" * 44 + "_" * 20 + "b",
    "wf-" * 30,
    "%prod.quarkus.http.port",
    "../specs/api.yaml",
    "traffic violation.sw.json",
]


@pytest.mark.parametrize("raw", ODD)
def test_every_output_is_a_valid_name(raw: str) -> None:
    name = dns_name(raw)
    assert is_valid_name(name), name
    assert len(name) <= MAX_NAME


# -- is_valid_name ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "a1", "a-1", "order-approval", "a" * MAX_NAME])
def test_valid_names(name: str) -> None:
    assert is_valid_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "1a", "-a", "a-", "A", "a_b", "a.b", "a b", "a" * (MAX_NAME + 1)],
)
def test_invalid_names(name: str) -> None:
    assert not is_valid_name(name)


def test_trailing_newline_is_not_a_valid_name() -> None:
    assert not is_valid_name("custom\n")


# -- NameRegistry -------------------------------------------------------------------------------


def test_registry_reports_two_owners_of_one_name() -> None:
    diag = Diagnostics()
    names = NameRegistry("chart", diag)
    first_at = Location("a.yaml", 2, 3)
    second_at = Location("b.yaml", 4, 5)
    assert names.claim("orders", "project 'a'", lambda: first_at)
    assert names.claim("other", "project 'c'")
    assert not names.claim("orders", "project 'b'", lambda: second_at)

    [err] = diag.errors
    assert "'orders'" in err.message
    assert "project 'a'" in err.message and "project 'b'" in err.message
    assert str(first_at) in err.message
    assert err.location == second_at


def test_registry_same_owner_twice_is_fine() -> None:
    diag = Diagnostics()
    names = NameRegistry("chart", diag)
    assert names.claim("orders", "project 'a'")
    assert names.claim("orders", "project 'a'")
    assert diag.items == []


# -- assign_names (plan level) ------------------------------------------------------------------


def test_assign_names_normalises_project_folders(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "ticketEscalation/t.sw.yaml": flow("t"),
            "02_advanced/a.sw.yaml": flow("a"),
            "group/Order Approval/o.sw.yaml": flow("o"),
        },
    )
    wset = load(base)
    diag = Diagnostics()
    names = assign_names(project_names(wset), {}, "repo", [], diag)

    assert diag.items == []
    assert names == {
        "02_advanced": "wf-02-advanced",
        "group/Order Approval": "order-approval",
        "ticketEscalation": "ticket-escalation",
    }


def test_projects_normalising_to_one_chart_name_are_an_error(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "team-a/order_approval/x.sw.yaml": flow("x"),
            "team-b/order-approval/y.sw.yaml": flow("y"),
        },
    )
    wset = load(base)
    diag = Diagnostics()
    assign_names(project_names(wset), {}, "repo", [], diag)

    [err] = diag.errors
    assert "'order-approval'" in err.message
    assert "team-a/order_approval" in err.message
    assert "team-b/order-approval" in err.message


def test_workflow_ids_normalising_to_one_name_in_a_project_are_an_error(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {"p/fooBar.sw.yaml": flow("fooBar"), "p/foo-bar.sw.yaml": flow("foo-bar")},
    )
    diag = Diagnostics()
    wset = load_workflows(base, diag)
    validate(wset, diag)

    [err] = diag.errors
    assert "'foo-bar'" in err.message
    assert "workflow 'fooBar'" in err.message
    assert "workflow 'foo-bar'" in err.message
    # located at the id of the second one met (files are read in name order)
    assert err.location == Location("wf/p/fooBar.sw.yaml", 1, 5)


def test_chart_name_override_is_used(tmp_path: Path) -> None:
    base = build_tree(
        tmp_path / "wf",
        {
            "team-a/order_approval/x.sw.yaml": flow("x"),
            "team-b/order-approval/y.sw.yaml": flow("y"),
        },
    )
    wset = load(base)
    diag = Diagnostics()
    names = assign_names(project_names(wset), {"team-a/order_approval": "custom"}, "repo", [], diag)

    assert diag.items == []
    assert [names[p.rel] for p in wset.projects] == ["custom", "order-approval"]


def test_override_colliding_with_another_project_is_an_error(tmp_path: Path) -> None:
    base = build_tree(tmp_path / "wf", {"a/x.sw.yaml": flow("x"), "b/y.sw.yaml": flow("y")})
    wset = load(base)
    diag = Diagnostics()
    assign_names(project_names(wset), {"b": "a"}, "repo", [], diag)

    [err] = diag.errors
    assert "project 'a'" in err.message and "project 'b'" in err.message


@pytest.mark.parametrize("bad", ["Custom", "custom_chart", "1custom", "custom-", "c" * 54, ""])
def test_invalid_override_is_an_error(tmp_path: Path, bad: str) -> None:
    base = build_tree(tmp_path / "wf", {"orders/x.sw.yaml": flow("x")})
    wset = load(base)
    diag = Diagnostics()
    names = assign_names(project_names(wset), {"orders": bad}, "repo", [], diag)

    [err] = diag.errors
    assert f"'{bad}'" in err.message
    assert "'orders'" in err.message
    assert names.get("orders") in (None, "orders")  # never the invalid name


def test_override_with_trailing_newline_is_an_error(tmp_path: Path) -> None:
    base = build_tree(tmp_path / "wf", {"orders/x.sw.yaml": flow("x")})
    wset = load(base)
    diag = Diagnostics()
    assign_names(project_names(wset), {"orders": "custom\n"}, "repo", [], diag)
    assert len(diag.errors) == 1


def test_project_named_like_the_dev_chart_is_an_error(tmp_path: Path) -> None:
    build_tree(tmp_path, PROFILES_BASIC)
    diag = Diagnostics()
    profiles = load_profiles(tmp_path / "profiles", diag)
    assert diag.errors == []
    base = build_tree(tmp_path / "wf", {"repo_dev/x.sw.yaml": flow("x")})
    wset = load(base)

    assign_names(project_names(wset), {}, "Repo", profiles, diag)

    [err] = diag.errors
    assert "'repo-dev'" in err.message
    assert "dev profile 'dev'" in err.message
    assert "project 'repo_dev'" in err.message


def test_dev_profile_alone_is_fine(tmp_path: Path) -> None:
    build_tree(tmp_path, PROFILES_BASIC)
    diag = Diagnostics()
    profiles = load_profiles(tmp_path / "profiles", diag)
    base = build_tree(tmp_path / "wf", {"orders/x.sw.yaml": flow("x")})
    wset = load(base)

    names = assign_names(project_names(wset), {}, "repo", profiles, diag)
    assert diag.errors == []
    assert names == {"orders": "orders"}
