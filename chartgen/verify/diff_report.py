"""The diff result as text (a terminal, a CI log), Markdown (a pull request comment) and JSON.

Names, environments and error messages come from the repository: in Markdown they are written
with HTML entities for the characters that would make a table cell, a link, emphasis or HTML
of them, and every block of content is fenced with more backticks than it holds, so nothing
in a chart can close its fence or change the comment's layout. Control characters are escaped
where the text is printed (cli/output.py).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from chartgen.graph.merge import counts
from chartgen.graph.render import as_json, mermaid
from chartgen.verify.objects_diff import ChartDiff, DiffResult, EnvDiff, ObjectChange, Waiting

DEV_ONLY = "Only the dev chart changes: nothing changes in production environments."
NO_CHANGES = "No chart changes."
MAX_FIELDS = 8  # listed per object in a summary line; the diff has them all
MAX_STRANDED = 10  # instances listed per environment; the count says how many
DEFAULT_COMMENT_BUDGET = 60_000  # characters: GitHub refuses comments over 65,536
_SIGN = {"added": "+", "removed": "-", "changed": "~"}
LINK = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+")  # no spaces, brackets or parentheses
_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>|`*_[]\\#~@"}  # @: no mention of anyone


def version_text(c: ChartDiff) -> str:
    if c.base_version is None and c.head_version is None:
        return "(Chart.yaml not read)"
    if c.status == "new":
        return f"new chart {c.head_version}"
    if c.status == "removed":
        return f"removed chart (was {c.base_version})"
    if c.base_version == c.head_version:
        return f"{c.head_version} (version unchanged)"
    return f"{c.base_version} → {c.head_version}"


def rolls_text(env: EnvDiff) -> str:
    return f"yes ({', '.join(env.rolls)})" if env.rolls else "no"


def fields_text(o: ObjectChange) -> str:
    shown = o.fields[:MAX_FIELDS]
    more = len(o.fields) - len(shown)
    return ", ".join(shown) + (f", and {more} more" if more else "")


# --- text ----------------------------------------------------------------------------------


def to_text(result: DiffResult) -> str:
    lines: list[str] = []
    for c in result.charts:
        lines.append(f"{c.chart} {version_text(c)}{' (dev chart)' if c.dev else ''}")
        if c.error:
            lines.append(f"  error: {c.error}")
        for env in c.environments:
            lines += _env_text(env)
        lines += _removed_text(c)
    lines.append(_summary(result))
    return "\n".join(lines)


def _env_text(env: EnvDiff) -> list[str]:
    head = f"  {env.environment}:" + (f" {env.note}" if env.note else "")
    if env.error:
        return [head, *(f"    error: {line}" for line in env.error.splitlines() or [""])]
    if not env.objects:
        return [f"{head} no change in the rendered objects"]
    lines = [head]
    for o in env.objects:
        lines.append(f"    {_SIGN[o.change]} {o.key}" + (f" ({fields_text(o)})" if o.fields else ""))
        if o.workload:
            lines.append(f"      rolls pods: {'yes (' + ', '.join(o.rolls) + ')' if o.rolls else 'no'}")
        lines += [f"      {line}" for line in o.diff.splitlines()]
    return lines


def _removed_text(c: ChartDiff) -> list[str]:
    if not c.removed:
        return []
    lines = ["  removes what persisted instances may need:", *(f"    - {r}" for r in c.removed)]
    for w in c.waiting:
        lines.append(f"    {w.environment}: {w.note}")
        lines += [f"      {line}" for line in _listed(w.stranded)]
    return lines


def _listed(lines: list[str]) -> list[str]:
    """At most MAX_STRANDED lines, and how many more."""
    more = len(lines) - MAX_STRANDED
    return lines[:MAX_STRANDED] + ([f"and {more} more"] if more > 0 else [])


def _summary(result: DiffResult) -> str:
    if not result.charts:
        return NO_CHANGES
    failed = sum(1 for c in result.charts if c.errors)
    count = len(result.charts)
    text = f"{count} chart{'s' if count != 1 else ''} changed since {result.base} ({result.commit[:12]})"
    if failed:
        text += f"; {failed} could not be rendered"
    return text + (f"\n{DEV_ONLY}" if result.dev_only else "")


# --- Markdown ------------------------------------------------------------------------------


def md(text: str) -> str:
    """Text as Markdown that shows exactly that text, in a table cell or in HTML."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text.replace("\r", " ").replace("\n", " "))


