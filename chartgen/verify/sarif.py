"""Policy results as SARIF 2.1.0, the format code-scanning UIs (GitHub, GitLab) read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chartgen import __version__
from chartgen.verify.policy import PolicyResult, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif(results: Sequence[PolicyResult], rules: Sequence[Rule], charts_uri: str) -> dict[str, Any]:
    """One run of tool chartgen: a rule per policy rule, a result per violation (error) and per
    declared exception (note, suppressed with its reason), located at the values file."""
    known = {r.id for r in rules}
    entries: list[dict[str, Any]] = []
    for result in results:
        uri = f"{charts_uri.rstrip('/')}/{result.chart}/{result.values}"
        for f in result.violations:
            entries.append(_result(f.rule, "error", f"{f.object}: {f.message}", uri))
        for f in result.allowed:
            entry = _result(f.rule, "note", f"{f.object}: allowed", uri)
            entry["suppressions"] = [{"kind": "inSource", "justification": f.message}]
            entries.append(entry)
        if result.error:
            entries.append(_result("render", "error", result.error, uri))
    driver_rules = [
        {"id": r.id, "shortDescription": {"text": r.rationale}, "properties": {"file": r.file.name}}
        for r in rules
    ]
    extra = sorted({e["ruleId"] for e in entries} - known)
    driver_rules += [{"id": rule, "shortDescription": {"text": rule}} for rule in extra]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "chartgen", "version": __version__, "rules": driver_rules}},
                "results": entries,
            }
        ],
    }


def _result(rule: str, level: str, text: str, uri: str) -> dict[str, Any]:
    return {
        "ruleId": rule,
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
    }
