"""The static tier's import rules beyond import-linter's layers: no import cycle anywhere in
chartgen/, and the modules that drive other programs or services each stay in their room.

    python scripts/check_imports.py        (exit 1, one line per problem)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "chartgen"
# Third-party or standard modules that only one package of chartgen may import.
ROOMS = {
    "subprocess": "chartgen.tools",  # programs run through tools/ (runner, processes, reaper)
    "git": "chartgen.version",  # GitPython: the repository, the base, tags
    "hvac": "chartgen.vault",
    "kubernetes": "chartgen.tools",
}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(chartgen modules, other top-level modules) `path` imports, at any depth of the file."""
    ours, others = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.split(".")[0] != "chartgen":
                others.add(name.split(".")[0])
            elif name in known:
                ours.add(name)
    return ours, others


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def main() -> int:
    known = modules()
    graph: dict[str, set[str]] = {}
    problems = []
    for name, path in known.items():
        ours, others = imports(path, known)
        # A package's own __init__ re-exporting its modules is no cycle of theirs.
        graph[name] = {m for m in ours if m != name and not name.startswith(m + ".")}
        for module, room in ROOMS.items():
            if module in others and not (name == room or name.startswith(room + ".")):
                shown = path.relative_to(PACKAGE.parent)
                problems.append(f"{shown}: imports {module}, which only {room} may")
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
