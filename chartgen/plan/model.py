"""ChartPlan: every decision about one chart, made; emit writes it, templates render it.

`ChartData` is what the chart's templates read from `files/chartgen-data.yaml`: object
names, which ConfigMap carries which file, the workflows and their events, and per
environment the structure chartgen decided (runtime, provider, Secret keys and the
variables that read them, HPA, NetworkPolicy rules, RBAC, the kinds the chart contains).
`dev sync`, `chartgen test`, the test invariants and later stages read the same model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from chartgen.errors import Diagnostic
from chartgen.graph.model import Graph
from chartgen.values.model import DevValues, PlatformValues, ProductionValues
from chartgen.workflow.names import Where

ChartKind = Literal["production", "dev", "platform"]
Runtime = Literal["kubernetes", "sonataflow"]
Provider = Literal["none", "vso", "eso", "injector", "existing"]
RUNTIME_COMPONENT = "workflow-runtime"  # the component label of workflow charts (and their pods)
# The providers whose Secret comes from Vault (the chart then needs `vault` values).
VAULT_PROVIDERS: tuple[Provider, ...] = ("vso", "eso", "injector")


@dataclass(frozen=True)
class DataFile:
    """A file shipped inside the chart (under files/) and where the pod sees it."""

    chart_path: str  # e.g. files/resources/specs/api.yaml
    mount_path: str  # relative to the mount folder, e.g. specs/api.yaml
    key: str  # ConfigMap key (only [-._a-zA-Z0-9])
    content: bytes
    binary: bool = False

    @property
    def size(self) -> int:
        """Bytes this file takes in a ConfigMap (base64 for binaryData)."""
        encoded = (len(self.content) + 2) // 3 * 4 if self.binary else len(self.content)
        return len(self.key) + encoded


@dataclass
class ConfigMapPlan:
    name: str
    files: list[DataFile] = field(default_factory=list)
    # Flat: every key is a file name at the mount root, so the pod mounts it without an
    # item list, and a file added later shows up without changing the pod (hot reload).
    flat: bool = False

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(kw_only=True)
class FileEntry:
    key: str  # ConfigMap key
    path: str  # where the pod sees it, relative to the mount
    source: str  # the chart file holding it

    @classmethod
    def of(cls, f: DataFile) -> FileEntry:
        return cls(key=f.key, path=f.mount_path, source=f.chart_path)


@dataclass(kw_only=True)
class ConfigMapData:
    name: str
    flat: bool | None = None  # True: mounted without an item list (files added later appear)
    text: list[FileEntry] | None = None
    binary: list[FileEntry] | None = None

    @classmethod
    def of(cls, cm: ConfigMapPlan) -> ConfigMapData:
        def entries(binary: bool) -> list[FileEntry] | None:
            found = [
                FileEntry(key=f.key, path=f.mount_path, source=f.chart_path)
                for f in cm.files
                if f.binary == binary
            ]
            return found or None

        return cls(name=cm.name, flat=cm.flat or None, text=entries(False), binary=entries(True))


@dataclass(kw_only=True)
class Names:
    """Names of the chart's objects: fixed by the plan, so they never depend on the release name
    (`dev sync` finds the ConfigMaps by name). The ServiceAccount's is a value (serviceAccount.name),
    since Vault's role binds it: the values show what Vault must allow."""

    workload: str  # Deployment, Service, HPA, PDB, NetworkPolicy, Vault objects
    config: str  # the application.properties ConfigMap
    test: str
    runtimeRole: str
    deployerRole: str
    viewerRole: str

    @classmethod
    def of(cls, chart: str) -> Names:
        return cls(
            workload=chart,
            config=f"{chart}-config",
            test=f"{chart}-test",
            runtimeRole=f"{chart}-runtime",
            deployerRole=f"{chart}-deployer",
            viewerRole=f"{chart}-viewer",
        )


@dataclass(kw_only=True)
class WorkflowData:
    id: str
    name: str  # resource name (SonataFlow, Service under the sonataflow runtime)
    file: str
    root: bool
    version: str
    description: str
    flow: str | None = None  # chart file with the SonataFlow spec.flow (root workflows)
    startedBy: Literal["http", "event"] = "http"


@dataclass(kw_only=True)
class ConsumedEvent:
    # Per type and receiving workflow: the runtime matches events by type (not by source).
    type: str
    trigger: str
    # The one Trigger of its type kept when one Service runs every workflow (kubernetes runtime).
    firstOfType: bool  # Trigger name
    subscriber: str  # root workflow resource name receiving it (its own Service under sonataflow)


