"""The typed model of workflow projects that every later stage reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from chartgen.errors import Location
from chartgen.formats.properties import PropertiesFile
from chartgen.formats.source import Pointer, SourceFile, Spot

# A chart carries project files in ConfigMaps; the API server refuses objects over 1 MiB,
# so keep room for metadata and keys.
CONFIG_MAP_BUDGET = 1_000_000
STATE_TYPES = ("operation", "switch", "event", "callback", "sleep", "inject", "parallel", "foreach")


@dataclass(frozen=True)
class Ref:
    """A name written somewhere in a workflow, and where (for located errors)."""

    name: str
    at: Pointer
    key: bool = False


@dataclass
class Function:
    name: str
    type: str  # rest | asyncapi | expression | custom | rpc | graphql | odata
    operation: str
    at: Pointer
    spec: SpecRef | None = None  # what `operation` points at, once references are resolved


@dataclass(frozen=True)
class SpecRef:
    """Where a function's `<spec>#<operationId>` points (filled by resolve.py)."""

    uri: str
    operation_id: str
    remote: str | None = None  # the remote URL or alias: not checked, not packaged
    path: Path | None = None  # the local spec file inside the project; None: not found


@dataclass
class SpecDoc:
    """A spec file, parsed once: its document and where its values were written."""

    source: SourceFile
    doc: Mapping[str, Any]


@dataclass(frozen=True)
class SchemaRef:
    """A `$ref` of a JSON schema file, and the project file it names (filled by resolve.py)."""

    ref: str
    at: Pointer  # where in the schema document
    path: Path | None = None  # the local file, when it names one that exists


@dataclass
class SchemaFile:
    """A JSON schema a workflow names (dataInputSchema, output schema) or one its `$ref`s reach."""

    source: SourceFile
    doc: Any
    refs: list[SchemaRef] = field(default_factory=list)


@dataclass
class EventDef:
    name: str
    type: str | None
    source: str | None
    kind: str  # consumed | produced
    at: Pointer


@dataclass
class AuthDef:
    name: str
    scheme: str
    at: Pointer


@dataclass(frozen=True)
class Call:
    """An action calling a function: the name, and the arguments given (None: no `arguments`)."""

    function: Ref
    arguments: Any
    at: Pointer  # the action


@dataclass(frozen=True)
class Duration:
    """A duration a state writes: what it is (sleep, eventTimeout...), the text, and where."""

    what: str
    text: str
    at: Pointer


@dataclass
class State:
    name: str
    type: str
    at: Pointer
    transitions: list[Ref] = field(default_factory=list)
    compensated_by: Ref | None = None
    function_refs: list[Ref] = field(default_factory=list)
    event_refs: list[Ref] = field(default_factory=list)
    subflow_refs: list[Ref] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)  # why this state can wait (persistence)
    timers: list[str] = field(default_factory=list)  # those of the waits a timer ends (Jobs Service)
    dead_ends: list[Pointer] = field(default_factory=list)  # the state or branches with no transition/end
    used_for_compensation: bool = False
    calls: list[Call] = field(default_factory=list)
    empty_actions: list[Pointer] = field(default_factory=list)  # neither functionRef, eventRef nor subFlowRef
    durations: list[Duration] = field(default_factory=list)
    error_refs: list[Ref] = field(default_factory=list)  # onErrors errorRef / errorRefs
    handlers_without_ref: list[Pointer] = field(default_factory=list)  # onErrors entries naming no error
    data_conditions: int = 0
    event_conditions: int = 0
    default_condition: bool = False
    branches: int = 0  # parallel
    missing: list[str] = field(default_factory=list)  # required keys of its type it lacks

    def timer(self, why: str) -> None:
        """A wait that a timer ends: the instance needs persistence, and the timer must survive too."""
        self.waits.append(why)
        self.timers.append(why)


