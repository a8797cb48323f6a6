"""The values of the charts chartgen writes: what an operator may tune per environment.

Structure is not a value: which objects a chart has, the secrets provider, the runtime,
the network rules and RBAC are decided by chartgen per environment and written to the
chart's data file (plan/model.py). Values hold the settings those objects take. Sections a
chart does not use are left out of its values and of its values.schema.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from chartgen.schema.spec import Rule, value
from chartgen.values.types import (
    Affinity,
    CommonAnnotations,
    CommonLabels,
    ContainerResources,
    DatabaseHost,
    DatabaseName,
    DnsLabel,
    ExtraEnv,
    GoDuration,
    HttpUrl,
    ImageDigest,
    ImageRepository,
    ImageTag,
    IsoDuration,
    NodeSelector,
    PodAnnotations,
    PodLabels,
    PolicyExceptions,
    Port,
    PriorityClassName,
    Properties,
    PullPolicy,
    ResourceList,
    Resources,
    SchemaName,
    Tolerations,
    VaultAudience,
    VaultMount,
    VaultPath,
    VaultRole,
)

# An HPA below two replicas is not highly available; a fixed count may be one.
MIN_REPLICAS = 2
DEFAULT_MAX_REPLICAS = 6
DEFAULT_CPU_TARGET = 75  # % of requests
RUNTIME_UID = 10001
TEST_IMAGE = "docker.io/library/busybox:1.37.0"
DEVMODE_IMAGE = "docker.io/apache/incubator-kie-sonataflow-devmode:10.0.0"

NonEmpty = Annotated[str, Rule(min_length=1)]
Uid = Annotated[int, Rule(minimum=10000)]
Positive = Annotated[int, Rule(minimum=1)]


@dataclass(kw_only=True)
class PullSecret:
    name: DnsLabel = value("Secret with registry credentials")


@dataclass(kw_only=True)
class RuntimeImage:
    repository: ImageRepository = value("Image repository of this workflow runtime")
    tag: ImageTag = value()
    digest: ImageDigest = value(default="")
    pullPolicy: PullPolicy = value("When the kubelet pulls the image", "IfNotPresent")


@dataclass(kw_only=True)
class DevImage:
    repository: ImageRepository = value("Image repository of the SonataFlow devmode image")
    tag: Annotated[str, Rule(doc="Image tag (empty with a digest)")] = value(default="")
    digest: ImageDigest = value(default="")
    pullPolicy: PullPolicy = value("When the kubelet pulls the image", "IfNotPresent")


@dataclass(kw_only=True)
class Autoscaling:
    minReplicas: Annotated[int, Rule(minimum=MIN_REPLICAS)] = value(
        "Fewest replicas the HPA keeps", MIN_REPLICAS
    )
    maxReplicas: Annotated[int, Rule(minimum=MIN_REPLICAS)] = value(
        "Most replicas the HPA may start", DEFAULT_MAX_REPLICAS
    )
    targetCPUUtilizationPercentage: Annotated[int, Rule(minimum=1, maximum=100)] = value(
        "Average CPU use (% of requests) the HPA aims for", DEFAULT_CPU_TARGET
    )


@dataclass(kw_only=True)
class Probe:
    path: Annotated[str, Rule(pattern="^/", expected="a path starting with /")] = value("HTTP path")
    periodSeconds: Positive = value("Seconds between checks", 10)
    timeoutSeconds: Positive = value("Seconds a check may take", 3)
    failureThreshold: Positive = value("Failed checks before the pod is restarted or unready", 3)


@dataclass(kw_only=True)
class Probes:
    startup: Probe = value("Until it passes the other probes wait; the allowance for starting")
    liveness: Probe = value("Restarts a container that stops answering")
    readiness: Probe = value("Takes a pod out of the Service while it cannot serve")

    @property
    def startup_seconds(self) -> int:
        return self.startup.periodSeconds * self.startup.failureThreshold


@dataclass(kw_only=True)
class SecurityContext:
    runAsUser: Uid = value("UID the runtime runs as (non-root)", RUNTIME_UID)
    runAsGroup: Uid = value("GID the runtime runs as", RUNTIME_UID)
    fsGroup: Uid = value("Group owning mounted volumes", RUNTIME_UID)


@dataclass(kw_only=True)
class TopologySpread:
    enabled: bool = value("Spread the replicas across nodes", True)
    maxSkew: Positive = value("Most replicas one node may hold beyond another", 1)
    whenUnsatisfiable: Literal["ScheduleAnyway", "DoNotSchedule"] = value(
        "What the scheduler does when it cannot spread", "ScheduleAnyway"
    )


@dataclass(kw_only=True)
class Service:
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = value("Service type", "ClusterIP")
    port: Port = value("Service port (the runtime listens on 8080)", 80)


@dataclass(kw_only=True)
class JobService:
    url: HttpUrl = value(
        "The platform's Jobs Service: the runtime sends it its timers, and it calls the Service "
        "back when one is due"
    )


@dataclass(kw_only=True)
class DataIndex:
    url: HttpUrl = value(
        "The platform's Data Index: the runtime sends it its instances' events (HTTP "
        "CloudEvents to <url>/processes and <url>/definitions)"
    )


@dataclass(kw_only=True)
class Persistence:
    host: DatabaseHost = value("PostgreSQL host (<service>.<namespace>.svc in the cluster)")
    port: Port = value("PostgreSQL port", 5432)
    database: DatabaseName = value("Database name")
    schema: SchemaName = value("Schema of this runtime's tables (created at start)")


@dataclass(kw_only=True)
class Eventing:
    broker: DnsLabel = value(
        "Knative Broker (in the release namespace) the Triggers subscribe to and events go to", "default"
    )
    brokerNamespace: DnsLabel = value(
        "Namespace of the Broker's ingress and dispatcher pods (NetworkPolicy)", "knative-eventing"
    )
    retries: Annotated[int, Rule(minimum=0)] = value("Delivery attempts before an event is dead-lettered", 5)
    backoffPolicy: Literal["exponential", "linear"] = value(
        "How the wait between retries grows", "exponential"
    )
    backoffDelay: IsoDuration = value("Wait before the first retry", "PT1S")
    deadLetterSink: HttpUrl | None = value("Where undeliverable events go (a URL)", None)


@dataclass(kw_only=True)
class Vault:
    address: HttpUrl = value("Vault address")
    kvMount: VaultMount = value("Mount of the kv-v2 secrets engine", "kv")
    path: VaultPath = value("Path of this runtime's secret under the mount")
    authMount: VaultMount = value("Mount of the Kubernetes auth method", "kubernetes")
    role: VaultRole = value("Vault role bound to this runtime's ServiceAccount")
    audience: VaultAudience = value(
        "Audience of the ServiceAccount tokens the runtime logs in with; the Vault role requires it", "vault"
    )
    refreshAfter: GoDuration = value("How often the Secret is refreshed from Vault", "1h")


@dataclass(kw_only=True)
class ServiceAccount:
    name: DnsLabel = value(
        "The runtime's own ServiceAccount, named by chartgen and never after the release: Vault's "
        "role binds this name (`chartgen vault plan`)"
    )


@dataclass(kw_only=True)
class TestPod:
    enabled: bool = value("Create the `helm test` pod", True)
    image: NonEmpty = value("Image of the `helm test` pod (needs wget)", TEST_IMAGE)


def production_resources() -> Resources:
    """A production container's default requests and limits (runtimes and platform services)."""
    return Resources(
        requests=ResourceList(cpu="250m", memory="512Mi", ephemeral_storage="256Mi"),
        limits=ResourceList(cpu="1", memory="1Gi", ephemeral_storage="1Gi"),
    )


