"""The differential check: chartgen's verdict on a real project against SonataFlow's own.

For one project folder:

- chartgen: `generate` of that project alone with the examples' profiles. Accepted (exit 0),
  refused (errors), or accepted with a spec or schema the build fetches from the network.
- the runtime, the way each verdict claims:
  - accepted: `chartgen build` of its chart, then its prod environment run as the cluster
    would (`start_runtime`, a throwaway PostgreSQL and Jobs Service when the chart needs them):
    it must answer its startup probe;
  - refused: the project's own files, as they are, built into a SonataFlow 10.0 runtime (the
    extensions chartgen would choose, no persistence) and started with nothing provided: the
    build or the start must fail.

The two agree when accepted = ready and refused = failed. A project needing the network cannot
be judged on a machine without it (its build fetches a spec): it is reported, not judged.
Used by tests/runtime/test_differential.py (a sample) and benchmarks/differential.py (all).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from chartgen.cli.main import main
from chartgen.errors import Diagnostics
from chartgen.flows.build import write_context
from chartgen.flows.run import render_environment
from chartgen.runtime.context import PINNED, build_context
from chartgen.runtime.local import start_runtime
from chartgen.runtime.maven import package
from chartgen.runtime.running import RuntimeFailed
from chartgen.tools.processes import find_java
from chartgen.workflow.discover import discover
from chartgen.workflow.loader import load_workflows, project_rel

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus"
PROFILES = REPO / "examples" / "profiles"
READY_WITHIN = 90.0
NEEDS_NETWORK = "needs the network"


@dataclass(frozen=True)
class Case:
    name: str  # repository folder / project folder
    folder: Path


@dataclass
class Verdicts:
    case: Case
    chartgen: str  # accepted | refused | network
    why: str  # chartgen's first error (refused), or what it fetches (network)
    runtime: str = "not run"  # ready | build failed | start failed | not run
    detail: str = ""  # the runtime's own first error line
    seconds: float = 0.0

    @property
    def agree(self) -> bool | None:
        """None: not judged (the network, or the runtime was not run)."""
        if self.chartgen == "network" or self.runtime == "not run":
            return None
        return (self.chartgen == "accepted") == (self.runtime == "ready")


def cases(corpus: Path = CORPUS) -> list[Case]:
    """Every project of examples/ and of the corpus (each repository's projects as discover
    finds them; sdk-java holds parser fixtures only)."""
    found = [
        Case(f"examples/{p.name}", p)
        for p in sorted((REPO / "examples" / "workflows").iterdir())
        if p.is_dir()
    ]
    for repo in sorted(
        p for p in corpus.iterdir() if p.is_dir() and p.name != "serverlessworkflow__sdk-java"
    ):
        for fp in discover(repo).projects:
            found.append(Case(f"{repo.name}/{project_rel(fp, repo)}", fp.root))
    return found


def chartgen_verdict(case: Case, work: Path) -> tuple[Verdicts, Path | None]:
    """chartgen's verdict, and the chart folder when it generated one."""
    out = work / "charts"
    code, err = _cli("generate", "--workflows", str(case.folder), "--profiles", str(PROFILES),
                     "--out", str(out), "--name", "differential")  # fmt: skip
    errors = [line.split(": error: ", 1)[1] for line in err.splitlines() if ": error: " in line]
    if code != 0:
        return Verdicts(case, "refused", errors[0] if errors else err.strip().splitlines()[-1]), None
    chart = next((c for c in sorted(out.iterdir()) if (c / "values-prod.yaml").is_file()), None)
    remote = [line for line in err.splitlines() if "build needs the network" in line]
    if remote:
        return Verdicts(case, "network", remote[0].split(": warning: ", 1)[-1]), chart
    return Verdicts(case, "accepted", ""), chart


def judge(case: Case, work: Path, run_runtime: bool = True) -> Verdicts:
    start = time.monotonic()
    verdicts, chart = chartgen_verdict(case, work)
    if run_runtime and verdicts.chartgen == "accepted" and chart is not None:
        verdicts.runtime, verdicts.detail = _chartgen_path(chart, work)
    elif run_runtime and verdicts.chartgen == "refused":
        verdicts.runtime, verdicts.detail = _raw_path(case.folder, work)
        if "UnknownHostException" in verdicts.detail:  # it stopped at fetching a spec: no evidence here
            verdicts.chartgen, verdicts.why = "network", f"{verdicts.why} (and its build fetches a spec)"
    verdicts.seconds = time.monotonic() - start
    return verdicts


