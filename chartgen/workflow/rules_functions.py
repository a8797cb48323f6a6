"""Rules for functions and the actions that call them, as SonataFlow 10.0 treats them: what its
build refuses (errors), and what it builds but cannot do (warnings: an action that does nothing,
a call that always fails, specs silently merged).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from chartgen.errors import Diagnostics
from chartgen.schema.check import did_you_mean
from chartgen.workflow.context import Context
from chartgen.workflow.model import Function, Project, Workflow
from chartgen.workflow.resolve import SPEC_FUNCTION_TYPES
from chartgen.workflow.specs import operation_ids

FUNCTION_TYPES = ("rest", "asyncapi", "rpc", "expression", "custom")
# `type: custom` operations by what comes before the first ':': the handlers the runtime chartgen
# builds has (knative: and kubernetes: through the add-on chartgen build adds for them).
CUSTOM_HANDLERS = ("sysout", "script", "service", "rest", "knative", "kubernetes")
# What each handler needs in an action's `arguments` (its build fails without it).
REQUIRED_ARGUMENTS = {"sysout": "message", "script": "script"}
_URI_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_SPEC_SCHEMES = ("file", "classpath", "http", "https")


def custom_kind(fn: Function) -> str:
    """sysout, script, service, rest, ... of a custom function (lowercase; "" when none)."""
    return fn.operation.split(":", 1)[0].strip().lower() if fn.type == "custom" else ""


def check_function_types(wf: Workflow, ctx: Context) -> None:
    for fn in wf.functions:
        at = (*fn.at, "type" if fn.type not in FUNCTION_TYPES else "operation")
        if fn.type not in FUNCTION_TYPES:
            ctx.diag.warning(
                f"function '{fn.name}' has type '{fn.type}', which SonataFlow does not run"
                f"{did_you_mean(fn.type, FUNCTION_TYPES)}: it builds, and every call does nothing",
                wf.loc(at),
            )
            continue
        kind = custom_kind(fn)
        python = fn.operation.split(":", 2)[1:2] == ["python"]
        if kind == "service" and not python:
            ctx.diag.error(
                f"function '{fn.name}' calls Java code ({fn.operation}): a chart carries the workflow "
                "project's resources, never its classes, so SonataFlow's build of this runtime fails "
                "('class not found'); call the code as a service (an OpenAPI function) instead",
                wf.loc(at),
            )
        elif fn.type == "custom" and kind not in CUSTOM_HANDLERS:
            ctx.diag.warning(
                f"function '{fn.name}': custom operation '{kind}:' has no handler in the runtime chartgen "
                f"builds{did_you_mean(kind, CUSTOM_HANDLERS)}: it builds, and every call does nothing",
                wf.loc(at),
            )
        elif kind == "service":
            ctx.diag.warning(
                f"function '{fn.name}' calls Python code ({fn.operation}): the runtime chartgen builds "
                "has no Python add-on, so every call does nothing",
                wf.loc(at),
            )


def check_operation_shape(wf: Workflow, ctx: Context) -> None:
    """`<spec>#<operationId>` with one '#' (rpc: `<proto>#<service>#<method>`), a file or a URL."""
    for fn in wf.functions:
        wanted = {"rest": 1, "asyncapi": 1, "rpc": 2}.get(fn.type)
        if wanted is None:
            continue
        at = (*fn.at, "operation")
        shape = "'<spec file>#<operationId>'" if wanted == 1 else "'<proto file>#<service>#<method>'"
        if fn.operation.count("#") != wanted:
            ctx.diag.error(
                f"function '{fn.name}': operation '{fn.operation}' must be {shape} (SonataFlow's build "
                f"refuses it: it should have just {wanted} #)",
                wf.loc(at),
            )
            continue
        scheme = _URI_SCHEME.match(fn.operation)
        alias = fn.operation.split("#", 1)[0] in wf.uri_definitions
        if scheme and not alias and scheme.group(1).lower() not in _SPEC_SCHEMES and len(scheme.group(1)) > 1:
            ctx.diag.error(
                f"function '{fn.name}': '{scheme.group(1)}:' is not a scheme SonataFlow reads specs from "
                "(file, classpath, http, https): its build fails ('Unrecognized uri protocol')",
                wf.loc(at),
            )


def check_call_arguments(wf: Workflow, ctx: Context) -> None:
    functions = {f.name: f for f in wf.functions}
    for state in wf.states:
        for call in state.calls:
            fn = functions.get(call.function.name)
            kind = custom_kind(fn) if fn is not None else ""
            needed = REQUIRED_ARGUMENTS.get(kind)
            given = call.arguments if isinstance(call.arguments, dict) else {}
            if needed is not None and needed not in given:
                ctx.diag.error(
                    f"state '{state.name}' calls {kind} function '{call.function.name}' without "
                    f"arguments.{needed}: SonataFlow's build refuses it (missing mandatory {needed} "
                    "argument)",
                    wf.loc(call.at),
                )


def check_operation_ids(wf: Workflow, ctx: Context) -> None:
    """An OpenAPI operationId the spec lacks builds and starts; each call then fails. An AsyncAPI
    one fails the build."""
    for fn in wf.functions:
        spec = fn.spec
        if fn.type not in SPEC_FUNCTION_TYPES or spec is None or spec.path not in ctx.wset.specs:
            continue
        ops = operation_ids(ctx.wset.specs[spec.path].doc)
        if spec.operation_id in ops:
            continue
        missing = (
            f"function '{fn.name}': operationId '{spec.operation_id}' is not defined in "
            f"'{spec.uri}'{did_you_mean(spec.operation_id, ops)}"
        )
        where = wf.loc((*fn.at, "operation"))
        if fn.type == "asyncapi":
            ctx.diag.error(
                f"{missing}: SonataFlow's build fails ('Cannot find an async api with operation')", where
            )
        else:
            ctx.diag.warning(
                f"{missing}: the runtime builds and starts, and every call fails (no work item handler)",
                where,
            )


def check_spec_names(project: Project, diag: Diagnostics) -> None:
    """SonataFlow generates a spec's client under its file name: two specs with one file name
    (or names whose letters are the same) are silently one, the last one read."""
    seen: dict[str, PurePosixPath] = {}
    for wf in project.workflows:
        for fn in wf.functions:
            spec = fn.spec
            if spec is None or spec.path is None:
                continue
            rel = PurePosixPath(spec.path.as_posix())
            letters = "".join(c for c in rel.name.rsplit(".", 1)[0] if c.isalpha()).lower()
            first = seen.setdefault(letters, rel)
            if first != rel:
                diag.warning(
                    f"function '{fn.name}': specs '{first.name}' and '{rel.name}' are one to SonataFlow (it "
                    "names a spec's client after its file name's letters): the functions of both call "
                    "the one it reads last; rename one of the files",
                    wf.loc((*fn.at, "operation")),
                )
