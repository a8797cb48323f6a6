"""From a pull request to production, for real: a repository made by `chartgen init` with a
bare git `origin`, a real OCI registry on 127.0.0.1, a real OpenBao and the local control
plane. Every step's effect is checked on the registry, the git tags and the cluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.tools.kwok import Cluster
from chartgen.tools.locate import find_tool
from chartgen.verify.lifecycle import install_crds
from testing.e2e import api_server
from testing.openbao import OpenBao
from testing.registry import Registry
from testing.repo import CRDS, CliResult, pinned_requirements, replace_placeholders, run_cli

pytestmark = pytest.mark.e2e

STAGING, PROD = "flow-staging", "flow-prod"
IMAGE = "sha256:" + "c0ffee" * 10 + "cafe"
REFUSE_POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: flow-e2e-refuse-marked}
spec:
  failurePolicy: Fail
  matchConstraints:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: flow-staging}}
    resourceRules:
      - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
    - expression: >-
        !has(object.spec.template.metadata.annotations) ||
        !('e2e/refuse' in object.spec.template.metadata.annotations)
      message: this cluster refuses pods marked e2e/refuse
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: flow-e2e-refuse-marked}
spec: {policyName: flow-e2e-refuse-marked, validationActions: [Deny]}
"""
GREETER = """\
id: greeter
version: "1.0.0"
specVersion: "0.8"
name: Greeter
description: Greets with a token kept in Vault.
start: Greet
secrets: [greeter_token]
functions:
  - name: log
    type: custom
    operation: sysout
states:
  - name: Greet
    type: operation
    actions:
      - name: logGreeting
        functionRef:
          refName: log
          arguments:
            message: "${ \\"token of length \\" + ($SECRET.greeter_token | length | tostring) }"
    end: true
"""


class Flow:
    """The workflows repository and the clusters' state, as a pipeline sees them."""

    def __init__(self, repo: Path, cluster: Cluster, registry: str, deployer: Path) -> None:
        self.repo, self.cluster, self.registry, self.deployer = repo, cluster, registry, deployer

    def cli(self, *args: str) -> CliResult:
        result = run_cli("-C", str(self.repo), *args)
        assert "Traceback" not in result.out + result.err
        return result

    def ok(self, *args: str) -> str:
        result = self.cli(*args)
        assert result.code == 0, f"chartgen {' '.join(args)}:\n{result.out}{result.err}"
        return result.out

    def deploy(self, env: str, *args: str) -> CliResult:
        """`chartgen deploy` as the CI deployer identity (the charts' deployer Role only)."""
        return self.cli("deploy", "--env", env, "--kubeconfig", str(self.deployer), *args)

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.repo, capture_output=True, text=True, check=True)
        return done.stdout

    def helm(self, *args: str) -> Any:
        binary = find_tool("helm")
        argv = [str(binary), *args, "--kubeconfig", str(self.cluster.kubeconfig), "-o", "json"]
        return json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)

    def release(self, name: str, namespace: str) -> tuple[int, str, str]:
        """(revision, chart version, image digest) of the release's current revision."""
        meta = self.helm("get", "metadata", name, "-n", namespace)
        values = self.helm("get", "values", name, "-n", namespace)
        return int(meta["revision"]), str(meta["version"]), str((values.get("image") or {}).get("digest", ""))

    def last_status(self, name: str, namespace: str) -> str:
        return str(self.helm("history", name, "-n", namespace)[-1]["status"])

    def registry_versions(self, name: str) -> set[str]:
        host, path = self.registry.removeprefix("oci://").split("/", 1)
        import urllib.request

        with urllib.request.urlopen(f"http://{host}/v2/{path}/{name}/tags/list", timeout=10) as answer:
            return set(json.load(answer).get("tags") or [])

    def remote_tags(self) -> set[str]:
        lines = self.git("ls-remote", "--tags", "origin").splitlines()
        return {line.split("refs/tags/", 1)[1] for line in lines if "^{}" not in line}


