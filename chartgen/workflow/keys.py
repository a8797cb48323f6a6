"""The shape of a Serverless Workflow 0.8 document as SonataFlow 10.0 reads it: the workflow
model of sdk-java 4.0.5.Final, filled by Jackson.

Each kind of object lists its keys and what each holds. A strict kind fails the build on any
other key ("Unrecognized field ... not marked as ignorable"); a lenient one (read by a custom
deserializer that picks the keys it knows) drops it silently. Keys and enum values are
case-sensitive. Free maps (metadata, arguments, inject data, constants) hold any keys.

Found by reading the SDK's schemas and deserializers and checked on the real parser and builds
(the shape table of this issue's research notes); `shape.py` walks a document with it.
"""

from __future__ import annotations

from dataclasses import dataclass


class Slot:
    """What a key holds."""


@dataclass(frozen=True)
class Text(Slot):
    """A scalar read as text. An object or list here derails the parser of a strict kind: it reads
    the nested keys as its own, then fails or drops what follows."""


@dataclass(frozen=True)
class Flag(Slot):
    pass


@dataclass(frozen=True)
class Integer(Slot):
    pass


@dataclass(frozen=True)
class Choice(Slot):
    values: tuple[str, ...]


@dataclass(frozen=True)
class Free(Slot):
    """Any keys: `text_values` maps hold only scalars (metadata, contextAttributes)."""

    text_values: bool = False


@dataclass(frozen=True)
class One(Slot):
    """An object of `kind`; a string too when the kind has a shorthand key; `end` also takes
    true/false (`flag`)."""

    kind: str
    flag: bool = False


@dataclass(frozen=True)
class Many(Slot):
    """A list of `kind` (objects; strings where the kind has a shorthand) or of texts (kind "");
    `file`: a string instead names a file of definitions."""

    kind: str = ""
    file: bool = False


@dataclass(frozen=True)
class Kind:
    name: str  # how messages call it
    fields: dict[str, Slot]
    strict: bool = True
    shorthand: str | None = None  # a plain string is this key's value
    required: tuple[str, ...] = ()  # keys without which the parser itself fails


TEXT, FLAG, INVOKE = Text(), Flag(), Choice(("sync", "async"))
MODE = Choice(("sequential", "parallel"))
TEXT_MAP = Free(text_values=True)
STATE_TYPES = ("operation", "switch", "event", "callback", "sleep", "inject", "parallel", "foreach")

