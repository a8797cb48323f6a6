"""The platform chart of a repository: the Jobs Service and the Data Index that the production
charts of each environment use, on that environment's PostgreSQL.

A production profile asks for them (`platform: {jobService: true, dataIndex: true}`); one chart
serves every such environment, as a workflow chart does. The services are Kogito's own
(org.kie.kogito:jobs-service-postgresql, data-index-service-postgresql, at the SonataFlow
version), built by `chartgen build` and run here by `chartgen run`: the table below is what
both the chart and `run` start them with.

Replicas: the Data Index answers queries and stores events in PostgreSQL, any replica any
request, so it scales with an HPA and has a PodDisruptionBudget. The Jobs Service is a
singleton: only the replica that leads (an election held in its PostgreSQL tables) schedules
and fires timers, so a second one would only stand by; it runs one replica, replaced with the
Recreate strategy (a new pod that must first win the election would never turn ready beside
the old leader). Timers due while it restarts fire when it is back: they are in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chartgen.config import DEFAULT_VAULT_PREFIX, SONATAFLOW_VERSION
from chartgen.errors import Diagnostics
from chartgen.plan.facts import ProjectFacts
from chartgen.plan.kinds import platform_kinds, wait_reads
from chartgen.plan.layout import GENERATED_KEY, MODE_KEY
from chartgen.plan.model import (
    RUNTIME_COMPONENT,
    VAULT_PROVIDERS,
    ChartData,
    ChartPlan,
    CredentialFiles,
    EnvironmentData,
    Names,
    NetworkRules,
    PlatformServiceData,
    Provider,
)
from chartgen.plan.network import (
    DNS_EGRESS,
    HTTP_PORT,
    Need,
    Target,
    broker_egress,
    namespace_peer,
    plan_network,
)
from chartgen.plan.platform_services import (
    BROKER_SINK,
    DATA_INDEX,
    JOBS_SERVICE,
    SERVICES,
    Service,
    broker_routes,
    events_through_broker,
    object_name,
    platform_chart_name,
    runs,
    service_env,
    service_url,
)
from chartgen.plan.production import KUBE_VERSION_RANGE
from chartgen.plan.production_env import autoscaling_values, eventing_values, subject, vault_values
from chartgen.plan.schema import platform_schema
from chartgen.plan.secrets import plan_secrets
from chartgen.plan.values import check_values, fill_placeholders, merge_resources, pod_settings
from chartgen.profile.model import (
    EventingSettings,
    ImageSettings,
    NetworkPolicySettings,
    PersistenceSettings,
    PostgresSettings,
    Profile,
    ScalingSettings,
    SecretsSettings,
    VaultSettings,
)
from chartgen.values.model import (
    MIN_REPLICAS,
    PlatformDatabase,
    PlatformService,
    PlatformValues,
    PullSecret,
    RuntimeImage,
    ServiceAccount,
    production_resources,
)


def plan_platform(
    profiles: list[Profile],
    part_of: str,
    git_sha: Callable[[], str],
    diag: Diagnostics,
    vault_prefix: str = DEFAULT_VAULT_PREFIX,
    sonataflow: str = SONATAFLOW_VERSION,
) -> ChartPlan | None:
    """The platform chart, when a production profile asks for one."""
    asking = [p for p in profiles if any(runs(p, s) for s in SERVICES)]
    if not asking:
        return None
    name = platform_chart_name(part_of)
    values: dict[str, PlatformValues] = {}
    environments: dict[str, EnvironmentData] = {}
    for profile in asking:
        values[profile.env], environments[profile.env] = _environment(
            name, part_of, profile, sonataflow, git_sha, diag, vault_prefix
        )
    data = ChartData(
        chart=name,
        kind="platform",
        partOf=part_of,
        names=Names.of(name),
        component="platform",
        environments=environments,
    )
    return ChartPlan(
        kind="platform",
        name=name,
        chart=_chart_yaml(name, part_of, sonataflow),
        values=values,
        data=data,
        schema=platform_schema(list(values.values())),
    )


def _environment(
    chart: str,
    part_of: str,
    profile: Profile,
    sonataflow: str,
    git_sha: Callable[[], str],
    diag: Diagnostics,
    vault_prefix: str,
) -> tuple[PlatformValues, EnvironmentData]:
    s = profile.settings
    errors = diag.error_count
    _check(profile, diag)
    pg = (s.persistence or PersistenceSettings()).postgresql or PostgresSettings()
    pods = pod_settings(s)
    for runtime_only in ("properties", "env"):  # the workflows' settings, not the services'
        pods.pop(runtime_only, None)
    values = PlatformValues(environment=profile.env, **pods)
    values.serviceAccount = ServiceAccount(name=chart)
    values.imagePullSecrets = [PullSecret(name=n) for n in s.imagePullSecrets or []]
    values.database = PlatformDatabase(host=pg.host or "", port=pg.port or 5432, database=pg.database or "")
    image = s.image or ImageSettings()
    platform = s.platform
    assert platform is not None
    scaling = platform.scaling or ScalingSettings()
    for service in (s for s in SERVICES if runs(profile, s)):
        known = {"workflow": service.name, "version": sonataflow, "env": profile.env}
        section = PlatformService(
            image=RuntimeImage(
                repository=fill_placeholders(image.repository or "", known, git_sha),
                tag=fill_placeholders(image.tag or "{version}", known, git_sha),
                pullPolicy=image.pullPolicy or "IfNotPresent",
            ),
            resources=merge_resources(production_resources(), platform.resources),
        )
        if service.replicated and scaling.enabled is not False:
            section.autoscaling = autoscaling_values(scaling)
        else:
            section.replicaCount = (scaling.minReplicas or MIN_REPLICAS) if service.replicated else 1
        setattr(values, service.key, section)
    secrets = s.secrets or SecretsSettings()
    provider: Provider = secrets.provider or "vso"
    if provider in VAULT_PROVIDERS:
        known = {"workflow": chart, "version": sonataflow, "env": profile.env}
        values.vault = vault_values(
            secrets.vault or VaultSettings(),
            lambda text: fill_placeholders(text, known, git_sha),
            vault_prefix,
        )
    planned = plan_secrets(
        chart,
        ProjectFacts(),
        provider,
        secrets.existingSecret,
        {},
        pg.credentials or "db",
        "kubernetes",
        diag,
        profile.location("secrets"),
    )
    rbac = s.rbac
    data = EnvironmentData(
        namespace=profile.namespace,
        runtime="kubernetes",
        provider=provider,
        secretName=planned.name,
        secretKeys=planned.keys,
        secretBindings=planned.bindings,
        credentials=CredentialFiles(),
        databaseKeys=planned.database_keys,
        readsVault=provider in VAULT_PROVIDERS,
        persistence=True,
        deployers=[subject(x) for x in (rbac.deployers or [])] if rbac else [],
        viewers=[subject(x) for x in (rbac.viewers or [])] if rbac else [],
        startupSeconds=values.probes.startup_seconds,
    )
    network = s.networkPolicy or NetworkPolicySettings()
    to_broker = events_through_broker(profile)
    if to_broker:
        values.eventing = eventing_values(s.eventing or EventingSettings(), consumes=False)
    data_index = service_url(part_of, DATA_INDEX, profile.namespace) if runs(profile, DATA_INDEX) else None
    data.services = []
    db = values.database
    for service in (s for s in SERVICES if runs(profile, s)):
        section = getattr(values, service.key)
        planned_service = PlatformServiceData(
            name=object_name(part_of, service),
            component=service.name,
            values=service.key,
            schema=service.schema,
            env=service_env(service, db.host, db.port, db.database, BROKER_SINK if to_broker else data_index),
            hpa=section.autoscaling is not None,
            pdb=section.autoscaling is not None or (section.replicaCount or 1) > 1,
            triggers=broker_routes(part_of) if to_broker and service is DATA_INDEX else [],
            sendsToBroker=to_broker and service is JOBS_SERVICE,
        )
        if network.enabled is not False:
            planned_service.networkPolicy = _network(chart, part_of, profile, service, values, diag)
        data.services.append(planned_service)
    data.kinds = platform_kinds(data)
    data.waitReads = wait_reads(data)
    if diag.error_count == errors:
        check_values(values, profile, diag)
    return values, data


def _network(
    chart: str, part_of: str, profile: Profile, service: Service, values: PlatformValues, diag: Diagnostics
) -> NetworkRules:
    """Default deny; in: exactly the workflow runtimes of this repository in the namespace (and
    the Jobs Service's job events to the Data Index, or the broker's deliveries); out: DNS, the
    database, and (the Jobs Service) the runtimes it calls back when a timer is due, and the
    Data Index or the broker."""
    runtimes = {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/component": RUNTIME_COMPONENT,
                "app.kubernetes.io/part-of": part_of,
            }
        }
    }
    db = values.database
    assert db is not None
    http = [{"port": HTTP_PORT, "protocol": "TCP"}]
    needs: list[Need] = [Target(db.host, db.port, f"the database {db.host}", lambda: None)]
    ingress = [{"from": [runtimes], "ports": http}]
    broker = values.eventing.brokerNamespace if values.eventing is not None else None
    if service is JOBS_SERVICE:
        needs.append({"to": [runtimes], "ports": http})
        if broker:
            needs.append(broker_egress(broker))
        elif runs(profile, DATA_INDEX):
            needs.append({"to": [_service_peer(part_of, DATA_INDEX)], "ports": http})
    elif broker:  # the broker's dispatcher delivers every indexed event
        ingress.append({"from": [namespace_peer(broker)], "ports": http})
    elif runs(profile, JOBS_SERVICE):
        ingress.append({"from": [_service_peer(part_of, JOBS_SERVICE)], "ports": http})
    rules = plan_network(chart, profile.env, needs, NetworkPolicySettings(), diag)
    assert rules.egress[0] == DNS_EGRESS
    return NetworkRules(ingress=ingress, egress=rules.egress)


def _service_peer(part_of: str, service: Service) -> dict[str, object]:
    return {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": platform_chart_name(part_of),
                "app.kubernetes.io/component": service.name,
            }
        }
    }


def _check(profile: Profile, diag: Diagnostics) -> None:
    """What a platform needs of its profile: the kubernetes runtime (the operator's
    SonataFlowPlatform serves sonataflow), a database, an image repository, and a Secret the
    pods can read as files."""
    s = profile.settings
    where = profile.location("platform", key=True)
    if s.runtime == "sonataflow":
        diag.error(
            f"profile '{profile.env}': platform is for the kubernetes runtime; under runtime sonataflow "
            "the operator's SonataFlowPlatform runs the Jobs Service and the Data Index",
            where,
        )
    pg = (s.persistence or PersistenceSettings()).postgresql or PostgresSettings()
    missing = [k for k in ("host", "database") if not getattr(pg, k)]
    if missing:
        diag.error(
            f"profile '{profile.env}': platform needs persistence.postgresql ({', '.join(missing)} "
            "missing): the Jobs Service and the Data Index keep their state there",
            where,
        )
    if not (s.image and s.image.repository):
        diag.error(
            f"profile '{profile.env}': platform needs image.repository: its services' images are named "
            "like the runtimes' ({workflow} is jobs-service or data-index, {version} the SonataFlow version)",
            where,
        )
    _check_events(profile, diag)
    secrets = s.secrets or SecretsSettings()
    provider = secrets.provider or "vso"
    if provider == "injector":
        diag.error(
            f"profile '{profile.env}': platform reads its database login from a Secret: use secrets "
            "provider vso, eso or existing (the Vault Agent injector writes no Secret)",
            profile.location("secrets", "provider"),
        )
    elif provider == "existing" and not secrets.existingSecret:
        diag.error(
            f"profile '{profile.env}': secrets.provider 'existing' needs secrets.existingSecret "
            "(the platform's database login)",
            profile.location("secrets", "provider"),
        )
    elif provider in VAULT_PROVIDERS and not (secrets.vault and secrets.vault.address):
        diag.error(
            f"profile '{profile.env}': secrets.vault.address is required for provider '{provider}' "
            "(the platform's database login)",
            profile.location("secrets"),
        )


def _check_events(profile: Profile, diag: Diagnostics) -> None:
    """Events through the broker need the Data Index here, a broker, and the charts sending to it."""
    s = profile.settings
    platform = s.platform
    if platform is None or platform.events != "knative":
        return
    where = profile.location("platform", "events")
    if platform.dataIndex is not True:
        diag.error(
            f"profile '{profile.env}': platform.events knative routes events to the platform's Data "
            "Index: set platform.dataIndex true",
            where,
        )
    elif s.dataIndex is not None and s.dataIndex.url:
        diag.error(
            f"profile '{profile.env}': platform.events knative delivers to the platform's own Data Index, "
            f"but dataIndex.url sends the charts' events to {s.dataIndex.url}: drop one",
            where,
        )
    if s.eventing is not None and s.eventing.enabled is False:
        diag.error(
            f"profile '{profile.env}': platform.events knative needs the Knative broker, and "
            "eventing.enabled is false",
            where,
        )
    elif s.eventing is None or not s.eventing.deadLetterSink:
        diag.warning(
            f"profile '{profile.env}': platform.events knative without eventing.deadLetterSink: an "
            "event the Data Index refuses past its retries is dropped, and its instance goes missing "
            "from `chartgen instances`",
            where,
        )


def _chart_yaml(name: str, part_of: str, sonataflow: str) -> dict[str, Any]:
    return {
        "apiVersion": "v2",
        "name": name,
        "description": f"Jobs Service and Data Index of the {part_of} workflow charts",
        "type": "application",
        "appVersion": sonataflow,
        "kubeVersion": KUBE_VERSION_RANGE,
        "keywords": ["serverless-workflow", "sonataflow", "jobs-service", "data-index"],
        # A production chart (released and deployed like the workflow charts); its data's
        # kind says it runs the platform, not workflows.
        "annotations": {GENERATED_KEY: "true", MODE_KEY: "production", "chartgen/part-of": part_of},
    }
