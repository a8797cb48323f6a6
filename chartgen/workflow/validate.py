"""validate: the rules a workflow project must satisfy before any chart is made.

Each rule is one function, so each can be tested (and read) on its own. Rules only
report: loading and resolving (resolve.py) built the model they read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial

from chartgen.errors import Diagnostics
from chartgen.formats.source import display_path
from chartgen.schema.check import did_you_mean
from chartgen.workflow.context import Context, Rule
from chartgen.workflow.model import Project, Ref, State, Workflow, WorkflowSet
from chartgen.workflow.names import NameRegistry, dns_name
from chartgen.workflow.resolve import SPEC_FUNCTION_TYPES
from chartgen.workflow.rules_functions import (
    check_call_arguments,
    check_function_types,
    check_operation_ids,
    check_operation_shape,
    check_spec_names,
)
from chartgen.workflow.rules_schemas import check_schemas
from chartgen.workflow.rules_states import (
    check_actions,
    check_compensation,
    check_durations,
    check_error_handlers,
    check_exec_timeout,
    check_expression_functions,
    check_expression_language,
    check_parallel_and_foreach,
    check_switches,
)


def validate(wset: WorkflowSet, diag: Diagnostics) -> None:
    """Checks every workflow of every project; problems go to `diag`, and each project counts
    its own errors (a project with errors gets no chart; the others still do)."""
    for project in wset.projects:
        before = diag.error_count
        ctx = Context(project, diag, wset)
        for wf in project.workflows:
            for rule in WORKFLOW_RULES:
                rule(wf, ctx)
        for project_rule in PROJECT_RULES:
            project_rule(project, diag)
        project.errors += diag.error_count - before


def check_has_states(wf: Workflow, ctx: Context) -> None:
    if wf.declared_states == 0:
        ctx.diag.error(f"workflow '{wf.id}' has no states", wf.loc(("states",), key=True))


def check_start(wf: Workflow, ctx: Context) -> None:
    names = [s.name for s in wf.states]
    if wf.start is None:
        if wf.states:
            ctx.diag.error(f"workflow '{wf.id}' has no 'start' state", wf.loc())
    elif wf.states and wf.start.name not in names:
        ctx.diag.error(
            f"start state '{wf.start.name}' does not exist in workflow '{wf.id}'"
            f"{did_you_mean(wf.start.name, names)}",
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
    names = [s.name for s in wf.states]
    for state in wf.states:
        for ref in state.transitions:
            if ref.name not in names:
                ctx.diag.error(
                    f"state '{state.name}' goes to '{ref.name}', which is not a state of workflow "
                    f"'{wf.id}'{did_you_mean(ref.name, names)}",
                    wf.ref_loc(ref),
                )
        cb = state.compensated_by
        if cb is not None and cb.name not in names:
            ctx.diag.error(
                f"state '{state.name}' is compensated by '{cb.name}', which is not a state of workflow "
                f"'{wf.id}'{did_you_mean(cb.name, names)}",
                wf.ref_loc(cb),
            )


def check_every_path_ends(wf: Workflow, ctx: Context) -> None:
    """A state (or switch branch) with neither `transition` nor `end` leaves its instances stuck."""
    for state in wf.states:
        for at in state.dead_ends:
            what = "state" if at == state.at else "branch of switch state"
            ctx.diag.error(
                f"{what} '{state.name}' of workflow '{wf.id}' has neither 'transition' nor 'end'",
                wf.loc(at),
            )


def check_reachable(wf: Workflow, ctx: Context) -> None:
    """States nothing leads to (from the start, through transitions and error handlers): the
    SonataFlow build refuses a node with no connection to the start node."""
    by_name = {s.name: s for s in wf.states}
    if wf.start is None or wf.start.name not in by_name:
        return
    if any(r.name not in by_name for s in wf.states for r in s.transitions) or any(
        s.dead_ends for s in wf.states
    ):
        return  # a transition to no state, or a state going nowhere, is the cause: reported as such
    seen = {wf.start.name}
    todo = [by_name[wf.start.name]]
    while todo:
        state = todo.pop()
        targets = [r.name for r in state.transitions]
        if state.compensated_by is not None:
            targets.append(state.compensated_by.name)
        for name in targets:
            if name in by_name and name not in seen:
                seen.add(name)
                todo.append(by_name[name])
    for state in wf.states:
        if state.name not in seen and not state.used_for_compensation:
            ctx.diag.error(
                f"state '{state.name}' of workflow '{wf.id}' is unreachable: no transition leads to it, and "
                "SonataFlow's build refuses a state with no connection to the start",
                wf.loc((*state.at, "name")),
            )


def _check_refs(
    wf: Workflow,
    ctx: Context,
    known: Iterable[str],
    refs: Callable[[State], list[Ref]],
    problem: Callable[[str, str], str],
) -> None:
    """Every name a state refers to (through `refs`) is in `known`; `problem(state, name)` words it."""
    names = sorted(set(known))
    for state in wf.states:
        for ref in refs(state):
            if ref.name not in names:
                ctx.diag.error(problem(state.name, ref.name) + did_you_mean(ref.name, names), wf.ref_loc(ref))


def check_function_refs(wf: Workflow, ctx: Context) -> None:
    _check_refs(
        wf,
        ctx,
        wf.function_names,
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
        (e.name for e in wf.events),
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
        (w.id for w in ctx.project.workflows),
        lambda s: s.subflow_refs,
        lambda state, name: (
            f"state '{state}' calls subflow '{name}', which is not a workflow id of project '{project}'"
        ),
    )


# SonataFlow 10.0's code generator declares a Java field `process<id>` for each subflow a
# workflow calls (the id after its last '.'): an id that is not a Java identifier part
# (`notify-approver`) fails the build.
_JAVA_PART = re.compile(r"[A-Za-z0-9_$]*")
_JAVA_START = re.compile(r"[A-Za-z_$]")


def check_subflow_ids_compile(wf: Workflow, ctx: Context) -> None:
    for state in wf.states:
        for ref in state.subflow_refs:
            if not _JAVA_PART.fullmatch(ref.name.rsplit(".", 1)[-1]):
                ctx.diag.error(
                    f"state '{state.name}' calls subflow '{ref.name}': the SonataFlow runtime makes a Java "
                    "name of a called subflow's id (after its last '.'), so it may hold only letters, "
                    f"digits, _ and $ (rename the subflow's id, e.g. '{_java_name(ref.name)}')",
                    wf.ref_loc(ref),
                )


def check_id_makes_a_class(wf: Workflow, ctx: Context) -> None:
    """SonataFlow names a workflow's Java class after its id (after the last '.'), which must
    start with a letter, _ or $ ("Process id '1flow' is not valid")."""
    simple = wf.id.rsplit(".", 1)[-1]
    if wf.has_id and not _JAVA_START.match(simple):
        ctx.diag.error(
            f"workflow id '{wf.id}' does not start with a letter, _ or $ (after its last '.'): SonataFlow's "
            f"build names a Java class after it and fails ('Process id '{wf.id}' is not valid')",
            wf.loc(("id",)),
        )


def _java_name(name: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    text = "".join([words[0], *(w[:1].upper() + w[1:] for w in words[1:])]) if words else "subflow"
    return text if not text[0].isdigit() else "wf" + text


def check_secrets_declared(wf: Workflow, ctx: Context) -> None:
    """SonataFlow never reads `secrets`; chartgen provides every secret used. A use not declared
    is likely a typo, so it is said, not refused."""
    if wf.secrets is None:
        return
    declared = set(wf.secrets)
    for ref in wf.secret_uses:
        if ref.name not in declared and ref.name.split(".")[0] not in declared:
            ctx.diag.warning(
                f"secret '{ref.name}' is used but not declared in 'secrets' of workflow "
                f"'{wf.id}'{did_you_mean(ref.name, declared)} (the chart provides it anyway)",
                wf.ref_loc(ref),
            )


def check_function_specs(wf: Workflow, ctx: Context) -> None:
    remote_reported: set[str] = set()
    for fn in wf.functions:
        spec = fn.spec
        if fn.type not in SPEC_FUNCTION_TYPES or spec is None:
            continue  # an operation without '#' is check_operation_shape's
        at = (*fn.at, "operation")
        if spec.remote is not None:
            if spec.uri not in remote_reported:
                remote_reported.add(spec.uri)
                where = f"'{spec.uri}' ({spec.remote})" if spec.remote != spec.uri else f"'{spec.uri}'"
                ctx.diag.warning(
                    f"function '{fn.name}': spec {where} is remote: SonataFlow's build fetches it, so the "
                    "build needs the network; its operations are not checked and it is not packaged",
                    wf.loc(at),
                )
        elif spec.path is None:
            files = [a.rel_path for a in ctx.project.assets]
            ctx.diag.error(
                f"function '{fn.name}': spec file '{spec.uri}' not found in project '{ctx.project.rel}'"
                f"{did_you_mean(spec.uri, files)}: SonataFlow's build fails reading it (NoSuchFileException)",
                wf.loc(at),
            )


def check_duplicate_ids(project: Project, diag: Diagnostics) -> None:
    """One runtime serves a project's workflows: SonataFlow refuses two with one id
    ("Duplicated item found with id ..."). Projects built apart may share ids."""
    first: dict[str, Workflow] = {}
    for wf in (w for w in project.workflows if w.has_id):
        other = first.setdefault(wf.id, wf)
        if other is not wf:
            diag.error(
                f"duplicate workflow id '{wf.id}' in project '{project.rel}': also defined in "
                f"{other.loc(('id',)).path} (one runtime serves a project's workflows)",
                wf.loc(("id",)),
            )


def check_resource_names(project: Project, diag: Diagnostics) -> None:
    """A chart names files and objects after its workflows' ids, DNS-safe: two ids may not
    make the same name in one project."""
    names = NameRegistry("workflow resource", diag)
    first_of_id: dict[str, Workflow] = {}
    for wf in project.workflows:
        first_of_id.setdefault(wf.id, wf)
    for wf in first_of_id.values():  # an id twice is check_duplicate_ids' to say
        names.claim(
            dns_name(wf.id), f"workflow '{wf.id}' ({display_path(wf.source.path)})", partial(wf.loc, ("id",))
        )


def check_class_names(project: Project, diag: Diagnostics) -> None:
    """SonataFlow names each workflow's Java class after its id (after the last '.', first letter
    upper-cased, other characters that are not Java's made '_'): two ids making one class build,
    and one of the workflows is silently left out."""
    first: dict[str, Workflow] = {}
    for wf in (w for w in project.workflows if w.has_id):
        simple = wf.id.rsplit(".", 1)[-1]
        name = simple[:1].upper() + re.sub(r"[^A-Za-z0-9_$]", "_", simple[1:])
        other = first.setdefault(name, wf)
        if other is not wf and other.id != wf.id:
            diag.warning(
                f"workflow ids '{other.id}' and '{wf.id}' make one Java class ({name}Process) in SonataFlow: "
                "it builds, and one of the two workflows is silently missing from the runtime; rename one",
                wf.loc(("id",)),
            )


ProjectRule = Callable[[Project, Diagnostics], None]
PROJECT_RULES: tuple[ProjectRule, ...] = (
    check_duplicate_ids,
    check_resource_names,
    check_class_names,
    check_spec_names,
)

WORKFLOW_RULES: tuple[Rule, ...] = (
    check_has_states,
    check_start,
    check_id_makes_a_class,
    check_unique_state_names,
    check_transitions,
    check_every_path_ends,
    check_reachable,
    check_function_refs,
    check_function_types,
    check_operation_shape,
    check_function_specs,
    check_operation_ids,
    check_call_arguments,
    check_actions,
    check_event_refs,
    check_consumed_event_types,
    check_subflow_refs,
    check_subflow_ids_compile,
    check_secrets_declared,
    check_schemas,
    check_switches,
    check_parallel_and_foreach,
    check_durations,
    check_exec_timeout,
    check_error_handlers,
    check_compensation,
    check_expression_language,
    check_expression_functions,
)
