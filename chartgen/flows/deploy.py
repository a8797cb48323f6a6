"""`chartgen deploy` and `chartgen promote`: charts onto an environment, checked first.

deploy: each chart of the charts folder that has the environment, either as the working tree
has it or (`--version-from oci://...`) the package released under its version, which must be
the same content. promote: the versions and image digests the source environment's releases
run, pulled from the registry: build once, promote.

Before any helm upgrade, for that environment: `policy check` of exactly the charts about to
be deployed, and `vault check` of every key they read. Either can be skipped only by a flag
the report names. Then each chart is deployed on its own (deploy/upgrade.py); a failed chart
is rolled back and the others still go.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.charts.chart import GeneratedChart
from chartgen.config import Settings
from chartgen.deploy.data_index import ask_through, configured_url
from chartgen.deploy.deployer import Deployer
from chartgen.deploy.preflight import Cluster, Need, preflight
from chartgen.deploy.releases import Workloads, rollout_problem
from chartgen.deploy.stranded import LIVE, instances, stranded, stranding_workflows
from chartgen.deploy.upgrade import DeployResult, Observed, Target, running_images
from chartgen.emit.switch import settled_charts
from chartgen.emit.values_files import merge
from chartgen.errors import ChartgenError, PolicyError, UserError
from chartgen.flows.vault_plan import read_accesses
from chartgen.formats.source import FastLoader, display_path
from chartgen.plan.layout import DATA_FILE, VALUES_FILE
from chartgen.profile.environment import ENV_NAME_RULE, is_env_name
from chartgen.schema.check import did_you_mean
from chartgen.tools import interrupts
from chartgen.tools.helm import Helm, helm_reason
from chartgen.tools.kubectl import Kubectl
from chartgen.tools.opa import Opa
from chartgen.values.types import is_dns_label
from chartgen.vault.check import check_accesses
from chartgen.vault.client import VaultApi, vault_address
from chartgen.verify.lifecycle import ChartUnderTest
from chartgen.verify.policy import MODES, check_policies, rule_sets, rules, violation_line
from chartgen.version.rules import Removal, removals
from chartgen.workflow.names import is_valid_name

IMAGE_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
DIGEST_SUFFIX = ".digest"
MAX_DIGEST_FILE = 1024
OCI_URL = re.compile(r"oci://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._\-/]+)?")


@dataclass(frozen=True)
class Checks:
    """Which pre-deploy checks to skip (each skip is printed), and the Vault to ask."""

    skip_vault: bool = False
    skip_policy: bool = False
    vault_address: str | None = None
    create_namespace: bool = False  # preflight creates a missing namespace (Pod Security labels)
    data_index: str | None = None  # where to ask which instances wait (default: the charts' dataIndex.url)
    allow_stranded: str | None = None  # deploy even when instances would be stranded, and why


@dataclass
class Tools:
    deployer: Deployer  # puts the releases in place (helm on the cluster)
    helm: Helm  # renders charts for the policy check and pulls released ones
    opa: Callable[[], Opa]  # found only when the policy check runs
    vault: Callable[[str], VaultApi]  # connect to an address
    cluster: Cluster | None = None  # kubectl on the target cluster, for the preflight (None: no preflight)
    forward: Kubectl | None = None  # kubectl on the target cluster, to reach an in-cluster Data Index


@dataclass
class DeployReport:
    env: str
    source: str  # the charts folder, or the registry the packages came from
    checks: list[str] = field(default_factory=list)  # one line per pre-deploy check
    results: list[DeployResult] = field(default_factory=list)
    interrupted: str = ""  # the signal that stopped the deploy before its last chart


def check_registry(url: str) -> str:
    """An oci://HOST[:PORT]/PATH without a trailing slash, or a UserError."""
    url = url.rstrip("/")
    if not OCI_URL.fullmatch(url):
        raise UserError(f"'{url}' is not an OCI registry URL like oci://registry.example.com/charts")
    return url


def run_deploy(
    settings: Settings,
    env: str,
    only: Sequence[str],
    registry: str,
    digests_dir: Path | None,
    checks: Checks,
    tools: Tools,
    on_result: Callable[[DeployResult], None] | None = None,
    on_check: Callable[[str], None] | None = None,
) -> DeployReport:
    """Deploy every selected chart that has `env`; `registry` "": from the charts folder."""
    every = settled_charts(settings.out)
    charts = select_charts(every, settings.out, env, only)
    digests = read_image_digests(digests_dir, every) if digests_dir else {}
    with tempfile.TemporaryDirectory(prefix="chartgen-deploy-") as tmp:
        if registry:
            wanted = [(c.name, c.version_fields.version, c.version_fields.digest) for c in charts]
            charts = every = pull_charts(tools.helm, registry, wanted, Path(tmp))
        report = DeployReport(env, registry or display_path(settings.out))
        targets = [make_target(c, env, digests.get(c.name, {})) for c in charts]
        return _checked_deploy(settings, report, (charts, every), targets, checks, tools, on_result, on_check)


