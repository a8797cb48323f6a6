"""The platform's services: what each is, how it always runs, and where the workflow
runtimes of an environment reach it. The platform chart (plan/platform.py) runs them; the
production charts send to them (plan/production_env.py); `chartgen run` and `build` build and
start them (runtime/platform.py): all from this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chartgen.plan.model import PROCESS_DEFINITIONS, PROCESS_INSTANCES, BrokerRoute, EnvVar
from chartgen.profile.model import Profile
from chartgen.workflow.names import dns_name

MAX_OBJECT_NAME = 63  # a Service's name is a DNS label


@dataclass(frozen=True)
class Service:
    """One platform service: what names it, builds it and how it always runs."""

    key: str  # its profile and values section
    name: str  # suffix of its objects, its component label, its cache folder
    title: str  # as messages name it
    artifact: str  # org.kie.kogito's, versioned by SonataFlow
    schema: str  # its PostgreSQL schema
    replicated: bool  # more than one replica serves (HPA, PDB); else a singleton
    settings: tuple[tuple[str, str], ...] = ()  # env it always runs with
    excluded: tuple[tuple[str, str], ...] = field(default=())  # (group, artifact) left out of its build


JOBS_SERVICE = Service(
    "jobService",
    "jobs-service",
    "the Jobs Service",
    "jobs-service-postgresql",
    "jobs_service",
    replicated=False,
    excluded=(("org.kie.kogito", "jobs-service-messaging-kafka"),),
)
DATA_INDEX = Service(
    "dataIndex",
    "data-index",
    "the Data Index",
    "data-index-service-postgresql",
    "data_index",
    replicated=True,
    settings=(("QUARKUS_FLYWAY_MIGRATE_AT_START", "true"),),  # its tables; no migration runs otherwise
    # Its Kafka health check would hold readiness down; its image build would reach a registry.
    excluded=(
        ("io.quarkus", "quarkus-smallrye-reactive-messaging-kafka"),
        ("io.quarkus", "quarkus-kafka-client"),
        ("io.quarkus", "quarkus-container-image-jib"),
    ),
)
SERVICES = (JOBS_SERVICE, DATA_INDEX)
JOB_EVENTS_PATH = "/jobs"  # where the Data Index takes the Jobs Service's job events
JOB_STATUS_URL_ENV = "MP_MESSAGING_OUTGOING_KOGITO_JOB_SERVICE_JOB_STATUS_EVENTS_HTTP_URL"
BROKER_SINK = "${K_SINK}"  # the broker's address, as the SinkBinding gives it to the pods

# The CloudEvent types the Data Index indexes (a Trigger each when they travel through the
# broker) and the path of its HTTP channel that takes each: what the runtimes send (the process
# events add-on; user task events are off) and the Jobs Service's job status events.
INDEXED_EVENTS = (
    ("process-state", "ProcessInstanceStateDataEvent", PROCESS_INSTANCES.path),
    ("process-node", "ProcessInstanceNodeDataEvent", PROCESS_INSTANCES.path),
    ("process-error", "ProcessInstanceErrorDataEvent", PROCESS_INSTANCES.path),
    ("process-variable", "ProcessInstanceVariableDataEvent", PROCESS_INSTANCES.path),
    ("process-sla", "ProcessInstanceSLADataEvent", PROCESS_INSTANCES.path),
    ("process-definition", "ProcessDefinitionEvent", PROCESS_DEFINITIONS.path),
    ("jobs", "JobEvent", JOB_EVENTS_PATH),
)


def platform_chart_name(part_of: str) -> str:
    return dns_name(f"{part_of}-platform")


def object_name(part_of: str, service: Service) -> str:
    return dns_name(f"{platform_chart_name(part_of)}-{service.name}", MAX_OBJECT_NAME)


def service_url(part_of: str, service: Service, namespace: str) -> str:
    """Where the workflow runtimes of `namespace` reach `service` (its Service, port 80)."""
    return f"http://{object_name(part_of, service)}.{namespace}.svc.cluster.local"


def runs(profile: Profile, service: Service) -> bool:
    """Whether the profile's platform chart runs `service`."""
    platform = profile.settings.platform
    return profile.mode == "production" and platform is not None and getattr(platform, service.key) is True


def events_through_broker(profile: Profile) -> bool:
    """Whether the instance and job events of `profile` reach its platform's Data Index through
    the Knative broker (platform.events knative) rather than straight over HTTP."""
    platform = profile.settings.platform
    return runs(profile, DATA_INDEX) and platform is not None and platform.events == "knative"


def broker_routes(part_of: str) -> list[BrokerRoute]:
    """The Triggers that take the indexed events from the broker to the Data Index."""
    prefix = object_name(part_of, DATA_INDEX)
    return [
        BrokerRoute(name=dns_name(f"{prefix}-{tag}", MAX_OBJECT_NAME), type=kind, path=path)
        for tag, kind, path in INDEXED_EVENTS
    ]


def platform_url(profile: Profile, part_of: str, service: Service) -> str | None:
    """The URL a production chart of `profile` sends to: the profile's own (jobService.url,
    dataIndex.url), else the platform chart's service, else none."""
    own = getattr(profile.settings, service.key)
    if own is not None and own.url:
        return str(own.url)
    return service_url(part_of, service, profile.namespace) if runs(profile, service) else None


def service_env(
    service: Service, host: str, port: int, database: str, data_index: str | None
) -> list[EnvVar]:
    """What `service` runs with (beside its database login): its schema of `database`, its
    fixed settings, and (the Jobs Service) job events to the Data Index at `data_index` (a URL,
    or BROKER_SINK: the broker, whose Trigger takes them on)."""
    address = f"{host}:{port}/{database}"
    env = [
        EnvVar(
            name="QUARKUS_DATASOURCE_JDBC_URL",
            value=f"jdbc:postgresql://{address}?currentSchema={service.schema}",
        ),
        EnvVar(
            name="QUARKUS_DATASOURCE_REACTIVE_URL",
            value=f"postgresql://{address}?search_path={service.schema}",
        ),
    ]
    env += [EnvVar(name=k, value=v) for k, v in service.settings]
    if service is JOBS_SERVICE and data_index:
        env += [
            EnvVar(name="KOGITO_JOBS_SERVICE_HTTP_JOB_STATUS_CHANGE_EVENTS", value="true"),
            EnvVar(
                name=JOB_STATUS_URL_ENV,
                value=data_index if data_index == BROKER_SINK else data_index.rstrip("/") + JOB_EVENTS_PATH,
            ),
        ]
    return env
