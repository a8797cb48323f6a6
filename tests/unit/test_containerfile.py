"""The CI image recipe (packaging/Containerfile), checked here since no image can be built here:
parsed with dockerfile-parse, its rules checked one by one, and its digest guard run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from testing.repo import REPO

CONTAINERFILE = REPO / "packaging" / "Containerfile"
PACKAGE_SH = REPO / "scripts" / "package.sh"


def instructions(path: Path = CONTAINERFILE) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return [i for i in DockerfileParser(fileobj=f).structure if i["instruction"] != "COMMENT"]


def stages(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    found: list[list[dict[str, Any]]] = []
    for item in items:
        if item["instruction"] == "FROM":
            found.append([])
        if found:
            found[-1].append(item)
    return found


def problems(items: list[dict[str, Any]]) -> list[str]:
    """What the recipe must never do, each a rule of its own."""
    found = []
    header = [
        i
        for i in items
        if i["instruction"] == "ARG" and not any(j["instruction"] == "FROM" for j in items[: items.index(i)])
    ]
    base_args = {i["value"].split("=")[0]: i["value"] for i in header}
    for stage in stages(items):
        image = stage[0]["value"].split()[0]
        argument = re.fullmatch(r"\$\{(\w+)\}", image)
        if argument is None:
            if "@sha256:" not in image:
                found.append(f"line {stage[0]['startline'] + 1}: base image {image} is not pinned by digest")
            continue
        name = argument.group(1)
        if "=" in base_args.get(name, ""):
            found.append(f"{name} has a default: a build without --build-arg would use it unchecked")
        guard = [
            i
            for i in stage
            if i["instruction"] == "RUN" and f'case "${name}" in *@sha256:*) ;;' in i["value"]
        ]
        if not guard:
            found.append(f"the stage FROM ${{{name}}} does not refuse an image without a digest")
    for item in items:
        line, value = item["startline"] + 1, item["value"]
        if item["instruction"] == "ADD":
            found.append(f"line {line}: ADD (fetches or unpacks): use COPY")
        if re.search(r"\b(curl|wget)\b", value):
            found.append(f"line {line}: downloads outside the pinned toolchain and hash-pinned pip")
        if ":latest" in value:
            found.append(f"line {line}: a :latest tag")
        if "pip install" in value and not all(
            flag in value for flag in ("--require-hashes", "--no-deps", "--only-binary :all:")
        ):
            found.append(f"line {line}: pip install without --require-hashes --no-deps --only-binary :all:")
    users = [i["value"].split(":")[0] for i in stages(items)[-1] if i["instruction"] == "USER"]
    if not users or users[-1] in ("root", "0") or not users[-1].isdigit():
        found.append("the image does not end as a numeric non-root USER")
    return found


def test_the_recipe_breaks_no_rule() -> None:
    assert problems(instructions()) == []


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        (
            "FROM ${PYTHON_IMAGE}",
            "FROM python:3.12-slim",
            "base image python:3.12-slim is not pinned by digest",
        ),
        (
            "ARG GO_IMAGE\nARG PYTHON_IMAGE",
            "ARG GO_IMAGE=golang:1.26\nARG PYTHON_IMAGE",
            "GO_IMAGE has a default",
        ),
        ("USER 10001:10001", "USER root", "numeric non-root USER"),
        ("--require-hashes ", "", "pip install without --require-hashes"),
        ("COPY toolchain.sh", "ADD toolchain.sh", "ADD (fetches or unpacks)"),
        ('RUN case "$GO_IMAGE"', 'RUN echo "$GO_IMAGE"', "FROM ${GO_IMAGE} does not refuse"),
    ],
)
def test_each_rule_refuses_a_broken_recipe(tmp_path: Path, old: str, new: str, complaint: str) -> None:
    text = CONTAINERFILE.read_text()
    assert old in text
    broken = tmp_path / "Containerfile"
    broken.write_text(text.replace(old, new, 1))
    assert any(complaint in p for p in problems(instructions(broken))), problems(instructions(broken))


def test_the_digest_guard_refuses_a_tag_and_passes_a_digest() -> None:
    guard = next(
        i["value"] for i in instructions() if i["instruction"] == "RUN" and '"$GO_IMAGE"' in i["value"]
    )
    for image, code in (("golang:1.26", 1), ("golang:1.26@sha256:" + "0" * 64, 0)):
        done = subprocess.run(
            ["bash", "-c", guard], env={"GO_IMAGE": image, "PATH": "/usr/bin:/bin"}, capture_output=True
        )
        assert done.returncode == code, (image, done.stderr)


def test_the_recipe_copies_only_what_package_sh_puts_beside_it() -> None:
    copied = [
        i["value"].split()[:-1]
        for i in instructions()
        if i["instruction"] == "COPY" and "--from" not in i["value"]
    ]
    sources = {source for sources in copied for source in sources}
    assert sources == {"toolchain.sh", "chartgen-requirements.txt", "chartgen-*-py3-none-any.whl"}
    script = PACKAGE_SH.read_text()
    assert "cp packaging/Containerfile scripts/toolchain.sh" in script
    assert "chartgen-requirements.txt" in script and "python -m build" in script


def test_the_image_builds_the_tools_chartgen_runs() -> None:
    built = next(
        i["value"] for i in instructions() if i["instruction"] == "RUN" and "chartgen-toolchain" in i["value"]
    )
    assert set(built.split("&&")[0].split()[2:]) == {"helm", "opa", "kube", "etcd", "kwok"}
