"""Real public workflow repositories (tests/corpus, vendored with their sources).

Every valid project loads and its charts pass `chartgen lint`; the known-invalid files
fail with located messages; the exclusions below are justified by asserting the
problem they avoid.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from chartgen.charts.chart import GeneratedChart
from chartgen.tools.helm import Helm
from chartgen.verify.lint import values_files
from testing.invariants import platform_problems, production_problems
from testing.repo import CRDS, REPO, run_cli
from testing.variants import VARIANTS, make_variant

CORPUS = REPO / "tests" / "corpus"  # vendored: tests/corpus/SOURCES.md
pytestmark = pytest.mark.corpus

INVALID = {
    "serverlessworkflow__sdk-java/utils/src/test/resources/start/workflowwithnostate.yml": [
        "workflowwithnostate.yml:1:1: error: workflow 'finalizeCollegeApplication' has no states",
    ],
    "serverlessworkflow__sdk-java/utils/src/test/resources/start/workflowwithstartnotspecified.yml": [
        "workflowwithstartnotspecified.yml:1:1: error: workflow 'finalizeCollegeApplication' has no 'start' state",
    ],
    "serverlessworkflow__sdk-java/api/src/test/resources/features/keepactiveexectimeout.json": [
        "keepactiveexectimeout.json:13:3: error: workflow 'keepactiveexectimeout' has no states",
    ],
    "apache__incubator-kie-kogito-serverless-operator/api/v1alpha08/testdata/invalid.sw.json": [
        "invalid.sw.json:1:1: error: workflow 'invalid' has no states",
    ],
    "apache__incubator-kie-kogito-serverless-operator/api/v1alpha08/testdata/sonataflow-invalid.yaml": [
        "sonataflow-invalid.yaml:27:9: error: workflow 'invalid' has no states",
    ],
    "apache__incubator-kie-kogito-serverless-operator/workflowproj/testdata/workflows/workflow-minimal-invalid.sw.json": [
        "workflow-minimal-invalid.sw.json:1:1: error: workflow 'workflow-minimal-invalid' has no 'start' state",
        "workflow-minimal-invalid.sw.json:1:1: error: workflow has no 'id'",
    ],
}


@dataclass(frozen=True)
class Repo:
    folder: str
    charts: int  # production charts + one dev chart
    exclude: tuple[str, ...] = ()
    # What the exclusions avoid, asserted below: (glob excluded, message without it).
    because: tuple[tuple[str, str], ...] = ()


EXAMPLES = "serverless-workflow-examples/serverless-workflow-"
JAVA = "calls Java code (service:java:org.kie.kogito.examples."
REPOS = [
    Repo(
        "apache__incubator-kie-kogito-examples",
        11,
        # Projects the runtime chartgen builds cannot build (the differential test checks the
        # verdicts against SonataFlow itself): Java classes the repository's Maven projects hold,
        # Kafka channels and Avro events.
        exclude=tuple(
            EXAMPLES + p
            for p in (
                "callback-quarkus",
                "error-quarkus",
                "events-quarkus",
                "saga-quarkus",
                "oauth2-orchestration-quarkus/currency-exchange-workflow",
            )
        ),
        because=(
            (EXAMPLES + "callback-quarkus", JAVA + "PrintService::printKogitoProcessId)"),
            (EXAMPLES + "error-quarkus", JAVA + "EvenService::isEven)"),
            (EXAMPLES + "events-quarkus", "channel 'applicants' uses connector 'smallrye-kafka'"),
            (
                EXAMPLES + "saga-quarkus",
                "calls Java code (service:org.kie.kogito.examples.StockService::reserveStock)",
            ),
            (
                EXAMPLES + "oauth2-orchestration-quarkus/currency-exchange-workflow",
                "calls Java code (service:org.kie.kogito.examples.ExchangeWorkflowHelper::validateInputs)",
            ),
        ),
    ),
    Repo(
        "apache__incubator-kie-kogito-serverless-operator",
        4,
        exclude=(
            "**/invalid.sw.json",
            "**/workflow-minimal-invalid.sw.json",
            "test/e2e/testdata/platform",
            "**/camel.sw.json",
        ),
        because=(
            (
                "test/e2e/testdata/platform",
                "'04-sonataflow_callbackstatetimeouts.sw.yaml' differs between project "
                "'test/e2e/testdata/platform/services/gitops/knative/platform-level-broker/sonataflow'",
            ),
            (
                "**/camel.sw.json",
                "dataInputSchema 'camel.sw.schema.json' of workflow 'camel-custom-function' is not a file",
            ),
        ),
    ),
    Repo(
        "redhat-developer__rhdh-local",
        0,
        exclude=("orchestrator/workflow-examples",),
        because=(
            (
                "orchestrator/workflow-examples",
                "'quarkus.openapi-generator.github_openapi_json.auth.bearerAuth.bearer-token' reads ${GITHUB_TOKEN}, "
                "which nothing provides, and the runtime reads it at start-up",
            ),
        ),
    ),
    Repo(
        "rhdhorchestrator__orchestrator-demo",
        6,
        exclude=("08_kafka_events",),
        because=(("08_kafka_events", "channel 'lock-event-with-inputs' uses connector 'smallrye-kafka'"),),
    ),
    Repo(
        "rhdhorchestrator__serverless-workflows",
        2,
        exclude=(
            "workflows/experimentals",
            "workflows/escalation",
            *(
                f"workflows/{p}"
                for p in ("create-ocp-project", "greeting", "move2kube", "mta-v7.x", "python")
            ),
        ),
        because=(
            (
                "workflows/experimentals",
                "workflows/fail-switch/src/main/resources/specs/httpbin.yaml:1:1: error: "
                "'specs/httpbin.yaml' differs between project 'workflows/experimentals/subflow' (",
            ),
            (
                "workflows/escalation",
                "'quarkus.openapi-generator.jira_yaml.auth.basicAuth.username' reads ${JIRA_USERNAME}, which nothing "
                "provides, and the runtime reads it at start-up",
            ),
            # Their output schemas refer to ../shared/schemas, a folder the repository's build copies in.
            *(
                (
                    f"workflows/{p}",
                    "$ref '../shared/schemas/workflow-result-schema.json' is not a file of the project",
                )
                for p in ("create-ocp-project", "greeting", "move2kube", "mta-v7.x", "python")
            ),
        ),
    ),
    # Its workflows are parser fixtures without the *.sw.* suffix the runtime loads.
    Repo("serverlessworkflow__sdk-java", 0),
]


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("profiles") / "profiles"
    shutil.copytree(REPO / "examples" / "profiles", target)
    return target


@pytest.fixture(scope="module")
def variant_profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("variant-profiles")
    return {name: make_variant(root, name) / "profiles" for name in VARIANTS}


def generate(repo: Repo, profiles: Path, out: Path, exclude: tuple[str, ...]) -> tuple[int, str]:
    args = ["generate", "--workflows", str(CORPUS / repo.folder), "--profiles", str(profiles)]
    args += ["--out", str(out), "--name", "corpus"]
    for pattern in exclude:
        args += ["--exclude", pattern]
    result = run_cli(*args)
    return result.code, result.err


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "sonataflow-1.36"])
@pytest.mark.parametrize("repo", REPOS, ids=[r.folder for r in REPOS])
def test_repository_generates_and_lints(
    repo: Repo, variant: str, variant_profiles: dict[str, Path], tmp_path: Path, helm_binary: Path
) -> None:
    """Every secrets provider and runtime: helm lint, strict schemas, and the CRDs."""
    code, err = generate(repo, variant_profiles[variant], tmp_path / "charts", repo.exclude)
    assert code == 0, err
    assert " error: " not in err
    charts = sorted(p.name for p in (tmp_path / "charts").glob("*/Chart.yaml"))
    platform = variant.startswith("platform") and repo.charts > 0  # a repository with charts gets a platform
    assert len(charts) == repo.charts + platform, charts
    if repo.charts:
        result = run_cli("lint", "--charts", str(tmp_path / "charts"), "--crds", str(CRDS))
        assert result.code == 0, result.out
        assert "✖" not in result.out
        assert ": 0 violations, 0 exceptions" in result.out  # the policies too (policies/)
        assert "not checked" not in result.out  # every custom resource checked against its CRD
        problems = []
        for chart in (p for p in (tmp_path / "charts").iterdir() if p.is_dir()):
            if "production" not in (chart / "Chart.yaml").read_text():
                continue
            facts = yaml.safe_load((chart / "files/chartgen-data.yaml").read_text())
            for values in values_files(GeneratedChart.at(chart)):
                rendered = Helm(helm_binary).template(
                    chart.name, chart, [values] if values else [], "1.34", "wf"
                )
                objects = [d for d in yaml.safe_load_all(rendered.stdout) if d]
                check = platform_problems if facts["kind"] == "platform" else production_problems
                problems += [
                    f"{chart.name} {values.name if values else ''}: {p}"
                    for p in check(objects, facts, values.stem.removeprefix("values-") if values else "")
                ]
        assert problems == []


@pytest.mark.parametrize("repo", [r for r in REPOS if r.because], ids=lambda r: r.folder)
def test_exclusions_avoid_a_real_problem(repo: Repo, profiles: Path, tmp_path: Path) -> None:
    for pattern, message in repo.because:
        others = tuple(p for p in repo.exclude if p != pattern)
        code, err = generate(repo, profiles, tmp_path / "charts", others)
        assert code == 1
        assert message in err


@pytest.mark.parametrize("path", sorted(INVALID))
def test_known_invalid_files_fail_located(path: str) -> None:
    result = run_cli("validate", "--workflows", str(CORPUS / path))
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if not line.startswith("chartgen:")]
    errors = [line.rsplit("/", 1)[-1] for line in lines if ": error: " in line]
    assert errors == INVALID[path]