@dataclass
class Workflow:
    id: str
    source: SourceFile
    doc: int
    base: Pointer  # where the flow starts inside the document (SonataFlow CRs: spec.flow)
    rel_path: str  # path inside the project's resources folder, '/'-separated
    has_id: bool = True  # False: the id was missing (reported); `id` is the file stem
    name: str | None = None
    version: str | None = None
    spec_version: str | None = None
    description: str | None = None
    start: Ref | None = None
    states: list[State] = field(default_factory=list)
    declared_states: int = 0  # entries under `states`, well-formed or not
    functions: list[Function] = field(default_factory=list)
    function_names: set[str] = field(default_factory=set)  # every function named, well-formed or not
    events: list[EventDef] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # error definitions with a `code` (usable)
    errors_declared: bool = False  # an `errors` section exists
    codeless_errors: list[Ref] = field(default_factory=list)  # definitions without `code`
    expression_lang: Ref | None = None
    expression_refs: list[Ref] = field(default_factory=list)  # `fn:<name>` inside expressions
    secrets: list[str] | None = None  # declared `secrets`; None when not declared
    secret_uses: list[Ref] = field(default_factory=list)
    auth: list[AuthDef] = field(default_factory=list)
    exec_timeout: str | None = None
    data_input_schema: Ref | None = None
    output_schema: Ref | None = None  # the workflow-output-schema extension's outputSchema
    uri_definitions: dict[str, str] = field(default_factory=dict)
    is_subflow: bool = False
    from_custom_resource: bool = False
    rewritten: bytes | None = None  # plain workflow text when the file held a CR or several docs
    definition: Mapping[str, Any] = field(default_factory=dict)  # the flow as parsed
    input_schema: Path | None = None  # the dataInputSchema file, once resolved
    output_schema_file: Path | None = None  # the outputSchema file, once resolved

    def loc(self, pointer: Pointer = (), key: bool = False) -> Location:
        return self.source.location(self.doc, self.base + tuple(pointer), key)

    def spot(self, pointer: Pointer = (), key: bool = False) -> Spot:
        return self.source.spot(self.doc, self.base + tuple(pointer), key)

    def ref_loc(self, ref: Ref) -> Location:
        return self.loc(ref.at, ref.key)

    @property
    def consumed_events(self) -> list[EventDef]:
        return [e for e in self.events if e.kind == "consumed"]

    @property
    def produced_events(self) -> list[EventDef]:
        return [e for e in self.events if e.kind == "produced"]

    @property
    def wait_reasons(self) -> list[str]:
        """Why an instance of this workflow can outlive a request (needs persistence)."""
        reasons = [f"state '{s.name}' {why}" for s in self.states for why in s.waits]
        if self.exec_timeout:
            reasons.insert(0, f"workflowExecTimeout {self.exec_timeout}")
        return reasons

    @property
    def timer_reasons(self) -> list[str]:
        """Why this workflow needs timers that outlive the process (a sleep, a timeout)."""
        reasons = [f"state '{s.name}' {why}" for s in self.states for why in s.timers]
        if self.exec_timeout:
            reasons.insert(0, f"workflowExecTimeout {self.exec_timeout}")
        return reasons

    @property
    def secret_names(self) -> list[str]:
        names = set(self.secrets or []) | {r.name for r in self.secret_uses}
        return sorted(names)


@dataclass
class Asset:
    """A file of a project other than a workflow: spec, schema, properties, ... (read once,
    parsed once: `source` as YAML/JSON, `properties` as a properties file, when asked)."""

    rel_path: str  # inside the resources folder
    path: Path
    content: bytes
    _source: SourceFile | None = field(default=None, init=False, repr=False, compare=False)
    _properties: PropertiesFile | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def source(self) -> SourceFile:
        if self._source is None:
            self._source = SourceFile(self.path, self.content, runtime_reads=True)
        return self._source

    @property
    def properties(self) -> PropertiesFile:
        if self._properties is None:
            self._properties = PropertiesFile(self.content.decode("utf-8", errors="replace"))
        return self._properties


class SecretKeyName(NamedTuple):
    """A key of secret.properties: only its name and line are ever kept, never its value."""

    key: str
    path: Path
    line: int


@dataclass
class Project:
    name: str  # folder name
    root: Path  # the project folder
    resources: Path  # where workflow files live (root, or root/src/main/resources)
    rel: str  # root relative to the workflows folder, for messages
    workflows: list[Workflow] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    secret_keys: list[SecretKeyName] = field(default_factory=list)  # of secret.properties
    errors: int = 0  # errors found in this project's own files (it gets no chart)

    @property
    def roots(self) -> list[Workflow]:
        return [w for w in self.workflows if not w.is_subflow]

    @property
    def subflows(self) -> list[Workflow]:
        return [w for w in self.workflows if w.is_subflow]


@dataclass
class WorkflowSet:
    """Everything found under one workflows folder."""

    base: Path
    projects: list[Project] = field(default_factory=list)
    specs: dict[Path, SpecDoc] = field(default_factory=dict)  # parsed spec documents, by file (resolve.py)
    schemas: dict[Path, SchemaFile] = field(default_factory=dict)  # schemas workflows reach (resolve.py)

    @property
    def workflows(self) -> list[Workflow]:
        return [w for p in self.projects for w in p.workflows]