def run_promote(
    settings: Settings,
    source_env: str,
    env: str,
    only: Sequence[str],
    registry: str,
    source: Deployer,
    source_kubectl: Workloads,
    checks: Checks,
    tools: Tools,
    on_result: Callable[[DeployResult], None] | None = None,
    on_check: Callable[[str], None] | None = None,
) -> DeployReport:
    """Deploy to `env` the chart version and image digest each chart's release in `source_env`
    runs. Every source release must be healthy, or nothing is deployed."""
    if source_env == env:
        raise UserError(f"--from and --to are both '{env}': promote moves versions between environments")
    local = select_charts(settled_charts(settings.out), settings.out, source_env, only)
    running: list[Running] = []
    problems: list[str] = []
    for chart in local:
        namespace = _namespace(chart, source_env)
        if chart.environment(env) is None:
            problems.append(f"{chart.name}: the chart has no environment '{env}'")
            continue
        found = source_release(source, source_kubectl, chart.name, namespace)
        if isinstance(found, str):
            problems.append(f"{chart.name} in {source_env} ({namespace}): {found}")
        else:
            running.append(found)
    if problems:
        raise UserError("nothing promoted: " + "; ".join(problems))
    with tempfile.TemporaryDirectory(prefix="chartgen-promote-") as tmp:
        wanted = [(r.name, r.version, r.digest) for r in running]
        charts = pull_charts(tools.helm, registry, wanted, Path(tmp))
        images = {r.name: r.images for r in running}
        targets = [make_target(c, env, images[c.name], keep_image=False) for c in charts]
        report = DeployReport(env, f"{source_env} releases, packages from {registry}")
        return _checked_deploy(
            settings, report, (charts, charts), targets, checks, tools, on_result, on_check
        )


@dataclass(frozen=True)
class Running:
    """What a healthy release in the source environment runs."""

    name: str
    version: str
    digest: str  # the chart's chartgen/digest
    images: dict[str, str]  # image section -> the digest it runs (none: by tag)


def source_release(source: Deployer, kubectl: Workloads, name: str, namespace: str) -> Running | str:
    """The release's chart and image, or why it cannot be promoted: no release, its last
    revision is not deployed (failed, pending), its objects drifted from its chart, or its
    Deployments are not rolled out."""
    observed = source.observe(namespace, [name]).get(name)
    if observed is None or observed.release is None:
        return "no release"
    running = observed.release.running
    if running is None:
        return f"not healthy: its last revision is {observed.release.last.status}"
    if observed.drift:
        lines = [d.line() for d in observed.drift]
        return f"drifted from its chart ({len(lines)}): " + "; ".join(lines[:5])
    problem = rollout_problem(kubectl, name, namespace)
    if problem:
        return f"not healthy: {problem}"
    chart = GeneratedChart.of(name, running.files) if running.files else None
    sections = tuple(chart.images.values()) if chart is not None else ("image",)
    return Running(name, running.version, running.digest, running_images(running.values, sections))


