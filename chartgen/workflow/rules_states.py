"""Rules for states, as SonataFlow 10.0's build checks them: switch, parallel and foreach shapes,
durations, error handlers and compensation. Each is a build failure of the runtime, found
statically; each message says what the build would print.
"""

from __future__ import annotations

import re

from chartgen.schema.check import did_you_mean
from chartgen.workflow.context import Context
from chartgen.workflow.model import Duration, Workflow

# java.time.Duration.parse: PnDTnHnMn.nS (no years, months or weeks), case-insensitive.
_ISO = re.compile(
    r"[-+]?P(?:[-+]?\d+D)?(?:T(?=[-+]?\d)(?:[-+]?\d+H)?(?:[-+]?\d+M)?(?:[-+]?\d+(?:[.,]\d{0,9})?S)?)?",
    re.IGNORECASE,
)
# jBPM's time strings for timers: 1d2h3m4s5ms, or plain milliseconds.
_TIME_STRING = re.compile(
    r"[-+]?\s*(?:\d+\s*d)?\s*(?:\d+\s*h)?\s*(?:\d+\s*m(?!s))?\s*(?:\d+\s*s)?\s*(?:\d+\s*(?:ms)?)?",
    re.IGNORECASE,
)
_EXPRESSION = re.compile(r"^\s*\$\{.*\}\s*$", re.DOTALL)
EXPRESSION_LANGUAGES = ("jq", "jsonpath")


def is_java_duration(text: str) -> bool:
    return bool(_ISO.fullmatch(text.strip())) and text.strip().upper() not in ("P", "PT", "-P", "+P")


def _valid(duration: Duration) -> bool:
    text = duration.text.strip()
    if _EXPRESSION.match(text) or is_java_duration(text):
        return True
    return duration.what == "sleep" and bool(text) and bool(_TIME_STRING.fullmatch(text))


def check_durations(wf: Workflow, ctx: Context) -> None:
    for state in wf.states:
        for duration in state.durations:
            if _valid(duration):
                continue
            accepted = (
                "an ISO-8601 duration such as PT30M or P1DT2H (no months, years or weeks), or a time "
                "string such as 1d2h30m"
                if duration.what == "sleep"
                else "an ISO-8601 duration such as PT30M or P1DT2H (no months, years or weeks)"
            )
            ctx.diag.error(
                f"state '{state.name}': {duration.what} '{duration.text}' is not {accepted}: SonataFlow's "
                "build fails parsing it",
                wf.loc(duration.at),
            )


def check_exec_timeout(wf: Workflow, ctx: Context) -> None:
    """Read when an instance starts, not at build: every start fails with HTTP 500."""
    text = wf.exec_timeout
    if text is not None and not is_java_duration(text) and not _EXPRESSION.match(text):
        ctx.diag.warning(
            f"workflowExecTimeout '{text}' of workflow '{wf.id}' is not an ISO-8601 duration (such as PT2H): "
            "the runtime builds and starts, and every instance start fails (DateTimeParseException)",
            wf.loc(("timeouts", "workflowExecTimeout")),
        )


def check_switches(wf: Workflow, ctx: Context) -> None:
    for state in (s for s in wf.states if s.type == "switch"):
        if not state.data_conditions and not state.event_conditions:
            ctx.diag.error(
                f"switch state '{state.name}' has neither dataConditions nor eventConditions: SonataFlow's "
                "build refuses it",
                wf.loc(state.at),
            )
        elif state.data_conditions and state.event_conditions:
            ctx.diag.error(
                f"switch state '{state.name}' has both dataConditions and eventConditions: SonataFlow's "
                "build refuses it (one kind per switch)",
                wf.loc(state.at),
            )
        elif state.data_conditions == 1 and not state.default_condition:
            ctx.diag.error(
                f"switch state '{state.name}' has one dataCondition and no defaultCondition: SonataFlow's "
                "build refuses a split with a single way out (add a defaultCondition)",
                wf.loc(state.at),
            )
        elif state.event_conditions and state.default_condition and not state.durations:
            ctx.diag.error(
                f"switch state '{state.name}' waits for events with a defaultCondition but no eventTimeout "
                "(in the state's or the workflow's timeouts): SonataFlow's build requires one",
                wf.loc(state.at),
            )