def deployer_kubeconfig(cluster: Cluster, folder: Path) -> Path:
    """The cluster's kubeconfig, impersonating the CI identity of the profiles' deployers group."""
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    for user in config["users"]:
        user["user"]["as"] = "ci-deployer"
        user["user"]["as-groups"] = ["workflow-deployers"]
    path = folder / "deployer.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def make_repository(tmp_path: Path) -> Path:
    """`chartgen init --ci github`, two workflow projects, our namespaces; pushed to a bare origin."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    repo = tmp_path / "acme-flows"
    lock = pinned_requirements(tmp_path)
    assert run_cli("init", str(repo), "--ci", "github", "--requirements", str(lock)).code == 0
    replace_placeholders(repo)
    for env, namespace in (("staging", STAGING), ("prod", PROD)):
        profile = repo / "profiles" / f"{env}.yaml"
        profile.write_text(
            profile.read_text().replace(f"namespace: workflows-{env}", f"namespace: {namespace}")
        )
    (repo / "workflows" / "greeter").mkdir()
    (repo / "workflows" / "greeter" / "greeter.sw.yaml").write_text(GREETER)
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "flow@example.invalid"],
        ["config", "user.name", "flow"],
        ["remote", "add", "origin", str(origin)],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def test_from_pull_request_to_production(
    cluster: Cluster, registry: Registry, bao: OpenBao, tmp_path: Path
) -> None:
    start = time.monotonic()
    repo = make_repository(tmp_path)
    flow = Flow(repo, cluster, registry.oci("charts"), deployer_kubeconfig(cluster, tmp_path))
    flow.ok("generate")
    flow.git("add", "-A")
    flow.git("commit", "-q", "-m", "two workflows")
    flow.git("push", "-q", "origin", "main")

    # The platform's part, once: namespaces, operators' CRDs, the deployers' first install
    # rights (an admin installs; the charts' deployer Roles cover every upgrade after that).
    kubectl = cluster.kubectl()
    install_crds(kubectl, [CRDS / "vso"])
    for namespace in (STAGING, PROD):
        kubectl.run(["create", "namespace", namespace])
    kubectl.apply_server_side(REFUSE_POLICY, "default", "flow-e2e")
    admin = ["--kubeconfig", str(cluster.kubeconfig)]

    os.environ.update(VAULT_ADDR=bao.address, VAULT_TOKEN=bao.root_token)
    try:
        host, ca = api_server(cluster.kubeconfig)
        ca_file = tmp_path / "kubernetes-ca.pem"
        ca_file.write_text(ca)
        flow.ok(
            "vault", "apply", "--enable-mounts", "--kubernetes-host", host, "--kubernetes-ca", str(ca_file)
        )
        plan = json.loads(flow.ok("vault", "plan", "--format", "json"))
        assert {(p["chart"], p["environment"]) for p in plan} == {("greeter", "staging"), ("greeter", "prod")}
        root = bao.client()
        for p in plan:
            secret = p["secret"]
            root.secrets.kv.v2.create_or_update_secret(
                secret["path"], {k: "not-a-real-token" for k in secret["keys"]}, mount_point=secret["mount"]
            )

        # Release v1 and deploy it to staging and prod (first installs: the platform admin).
        out = flow.ok("release", "--to", flow.registry)
        assert flow.registry_versions("hello-world") == {"0.1.0"} == flow.registry_versions("greeter")
        assert {"hello-world-0.1.0", "greeter-0.1.0"} <= flow.remote_tags()
        # A Helm user installs straight from the registry, naming only the environment: the
        # API server accepts it, rendered as the unpacked chart with its values file renders.
        helm = [str(find_tool("helm")), "--kubeconfig", str(cluster.kubeconfig)]
        remote = [f"{flow.registry}/greeter", "--version", "0.1.0", "--plain-http", "-n", PROD]
        by_name = subprocess.run([*helm, "install", "greeter", *remote, "--set", "environment=prod",
                                  "--dry-run=server"], capture_output=True, text=True)  # fmt: skip
        assert by_name.returncode == 0, by_name.stderr
        unpacked = repo / "charts" / "greeter"
        by_file = subprocess.run([*helm, "install", "greeter", str(unpacked), "-n", PROD,
                                  "-f", str(unpacked / "values-prod.yaml"), "--dry-run=server"],
                                 capture_output=True, text=True)  # fmt: skip
        assert by_file.returncode == 0, by_file.stderr
        manifest = by_name.stdout[by_name.stdout.index("MANIFEST:") :]
        assert manifest == by_file.stdout[by_file.stdout.index("MANIFEST:") :]
        assert "kind: Deployment" in manifest
        for env, namespace in (("staging", STAGING), ("prod", PROD)):
            out = flow.ok("deploy", "--env", env, "--version-from", flow.registry, *admin)
            assert "2 installed" in out, out
            for chart in ("hello-world", "greeter"):
                assert flow.release(chart, namespace) == (1, "0.1.0", "")

        # A pull request changes one workflow; its PR stage passes and names only that chart.
        flow.git("checkout", "-q", "-b", "change-greeting")
        hello = repo / "workflows" / "hello-world" / "hello-world.sw.yaml"
        hello.write_text(hello.read_text().replace("Hello, world!", "Hello, flow!"))
        flow.ok("generate")
        flow.ok("version", "bump", "--base", "main")
        flow.git("add", "-A")
        flow.git("commit", "-q", "-m", "a warmer greeting")
        for stage in (
            ["validate"],
            ["generate", "--check"],
            ["lint"],
            ["version", "check", "--base", "main"],
        ):
            flow.ok(*stage)
        diff = flow.ok("diff", "--base", "main", "--format", "markdown", "--env", "staging", "--env", "prod")
        assert "hello-world" in diff and "greeter" not in diff
        new = yaml.safe_load((repo / "charts" / "hello-world" / "Chart.yaml").read_text())["version"]
        assert new != "0.1.0"

        # Merge; main's release pushes only the changed chart.
        flow.git("checkout", "-q", "main")
        flow.git("merge", "-q", "--ff-only", "change-greeting")
        flow.git("push", "-q", "origin", "main")
        out = flow.ok("release", "--to", flow.registry)
        assert flow.registry_versions("hello-world") == {"0.1.0", new}
        assert flow.registry_versions("greeter") == {"0.1.0"}
        assert f"hello-world-{new}" in flow.remote_tags()

        # The image stage pushed hello-world's runtime: deploy staging as the deployer identity.
        digests = tmp_path / "digests"
        digests.mkdir()
        (digests / "hello-world.digest").write_text(IMAGE + "\n")
        result = flow.deploy("staging", "--version-from", flow.registry, "--image-digests", str(digests))
        assert result.code == 0, result.out + result.err
        assert "vault check: 1 charts ready in Vault" in result.out
        assert flow.release("hello-world", STAGING) == (2, new, IMAGE)
        assert flow.release("greeter", STAGING) == (1, "0.1.0", "")  # untouched
        assert flow.release("hello-world", PROD) == (1, "0.1.0", "")

        # A broken upgrade (the cluster refuses its Deployment) rolls back; deploy exits 1.
        values = repo / "charts" / "hello-world" / "values-staging.yaml"
        good = values.read_text()
        values.write_text(good + 'podAnnotations:\n  e2e/refuse: "true"\n')
        result = flow.deploy("staging", "--chart", "hello-world")
        assert result.code == 1 and "rolled back" in result.out, result.out
        revision, version, image = flow.release("hello-world", STAGING)
        assert (revision, version, image) == (4, new, IMAGE) and flow.last_status(
            "hello-world", STAGING
        ) == "deployed"

        # helm killed mid-upgrade leaves the release pending-upgrade: promote refuses it, the
        # next deploy recovers it.
        values.write_text(good + 'nodeSelector:\n  e2e/no-such-node: "true"\n')
        hung = subprocess.Popen(
            [sys.executable, "-m", "chartgen", "-C", str(repo), "deploy", "--env", "staging",
             "--chart", "hello-world", "--kubeconfig", str(flow.deployer)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while flow.last_status("hello-world", STAGING) != "pending-upgrade":
            assert time.monotonic() < deadline and hung.poll() is None, "no pending-upgrade revision"
            time.sleep(0.2)
        os.killpg(hung.pid, signal.SIGKILL)
        hung.wait()
        values.write_text(good)
        refused = flow.cli(
            "promote", "--from", "staging", "--to", "prod", "--registry", flow.registry, *admin
        )
        assert refused.code == 1 and "its last revision is pending-upgrade" in refused.err, refused.err
        assert flow.release("hello-world", PROD) == (1, "0.1.0", "")
        result = flow.deploy("staging")
        assert result.code == 0, result.out + result.err
        assert "revision 5 was pending-upgrade: rolled back to revision 4" in result.out
        assert flow.release("hello-world", STAGING) == (6, new, IMAGE)

        # A hand edit in staging: drift names it, promote refuses to copy it, deploy repairs it.
        kubectl.run(["set", "image", "deploy/hello-world", "workflow=evil.example.com/x:1", "-n", STAGING])
        kubectl.run(["delete", "networkpolicy", "hello-world", "-n", STAGING])
        drifted = flow.cli("drift", "--env", "staging", "--kubeconfig", str(flow.deployer))
        assert drifted.code == 1 and "NetworkPolicy/hello-world: missing (the chart has it)" in drifted.out
        assert "evil.example.com/x:1" in drifted.out, drifted.out
        refused = flow.cli(
            "promote", "--from", "staging", "--to", "prod", "--registry", flow.registry, *admin
        )
        assert refused.code == 1 and "hello-world in staging (flow-staging): drifted from its chart" in (
            refused.err
        ), refused.err
        repaired = flow.deploy("staging")
        assert repaired.code == 0 and "hello-world repaired" in repaired.out, repaired.out + repaired.err
        assert flow.release("hello-world", STAGING) == (7, new, IMAGE)
        assert flow.cli("drift", "--env", "staging", "--kubeconfig", str(flow.deployer)).code == 0

        # Promote: prod runs exactly staging's chart versions and image digests.
        out = flow.ok("promote", "--from", "staging", "--to", "prod", "--registry", flow.registry,
                      "--kubeconfig", str(flow.deployer))  # fmt: skip
        assert flow.release("hello-world", PROD) == (2, new, IMAGE)
        assert flow.release("greeter", PROD) == (1, "0.1.0", "")
        assert "1 upgraded, 1 unchanged" in out, out

        # A key missing in Vault blocks a deploy: nothing changes. The skip flag is printed.
        greeter_prod = next(p for p in plan if p["environment"] == "prod")["secret"]
        root.secrets.kv.v2.delete_metadata_and_all_versions(
            greeter_prod["path"], mount_point=greeter_prod["mount"]
        )
        values = repo / "charts" / "greeter" / "values-prod.yaml"
        values.write_text(values.read_text() + "podLabels:\n  team: flow\n")
        blocked = flow.deploy("prod")
        assert blocked.code == 1 and "vault check failed for prod (1 of 1 charts): greeter: no secret" in (
            blocked.out
        ), blocked.out + blocked.err
        assert "greeter refused" in blocked.out and "hello-world unchanged" in blocked.out
        assert flow.release("greeter", PROD) == (1, "0.1.0", "")
        skipped = flow.deploy("prod", "--skip-vault-check")
        assert skipped.code == 0 and "vault check: SKIPPED (--skip-vault-check)" in skipped.out
        assert flow.release("greeter", PROD) == (2, "0.1.0", "")
        for text in (blocked.out, blocked.err, skipped.out):
            assert "not-a-real-token" not in text
    finally:
        for key in ("VAULT_ADDR", "VAULT_TOKEN"):
            os.environ.pop(key, None)
        kubectl.run(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy",
                     "flow-e2e-refuse-marked", "--ignore-not-found"], check=False)  # fmt: skip
        for namespace in (STAGING, PROD):
            kubectl.run(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"], check=False)
    shutil.rmtree(repo / "charts", ignore_errors=True)
    print(f"[e2e] from pull request to production: {time.monotonic() - start:.1f}s")