_STATE_COMMON: dict[str, Slot] = {
    "id": TEXT,
    "name": TEXT,
    "type": TEXT,  # checked by the builder, with the types SonataFlow runs
    "end": One("end", flag=True),
    "stateDataFilter": One("stateDataFilter"),
    "metadata": TEXT_MAP,
    "transition": One("transition"),
    "onErrors": Many("onErrors item"),
    "compensatedBy": TEXT,
    "timeouts": One("timeouts"),
}
_COMPENSATION: dict[str, Slot] = {"usedForCompensation": FLAG}  # every state type but event
STATE_FIELDS: dict[str, dict[str, Slot]] = {
    "event": {"exclusive": FLAG, "onEvents": Many("onEvents item")},
    "operation": {"actionMode": MODE, "actions": Many("action"), **_COMPENSATION},
    "switch": {
        "dataConditions": Many("dataCondition"),
        "eventConditions": Many("eventCondition"),
        "defaultCondition": One("defaultCondition"),
        **_COMPENSATION,
    },
    "sleep": {"duration": TEXT, **_COMPENSATION},
    "parallel": {
        "branches": Many("branch"),
        "completionType": Choice(("allOf", "atLeast")),
        "numCompleted": TEXT,
        **_COMPENSATION,
    },
    "inject": {"data": Free(), **_COMPENSATION},
    "foreach": {
        "inputCollection": TEXT,
        "outputCollection": TEXT,
        "iterationParam": TEXT,
        "batchSize": Integer(),
        "actions": Many("action"),
        "mode": MODE,
        **_COMPENSATION,
    },
    "callback": {
        "action": One("action"),
        "eventRef": TEXT,
        "eventDataFilter": One("eventDataFilter"),
        **_COMPENSATION,
    },
}
STATE_KEYS = {typ: frozenset(_STATE_COMMON) | frozenset(extra) for typ, extra in STATE_FIELDS.items()}
_TRANSITION_OR_END: dict[str, Slot] = {"transition": One("transition"), "end": One("end", flag=True)}
_EXEC_TIMEOUT = One("workflowExecTimeout")

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "workflow",
            {
                "id": TEXT,
                "key": TEXT,
                "name": TEXT,
                "description": TEXT,
                "version": TEXT,
                "annotations": Many(),
                "dataInputSchema": One("dataInputSchema"),
                "start": One("start"),
                "specVersion": TEXT,
                "expressionLang": TEXT,
                "keepActive": FLAG,
                "autoRetries": FLAG,
                "metadata": TEXT_MAP,
                "events": Many("event", file=True),
                "functions": Many("function", file=True),
                "errors": Many("error", file=True),
                "retries": Many("retry", file=True),
                "secrets": Many(file=True),
                "constants": Free(),
                "timeouts": One("timeouts"),
                "auth": Many("auth", file=True),
            },
        ),  # and states, extensions: walked by kind
        Kind(
            "action",
            {
                "id": TEXT,
                "name": TEXT,
                "functionRef": One("functionRef"),
                "eventRef": One("eventRef"),
                "subFlowRef": One("subFlowRef"),
                "sleep": One("sleep"),
                "retryRef": TEXT,
                "nonRetryableErrors": Many(),
                "retryableErrors": Many(),
                "actionDataFilter": One("actionDataFilter"),
                "condition": TEXT,
            },
        ),
        Kind(
            "function",
            {
                "name": TEXT,
                "operation": TEXT,
                "authRef": TEXT,
                "metadata": TEXT_MAP,
                "type": Choice(("rest", "asyncapi", "rpc", "graphql", "odata", "expression", "custom")),
            },
            shorthand="name",
        ),
        Kind(
            "functionRef",
            {"refName": TEXT, "arguments": Free(), "selectionSet": TEXT, "invoke": INVOKE},
            strict=False,
            shorthand="refName",
        ),
        Kind(
            "subFlowRef",
            {
                "workflowId": TEXT,
                "version": TEXT,
                "invoke": INVOKE,
                "onParentComplete": Choice(("continue", "terminate")),
            },
            strict=False,
            shorthand="workflowId",
        ),
        Kind(
            "eventRef",
            {
                "triggerEventRef": TEXT,
                "resultEventRef": TEXT,
                "resultEventTimeout": TEXT,
                "data": TEXT,
                "contextAttributes": TEXT_MAP,
                "invoke": INVOKE,
            },
        ),
        Kind("sleep", {"before": TEXT, "after": TEXT}),
        Kind(
            "actionDataFilter",
            {"fromStateData": TEXT, "results": TEXT, "toStateData": TEXT, "useResults": FLAG},
        ),
        Kind(
            "event",
            {
                "name": TEXT,
                "source": TEXT,
                "type": TEXT,
                "kind": Choice(("consumed", "produced")),
                "correlation": Many("correlation"),
                "dataOnly": FLAG,
                "metadata": TEXT_MAP,
            },
        ),
        Kind(
            "correlation",
            {"contextAttributeName": TEXT, "contextAttributeValue": TEXT},
            shorthand="contextAttributeName",
        ),
        Kind(
            "onEvents item",
            {
                "eventRefs": Many(),
                "actionMode": MODE,
                "actions": Many("action"),
                "eventDataFilter": One("eventDataFilter"),
            },
        ),
        Kind("eventDataFilter", {"data": TEXT, "toStateData": TEXT, "useData": FLAG}),
        Kind("stateDataFilter", {"input": TEXT, "output": TEXT}),
        Kind("dataCondition", {"name": TEXT, "condition": TEXT, **_TRANSITION_OR_END}),
        Kind(
            "eventCondition",
            {"name": TEXT, "eventRef": TEXT, "eventDataFilter": One("eventDataFilter"), **_TRANSITION_OR_END},
        ),
        Kind("defaultCondition", dict(_TRANSITION_OR_END)),
        Kind(
            "transition",
            {"nextState": TEXT, "produceEvents": Many("produceEvents item"), "compensate": FLAG},
            strict=False,
            shorthand="nextState",
        ),
        Kind(
            "end",
            {
                "terminate": FLAG,
                "produceEvents": Many("produceEvents item"),
                "compensate": FLAG,
                "continueAs": One("continueAs"),
            },
            strict=False,
        ),
        Kind(
            "continueAs",
            {"workflowId": TEXT, "version": TEXT, "data": TEXT, "workflowExecTimeout": _EXEC_TIMEOUT},
            strict=False,
            shorthand="workflowId",
        ),
        Kind(
            "produceEvents item",
            {"eventRef": TEXT, "data": TEXT, "contextAttributes": TEXT_MAP},
            shorthand="eventRef",
        ),
        Kind("error", {"name": TEXT, "code": TEXT, "description": TEXT}, shorthand="name"),
        Kind("onErrors item", {"errorRef": TEXT, "errorRefs": Many(), **_TRANSITION_OR_END}),
        Kind(
            "retry",
            {
                "name": TEXT,
                "delay": TEXT,
                "maxDelay": TEXT,
                "increment": TEXT,
                "multiplier": TEXT,
                "maxAttempts": TEXT,
                "jitter": TEXT,
            },
        ),
        Kind(
            "auth",
            {"name": TEXT, "scheme": Choice(("basic", "bearer", "oauth2")), "properties": Free()},
            strict=False,
        ),
        Kind(
            "timeouts",
            {
                "workflowExecTimeout": _EXEC_TIMEOUT,
                "stateExecTimeout": One("stateExecTimeout"),
                "actionExecTimeout": TEXT,
                "branchExecTimeout": TEXT,
                "eventTimeout": TEXT,
            },
        ),
        Kind(
            "workflowExecTimeout",
            {"duration": TEXT, "interrupt": FLAG, "runBefore": TEXT},
            shorthand="duration",
        ),
        Kind("stateExecTimeout", {"single": TEXT, "total": TEXT}, strict=False, shorthand="total"),
        Kind("start", {"stateName": TEXT, "schedule": One("schedule")}, strict=False, shorthand="stateName"),
        Kind(
            "schedule",
            {"interval": TEXT, "cron": One("cron"), "timezone": TEXT},
            strict=False,
            shorthand="interval",
        ),
        Kind("cron", {"expression": TEXT, "validUntil": TEXT}, strict=False, shorthand="expression"),
        Kind(
            "dataInputSchema",
            {"schema": TEXT, "failOnValidationErrors": FLAG},
            strict=False,
            shorthand="schema",
            required=("schema", "failOnValidationErrors"),
        ),
        Kind("branch", {"name": TEXT, "actions": Many("action"), "timeouts": One("timeouts")}),
    )
}

# extensions[]: by `extensionid`, the only three SonataFlow 10.0 registers; any other id fails the
# build ("Extension handler not registered for"), and a missing one crashes the parser.
EXTENSIONS: dict[str, Kind] = {
    "workflow-uri-definitions": Kind(
        "workflow-uri-definitions extension", {"extensionid": TEXT, "uri": TEXT, "definitions": Free()}
    ),
    "workflow-function-namespaces": Kind(
        "workflow-function-namespaces extension", {"extensionid": TEXT, "namespaces": Free()}
    ),
    "workflow-output-schema": Kind(
        "workflow-output-schema extension", {"extensionid": TEXT, "outputSchema": One("dataInputSchema")}
    ),
}


def state_kind(typ: str) -> Kind:
    name = f"{typ} state"
    return Kind(name, {**_STATE_COMMON, **STATE_FIELDS[typ]})