def _chartgen_path(chart: Path, work: Path) -> tuple[str, str]:
    """`chartgen build` of the chart, then its prod environment started as the cluster would."""
    code, out = _cli(
        "build", "--charts", str(chart.parent), "--out", str(work / "build"), "--chart", chart.name
    )
    if code != 0:
        return "build failed", _first_error(out)
    objects, _ = render_environment(chart, "prod", "1.34")
    app = work / "build" / chart.name / "target/quarkus-app/quarkus-run.jar"
    try:
        with start_runtime(objects, app, prefer=chart.name, timeout_cap=READY_WITHIN):
            return "ready", ""
    except RuntimeFailed as exc:
        return "start failed", _runtime_line(exc.log_tail) or exc.problem


def _raw_path(project: Path, work: Path) -> tuple[str, str]:
    """The project's files as they are, built into a SonataFlow runtime and started bare."""
    context = work / "raw"
    write_context(context, build_context(project.name, raw_chart_files(project), 10001, PINNED))
    built = package(context)
    if not built.ok or built.app is None:
        return "build failed", _runtime_line(built.problems)
    return _start_bare(context, built.app)


def raw_chart_files(project: Path) -> dict[str, bytes]:
    """The project's resource files laid out as a chart carries them, with the facts chartgen's
    build reads to choose extensions (events); no persistence: the runtime keeps state in memory."""
    projects = discover(project).projects
    files: dict[str, bytes] = {}
    if not projects:
        return files
    found = projects[0]
    for path in [*found.workflow_files, *found.asset_files]:
        rel = path.relative_to(found.resources).as_posix()
        folder = (
            "config"
            if "/" not in rel and rel.startswith("application") and rel.endswith(".properties")
            else "resources"
        )
        files[f"files/{folder}/{rel}"] = path.read_bytes()
    wset = load_workflows(project, Diagnostics())
    consumed = sorted({e.type or "" for w in wset.workflows for e in w.consumed_events})
    produced = sorted({e.type or "" for w in wset.workflows for e in w.produced_events})
    if consumed or produced:
        data = {"events": {"consumed": [{"type": t} for t in consumed], "produced": produced}}
        files["files/chartgen-data.yaml"] = yaml.safe_dump(data).encode()
    return files


def _start_bare(context: Path, app: Path) -> tuple[str, str]:
    port = _free_port()
    env = {k: os.environ[k] for k in ("PATH", "JAVA_HOME", "LANG") if k in os.environ}
    log = context / "start.log"
    argv = [
        str(find_java()),
        f"-Dquarkus.http.port={port}",
        "-Dquarkus.http.host=127.0.0.1",
        "-jar",
        str(app),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=context, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    ready = f"http://127.0.0.1:{port}/q/health/ready"
    try:
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline and process.poll() is None:
            with (
                contextlib.suppress(urllib.error.URLError, OSError),
                urllib.request.urlopen(ready, timeout=3) as answer,
            ):
                if answer.status == 200:
                    return "ready", ""
            time.sleep(0.5)
        return "start failed", _runtime_line(log.read_text(errors="replace").splitlines())
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait()


def _runtime_line(lines: list[str]) -> str:
    """The line of a build or start log that says what failed (the cause, not Maven's wrapper)."""
    telling = [line for line in lines if "Failed to execute goal" not in line]
    for marker in ("SRCFG", "Caused by:", "threw an exception", "Exception:", "[ERROR]", "ERROR"):
        for line in telling:
            if marker in line:
                return line.strip()[:300]
    return (lines[-1].strip() if lines else "")[:300]


def _first_error(out: str) -> str:
    return _runtime_line(out.splitlines())


def _cli(*args: str) -> tuple[int, str]:
    """chartgen in this process: (exit code, what it printed)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = main(list(args))
    return code, buffer.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def work_folder(case: Case, root: Path) -> Path:
    """A new folder under `root` for one case's charts and builds."""
    return Path(tempfile.mkdtemp(prefix=case.name.replace("/", "_")[:60] + "-", dir=root))
