"""`chartgen init`: start a workflows repository (settings, example profiles, one workflow, CI)."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import Any

from chartgen.cli.output import Outcome, Printer, counted
from chartgen.flows.init import CI_TARGETS, InitResult, init_repository
from chartgen.formats.source import display_path

# What each CI system needs before its first run; each file lists the exact names at its top.
_CI_SETUP = {
    "github": "set the variables and secrets listed at the top of each file in .github/workflows/ "
    "(Settings > Secrets and variables > Actions): the chart registry (CHART_REGISTRY) and its "
    "credentials, and per environment (staging, prod) a deployer's kubeconfig and Vault access",
    "gitlab": "set the CI/CD variables listed at the top of .gitlab-ci.yml (Settings > CI/CD > "
    "Variables): the chart registry (CHART_REGISTRY) and its credentials, a token that may push "
    "tags, and per environment scope a deployer's kubeconfig and Vault access (masked)",
    "tekton": "kubectl apply -f .tekton/ in the namespace that runs your pipelines, then start "
    "chartgen-pr on pull requests and chartgen-main after merges (Pipelines-as-Code or Tekton "
    "Triggers; chartgen-promote for prod), binding the params and workspaces each Pipeline "
    "declares: git, registry, kubeconfig and Vault credentials as Secrets",
}


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        parents=parents,
        help="start a workflows repository: chartgen.yaml, example profiles and a CI pipeline",
        description="Write a new workflows repository into DIR: chartgen.yaml, the profiles base, "
        "dev, staging and prod, one hello-world workflow and a .gitignore (and with --ci, the "
        "pipeline). Refuses, writing nothing, when any of these files exists already.",
    )
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="where (default: this folder)")
    p.add_argument(
        "--ci",
        choices=tuple(CI_TARGETS),
        help="also write this CI system's pipeline (github: .github/workflows/, gitlab: "
        ".gitlab-ci.yml, tekton: .tekton/)",
    )
    p.add_argument(
        "--requirements",
        metavar="FILE",
        help="with --ci: the chartgen-requirements.txt released with this chartgen (chartgen and its "
        "dependencies pinned by hash), copied into the repository for the pipelines to install from",
    )
    p.add_argument(
        "--name",
        help="repository name in chartgen.yaml; dev charts are <name>-<env> (default: DIR's folder name)",
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    requirements = Path(args.requirements) if args.requirements else None
    result = init_repository(Path(args.dir), args.name, args.ci, requirements)
    where = display_path(result.root)
    for rel in result.files:
        printer.line(f"✔ {rel}")
    printer.result(
        f"{counted(len(result.files), 'file')} written in {where} (repository name '{result.name}')"
    )
    for step in next_steps(result, where):
        printer.line(step)
    return Outcome(
        {
            "root": str(result.root),
            "name": result.name,
            "files": result.files,
            "ci": result.ci,
            "ciFiles": result.ci_files,
        }
    )


def next_steps(result: InitResult, where: str) -> list[str]:
    steps = ["", "Next steps:"]
    if where != os.curdir:
        steps.append(f"  cd {shlex.quote(where)}")
    steps += [
        "  git init -b main            # unless this folder is in a git repository already",
        "  chartgen generate           # writes charts/: hello-world and the dev chart",
        "  chartgen lint               # real helm, Kubernetes schemas and the policies",
        '  git add -A && git commit -m "Start the workflows repository"',
        "Then edit profiles/*.yaml for your platform (image registry, Vault, namespaces) and add "
        "workflow projects under workflows/.",
    ]
    if result.ci:
        steps.append(f"CI ({result.ci}): {_CI_SETUP[result.ci]}.")
    return steps