def check_parallel_and_foreach(wf: Workflow, ctx: Context) -> None:
    for state in wf.states:
        if state.type == "parallel" and state.branches < 2:
            ctx.diag.error(
                f"parallel state '{state.name}' has {state.branches} branch"
                f"{'es' if state.branches != 1 else ''}: SonataFlow's build refuses a parallel state "
                "with fewer than two",
                wf.loc(state.at),
            )
        for key in state.missing:
            ctx.diag.error(
                f"{state.type} state '{state.name}' has no '{key}': SonataFlow's build refuses it",
                wf.loc(state.at),
            )


def check_actions(wf: Workflow, ctx: Context) -> None:
    for state in wf.states:
        for at in state.empty_actions:
            ctx.diag.error(
                f"an action of state '{state.name}' has neither functionRef, eventRef nor subFlowRef: "
                "SonataFlow's build refuses it",
                wf.loc(at),
            )


def check_error_handlers(wf: Workflow, ctx: Context) -> None:
    for ref in wf.codeless_errors:
        ctx.diag.error(
            f"error '{ref.name}' of workflow '{wf.id}' has no 'code': SonataFlow ignores it, and its "
            "build then fails on every onErrors naming it",
            wf.ref_loc(ref),
        )
    codeless = {r.name for r in wf.codeless_errors}
    for state in wf.states:
        if (state.error_refs or state.handlers_without_ref) and not wf.errors_declared:
            ctx.diag.error(
                f"state '{state.name}' has onErrors, but workflow '{wf.id}' defines no errors: SonataFlow's "
                "build refuses it ('workflow should contain errors property')",
                wf.loc((*state.at, "onErrors")),
            )
            continue
        for at in state.handlers_without_ref:
            ctx.diag.error(
                f"an onErrors entry of state '{state.name}' names no error (errorRef or errorRefs): "
                "SonataFlow's build refuses it",
                wf.loc(at),
            )
        for ref in state.error_refs:
            if ref.name not in wf.errors and ref.name not in codeless:
                ctx.diag.error(
                    f"state '{state.name}' handles error '{ref.name}', which workflow '{wf.id}' does not "
                    f"define{did_you_mean(ref.name, wf.errors)}",
                    wf.ref_loc(ref),
                )


def check_compensation(wf: Workflow, ctx: Context) -> None:
    """A compensation state may not be compensated itself, and moves only to compensation states."""
    by_name = {s.name: s for s in wf.states}
    for state in wf.states:
        target = by_name.get(state.compensated_by.name) if state.compensated_by else None
        if target is not None and target.compensated_by is not None:
            ctx.diag.error(
                f"state '{target.name}' compensates state '{state.name}' and has a compensatedBy of its own: "
                "SonataFlow's build refuses nested compensation",
                wf.loc((*target.at, "compensatedBy")),
            )
        if not state.used_for_compensation:
            continue
        for ref in state.transitions:
            nxt = by_name.get(ref.name)
            if nxt is not None and not nxt.used_for_compensation:
                ctx.diag.error(
                    f"compensation state '{state.name}' goes to '{ref.name}', which is not "
                    "usedForCompensation: SonataFlow's build refuses it",
                    wf.ref_loc(ref),
                )


def check_expression_language(wf: Workflow, ctx: Context) -> None:
    ref = wf.expression_lang
    if ref is not None and ref.name not in EXPRESSION_LANGUAGES:
        ctx.diag.error(
            f"expressionLang '{ref.name}' of workflow '{wf.id}' is not one SonataFlow evaluates (jq, "
            f"jsonpath){did_you_mean(ref.name, EXPRESSION_LANGUAGES)}: its build fails "
            "('Unsupported language')",
            wf.ref_loc(ref),
        )


def check_expression_functions(wf: Workflow, ctx: Context) -> None:
    """`fn:<name>` in an expression calls an expression function of the workflow."""
    expression_functions = sorted(f.name for f in wf.functions if f.type == "expression")
    for ref in wf.expression_refs:
        if ref.name not in expression_functions:
            ctx.diag.error(
                f"an expression calls 'fn:{ref.name}', which is not an expression function of workflow "
                f"'{wf.id}'{did_you_mean(ref.name, expression_functions)}: SonataFlow's build fails "
                f"('Cannot find function {ref.name}')",
                wf.ref_loc(ref),
            )