def code(text: str) -> str:
    """An inline code span `text` cannot close (its delimiter is longer than any backtick run)."""
    text = text.replace("\r", " ").replace("\n", " ")
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fenced(content: str, info: str = "") -> str:
    """A fenced code block that `content` cannot close: its fence is longer than any run of
    backticks inside."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{content}\n{fence}"


def to_markdown(result: DiffResult, budget: int | None = None, full_report: str = "") -> str:
    """The PR comment. With a `budget` (characters), the same change in several charts is shown
    once, naming them all, and details are left out last-first to fit, with a note saying so
    and where the full report is (`full_report`); the table is always whole."""
    out = ["## chartgen diff", ""]
    if not result.charts:
        return "\n".join([*out, NO_CHANGES, ""])
    out += [f"Compared with {md(result.base)} (merge-base {md(result.commit[:12])}).", ""]
    if result.dev_only:
        out += [DEV_ONLY, ""]
    out += [
        "| Chart | Version | Environment | Added | Changed | Removed | Rolls pods |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for c in result.charts:
        out += _rows(c)
    out.append("")
    if budget is None:
        for c in result.charts:
            out += _errors(c) + _removed_markdown(c)
            out += [line for block in _graph_blocks(c) for line in block]
            for env in c.environments:
                out += _details(c, env)
        return "\n".join(out)
    for c in result.charts:  # errors and what strands instances are never left out
        out += _errors(c) + _removed_markdown(c)
    graphs = [block for c in result.charts for block in _graph_blocks(c)]
    return _within(out, graphs, _grouped_details(result), budget, full_report)


def _link(where: str) -> str:
    """A web address as a link (it holds nothing that could end one: cli/diff.py checks), else
    a file name as code."""
    return f"[{md(where)}]({where})" if LINK.fullmatch(where) else code(where)


def _grouped_details(result: DiffResult) -> list[list[str]]:
    """One details block per distinct change: charts whose objects change alike in an
    environment (the same lines, but for their names) share one block naming them all."""
    groups: dict[tuple[str, str], list[tuple[ChartDiff, EnvDiff]]] = {}
    for c in result.charts:
        for env in c.environments:
            if env.objects:
                text = "\n".join(_details(c, env)[1:])  # without the summary line naming the chart
                alike = _HASH.sub("#", text.replace(c.chart, "\0"))  # checksums differ chart to chart
                groups.setdefault((env.environment, alike), []).append((c, env))
    blocks = []
    for members in groups.values():
        c, env = members[0]
        block = _details(c, env)
        if len(members) > 1:
            names = ", ".join(md(m.chart) for m, _ in members)
            block[0] = block[0].replace(f"{md(c.chart)} · ", f"{len(members)} charts · ", 1)
            block[2:2] = [f"The same change in {names} (shown for {md(c.chart)}).", ""]
        blocks.append(block)
    return blocks


def _within(
    head: list[str], graphs: list[list[str]], details: list[list[str]], budget: int, full_report: str
) -> str:
    """`head` and as many blocks as fit in `budget` characters, with a note on the rest: the
    workflow graphs first, then the details; details are left out last-first, then graphs."""
    text = "\n".join(head)
    blocks = [*graphs, *details]
    kept = list(blocks)
    note = ""
    while kept and len(text) + sum(len("\n".join(b)) + 1 for b in kept) + len(note) > budget:
        kept.pop()
        left_details = len(details) - max(0, len(kept) - len(graphs))
        left_graphs = len(graphs) - min(len(kept), len(graphs))
        parts = [f"the details of {left_details} of {len(details)} changes"] * bool(left_details)
        parts += [f"{left_graphs} of {len(graphs)} workflow graphs"] * bool(left_graphs)
        where = f" The full report: {_link(full_report)}." if full_report else ""
        note = (
            f"**This comment is shortened to fit {budget:,} characters**: the table is complete; "
            f"{' and '.join(parts)} are left out.{where}"
        )
    lines = [line for block in kept for line in block]
    return "\n".join([*head, *lines, *([note, ""] if note else [])])


def _graph_blocks(c: ChartDiff) -> list[list[str]]:
    """Each workflow the chart changes, drawn with its base (Mermaid), in a collapsible block;
    under it, the live instances waiting in each removed state, per environment asked."""
    blocks = []
    for graph in c.graphs:
        states = counts(graph)
        shown = ", ".join(f"{states[k]} {k}" for k in ("added", "removed", "changed") if states[k])
        title = f"{c.chart} · workflow {graph.workflow}: {shown or 'transitions changed'}"
        block = [
            f"<details><summary>{md(title)}</summary>",
            "",
            fenced(mermaid(graph).rstrip("\n"), "mermaid"),
            "",
        ]
        if states["removed"]:
            block += [f"- {md(w.environment)}: {md(_waiting_in(w, graph.workflow))}" for w in c.waiting]
            block += [""] * bool(c.waiting)
        blocks.append([*block, "</details>", ""])
    return blocks


def _waiting_in(waiting: Waiting, workflow: str) -> str:
    if not waiting.answered:
        return waiting.note  # not asked, or why the Data Index could not tell
    found = waiting.per_state.get(workflow, {})
    if found:
        return "waiting in removed states: " + ", ".join(f"{n} in '{s}'" for s, n in sorted(found.items()))
    return "no instance waits in a removed state"


def _rows(c: ChartDiff) -> list[str]:
    name, version = md(c.chart), md(version_text(c)) + (" (dev)" if c.dev else "")
    if c.error:
        return [f"| {name} | {version} | — | — | — | — | error: not rendered |"]
    rows = []
    for env in c.environments:
        where = md(env.environment) + (f" ({md(env.note)})" if env.note else "")
        if env.error:
            rows.append(f"| {name} | {version} | {where} | — | — | — | error: not rendered |")
            continue
        counts = " | ".join(str(env.count(k)) for k in ("added", "changed", "removed"))
        rows.append(f"| {name} | {version} | {where} | {counts} | {md(rolls_text(env))} |")
    return rows


def _errors(c: ChartDiff) -> list[str]:
    out = []
    for env, error in [("", c.error)] + [(e.environment, e.error) for e in c.environments]:
        if error:
            where = f" ({md(env)})" if env else ""
            out += [f"**Error in {md(c.chart)}{where}:**", "", fenced(error, "text"), ""]
    return out


def _removed_markdown(c: ChartDiff) -> list[str]:
    if not c.removed:
        return []
    out = [f"**{md(c.chart)} removes what persisted instances may need** (a major version):", ""]
    out += [f"- {md(r)}" for r in c.removed]
    for w in c.waiting:
        out.append(f"- {md(w.environment)}: {md(w.note)}")
        out += [f"  - {md(line)}" for line in _listed(w.stranded)]
    return [*out, ""]


def _details(c: ChartDiff, env: EnvDiff) -> list[str]:
    if not env.objects:
        return []
    counts = ", ".join(f"{env.count(k)} {k}" for k in ("added", "changed", "removed") if env.count(k))
    out = [f"<details><summary>{md(c.chart)} · {md(env.environment)}: {counts}</summary>", ""]
    for o in env.objects:
        line = f"- `{_SIGN[o.change]}` {code(o.key)}"
        if o.fields:
            line += ": " + ", ".join(code(f) for f in o.fields[:MAX_FIELDS])
            line += f", and {len(o.fields) - MAX_FIELDS} more" if len(o.fields) > MAX_FIELDS else ""
        if o.rolls:
            line += f" — rolls pods: {md(', '.join(o.rolls))}"
        out.append(line)
    diffs = [o.diff for o in env.objects if o.diff]
    if diffs:
        out += ["", fenced("\n".join(diffs), "diff")]
    return [*out, "", "</details>", ""]


# --- JSON ----------------------------------------------------------------------------------


def to_json(result: DiffResult) -> dict[str, Any]:
    data = _camel(dataclasses.asdict(result))
    for chart, shown in zip(result.charts, data["charts"], strict=True):
        shown["graphs"] = [as_json(g) for g in chart.graphs]
        for waiting, listed in zip(chart.waiting, shown["waiting"], strict=True):
            listed["perState"] = waiting.per_state  # names of the workflows: never re-cased
            del listed["answered"]  # the note says it
    data["ok"] = result.ok
    data["devOnly"] = result.dev_only
    return dict(data)


def _camel(data: Any) -> Any:
    if isinstance(data, dict):
        return {re.sub(r"_([a-z])", lambda m: m[1].upper(), k): _camel(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_camel(v) for v in data]
    return data