@dataclass(kw_only=True)
class Events:
    consumed: list[ConsumedEvent] = field(default_factory=list)
    produced: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class SecretBinding:
    """One Secret key and how the runtime reads it: as a file named `env` in the credentials
    folder (or, dev pod, the variable `env`), or (Vault Agent) as a line of the rendered
    properties file setting `property`."""

    key: str
    env: str
    property: str


# The credentials folder's precedence as a config source: over every application.properties
# (250, and 260 for config/ beside the app), under environment variables (300), as the
# credentials had when they were variables and a project's own default never wins.
CREDENTIALS_ORDINAL = 290


@dataclass(kw_only=True)
class CredentialFiles:
    """How the runtime reads the Secret's keys: as files, never variables (those leak through
    /proc, crash dumps and child processes). With a `folder`: a read-only Secret volume there,
    each key a file named like the variable it replaces, which SmallRye Config's file-system
    source (SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS) matches to the property as it matches a
    variable. Without: the Vault Agent's properties file."""

    folder: str | None = "/var/run/secrets/chartgen/credentials"
    mode: int = 0o440  # root-owned, group fsGroup (the runtime's): the kubelet adds 0440 anyway
    ordinal: int = CREDENTIALS_ORDINAL
    ordinalKey: str = "credentials-ordinal"  # the config ConfigMap key projected as config_ordinal


@dataclass(kw_only=True)
class Subject:
    kind: Literal["Group", "User", "ServiceAccount"]
    name: str
    namespace: str | None = None


@dataclass(kw_only=True)
class NetworkRules:
    """The NetworkPolicy's rules as Kubernetes objects (NetworkPolicyIngressRule/EgressRule)."""

    ingress: list[dict[str, Any]] = field(default_factory=list)
    egress: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class EnvVar:
    name: str
    value: str


@dataclass(frozen=True, kw_only=True)
class BrokerRoute:
    """A Trigger on the broker: events of one CloudEvent type, to a path of a platform service."""

    name: str
    type: str
    path: str


@dataclass(kw_only=True)
class PlatformServiceData:
    """One service of a platform chart in one environment: its objects' name, its values
    section, its schema, the settings it always runs with, and its scaling and network rules."""

    name: str  # Deployment, Service, HPA, PDB, NetworkPolicy
    component: str  # app.kubernetes.io/component of its pods
    values: str  # its section of the values (jobService, dataIndex)
    schema: str  # its PostgreSQL schema
    env: list[EnvVar] = field(default_factory=list)
    hpa: bool = False
    pdb: bool = False
    networkPolicy: NetworkRules | None = None
    # Events through the Knative broker: the Triggers bringing them to this service, and whether
    # its own go to the broker (a SinkBinding gives its pods K_SINK).
    triggers: list[BrokerRoute] = field(default_factory=list)
    sendsToBroker: bool = False


@dataclass(kw_only=True)
class EnvironmentData:
    namespace: str
    secretName: str | None = None  # None: the pods read no Secret
    secretKeys: list[str] = field(default_factory=list)  # every key of that Secret (names only)
    secretBindings: list[SecretBinding] = field(default_factory=list)
    # Production: how the runtime reads them (None: the Vault Agent's file, or no Secret)
    credentials: CredentialFiles | None = None
    startupSeconds: int = 0  # the startup probe's allowance: how long an install may take
    kinds: dict[str, list[str]] = field(default_factory=dict)  # API group -> resources the chart creates
    # API group -> resources the deployer only reads: what `helm --wait` watches to judge a rollout
    waitReads: dict[str, list[str]] = field(default_factory=dict)
    # Production only:
    runtime: Runtime | None = None
    provider: Provider | None = None
    persistence: bool | None = None
    databaseKeys: list[str] | None = None  # [username key, password key]
    # The database as a cluster Service (the SonataFlow CR's serviceRef); None: a JDBC URL.
    databaseService: ServiceRef | None = None
    readsVault: bool | None = None  # the provider reads Vault: the chart needs `vault` values
    hpa: bool | None = None
    pdb: bool | None = None
    networkPolicy: NetworkRules | None = None
    # The instance events go to the Knative broker (K_SINK, from the chart's SinkBinding), whose
    # Triggers in the platform chart take them to the Data Index; else straight to dataIndex.url.
    eventsToBroker: bool | None = None  # None: no (left out of the data: no pod rolls)
    kubernetesApi: list[dict[str, Any]] | None = None  # Role rules of the runtime; empty: no token
    deployers: list[Subject] | None = None
    viewers: list[Subject] | None = None
    services: list[PlatformServiceData] | None = None  # platform charts: the services it runs


