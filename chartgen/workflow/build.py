"""Parsed workflow documents -> typed `Workflow` objects, reporting shape errors located."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from chartgen.errors import Diagnostics
from chartgen.formats.source import Pointer, SourceFile
from chartgen.schema.check import Checker
from chartgen.values.types import SecretKey
from chartgen.workflow.model import (
    STATE_TYPES,
    AuthDef,
    Call,
    Duration,
    EventDef,
    Function,
    Ref,
    State,
    Workflow,
)
from chartgen.workflow.shape import shape_problems

SECRET_USE = re.compile(r"\$SECRETS?\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
SONATAFLOW_KIND = "SonataFlow"


def is_custom_resource(doc: Any) -> bool:
    return isinstance(doc, Mapping) and doc.get("kind") == SONATAFLOW_KIND


def flow_of(doc: Any) -> Any:
    """The flow of a workflow document: a SonataFlow resource's spec.flow (None when it has
    none), else the document itself."""
    if not is_custom_resource(doc):
        return doc
    spec = doc.get("spec")
    return spec.get("flow") if isinstance(spec, Mapping) else None


def looks_like_workflow(doc: Any) -> bool:
    return isinstance(doc, Mapping) and (
        is_custom_resource(doc) or bool({"states", "start", "specVersion", "id"} & doc.keys())
    )


class WorkflowBuilder:
    """Builds one Workflow from one document; every problem goes to `diag`."""

    def __init__(self, source: SourceFile, doc: int, diag: Diagnostics) -> None:
        self.source = source
        self.doc = doc
        self.diag = diag
        self.base: Pointer = ()
        self.wf: Workflow | None = None
        self._event_timeout: str | None = None  # the workflow's, for states without their own

    # -- reporting -------------------------------------------------------------------------
    def error(self, message: str, at: Pointer = (), key: bool = False) -> None:
        self.diag.error(message, self.source.location(self.doc, self.base + at, key))

    def warning(self, message: str, at: Pointer = (), key: bool = False) -> None:
        self.diag.warning(message, self.source.location(self.doc, self.base + at, key))

    # -- entry point -----------------------------------------------------------------------
    def build(self, data: Any, rel_path: str) -> Workflow | None:
        flow = data
        cr_meta: Mapping[str, Any] = {}
        if is_custom_resource(data):
            self.base = ("spec", "flow")
            spec = data.get("spec")
            flow = spec.get("flow") if isinstance(spec, Mapping) else None
            meta = data.get("metadata")
            cr_meta = meta if isinstance(meta, Mapping) else {}
            if not isinstance(flow, Mapping):
                self.base = ()
                self.error("SonataFlow resource has no 'spec.flow' mapping", ("spec",))
                return None
        if not isinstance(flow, Mapping):
            self.error("a workflow must be a mapping")
            return None
        wf_id = self._identity(flow, cr_meta)
        annotations = cr_meta.get("annotations") if cr_meta else None
        ann = annotations if isinstance(annotations, Mapping) else {}
        wf = Workflow(
            id=wf_id if wf_id is not None else rel_path.rsplit("/", 1)[-1].split(".sw.")[0],
            has_id=wf_id is not None,
            source=self.source,
            doc=self.doc,
            base=self.base,
            rel_path=rel_path,
            name=_text(flow.get("name", ann.get("sonataflow.org/name"))),
            version=_text(flow.get("version", ann.get("sonataflow.org/version"))),
            spec_version=_text(flow.get("specVersion")),
            description=_text(flow.get("description", ann.get("sonataflow.org/description"))),
            from_custom_resource=bool(cr_meta),
        )
        self.wf = wf
        for problem in shape_problems(flow):
            report = self.error if problem.severity == "error" else self.warning
            report(problem.message, problem.at, problem.key)
        self._start(flow)
        self._uri_definitions(flow)
        wf.functions = list(self._functions(flow))
        wf.events = list(self._events(flow))
        self._errors(flow)
        wf.auth = list(self._auth(flow))
        self._secrets(flow)
        self._timeouts(flow)
        self._schema(flow)
        wf.expression_lang = _ref(flow.get("expressionLang"), ("expressionLang",))
        self._event_timeout = _text(_dict(flow.get("timeouts")).get("eventTimeout"))
        self._states(flow)
        wf.secret_uses = list(_secret_uses(flow, ()))
        wf.expression_refs = list(_function_uses(flow.get("states"), ("states",)))
        return wf

    # -- top level ---------------------------------------------------------------------------
    def _identity(self, flow: Mapping[str, Any], cr_meta: Mapping[str, Any]) -> str | None:
        """The workflow id; None (reported) when missing, so the rest is still checked."""
        wf_id = flow.get("id", flow.get("key"))
        if wf_id is None and cr_meta:
            wf_id = cr_meta.get("name")
        if wf_id is None or wf_id == "":
            self.error("workflow has no 'id'")
            return None
        if not isinstance(wf_id, str | int | float):
            self.error("workflow 'id' must be a string", ("id",))
            return None
        return str(wf_id)

    def _start(self, flow: Mapping[str, Any]) -> None:
        assert self.wf is not None
        start = flow.get("start")
        if isinstance(start, Mapping):
            name = start.get("stateName")
            if isinstance(name, str):
                self.wf.start = Ref(name, ("start", "stateName"))
            else:
                self.error("'start.stateName' must name a state", ("start",))
        elif isinstance(start, str):
            self.wf.start = Ref(start, ("start",))
        elif start is not None:
            self.error("'start' must be a state name", ("start",))

    def _uri_definitions(self, flow: Mapping[str, Any]) -> None:
        assert self.wf is not None
        for i, ext in enumerate(_list(flow.get("extensions"))):
            if isinstance(ext, Mapping) and ext.get("extensionid") == "workflow-uri-definitions":
                defs = ext.get("definitions")
                if isinstance(defs, Mapping):
                    self.wf.uri_definitions.update({str(k): str(v) for k, v in defs.items()})
            if isinstance(ext, Mapping) and ext.get("extensionid") == "workflow-output-schema":
                self.wf.output_schema = _ref(ext.get("outputSchema"), ("extensions", i, "outputSchema"))

    def _functions(self, flow: Mapping[str, Any]) -> Iterator[Function]:
        assert self.wf is not None
        for i, fn in self._items(flow, "functions", "function"):
            at = ("functions", i)
            name, op = fn.get("name"), fn.get("operation")
            if not isinstance(name, str):
                self.error("function has no 'name'", at)
                continue
            self.wf.function_names.add(name)  # a malformed function is still declared (one error)
            if not isinstance(op, str):
                self.error(f"function '{name}' has no 'operation'", at)
                continue
            yield Function(name, str(fn.get("type", "rest")), op, at)

    def _events(self, flow: Mapping[str, Any]) -> Iterator[EventDef]:
        for i, ev in self._items(flow, "events", "event"):
            at = ("events", i)
            name = ev.get("name")
            if not isinstance(name, str):
                self.error("event has no 'name'", at)
                continue
            kind = str(ev.get("kind", "consumed"))  # another value: shape.py's to refuse
            yield EventDef(name, _text(ev.get("type")), _text(ev.get("source")), kind, at)

    def _errors(self, flow: Mapping[str, Any]) -> None:
        """Error definitions: SonataFlow ignores (then cannot find) one without a `code`."""
        assert self.wf is not None
        self.wf.errors_declared = flow.get("errors") is not None
        for i, definition in self._items(flow, "errors", "error definition"):
            name = definition.get("name")
            if not isinstance(name, str):
                continue
            if definition.get("code") is None:
                self.wf.codeless_errors.append(Ref(name, ("errors", i, "name")))
            else:
                self.wf.errors.append(name)

    def _auth(self, flow: Mapping[str, Any]) -> Iterator[AuthDef]:
        for i, a in self._items(flow, "auth", "auth definition"):
            yield AuthDef(str(a.get("name", "")), str(a.get("scheme", "")), ("auth", i))

    def _items(
        self, flow: Mapping[str, Any], field: str, what: str
    ) -> Iterator[tuple[int, Mapping[str, Any]]]:
        value = flow.get(field)
        if value is None:
            return
        if isinstance(value, str):
            self.warning(
                f"'{field}' refers to an external file ({value}); its definitions are not checked", (field,)
            )
            return
        if not isinstance(value, list):
            self.error(f"'{field}' must be a list", (field,))
            return
        for i, item in enumerate(value):
            if isinstance(item, Mapping):
                yield i, item
            else:
                self.error(f"{what} must be a mapping", (field, i))

    def _secrets(self, flow: Mapping[str, Any]) -> None:
        assert self.wf is not None
        secrets = flow.get("secrets")
        if secrets is None:
            return
        if isinstance(secrets, list) and all(isinstance(s, str) for s in secrets):
            # Each name becomes a Secret key, a properties line and a Vault template lookup.
            checker = Checker("workflow")
            valid = [checker.check(SecretKey, name, ("secrets", i)) for i, name in enumerate(secrets)]
            self.wf.secrets = [name for name, ok in zip(secrets, valid, strict=True) if ok]
            for problem in checker.problems:
                self.error(problem.message, problem.at)
        elif isinstance(secrets, str):
            self.warning(f"'secrets' refers to an external file ({secrets}); not checked", ("secrets",))
        else:
            self.error("'secrets' must be a list of names", ("secrets",))

    def _timeouts(self, flow: Mapping[str, Any]) -> None:
        assert self.wf is not None
        timeouts = flow.get("timeouts")
        if not isinstance(timeouts, Mapping):
            return
        exec_timeout = timeouts.get("workflowExecTimeout")
        if isinstance(exec_timeout, Mapping):
            exec_timeout = exec_timeout.get("duration")
        if exec_timeout is not None:
            self.wf.exec_timeout = str(exec_timeout)

    def _schema(self, flow: Mapping[str, Any]) -> None:
        assert self.wf is not None
        schema = flow.get("dataInputSchema")
        if isinstance(schema, Mapping):
            self.wf.data_input_schema = _ref(schema.get("schema"), ("dataInputSchema", "schema"))
        elif isinstance(schema, str):
            self.wf.data_input_schema = Ref(schema, ("dataInputSchema",))
        ref = self.wf.data_input_schema
        if ref is not None and "\0" in ref.name:
            self.error("'dataInputSchema' holds a NUL character, which no file name can", ref.at)
            self.wf.data_input_schema = None

    # -- states ------------------------------------------------------------------------------
    def _states(self, flow: Mapping[str, Any]) -> None:
        assert self.wf is not None
        states = flow.get("states")
        if states is not None and not isinstance(states, list):
            self.error("'states' must be a list", ("states",))
            return
        self.wf.declared_states = len(states or [])
        for i, raw in enumerate(states or []):
            at = ("states", i)
            if not isinstance(raw, Mapping):
                self.error("state must be a mapping", at)
                continue
            name, typ = raw.get("name"), raw.get("type")
            if not isinstance(name, str) or not name:
                self.error("state has no 'name'", at)
                continue
            if typ not in STATE_TYPES:
                shown = "no 'type'" if typ is None else f"unknown type '{typ}'"
                self.error(
                    f"state '{name}' has {shown} (one of {', '.join(STATE_TYPES)})",
                    (*at, "type") if typ is not None else at,
                )
                continue
            self.wf.states.append(self._state(raw, name, typ, at))

    def _state(self, raw: Mapping[str, Any], name: str, typ: str, at: Pointer) -> State:
        state = State(name, typ, at)
        state.used_for_compensation = raw.get("usedForCompensation") is True
        self._transition(state, raw.get("transition"), (*at, "transition"))
        self._end(state, raw.get("end"), (*at, "end"))
        # A compensation state returns to the compensation flow: it needs neither.
        if typ != "switch" and not state.used_for_compensation and not _goes_on(raw):
            state.dead_ends.append(at)
        for i, handler in enumerate(_list(raw.get("onErrors"))):
            if isinstance(handler, Mapping):
                here = (*at, "onErrors", i)
                self._transition(state, handler.get("transition"), (*here, "transition"))
                refs = [_ref(handler.get("errorRef"), (*here, "errorRef"))]
                refs += [
                    _ref(r, (*here, "errorRefs", j)) for j, r in enumerate(_list(handler.get("errorRefs")))
                ]
                state.error_refs += [r for r in refs if r is not None]
                if handler.get("errorRef") is None and handler.get("errorRefs") is None:
                    state.handlers_without_ref.append(here)
        state.compensated_by = _ref(raw.get("compensatedBy"), (*at, "compensatedBy"))
        timeouts = raw.get("timeouts")
        if isinstance(timeouts, Mapping) and timeouts.get("eventTimeout"):
            state.timer(f"has eventTimeout {timeouts['eventTimeout']}")
        getattr(self, f"_state_{typ}")(state, raw, at)
        return state

    def _event_timeout_of(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        """The eventTimeout a state that waits for events uses: its own, else the workflow's."""
        own = _dict(raw.get("timeouts")).get("eventTimeout")
        if own is not None:
            state.durations.append(Duration("eventTimeout", str(own), (*at, "timeouts", "eventTimeout")))
        elif self._event_timeout is not None:
            state.durations.append(
                Duration("eventTimeout", self._event_timeout, ("timeouts", "eventTimeout"))
            )

    def _state_operation(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        self._actions(state, raw.get("actions"), (*at, "actions"))

    def _state_foreach(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        self._actions(state, raw.get("actions"), (*at, "actions"))
        if raw.get("inputCollection") is None:
            state.missing.append("inputCollection")

    def _state_switch(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        state.data_conditions = len(_list(raw.get("dataConditions")))
        state.event_conditions = len(_list(raw.get("eventConditions")))
        state.default_condition = isinstance(raw.get("defaultCondition"), Mapping)
        if state.event_conditions:
            self._event_timeout_of(state, raw, at)
        for field in ("dataConditions", "eventConditions"):
            for i, cond in enumerate(_list(raw.get(field))):
                if not isinstance(cond, Mapping):
                    continue
                cat = (*at, field, i)
                self._transition(state, cond.get("transition"), (*cat, "transition"))
                self._end(state, cond.get("end"), (*cat, "end"))
                if not _goes_on(cond):
                    state.dead_ends.append(cat)
                if field == "eventConditions":
                    self._event_ref(state, cond.get("eventRef"), (*cat, "eventRef"))
        if raw.get("eventConditions"):
            state.waits.append("waits for events (eventConditions)")
        default = raw.get("defaultCondition")
        if isinstance(default, Mapping):
            self._transition(state, default.get("transition"), (*at, "defaultCondition", "transition"))
            self._end(state, default.get("end"), (*at, "defaultCondition", "end"))
            if not _goes_on(default):
                state.dead_ends.append((*at, "defaultCondition"))

    def _state_event(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        state.waits.append("waits for events")
        assert self.wf is not None
        if self.wf.start is None or self.wf.start.name != state.name:  # a start event state waits for none
            self._event_timeout_of(state, raw, at)
        for i, on in enumerate(_list(raw.get("onEvents"))):
            if not isinstance(on, Mapping):
                continue
            for j, ref in enumerate(_list(on.get("eventRefs"))):
                self._event_ref(state, ref, (*at, "onEvents", i, "eventRefs", j))
            self._actions(state, on.get("actions"), (*at, "onEvents", i, "actions"))

    def _state_callback(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        state.waits.append("is a callback (waits for an event)")
        self._event_timeout_of(state, raw, at)
        self._event_ref(state, raw.get("eventRef"), (*at, "eventRef"))
        action = raw.get("action")
        if isinstance(action, Mapping):
            self._action(state, action, (*at, "action"))

    def _state_sleep(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        state.timer(f"sleeps {raw.get('duration')}")
        if raw.get("duration") is None:
            state.missing.append("duration")
        else:
            state.durations.append(Duration("sleep", str(raw["duration"]), (*at, "duration")))

    def _state_inject(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        return None

    def _state_parallel(self, state: State, raw: Mapping[str, Any], at: Pointer) -> None:
        state.branches = len(_list(raw.get("branches")))
        for i, branch in enumerate(_list(raw.get("branches"))):
            if isinstance(branch, Mapping):
                self._actions(state, branch.get("actions"), (*at, "branches", i, "actions"))

    # -- pieces of states ----------------------------------------------------------------------
    def _transition(self, state: State, value: Any, at: Pointer) -> None:
        if isinstance(value, str):
            state.transitions.append(Ref(value, at))
        elif isinstance(value, Mapping):
            target = _ref(value.get("nextState"), (*at, "nextState"))
            if target:
                state.transitions.append(target)
            self._produced(state, value, at)
        elif value is not None:
            self.error(f"state '{state.name}': transition must be a state name", at)

    def _end(self, state: State, value: Any, at: Pointer) -> None:
        if isinstance(value, Mapping):
            self._produced(state, value, at)

    def _produced(self, state: State, value: Mapping[str, Any], at: Pointer) -> None:
        for i, pe in enumerate(_list(value.get("produceEvents"))):
            if isinstance(pe, Mapping):
                self._event_ref(state, pe.get("eventRef"), (*at, "produceEvents", i, "eventRef"))

    def _event_ref(self, state: State, value: Any, at: Pointer) -> None:
        if isinstance(value, str):
            state.event_refs.append(Ref(value, at))

    def _actions(self, state: State, actions: Any, at: Pointer) -> None:
        for i, action in enumerate(_list(actions)):
            if isinstance(action, Mapping):
                self._action(state, action, (*at, i))

    def _action(self, state: State, action: Mapping[str, Any], at: Pointer) -> None:
        if all(action.get(k) is None for k in ("functionRef", "eventRef", "subFlowRef")):
            state.empty_actions.append(at)
        fn = action.get("functionRef")
        if isinstance(fn, str):
            state.function_refs.append(Ref(fn, (*at, "functionRef")))
            state.calls.append(Call(state.function_refs[-1], None, at))
        elif isinstance(fn, Mapping):
            ref = _ref(fn.get("refName"), (*at, "functionRef", "refName"))
            if ref:
                state.function_refs.append(ref)
                state.calls.append(Call(ref, fn.get("arguments"), at))
        ev = action.get("eventRef")
        if isinstance(ev, Mapping):
            self._event_ref(state, ev.get("triggerEventRef"), (*at, "eventRef", "triggerEventRef"))
            self._event_ref(state, ev.get("resultEventRef"), (*at, "eventRef", "resultEventRef"))
            if ev.get("resultEventRef"):
                state.waits.append("waits for a result event")
        sub = action.get("subFlowRef")
        if isinstance(sub, str):
            state.subflow_refs.append(Ref(sub, (*at, "subFlowRef")))
        elif isinstance(sub, Mapping):
            ref = _ref(sub.get("workflowId"), (*at, "subFlowRef", "workflowId"))
            if ref:
                state.subflow_refs.append(ref)
        sleep = action.get("sleep")
        if isinstance(sleep, Mapping) and (sleep.get("before") or sleep.get("after")):
            state.timer("sleeps around an action")
            for when in ("before", "after"):
                if sleep.get(when) is not None:
                    state.durations.append(Duration("sleep", str(sleep[when]), (*at, "sleep", when)))


_FUNCTION_USE = re.compile(r"(?<![\w.$-])fn:([A-Za-z_][\w-]*)")


def _function_uses(value: Any, at: Pointer) -> Iterator[Ref]:
    """`fn:<name>` inside the expressions of states: each must be an expression function."""
    stack: list[tuple[Any, Pointer]] = [(value, at)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if ("fn:" in node and "$" in node) or where[-1:] == ("condition",):
                yield from (Ref(m.group(1), where) for m in _FUNCTION_USE.finditer(node))
        elif isinstance(node, Mapping):
            stack.extend((v, (*where, str(k))) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(node))


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _goes_on(node: Mapping[str, Any]) -> bool:
    """A state or switch branch either transitions somewhere or ends the workflow (SonataFlow's
    parser takes any `end` but false and null as an end: `end: "false"` ends)."""
    end = node.get("end")
    return node.get("transition") is not None or (end is not None and end is not False)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    return str(value)


def _ref(value: Any, at: Pointer) -> Ref | None:
    return Ref(value, at) if isinstance(value, str) else None


def _secret_uses(value: Any, at: Pointer) -> Iterator[Ref]:
    if isinstance(value, str):
        if "$SECRET" in value:
            for m in SECRET_USE.finditer(value):
                yield Ref(m.group(1), at)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _secret_uses(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _secret_uses(v, (*at, i))