def _dev_resources() -> Resources:
    return Resources(
        requests=ResourceList(cpu="500m", memory="1Gi", ephemeral_storage="1Gi"),
        limits=ResourceList(cpu="2", memory="3Gi", ephemeral_storage="4Gi"),
    )


def production_probes() -> Probes:
    return Probes(
        startup=Probe(path="/q/health/started", periodSeconds=5, timeoutSeconds=3, failureThreshold=60),
        liveness=Probe(path="/q/health/live", periodSeconds=10, timeoutSeconds=3, failureThreshold=3),
        readiness=Probe(path="/q/health/ready", periodSeconds=10, timeoutSeconds=3, failureThreshold=3),
    )


def dev_probes() -> Probes:
    """Devmode compiles every workflow when it starts: allow it minutes, not seconds."""
    return Probes(
        startup=Probe(path="/q/health/started", periodSeconds=10, timeoutSeconds=5, failureThreshold=90),
        liveness=Probe(path="/q/health/live", periodSeconds=20, timeoutSeconds=5, failureThreshold=6),
        readiness=Probe(path="/q/health/ready", periodSeconds=10, timeoutSeconds=5, failureThreshold=6),
    )


@dataclass(kw_only=True)
class ProductionValues:
    environment: str = value("The environment these values are for: values.yaml alone is not one", "")
    image: RuntimeImage | None = value("The workflow runtime image", None)
    imagePullSecrets: list[PullSecret] = value("Registry credentials for the image", factory=list)
    replicaCount: Positive | None = value("Fixed number of replicas (environments without an HPA)", None)
    autoscaling: Autoscaling | None = value("HPA bounds (environments with an HPA)", None)
    resources: ContainerResources = value(factory=production_resources)
    probes: Probes = value("Health probes on the runtime's /q/health endpoints", factory=production_probes)
    securityContext: SecurityContext = value("Identity of the runtime process", factory=SecurityContext)
    topologySpread: TopologySpread = value("Spreading replicas across nodes", factory=TopologySpread)
    service: Service = value("The Service in front of the pods", factory=Service)
    properties: Properties = value(factory=dict)
    env: ExtraEnv = value(factory=dict)
    podAnnotations: PodAnnotations = value(factory=dict)
    podLabels: PodLabels = value(factory=dict)
    commonLabels: CommonLabels = value(factory=dict)
    commonAnnotations: CommonAnnotations = value(factory=dict)
    policyExceptions: PolicyExceptions = value(factory=dict)
    nodeSelector: NodeSelector = value(factory=dict)
    tolerations: Tolerations = value(factory=list)
    affinity: Affinity = value(factory=dict)
    priorityClassName: PriorityClassName = value(default="")
    persistence: Persistence | None = value("PostgreSQL the runtime keeps waiting instances in", None)
    eventing: Eventing | None = value("Knative Broker and delivery of the events the workflows use", None)
    jobService: JobService | None = value(
        "The Jobs Service that keeps the timers (sleeps, timeouts) of the workflows", None
    )
    dataIndex: DataIndex | None = value(
        "The Data Index that keeps what every instance did and where it waits (chartgen instances)", None
    )
    vault: Vault | None = value(
        "Vault the runtime's Secret comes from (names only; values stay in Vault)", None
    )
    serviceAccount: ServiceAccount | None = value("The identity the pods run as", None)
    test: TestPod = value("The `helm test` pod", factory=TestPod)