def _checked_deploy(
    settings: Settings,
    report: DeployReport,
    charts: tuple[list[GeneratedChart], list[GeneratedChart]],
    targets: list[Target],
    checks: Checks,
    tools: Tools,
    on_result: Callable[[DeployResult], None] | None,
    on_check: Callable[[str], None] | None,
) -> DeployReport:
    """`charts`: those deployed, and every chart of where they come from (Vault roles and paths
    must be unique among all of them)."""
    before = _Before(settings, report.env, *charts, checks, tools)

    def checked(line: str) -> None:
        report.checks.append(line)
        if on_check is not None:
            on_check(line)

    checked(_policy_check(before))
    line, refused = _vault_check(before)
    checked(line)
    preflight_refused = _preflight(before, targets)
    checked(_preflight_line(preflight_refused, tools))
    for name, problems in preflight_refused.items():
        refused.setdefault(name, []).extend(problems)
    observed: dict[str, Observed] = {}
    for namespace in sorted({t.namespace for t in targets}):
        names = [t.name for t in targets if t.namespace == namespace and t.name not in refused]
        observed.update(tools.deployer.observe(namespace, names))
        observed.update(_what_runs(tools.deployer, namespace, [t.name for t in targets if t.name in refused]))
    guard = _stranded_check(before, [t for t in targets if t.name not in refused], observed)
    checked(guard.line)
    for name, problems in guard.refused.items():
        refused.setdefault(name, []).extend(problems)
    with interrupts.forwarding():
        for target in targets:
            if target.name in refused:
                result = _refused(target, refused[target.name], observed.get(target.name))
            else:
                if target.name in guard.allowed:
                    target = dataclasses.replace(target, description=guard.allowed[target.name])
                result = tools.deployer.install_or_upgrade(target, observed.get(target.name, Observed()))
            result.stranded = guard.stranded.get(target.name, [])
            report.results.append(result)
            if on_result is not None:
                on_result(result)
            if interrupts.received():
                report.interrupted = interrupts.received()
                break
    return report


@dataclass
class _Guard:
    line: str
    refused: dict[str, list[str]] = field(default_factory=dict)  # chart -> why it is not deployed
    stranded: dict[str, list[str]] = field(default_factory=dict)  # chart -> the instances, one line each
    allowed: dict[str, str] = field(default_factory=dict)  # chart -> the description its revision records


def _stranded_check(before: _Before, targets: list[Target], observed: dict[str, Observed]) -> _Guard:
    """What each production chart's new version removes from the version its release runs
    (the chart files in Helm's record), and the live instances the Data Index says wait there.
    Such a chart is refused unless --allow-stranded gives a reason, which its revision records;
    so is one whose removals cannot be checked (no Data Index, or none answering)."""
    charts = {c.name: c for c in before.deployed}
    removed: dict[str, list[Removal]] = {}
    for target in targets:
        seen = observed.get(target.name)
        running = seen.release.running if seen and seen.release else None
        chart = charts.get(target.name)
        if chart is not None and chart.mode == "production" and running is not None:
            found = removals(running.files, chart.files)
            if stranding_workflows(found):
                removed[target.name] = found
    if not removed:
        return _Guard("stranded check: no chart removes a workflow, state or event a running version has")
    allow = before.checks.allow_stranded
    record = f"chartgen --allow-stranded: {allow}"
    what = {name: "; ".join(r.describe() for r in found) for name, found in removed.items()}
    try:
        values = {t.name: merge(_base_values(t.chart), t.values) for t in targets if t.name in removed}
        url = before.checks.data_index or configured_url(values, before.env)
        workflows = sorted({w for found in removed.values() for w in stranding_workflows(found)})
        forward = before.tools.forward
        live, url = ask_through(url, workflows, LIVE, (lambda: forward) if forward else None)
    except ChartgenError as exc:
        if allow is not None:
            line = f'stranded check: not asked ({exc}); ALLOWED by --allow-stranded "{allow}"'
            return _Guard(line, allowed=dict.fromkeys(removed, record))
        unknown = "whether an instance waits there is unknown (--allow-stranded REASON deploys anyway)"
        refused = {name: [f"{what[name]}: {unknown}"] for name in removed}
        return _Guard(f"stranded check: {exc}", refused)
    lines = {name: [s.line() for s in stranded(found, live)] for name, found in removed.items()}
    lines = {name: found for name, found in lines.items() if found}
    count = sum(len(found) for found in lines.values())
    if not lines:
        return _Guard(
            f"stranded check: no live instance waits in what {len(removed)} charts remove "
            f"(Data Index at {url})"
        )
    if allow is not None:
        line = f'stranded check: {instances(count)} stranded, ALLOWED by --allow-stranded "{allow}"'
        return _Guard(line, stranded=lines, allowed=dict.fromkeys(lines, record))
    refused = {
        name: [f"{instances(len(found))} would be stranded (--allow-stranded REASON deploys anyway)"]
        for name, found in lines.items()
    }
    return _Guard(
        f"stranded check: {instances(count)} of {len(lines)} charts would be stranded", refused, lines
    )


def _what_runs(deployer: Deployer, namespace: str, names: list[str]) -> dict[str, Observed]:
    """Refused charts' releases, for the report; one this identity may not read shows none."""
    try:
        return deployer.observe(namespace, names) if names else {}
    except ChartgenError:
        return {}