class Spotted(NamedTuple):
    """A workflow id, and where it is written (located only when reported)."""

    id: str
    where: Where


@dataclass(kw_only=True)
class ServiceRef:
    """A Service of the cluster, named by its in-cluster DNS name (`<name>.<namespace>.svc`)."""

    name: str
    namespace: str


@dataclass(frozen=True, kw_only=True)
class EventChannel:
    """A Kogito event channel and the Data Index path its HTTP CloudEvents go to."""

    channel: str
    path: str


# The channels a runtime sends its instances' events on, to the Data Index (the data-index
# service's HTTP endpoints): what the chart's properties set and `chartgen run` points.
PROCESS_INSTANCES = EventChannel(channel="kogito-processinstances-events", path="/processes")
PROCESS_DEFINITIONS = EventChannel(channel="kogito-processdefinitions-events", path="/definitions")
# User task events are off (kogito.events.usertasks.enabled=false), but the add-on declares their
# emitter: a runtime whose connector is not attached to every channel by default (invoice-sync's,
# without the Knative add-on) refuses to start while the channel has none.
USER_TASK_INSTANCES = EventChannel(channel="kogito-usertaskinstances-events", path="/tasks")
DATA_INDEX_CHANNELS = (PROCESS_INSTANCES, PROCESS_DEFINITIONS, USER_TASK_INSTANCES)


@dataclass(kw_only=True)
class ChartData:
    chart: str
    kind: ChartKind
    partOf: str
    names: Names
    component: str = RUNTIME_COMPONENT  # app.kubernetes.io/component of its objects
    configMaps: list[ConfigMapData] = field(default_factory=list)
    properties: list[FileEntry] = field(default_factory=list)
    workflows: list[WorkflowData] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)  # why instances outlive a request; empty: nothing waits
    # Sleeps and timeouts: the platform's Jobs Service keeps them (values jobService.url).
    timers: list[str] = field(default_factory=list)
    events: Events = field(default_factory=Events)
    # Where instance events go in the platform's Data Index (values dataIndex.url), one entry
    # per channel; empty: none are sent. The runtime is built with the process events add-on
    # when there are any: one image serves every environment, so all or none.
    processEvents: list[EventChannel] = field(default_factory=list)
    kubernetesApiCalls: list[str] = field(default_factory=list)
    environments: dict[str, EnvironmentData] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        chart: str,
        kind: ChartKind,
        part_of: str,
        config_maps: list[ConfigMapPlan],
        properties: list[DataFile],
        **facts: Any,
    ) -> ChartData:
        """What every chart's data holds, from the plan of its files; `facts` are the rest."""
        return cls(
            chart=chart,
            kind=kind,
            partOf=part_of,
            names=Names.of(chart),
            configMaps=[ConfigMapData.of(cm) for cm in config_maps],
            properties=[FileEntry.of(f) for f in properties],
            **facts,
        )


@dataclass
class ChartPlan:
    kind: ChartKind
    name: str  # chart name = folder under the output folder = release name
    chart: dict[str, Any]  # Chart.yaml
    # per environment, complete
    values: dict[str, ProductionValues] | dict[str, DevValues] | dict[str, PlatformValues]
    data: ChartData
    schema: dict[str, Any]  # values.schema.json
    config_maps: list[ConfigMapPlan] = field(default_factory=list)
    properties: list[DataFile] = field(default_factory=list)  # files of the config ConfigMap
    extra_files: list[DataFile] = field(default_factory=list)  # chart files no ConfigMap carries
    # Why this chart cannot be written although its projects are fine (what combining them
    # breaks): generate leaves it as it is and writes the others.
    refusals: list[Diagnostic] = field(default_factory=list)
    graphs: list[Graph] = field(default_factory=list)  # each workflow's state graph (the README's)

    @property
    def workflows(self) -> list[str]:
        return sorted(w.id for w in self.data.workflows)

    @property
    def environments(self) -> list[str]:
        return sorted(self.data.environments)

    @property
    def data_files(self) -> list[DataFile]:
        return [f for cm in self.config_maps for f in cm.files] + self.properties