@dataclass(kw_only=True)
class PlatformDatabase:
    host: DatabaseHost = value("PostgreSQL host (<service>.<namespace>.svc in the cluster)")
    port: Port = value("PostgreSQL port", 5432)
    database: DatabaseName = value("Database name (each service keeps its tables in a schema of its own)")


@dataclass(kw_only=True)
class PlatformService:
    image: RuntimeImage = value("The service's image (`chartgen build` makes it)")
    resources: ContainerResources = value(factory=production_resources)
    replicaCount: Positive | None = value("Fixed number of replicas (without an HPA)", None)
    autoscaling: Autoscaling | None = value("HPA bounds (with an HPA)", None)


@dataclass(kw_only=True)
class PlatformValues:
    environment: str = value("The environment these values are for: values.yaml alone is not one", "")
    jobService: PlatformService | None = value(
        "The Jobs Service: keeps the workflows' timers and calls the runtimes back when one is due", None
    )
    dataIndex: PlatformService | None = value(
        "The Data Index: keeps every instance's events; `chartgen instances` asks it (GraphQL)", None
    )
    database: PlatformDatabase | None = value("PostgreSQL of the environment", None)
    eventing: Eventing | None = value(
        "Knative Broker the events reach the Data Index through, and its Triggers' delivery", None
    )
    imagePullSecrets: list[PullSecret] = value("Registry credentials for the images", factory=list)
    probes: Probes = value("Health probes on the services' /q/health endpoints", factory=production_probes)
    securityContext: SecurityContext = value("Identity of the service processes", factory=SecurityContext)
    topologySpread: TopologySpread = value("Spreading replicas across nodes", factory=TopologySpread)
    service: Service = value("The Services in front of the pods", factory=Service)
    env: ExtraEnv = value(factory=dict)
    podAnnotations: PodAnnotations = value(factory=dict)
    podLabels: PodLabels = value(factory=dict)
    commonLabels: CommonLabels = value(factory=dict)
    commonAnnotations: CommonAnnotations = value(factory=dict)
    policyExceptions: PolicyExceptions = value(factory=dict)
    nodeSelector: NodeSelector = value(factory=dict)
    tolerations: Tolerations = value(factory=list)
    affinity: Affinity = value(factory=dict)
    priorityClassName: PriorityClassName = value(default="")
    vault: Vault | None = value("Vault the services' database login comes from (names only)", None)
    serviceAccount: ServiceAccount | None = value("The identity the pods run as", None)


@dataclass(kw_only=True)
class DevValues:
    environment: str = value("The environment these values are for", "")
    image: DevImage | None = value("The SonataFlow devmode image", None)
    imagePullSecrets: list[PullSecret] = value("Registry credentials for the image", factory=list)
    resources: ContainerResources = value(factory=_dev_resources)
    probes: Probes = value(
        "Health probes; devmode compiles at start, so they are generous", factory=dev_probes
    )
    service: Service = value("The Service in front of the pod", factory=Service)
    properties: Properties = value(factory=dict)
    env: ExtraEnv = value(factory=dict)
    podAnnotations: PodAnnotations = value(factory=dict)
    podLabels: PodLabels = value(factory=dict)
    commonLabels: CommonLabels = value(factory=dict)
    commonAnnotations: CommonAnnotations = value(factory=dict)
    policyExceptions: PolicyExceptions = value(factory=dict)
    nodeSelector: NodeSelector = value(factory=dict)
    tolerations: Tolerations = value(factory=list)
    affinity: Affinity = value(factory=dict)
    priorityClassName: PriorityClassName = value(default="")
    serviceAccount: ServiceAccount | None = value("The identity the pod runs as", None)
    test: TestPod = value("The `helm test` pod", factory=TestPod)


# The values model of each kind of chart (its data's `kind`).
VALUES_MODELS: dict[str, type] = {
    "production": ProductionValues,
    "dev": DevValues,
    "platform": PlatformValues,
}


def split_image(ref: str) -> tuple[str, str, str]:
    """`repo/name:tag` -> (repo/name, tag, ''); `repo/name@sha256:..` -> (repo/name, '', digest)."""
    if "@" in ref:
        repository, digest = ref.split("@", 1)
        return repository, "", digest
    slash, colon = ref.rfind("/"), ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :], ""
    return ref, "", ""