def _preflight(before: _Before, targets: list[Target]) -> dict[str, list[str]]:
    cluster = before.tools.cluster
    if cluster is None:
        return {}
    charts = {c.name: c for c in before.deployed}
    needs = []
    for t in targets:
        data = charts[t.name].data if t.name in charts else None
        environment = data.environments.get(t.env) if data else None
        kinds = environment.kinds if environment else {}
        values = merge(_base_values(t.chart), t.values)
        needs.append(Need(t.name, t.namespace, kinds, values, charts[t.name].mode == "production"))
    return preflight(cluster, needs, before.checks.create_namespace)


def _base_values(chart: Path) -> dict[str, Any]:
    path = chart / VALUES_FILE
    loaded = yaml.load(path.read_bytes(), Loader=FastLoader) if path.is_file() else None
    return loaded if isinstance(loaded, dict) else {}


def _preflight_line(refused: dict[str, list[str]], tools: Tools) -> str:
    if tools.cluster is None:
        return "preflight: not run (no cluster access)"
    if not refused:
        return "preflight: namespaces, kinds, access and values ready"
    return f"preflight: {len(refused)} charts refused: " + "; ".join(
        f"{name}: {problem}" for name, problems in sorted(refused.items()) for problem in problems
    )


def _refused(target: Target, problems: list[str], observed: Observed | None) -> DeployResult:
    """Not deployed: what ran before still runs."""
    result = DeployResult(target.name, target.env, target.namespace, target.version)
    running = observed.release.running if observed and observed.release else None
    if running is not None:
        result.version_from = result.version = running.version
        result.revision_from = result.revision = running.number
    result.result, result.message = "refused", "; ".join(problems)
    return result


# --- choosing and reading charts ---------------------------------------------------------


def select_charts(
    charts: Sequence[GeneratedChart], folder: Path, env: str, only: Sequence[str]
) -> list[GeneratedChart]:
    """The generated `charts` (of `folder`) that have `env`, limited to `only`; a UserError
    names what is not."""
    if not is_env_name(env):
        raise UserError(f"--env '{env}' is not an environment name ({ENV_NAME_RULE})")
    found = {c.name: c for c in charts if c.mode}
    odd = sorted(n for n in found if not is_valid_name(n))  # each becomes a release name, an argument
    if odd:
        raise UserError(f"chart folders that are not chart names (DNS-1035 labels): {', '.join(odd)}")
    unknown = sorted(set(only) - set(found))
    if unknown:
        known = ", ".join(sorted(found)) or "none"
        raise UserError(f"--chart {', '.join(unknown)}: no generated chart of that name (charts: {known})")
    every = {name: [e.name for e in found[name].environments] for name in sorted(set(only) or found)}
    chosen = [found[name] for name, environments in every.items() if env in environments]
    if not chosen:
        names = sorted({e for environments in every.values() for e in environments})
        raise UserError(
            f"no chart in {display_path(folder)} has the environment '{env}'{did_you_mean(env, names)} "
            f"(environments: {', '.join(names) or 'none'})"
        )
    return chosen


def _namespace(chart: GeneratedChart, env: str) -> str:
    environment = chart.environment(env)
    namespace = environment.namespace if environment else ""
    if not is_dns_label(namespace):
        raise UserError(f"{chart.shown}/{DATA_FILE}: '{namespace}' is not a namespace name ({env})")
    return namespace


def make_target(
    chart: GeneratedChart, env: str, images: Mapping[str, str], keep_image: bool = True
) -> Target:
    """What deploying `chart` to `env` means, read from the chart's own plan; `images`: image
    section -> the digest to run."""
    tested = ChartUnderTest.read(chart, env)
    values_files = (tested.values,) if tested.values else ()
    values: dict[str, Any] = {}
    for path in values_files:
        loaded = yaml.load(path.read_bytes(), Loader=FastLoader)
        values = merge(values, loaded if isinstance(loaded, dict) else {})
    fields = chart.version_fields
    return Target(
        chart.name, env, _namespace(chart, env), tested.path, values_files, values, fields.version,
        fields.digest, tested.wait_seconds, dict(images), tuple(chart.images.values()), keep_image,
    )  # fmt: skip


