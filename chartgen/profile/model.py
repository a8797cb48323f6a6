"""The profile format (DESIGN.md §3) as typed settings: one environment per file.

Every key is optional: None means "not set here" (an `extends` parent or the chart
defaults decide). Keys that become chart values use the value types of chartgen.values,
so a profile and a chart check and describe them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from chartgen.errors import Location
from chartgen.formats.source import SourceFile
from chartgen.schema.spec import Rule, value
from chartgen.values.types import (
    Affinity,
    CommonAnnotations,
    CommonLabels,
    ContainerResources,
    DatabaseHost,
    DatabaseName,
    DnsLabel,
    EnvName,
    ExtraEnv,
    HttpUrl,
    ImageDigest,
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
    SchemaName,
    SecretKey,
    ServiceSettings,
    Tolerations,
    VaultAudience,
    VaultMount,
)

Subject = Annotated[
    str,
    Rule(
        pattern=r"^(group|user):\S+$|^serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:\S+$",
        expected="group:<name>, user:<name> or serviceaccount:<namespace>:<name>",
    ),
]
Cidr = Annotated[str, Rule(pattern=r"^[0-9a-fA-F.:]+/\d+$", expected="a CIDR such as 10.0.0.0/8")]
Text = Annotated[str, Rule(min_length=1)]
PlaceholderText = Annotated[str, Rule(min_length=1, pattern=r"^[^\s]+$", expected="text without spaces")]
PathGlob = Annotated[
    str,
    Rule(min_length=1, max_length=512, pattern=r"^[^\x00-\x1f]+$", expected="a glob such as experiments/**"),
]
# What a rule may not grant is judged on whole rules, as the API server matches them (rbac.py).
ApiGroup = Annotated[
    str, Rule(pattern=r"^([a-z0-9.-]*|\*)$", expected="an API group")
]  # "" is the core group
Resource = Annotated[
    str, Rule(pattern=r"^([a-z0-9.-]+|\*)(/[a-z0-9.-]+)?$", expected="a resource such as pods")
]
Verb = Annotated[str, Rule(pattern=r"^([a-z]+|\*)$", expected="a verb such as get")]


@dataclass(kw_only=True)
class ImageSettings:
    repository: PlaceholderText | None = value(
        "Runtime image repository; placeholders {workflow} {version} {env} {git_sha}", None
    )
    tag: ImageTag | None = value("Runtime image tag; same placeholders", None)
    digest: ImageDigest | None = value("Runtime image digest (wins over the tag)", None)
    pullPolicy: PullPolicy | None = value("Image pull policy", None)


@dataclass(kw_only=True)
class DevmodeSettings:
    image: Text | None = value("The SonataFlow devmode image (repository:tag or repository@digest)", None)
    pullPolicy: PullPolicy | None = value("Image pull policy", None)
    exclude: list[PathGlob] | None = value(
        "Projects the dev pod leaves out: globs of their folders, relative to the workflows folder", None
    )


@dataclass(kw_only=True)
class ScalingSettings:
    enabled: bool | None = value("false: fixed replicas (minReplicas), no HPA", None)
    minReplicas: Annotated[int, Rule(minimum=1)] | None = value(
        "Fewest replicas (the fixed count without an HPA)", None
    )
    maxReplicas: Annotated[int, Rule(minimum=1)] | None = value("Most replicas the HPA may start", None)
    targetCPUUtilizationPercentage: Annotated[int, Rule(minimum=1, maximum=100)] | None = value(
        "Average CPU use (% of requests) the HPA aims for", None
    )


@dataclass(kw_only=True)
class PostgresSettings:
    host: DatabaseHost | None = value("PostgreSQL host", None)
    port: Port | None = value("PostgreSQL port", None)
    database: DatabaseName | None = value("Database name", None)
    schema: SchemaName | None = value("Schema of the runtime's tables (default: the chart name)", None)
    credentials: Annotated[str, Rule(pattern=r"^[A-Za-z0-9][-._A-Za-z0-9]*$",
                                     expected="a key prefix such as db (keys db_username, db_password)"
                                     )] | None = value(
        "Prefix of the Secret keys with the database user and password", None
    )  # fmt: skip


@dataclass(kw_only=True)
class JobServiceSettings:
    url: HttpUrl | None = value("The platform's Jobs Service (required by charts with timers)", None)


@dataclass(kw_only=True)
class DataIndexSettings:
    url: HttpUrl | None = value(
        "The platform's Data Index: runtimes send it their instances' events; `chartgen instances` "
        "asks it (kubernetes runtime; every environment of a chart alike: they share one image)",
        None,
    )


@dataclass(kw_only=True)
class PlatformSettings:
    jobService: bool | None = value(
        "Run the Jobs Service (timers) in this environment's platform chart; the charts' "
        "jobService.url defaults to it",
        None,
    )
    dataIndex: bool | None = value(
        "Run the Data Index (instance events; `chartgen instances`) in this environment's platform "
        "chart; the charts' dataIndex.url defaults to it",
        None,
    )
    events: Literal["http", "knative"] | None = value(
        "How instance and job events reach the Data Index: http (straight to its Service; default) "
        "or knative (to the eventing.broker; Triggers of the platform chart take them on)",
        None,
    )
    resources: ContainerResources | None = value(default=None)
    scaling: ScalingSettings | None = value("The Data Index's HPA (the Jobs Service runs one replica)", None)


@dataclass(kw_only=True)
class PersistenceSettings:
    enabled: bool | None = value("Default: on exactly for charts whose workflows can wait", None)
    postgresql: PostgresSettings | None = value("The database", None)


@dataclass(kw_only=True)
class EventingSettings:
    enabled: bool | None = value("false refuses charts whose workflows use events", None)
    broker: DnsLabel | None = value("Knative Broker (in the environment's namespace)", None)
    brokerNamespace: DnsLabel | None = value("Namespace of the Broker's ingress and dispatcher pods", None)
    retries: Annotated[int, Rule(minimum=0)] | None = value("Delivery attempts before dead-lettering", None)
    backoffDelay: IsoDuration | None = value("Wait before the first retry", None)
    backoffPolicy: Literal["exponential", "linear"] | None = value("How the wait grows", None)
    deadLetterSink: HttpUrl | None = value(
        "Where undeliverable events go (required when a chart consumes events)", None
    )


@dataclass(kw_only=True)
class VaultSettings:
    address: HttpUrl | None = value("Vault address", None)
    kvMount: VaultMount | None = value("kv-v2 mount", None)
    path: Annotated[str, Rule(pattern=r"^[A-Za-z0-9_{}-]+([./][A-Za-z0-9_{}-]+)*$", max_length=512,
                              expected="a secret path such as workflows/{env}/{workflow}")] | None = value(
        "Secret path; placeholders {workflow} {env}", None
    )  # fmt: skip
    authMount: VaultMount | None = value("Kubernetes auth mount", None)
    role: Annotated[str, Rule(pattern=r"^[A-Za-z0-9_{}-]+(\.[A-Za-z0-9_{}-]+)*$", max_length=128,
                              expected="a role name such as {workflow}-{env}")] | None = value(
        "Vault role; placeholders {workflow} {env}", None
    )  # fmt: skip
    audience: VaultAudience | None = value(
        "Audience the role requires of ServiceAccount tokens (default vault)", None
    )


@dataclass(kw_only=True)
class SecretsSettings:
    provider: Literal["vso", "eso", "injector", "existing"] | None = value(
        "Where the runtime's Secret comes from", None
    )
    existingSecret: DnsLabel | None = value("The Secret to read (provider existing)", None)
    env: dict[EnvName, SecretKey] | None = value(
        "Environment variables (${VAR} in properties) filled from Secret keys", None
    )
    vault: VaultSettings | None = value("Vault (providers vso, eso, injector)", None)


@dataclass(kw_only=True)
class PolicyRule:
    apiGroups: Annotated[list[ApiGroup], Rule(min_items=1)] = value('API groups ("" is the core group)')
    resources: Annotated[list[Resource], Rule(min_items=1)] = value("Resources")
    verbs: Annotated[list[Verb], Rule(min_items=1)] = value("Verbs")
    resourceNames: Annotated[list[Text], Rule(min_items=1)] | None = value("Only these objects", None)


@dataclass(kw_only=True)
class RbacSettings:
    deployers: list[Subject] | None = value(
        "Who may deploy the charts (a deployer Role in the namespace)", None
    )
    viewers: list[Subject] | None = value("Who may read the charts' objects", None)
    kubernetesApi: dict[str, list[PolicyRule]] | None = value(
        "Per chart: the Kubernetes API rules its runtime may use", None
    )


@dataclass(kw_only=True)
class EgressRule:
    namespace: DnsLabel | None = value("Pods of this namespace", None)
    cidr: Cidr | None = value("Addresses in this block", None)
    ports: Annotated[list[Port], Rule(min_items=1)] = value("TCP ports")


@dataclass(kw_only=True)
class IngressRule:
    namespace: DnsLabel | None = value("From pods of this namespace", None)
    podLabels: dict[str, str] | None = value(
        "From pods with these labels (in the namespace, or the chart's own)", None
    )
    cidr: Cidr | None = value("From addresses in this block", None)


@dataclass(kw_only=True)
class NetworkPolicySettings:
    enabled: bool | None = value("false: no NetworkPolicy", None)
    allowIngressFromNamespaces: list[DnsLabel] | None = value(
        "Namespaces whose pods may call the runtime", None
    )
    ingress: list[IngressRule] | None = value(
        "More callers of the runtime (namespace, pod labels, CIDR)", None
    )
    egress: list[EgressRule] | None = value("More endpoints the runtime may reach", None)


@dataclass(kw_only=True)
class ProfileSettings:
    extends: Text | None = value("The profile this one builds on", None)
    mode: Literal["production", "dev"] | None = value(
        "production: a values file in every project chart; dev: one dev chart", None
    )
    namespace: DnsLabel | None = value("Where this environment is installed", None)
    runtime: Literal["kubernetes", "sonataflow"] | None = value(
        "Deployment, or a SonataFlow per root workflow", None
    )
    operatorVersion: Annotated[str, Rule(pattern=r"^\d+\.\d+", expected='a version like "1.37"')] | None = (
        value("SonataFlow operator version of the cluster", None)
    )
    kubernetesVersion: Annotated[str, Rule(pattern=r"^1\.\d+$", expected='like "1.34"')] | None = value(
        "Kubernetes version of the cluster", None
    )
    image: ImageSettings | None = value("The production runtime image", None)
    imagePullSecrets: list[DnsLabel] | None = value("Secrets with registry credentials", None)
    devmode: DevmodeSettings | None = value("The dev pod's image", None)
    scaling: ScalingSettings | None = value("The HPA", None)
    resources: ContainerResources | None = value(default=None)
    persistence: PersistenceSettings | None = value("PostgreSQL for workflows that can wait", None)
    eventing: EventingSettings | None = value("Knative eventing", None)
    jobService: JobServiceSettings | None = value("Where the workflows' timers go", None)
    dataIndex: DataIndexSettings | None = value("Where the runtimes' instance events go", None)
    platform: PlatformSettings | None = value(
        "The platform chart of this environment: Jobs Service and Data Index on its PostgreSQL", None
    )
    secrets: SecretsSettings | None = value("Credentials", None)
    rbac: RbacSettings | None = value("Who may deploy and read; what runtimes may do with the API", None)
    networkPolicy: NetworkPolicySettings | None = value("The NetworkPolicy", None)
    service: ServiceSettings | None = value("The Service", None)
    properties: Properties | None = value(default=None)
    env: ExtraEnv | None = value(default=None)
    podAnnotations: PodAnnotations | None = value(default=None)
    podLabels: PodLabels | None = value(default=None)
    commonLabels: CommonLabels | None = value(default=None)
    commonAnnotations: CommonAnnotations | None = value(default=None)
    policyExceptions: PolicyExceptions | None = value(default=None)
    nodeSelector: NodeSelector | None = value(default=None)
    tolerations: Tolerations | None = value(default=None)
    affinity: Affinity | None = value(default=None)
    priorityClassName: PriorityClassName | None = value(default=None)


# Fields that may hold {placeholders}, and which placeholders each accepts.
PLACEHOLDER_FIELDS: dict[tuple[str, ...], frozenset[str]] = {
    ("image", "repository"): frozenset({"workflow", "version", "env", "git_sha"}),
    ("image", "tag"): frozenset({"workflow", "version", "env", "git_sha"}),
    ("secrets", "vault", "path"): frozenset({"workflow", "env"}),
    ("secrets", "vault", "role"): frozenset({"workflow", "env"}),
}


@dataclass
class ProfileFile:
    env: str
    source: SourceFile
    data: dict[str, Any]

    def has(self, pointer: tuple[str, ...]) -> bool:
        node: Any = self.data
        for part in pointer:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True


@dataclass
class Profile:
    env: str
    chain: list[ProfileFile]  # this file first, then what it extends
    settings: ProfileSettings

    @property
    def mode(self) -> str | None:
        return self.settings.mode

    @property
    def namespace(self) -> str:
        return self.settings.namespace or ""

    def location(self, *pointer: str, key: bool = False) -> Location:
        """Where a setting was written: the nearest file of the chain that sets it, else this
        profile's own file (at its `mode`, what made the setting necessary, when it has one)."""
        for pf in self.chain:
            if pf.has(pointer):
                return pf.source.location(0, pointer, key)
        own = self.chain[0]
        return own.source.location(0, ("mode",), key=True) if own.has(("mode",)) else own.source.location()
