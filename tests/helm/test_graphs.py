"""Every graph chartgen draws parses with Mermaid's own parser (the npm package, under Node;
scripts/toolchain.sh mermaid installs it): each workflow of examples/ and the vendored corpus,
merged graphs of random edits of them, a workflow of hostile names, the golden graphs, and the
Mermaid blocks of every golden chart README."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chartgen.errors import Diagnostics
from chartgen.graph.build import graph_of
from chartgen.graph.merge import merged
from chartgen.graph.render import mermaid
from chartgen.tools.locate import cache_dir
from chartgen.workflow.loader import load_workflows
from testing.repo import REPO
from tests.unit.test_graph import HOSTILE, _edit

pytestmark = pytest.mark.helm

PARSER = REPO / "testing" / "mermaid_parse.mjs"
BLOCK = re.compile(r"^```mermaid\n(.*?)\n```$", re.MULTILINE | re.DOTALL)


def _parse(diagrams: dict[str, str]) -> dict[str, str]:
    """name -> Mermaid's error, for each diagram it refuses."""
    modules = cache_dir() / "mermaid"
    node = shutil.which("node")
    if node is None or not (modules / "node_modules" / "mermaid").is_dir():
        if os.environ.get("CI"):
            pytest.fail("mermaid is not installed: scripts/toolchain.sh mermaid must run first")
        pytest.skip("mermaid is not installed (scripts/toolchain.sh mermaid)")
    payload = json.dumps([{"name": k, "text": v} for k, v in diagrams.items()])
    done = subprocess.run(
        [node, "--input-type=module", "-e", PARSER.read_text()],
        cwd=modules,
        input=payload.encode(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    results = json.loads(done.stdout)
    assert len(results) == len(diagrams)
    return {r["name"]: r["error"] for r in results if not r["ok"]}


def _flows(folder: Path) -> dict[str, tuple[str, dict[str, object]]]:
    found = load_workflows(folder, Diagnostics())
    return {str(wf.source.path.relative_to(REPO)): (wf.id, dict(wf.definition)) for wf in found.workflows}


def test_every_graph_chartgen_draws_parses_with_mermaids_own_parser() -> None:
    flows = {**_flows(REPO / "examples" / "workflows"), **_flows(REPO / "tests" / "corpus")}
    diagrams = {path: mermaid(graph_of(wid, flow)) for path, (wid, flow) in flows.items()}
    rng = random.Random(7)
    editable = [(p, wid, flow) for p, (wid, flow) in sorted(flows.items()) if flow.get("states")]
    for i in range(100):
        path, wid, flow = rng.choice(editable)
        diagrams[f"{path} (edit {i})"] = mermaid(merged(graph_of(wid, flow), graph_of(wid, _edit(flow, rng))))
    states = [
        {"name": n, "type": "inject", "transition": HOSTILE[(i + 1) % len(HOSTILE)]}
        for i, n in enumerate(HOSTILE)
    ]
    diagrams["hostile"] = mermaid(graph_of("hostile", {"states": states}))
    diagrams["hostile (merged)"] = mermaid(merged(None, graph_of("hostile", {"states": states})))
    for golden in sorted((REPO / "tests" / "golden" / "graphs").glob("*.mmd")):
        diagrams[str(golden.relative_to(REPO))] = golden.read_text()
    for readme in sorted((REPO / "tests" / "golden").glob("*/*/README.md")):
        for n, block in enumerate(BLOCK.findall(readme.read_text())):
            diagrams[f"{readme.relative_to(REPO)} #{n + 1}"] = block
    assert sum(1 for name in diagrams if "README.md" in name) >= 10
    refused = _parse(diagrams)
    assert not refused, "\n".join(f"{name}: {error}" for name, error in sorted(refused.items())[:5])
    print(f"\n[mermaid] {len(diagrams)} graphs parsed by Mermaid's parser")


def test_the_parser_refuses_what_is_not_mermaid() -> None:
    """The check can fail: a label whose quote is not escaped is refused."""
    assert set(
        _parse({"broken": 'flowchart TD\n  n0["a"b"]\n', "fine": 'flowchart TD\n  n0["a#quot;b"]\n'})
    ) == {"broken"}