def read_image_digests(folder: Path, charts: Sequence[GeneratedChart]) -> dict[str, dict[str, str]]:
    """`<image>.digest` files (the image stage writes one per build context it pushed, named
    like it: a workflow chart's, or a platform service's): chart -> {image section:
    sha256:...}. A file naming no image of `charts`, or holding anything but one digest, is an
    error: a typo must not deploy an image by tag. A chart not deployed now ignores its file."""
    owners = {image: (c.name, section) for c in charts for image, section in c.images.items()}
    if not folder.is_dir():
        raise UserError(f"--image-digests {folder}: no such folder")
    digests: dict[str, dict[str, str]] = {}
    problems = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.name.endswith(DIGEST_SUFFIX):
            continue
        name = path.name.removesuffix(DIGEST_SUFFIX)
        if not is_valid_name(name) or name not in owners:
            problems.append(f"{display_path(path)}: '{name}' is not an image of this repository's charts")
            continue
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_DIGEST_FILE:
            problems.append(f"{display_path(path)}: not a small regular file")
            continue
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if not IMAGE_DIGEST.fullmatch(text):
            problems.append(f"{display_path(path)}:1:1: not an image digest like sha256:<64 hex digits>")
            continue
        chart, section = owners[name]
        digests.setdefault(chart, {})[section] = text
    if problems:
        raise UserError("; ".join(problems))
    return digests


def pull_charts(
    helm: Helm, registry: str, wanted: Sequence[tuple[str, str, str]], into: Path
) -> list[GeneratedChart]:
    """Each (name, version, digest) from `registry`, unpacked under `into`; the released chart
    must carry `digest` (the content the working tree or the source release has)."""
    charts, problems = [], []
    for name, version, digest in wanted:
        ref = f"{registry}/{name}"
        done = helm.pull(ref, version, into, untar=True)
        if not done.ok:
            problems.append(f"{name} {version}: cannot pull {ref}: {helm_reason(done)}")
            continue
        chart = GeneratedChart.at(into / name)
        released = chart.version_fields.digest
        if digest and released != digest:
            problems.append(
                f"{name} {version} in {registry} has other content than the chart deployed from "
                f"(digest {released or 'none'}, expected {digest}): bump the version and release it"
            )
            continue
        charts.append(chart)
    if problems:
        raise UserError("; ".join(problems))
    return charts


# --- the checks before any upgrade ---------------------------------------------------------


@dataclass(frozen=True)
class _Before:
    """What the checks before any upgrade look at."""

    settings: Settings
    env: str
    deployed: list[GeneratedChart]
    every: list[GeneratedChart]  # every chart of where the deployed ones come from
    checks: Checks
    tools: Tools


def _policy_check(before: _Before) -> str:
    """The deployed charts' `env`, rendered and judged by the rules (no other chart is rendered)."""
    if before.checks.skip_policy:
        return "policy check: SKIPPED (--skip-policy-check)"
    tools, kube = before.tools, before.settings.kube_version
    results = check_policies(before.deployed, tools.helm, tools.opa(), kube, [before.env])
    broken = [f"{r.chart} {r.values}: does not render: {r.error}" for r in results if r.error]
    if broken:
        raise UserError("nothing deployed: " + "; ".join(broken))
    known = {rule.id: rule for mode in MODES for rule in rules(rule_sets(mode))}
    violations = [violation_line(f"{r.chart} {r.values}", v, known) for r in results for v in r.violations]
    if violations:
        raise PolicyError(f"nothing deployed: {len(violations)} policy violations: " + "; ".join(violations))
    allowed = sum(len(r.allowed) for r in results)
    return f"policy check: {len(results)} charts pass ({allowed} exceptions)"


def _vault_check(before: _Before) -> tuple[str, dict[str, list[str]]]:
    """The check line, and chart -> what its pods would miss in Vault (those are not deployed)."""
    if before.checks.skip_vault:
        return "vault check: SKIPPED (--skip-vault-check)", {}
    env = before.env
    production = [c.name for c in before.deployed if c.mode == "production"]
    if not production:
        return "vault check: no production chart", {}
    prefix = before.settings.vault_prefix
    accesses = [a for a in read_accesses(before.every, (), production, prefix) if a.env == env]
    if not accesses:
        return "vault check: no chart reads Vault", {}
    api = before.tools.vault(vault_address(before.checks.vault_address, accesses, "--vault-address"))
    refused = {c.access.chart: c.lines() for c in check_accesses(api, accesses) if not c.ok}
    if refused:
        shown = "; ".join(f"{chart}: {line}" for chart, lines in sorted(refused.items()) for line in lines)
        return f"vault check failed for {env} ({len(refused)} of {len(accesses)} charts): {shown}", refused
    return (
        f"vault check: {len(accesses)} charts ready in Vault at {api.address} (auth, role, policy, keys)",
        {},
    )
