"""validate: the rules a workflow project must satisfy before any chart is made.

Each rule is one function, so each can be tested (and read) on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from chartgen.errors import Diagnostics, Location
from chartgen.workflow.model import Function, Project, Ref, State, Workflow, WorkflowSet
from chartgen.workflow.specs import SpecIndex

SPEC_FUNCTION_TYPES = ("rest", "asyncapi")


class Context:
    def __init__(self, project: Project, diag: Diagnostics, specs: SpecIndex) -> None:
        self.project = project
        self.diag = diag
        self.specs = specs


Rule = Callable[[Workflow, Context], None]


def validate(wset: WorkflowSet, diag: Diagnostics) -> None:
    """Checks every workflow of every project; problems go to `diag`."""
    specs = SpecIndex(diag)
    for project in wset.projects:
        ctx = Context(project, diag, specs)
        for wf in project.workflows:
            for rule in WORKFLOW_RULES:
                rule(wf, ctx)
    check_duplicate_ids(wset, diag)
    wset.specs = dict(specs.docs)


def check_has_states(wf: Workflow, ctx: Context) -> None:
    if wf.declared_states == 0:
        ctx.diag.error(f"workflow '{wf.id}' has no states", wf.loc(("states",), key=True))


def check_start(wf: Workflow, ctx: Context) -> None:
    names = {s.name for s in wf.states}
    if wf.start is None:
        if wf.states:
            ctx.diag.error(f"workflow '{wf.id}' has no 'start' state", wf.loc())
    elif wf.states and wf.start.name not in names:
        ctx.diag.error(
            f"start state '{wf.start.name}' does not exist in workflow '{wf.id}'",
            wf.ref_loc(wf.start),
        )


def check_unique_state_names(wf: Workflow, ctx: Context) -> None:
    first: dict[str, State] = {}
    for state in wf.states:
        seen = first.setdefault(state.name, state)
        if seen is not state:
            line = wf.loc((*seen.at, "name")).line
            ctx.diag.error(
                f"duplicate state name '{state.name}' in workflow '{wf.id}' (first at line {line})",
                wf.loc((*state.at, "name")),
            )


def check_transitions(wf: Workflow, ctx: Context) -> None:
    names = {s.name for s in wf.states}
    for state in wf.states:
        for ref in state.transitions:
            if ref.name not in names:
                ctx.diag.error(
                    f"state '{state.name}' goes to '{ref.name}', which is not a state of workflow '{wf.id}'",
                    wf.ref_loc(ref),
                )
        cb = state.compensated_by
        if cb is not None and cb.name not in names:
            ctx.diag.error(
                f"state '{state.name}' is compensated by '{cb.name}', "
                f"which is not a state of workflow '{wf.id}'",
                wf.ref_loc(cb),
            )


def _check_refs(
    wf: Workflow,
    ctx: Context,
    known: set[str],
    refs: Callable[[State], list[Ref]],
    problem: Callable[[str, str], str],
) -> None:
    """Every name a state refers to (through `refs`) is in `known`; `problem(state, name)` words it."""
    for state in wf.states:
        for ref in refs(state):
            if ref.name not in known:
                ctx.diag.error(problem(state.name, ref.name), wf.ref_loc(ref))


def check_function_refs(wf: Workflow, ctx: Context) -> None:
    _check_refs(
        wf,
        ctx,
        {f.name for f in wf.functions},
        lambda s: s.function_refs,
        lambda state, name: (
            f"state '{state}' calls function '{name}', which workflow '{wf.id}' does not define"
        ),
    )


def check_consumed_event_types(wf: Workflow, ctx: Context) -> None:
    for event in wf.consumed_events:
        if not event.type:
            ctx.diag.error(
                f"consumed event '{event.name}' of workflow '{wf.id}' has no 'type': "
                "nothing can deliver it (CloudEvents are matched on type)",
                wf.loc(event.at),
            )


def check_event_refs(wf: Workflow, ctx: Context) -> None:
    _check_refs(
        wf,
        ctx,
        {e.name for e in wf.events},
        lambda s: s.event_refs,
        lambda state, name: (
            f"state '{state}' refers to event '{name}', which workflow '{wf.id}' does not define"
        ),
    )


def check_subflow_refs(wf: Workflow, ctx: Context) -> None:
    project = ctx.project.rel
    _check_refs(
        wf,
        ctx,
        {w.id for w in ctx.project.workflows},
        lambda s: s.subflow_refs,
        lambda state, name: (
            f"state '{state}' calls subflow '{name}', which is not a workflow id of project '{project}'"
        ),
    )


def check_secrets_declared(wf: Workflow, ctx: Context) -> None:
    if wf.secrets is None:
        return
    declared = set(wf.secrets)
    for ref in wf.secret_uses:
        if ref.name not in declared and ref.name.split(".")[0] not in declared:
            ctx.diag.error(
                f"secret '{ref.name}' is used but not declared in 'secrets' of workflow '{wf.id}'",
                wf.ref_loc(ref),
            )


def check_data_input_schema(wf: Workflow, ctx: Context) -> None:
    ref = wf.data_input_schema
    if ref is None or _is_remote(ref.name):
        return
    if _find_local(ref.name, wf, ctx.project) is None:
        ctx.diag.warning(
            f"dataInputSchema '{ref.name}' of workflow '{wf.id}' not found in project "
            f"'{ctx.project.rel}': the runtime cannot check inputs against it",
            wf.ref_loc(ref),
        )


def check_function_specs(wf: Workflow, ctx: Context) -> None:
    remote_reported: set[str] = set()
    for fn in wf.functions:
        if fn.type in SPEC_FUNCTION_TYPES:
            _check_spec_function(fn, wf, ctx, remote_reported)


def _check_spec_function(fn: Function, wf: Workflow, ctx: Context, remote_reported: set[str]) -> None:
    def at() -> Location:  # positions re-read the file: only when there is something to report
        return wf.loc((*fn.at, "operation"))

    if "#" not in fn.operation:
        ctx.diag.error(
            f"function '{fn.name}': operation '{fn.operation}' must be '<spec file>#<operationId>'", at()
        )
        return
    uri, op_id = fn.operation.rsplit("#", 1)
    alias = wf.uri_definitions.get(uri)
    if alias is not None or _is_remote(uri):
        where = f"'{uri}' ({alias})" if alias else f"'{uri}'"
        if uri not in remote_reported:
            remote_reported.add(uri)
            ctx.diag.warning(
                f"function '{fn.name}': spec {where} is remote and needs the network; "
                "its operations are not checked and it is not packaged",
                at(),
            )
        return
    path = _find_local(uri, wf, ctx.project)
    if path is None:
        ctx.diag.error(
            f"function '{fn.name}': spec file '{uri}' not found in project '{ctx.project.rel}'", at()
        )
        return
    fn.spec = path
    ops = ctx.specs.operation_ids(path)
    if ops is not None and op_id not in ops:
        ctx.diag.error(f"function '{fn.name}': operationId '{op_id}' is not defined in '{uri}'", at())


def _is_remote(uri: str) -> bool:
    return urlparse(uri).scheme in ("http", "https")


def _find_local(uri: str, wf: Workflow, project: Project) -> Path | None:
    """A file next to the workflow, else at the resources root (the classpath); inside the project."""
    for prefix in ("classpath:", "file:"):
        if uri.startswith(prefix):
            uri = uri[len(prefix) :].lstrip("/") if prefix == "classpath:" else uri[len(prefix) :]
    here = wf.source.path.parent
    root = project.resources.resolve()
    for candidate in (here / uri, project.resources / uri):
        resolved = candidate.resolve()
        if resolved.is_file() and (resolved == root or root in resolved.parents):
            return resolved
    return None


def check_duplicate_ids(wset: WorkflowSet, diag: Diagnostics) -> None:
    first: dict[str, Workflow] = {}
    for wf in (w for w in wset.workflows if w.has_id):
        other = first.setdefault(wf.id, wf)
        if other is not wf:
            diag.error(
                f"duplicate workflow id '{wf.id}': also defined in {other.loc(('id',)).path}",
                wf.loc(("id",)),
            )


WORKFLOW_RULES: tuple[Rule, ...] = (
    check_has_states,
    check_start,
    check_unique_state_names,
    check_transitions,
    check_function_refs,
    check_function_specs,
    check_event_refs,
    check_consumed_event_types,
    check_subflow_refs,
    check_secrets_declared,
    check_data_input_schema,
)
