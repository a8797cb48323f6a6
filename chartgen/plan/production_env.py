"""One production environment of one chart: its values, the structure chartgen decides for it,
and a refusal when the profile cannot run the project's workflows safely.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chartgen.config import DEFAULT_VAULT_PREFIX
from chartgen.errors import Diagnostics
from chartgen.plan.config import ConfigEntry, active_profiles, missing_placeholders
from chartgen.plan.facts import Endpoint, ProjectFacts
from chartgen.plan.kinds import production_kinds, wait_reads
from chartgen.plan.model import VAULT_PROVIDERS, CredentialFiles, EnvironmentData, Provider, Runtime, Subject
from chartgen.plan.network import (
    Need,
    Target,
    admits_callers,
    api_server_egress,
    broker_egress,
    cluster_service,
    plan_network,
)
from chartgen.plan.platform_services import DATA_INDEX, JOBS_SERVICE, events_through_broker, platform_url
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
from chartgen.schema.spec import dump
from chartgen.values.model import (
    DEFAULT_CPU_TARGET,
    DEFAULT_MAX_REPLICAS,
    MIN_REPLICAS,
    Autoscaling,
    DataIndex,
    Eventing,
    JobService,
    Persistence,
    ProductionValues,
    PullSecret,
    RuntimeImage,
    ServiceAccount,
    Vault,
)

# SonataFlow operators from this version on expose the `scale` subresource an HPA needs
# (kie-tools #3432, 2026); older ones only take fixed replicas.
SCALE_SUBRESOURCE_SINCE = (1, 37)
DEFAULT_PATH = "workflows/{env}/{workflow}"
DEFAULT_ROLE = "{workflow}-{env}"  # after chartgen.yaml's vault.prefix: the names `vault apply` manages
DEFAULT_AUDIENCE = "vault"
SUBJECT_KINDS = {"group": "Group", "user": "User", "serviceaccount": "ServiceAccount"}


@dataclass
class Environment:
    values: ProductionValues
    data: EnvironmentData


def plan_environment(
    chart: str,
    facts: ProjectFacts,
    profile: Profile,
    app_version: str,
    git_sha: Callable[[], str],
    diag: Diagnostics,
    vault_prefix: str = DEFAULT_VAULT_PREFIX,
    part_of: str = "",
) -> Environment:
    """The full values of one environment and what chartgen decided for it; `part_of`: the
    repository's name (its platform chart's services are the default URLs)."""
    s = profile.settings
    errors = diag.error_count
    check_environment(chart, facts, profile, diag, part_of)
    known = {"workflow": chart, "version": app_version, "env": profile.env}

    def fill(text: str) -> str:
        return fill_placeholders(text, known, git_sha)

    runtime: Runtime = s.runtime or "kubernetes"
    values = ProductionValues(environment=profile.env, **pod_settings(s))
    values.serviceAccount = ServiceAccount(name=chart)
    values.resources = merge_resources(values.resources, s.resources)
    image = s.image or ImageSettings()
    values.image = RuntimeImage(
        repository=fill(image.repository or ""),
        tag=fill(image.tag or "{version}"),
        digest=image.digest or "",
        pullPolicy=image.pullPolicy or "IfNotPresent",
    )
    values.imagePullSecrets = [PullSecret(name=n) for n in s.imagePullSecrets or []]
    hpa, replicas = _scaling(values, s.scaling or ScalingSettings(), runtime, s.operatorVersion)
    persistence = _persistence(values, facts, s.persistence or PersistenceSettings(), chart)
    timers = bool(facts.timers) and runtime == "kubernetes"  # the operator's platform keeps them
    job_service = platform_url(profile, part_of, JOBS_SERVICE)
    if timers and job_service:
        values.jobService = JobService(url=job_service)
    data_index = platform_url(profile, part_of, DATA_INDEX)
    if data_index and runtime == "kubernetes":  # the operator wires its platform's own
        values.dataIndex = DataIndex(url=data_index)
    to_broker = values.dataIndex is not None and events_through_broker(profile)
    if facts.consumed or facts.produced or to_broker:
        values.eventing = eventing_values(s.eventing or EventingSettings(), bool(facts.consumed))
    secrets = s.secrets or SecretsSettings()
    needs_secrets = bool(facts.secret_names or facts.secret_env or secrets.env or persistence)
    provider: Provider = (secrets.provider or "vso") if needs_secrets else "none"
    if provider in VAULT_PROVIDERS:
        values.vault = vault_values(secrets.vault or VaultSettings(), fill, vault_prefix)
    pg = (s.persistence or PersistenceSettings()).postgresql or PostgresSettings()
    planned = plan_secrets(
        chart,
        facts,
        provider,
        secrets.existingSecret,
        dict(secrets.env or {}),
        (pg.credentials or "db") if persistence else None,
        runtime,
        diag,
        profile.location("secrets"),
    )
    rbac = s.rbac
    api_rules = [dump(r) for r in ((rbac.kubernetesApi or {}).get(chart, []) if rbac else [])]
    data = EnvironmentData(
        namespace=profile.namespace,
        runtime=runtime,
        provider=provider if planned.keys else "none",
        secretName=planned.name if provider != "injector" else None,
        secretKeys=planned.keys,
        secretBindings=planned.bindings,
        credentials=(
            CredentialFiles(folder=None if provider == "injector" else CredentialFiles.folder)
            if planned.bindings
            else None
        ),
        databaseKeys=planned.database_keys,
        databaseService=(
            cluster_service(values.persistence.host)
            if values.persistence is not None and runtime == "sonataflow"
            else None
        ),
        readsVault=bool(planned.keys) and provider in VAULT_PROVIDERS,
        persistence=persistence,
        hpa=hpa,
        pdb=replicas > 1,
        kubernetesApi=api_rules,
        deployers=[subject(x) for x in (rbac.deployers or [])] if rbac else [],
        viewers=[subject(x) for x in (rbac.viewers or [])] if rbac else [],
        startupSeconds=values.probes.startup_seconds,
        eventsToBroker=to_broker or None,
    )
    network = s.networkPolicy or NetworkPolicySettings()
    if network.enabled is not False:
        data.networkPolicy = plan_network(
            chart,
            profile.env,
            _egress_needs(values, facts, provider, api_rules, to_broker),
            network,
            diag,
            timer_callbacks=job_service if timers else None,
        )
        _check_callers(chart, facts, profile, network, diag)
    check_placeholders(chart, facts, profile, values, data, diag)
    data.kinds = production_kinds(data, bool(facts.consumed), bool(facts.produced) or to_broker)
    data.waitReads = wait_reads(data)
    if diag.error_count == errors:  # a rule above already said what is wrong, better
        check_values(values, profile, diag)
    return Environment(values, data)


def _scaling(
    values: ProductionValues, scaling: ScalingSettings, runtime: Runtime, operator: str | None
) -> tuple[bool, int]:
    """(HPA on, fewest replicas)."""
    low = scaling.minReplicas or MIN_REPLICAS
    hpa = scaling.enabled is not False and (runtime == "kubernetes" or has_scale_subresource(operator))
    if hpa:
        values.autoscaling = autoscaling_values(scaling)
    else:
        values.replicaCount = low
    return hpa, low


def autoscaling_values(scaling: ScalingSettings) -> Autoscaling:
    """The HPA's bounds: the profile's, else the defaults."""
    return Autoscaling(
        minReplicas=scaling.minReplicas or MIN_REPLICAS,
        maxReplicas=scaling.maxReplicas or DEFAULT_MAX_REPLICAS,
        targetCPUUtilizationPercentage=scaling.targetCPUUtilizationPercentage or DEFAULT_CPU_TARGET,
    )


def vault_values(vault: VaultSettings, fill: Callable[[str], str], vault_prefix: str) -> Vault:
    """Where a chart's Secret comes from in Vault: the profile's settings (placeholders filled
    by `fill`), else the defaults (the role named with chartgen.yaml's prefix)."""
    return Vault(
        address=vault.address or "",
        kvMount=vault.kvMount or "kv",
        path=fill(vault.path or DEFAULT_PATH),
        authMount=vault.authMount or "kubernetes",
        role=fill(vault.role or vault_prefix + DEFAULT_ROLE),
        audience=vault.audience or DEFAULT_AUDIENCE,
    )


def _persistence(
    values: ProductionValues, facts: ProjectFacts, settings: PersistenceSettings, chart: str
) -> bool:
    enabled = facts.can_wait if settings.enabled is None else settings.enabled
    if enabled:
        pg = settings.postgresql or PostgresSettings()
        values.persistence = Persistence(
            host=pg.host or "",
            port=pg.port or 5432,
            database=pg.database or "",
            schema=pg.schema or chart.replace("-", "_"),
        )
    return enabled


def eventing_values(settings: EventingSettings, consumes: bool) -> Eventing:
    """The broker and the delivery of its Triggers; a chart whose workflows consume events must
    name a dead-letter sink (its Triggers' template requires one), others may."""
    return Eventing(
        broker=settings.broker or "default",
        brokerNamespace=settings.brokerNamespace or "knative-eventing",
        retries=5 if settings.retries is None else settings.retries,
        backoffPolicy=settings.backoffPolicy or "exponential",
        backoffDelay=settings.backoffDelay or "PT1S",
        deadLetterSink=(settings.deadLetterSink or "") if consumes else settings.deadLetterSink,
    )


def _egress_needs(
    values: ProductionValues, facts: ProjectFacts, provider: Provider, api_rules: list[Any], to_broker: bool
) -> list[Need]:
    """What the runtime itself connects to: the database, the broker, the platform's services
    (the Data Index only when its events go there directly), the API server, the services the
    workflows call, and Vault when its agent runs in the pod."""
    needs: list[Need] = []
    if values.persistence is not None:
        pg = values.persistence
        needs.append(Target(pg.host, pg.port, f"the database {pg.host}", lambda: None))
    if values.eventing is not None:
        needs.append(broker_egress(values.eventing.brokerNamespace))
    if values.jobService is not None:
        needs.append(Endpoint(values.jobService.url, lambda: None, "the Jobs Service"))
    if values.dataIndex is not None and not to_broker:
        needs.append(Endpoint(values.dataIndex.url, lambda: None, "the Data Index"))
    if api_rules:
        needs.append(api_server_egress())
    needs += facts.endpoints
    if provider == "injector" and values.vault is not None:
        needs.append(Endpoint(values.vault.address, lambda: None, "Vault (its agent runs in the pod)"))
    return needs


def subject(text: str) -> Subject:
    """`group:name`, `user:name`, `serviceaccount:ns:name` -> an RBAC subject."""
    kind, _, rest = text.partition(":")
    if kind == "serviceaccount":
        namespace, _, name = rest.partition(":")
        return Subject(kind="ServiceAccount", name=name, namespace=namespace)
    return Subject(kind=SUBJECT_KINDS[kind], name=rest)  # type: ignore[arg-type]


def has_scale_subresource(operator: str | None) -> bool:
    return _version(operator or "") >= SCALE_SUBRESOURCE_SINCE


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:2]) or (0,)


# -- refusals and warnings ---------------------------------------------------------------------


def check_environment(
    chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics, part_of: str = ""
) -> None:
    """Refuse a production profile that cannot run this project's workflows safely."""
    _check_image(profile, diag)
    _check_persistence(chart, facts, profile, diag)
    _check_timers(chart, facts, profile, diag, part_of)
    _check_eventing(chart, facts, profile, diag)
    _check_scaling(profile, diag)
    _check_operator_scaling(chart, profile, diag)
    _check_secrets(chart, facts, profile, diag)
    _check_kubernetes_api(chart, facts, profile, diag)
    _check_pod_annotations(profile, diag)


def _check_pod_annotations(profile: Profile, diag: Diagnostics) -> None:
    """The operator builds a SonataFlow's pods with its labels but none of its annotations."""
    if profile.settings.runtime == "sonataflow" and profile.settings.podAnnotations:
        diag.error(
            f"profile '{profile.env}': podAnnotations cannot reach the pods under runtime sonataflow (the "
            "operator gives them the SonataFlow's labels, never its annotations): use podLabels, or "
            "runtime kubernetes",
            profile.location("podAnnotations", key=True),
        )


def _check_image(profile: Profile, diag: Diagnostics) -> None:
    image = profile.settings.image
    if image is None or not image.repository:
        diag.error(
            f"production profile '{profile.env}' has no image.repository: each chart runs a runtime image "
            "the pipeline builds (e.g. registry.example.com/workflows/{workflow})",
            profile.location("image", "repository") if image else profile.location("mode", key=True),
        )


def _check_timers(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics, part_of: str) -> None:
    """Timers must outlive the pod that set them: the platform's Jobs Service keeps them. (One
    embedded in the runtime would answer every request with 503 in all replicas but the one
    that leads it, and in a restarted pod until the dead one's lease ends.)"""
    s = profile.settings
    if not facts.timers or s.runtime == "sonataflow" or platform_url(profile, part_of, JOBS_SERVICE):
        return
    if (s.persistence or PersistenceSettings()).enabled is False:
        return  # refused as such, better
    diag.error(
        f"profile '{profile.env}': chart '{chart}' has timers ({facts.timers[0]}): set "
        "platform.jobService: true (or jobService.url) for a Jobs Service, which keeps them through "
        "restarts and fires each once, whatever the replicas",
        profile.location("mode"),
    )


def _check_persistence(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    if not facts.can_wait:
        return
    first = facts.waits[0]
    settings = profile.settings.persistence or PersistenceSettings()
    if settings.enabled is False:
        diag.policy_error(
            f"profile '{profile.env}' disables persistence, but in chart '{chart}' {first}: "
            "its instances would be lost on restart",
            profile.location("persistence", "enabled"),
        )
        return
    pg = settings.postgresql or PostgresSettings()
    missing = [k for k in ("host", "database") if not getattr(pg, k)]
    if missing:
        diag.error(
            f"profile '{profile.env}' needs persistence.postgresql ({', '.join(missing)} missing): "
            f"in chart '{chart}' {first}",
            profile.location("persistence"),
        )


def _check_eventing(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    if not (facts.consumed or facts.produced):
        return
    eventing = profile.settings.eventing or EventingSettings()
    if eventing.enabled is False:
        diag.policy_error(
            f"profile '{profile.env}' disables eventing, but chart '{chart}' handles events",
            profile.location("eventing", "enabled"),
        )
    elif facts.consumed and not eventing.deadLetterSink:
        types = ", ".join(e.type for e in facts.consumed)
        diag.error(
            f"profile '{profile.env}' has no eventing.deadLetterSink: chart '{chart}' consumes {types}, "
            "and undeliverable events must go somewhere",
            profile.location("eventing"),
        )


def _check_scaling(profile: Profile, diag: Diagnostics) -> None:
    scaling = profile.settings.scaling or ScalingSettings()
    if scaling.enabled is False:
        return
    low = scaling.minReplicas or MIN_REPLICAS
    high = scaling.maxReplicas or DEFAULT_MAX_REPLICAS
    if low < MIN_REPLICAS:
        diag.policy_error(
            f"profile '{profile.env}': scaling.minReplicas must be at least {MIN_REPLICAS} "
            "(a single replica is "
            "not highly available; set scaling.enabled: false for a fixed count)",
            profile.location("scaling", "minReplicas"),
        )
    elif high <= low:
        diag.error(
            f"profile '{profile.env}': scaling.maxReplicas ({high}) must be greater than minReplicas ({low})",
            profile.location("scaling", "maxReplicas"),
        )


def _check_operator_scaling(chart: str, profile: Profile, diag: Diagnostics) -> None:
    s = profile.settings
    if s.runtime != "sonataflow" or (s.scaling and s.scaling.enabled is False):
        return
    if not has_scale_subresource(s.operatorVersion):
        since = ".".join(map(str, SCALE_SUBRESOURCE_SINCE))
        diag.warning(
            f"chart '{chart}' in '{profile.env}': "
            f"SonataFlow operator {s.operatorVersion or '(version unknown)'} "
            f"has no scale subresource (needs {since}+), so no HPA: fixed replicas (scaling.minReplicas)",
            profile.location("operatorVersion") if s.operatorVersion else profile.location("runtime"),
        )


def _check_secrets(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    secrets = profile.settings.secrets or SecretsSettings()
    needs = facts.secret_names or facts.secret_env or facts.can_wait or secrets.env
    if not needs:
        return
    provider = secrets.provider or "vso"
    if provider == "injector" and profile.settings.runtime == "sonataflow":
        diag.error(
            f"profile '{profile.env}': chart '{chart}' uses secrets, and the Vault Agent injector needs pod "
            "annotations, which a SonataFlow resource cannot carry (nor does the injector create the "
            "Secret the operator reads database credentials from): use provider vso, eso or existing "
            "with runtime sonataflow",
            profile.location("secrets", "provider"),
        )
    if provider == "existing":
        if not secrets.existingSecret:
            diag.error(
                f"profile '{profile.env}': secrets.provider 'existing' needs secrets.existingSecret "
                f"(chart '{chart}' uses secrets)",
                profile.location("secrets", "provider"),
            )
    elif not (secrets.vault and secrets.vault.address):
        keys = sorted(set(facts.secret_names) | set(facts.secret_env.values()))
        diag.error(
            f"profile '{profile.env}': secrets.vault.address is required for provider '{provider}' "
            f"(chart '{chart}' uses secrets: {', '.join(keys) or 'database credentials'})",
            profile.location("secrets"),
        )


def check_role_prefix(profile: Profile, prefix: str, diag: Diagnostics) -> None:
    """Once per production profile: a role `vault apply` would refuse to manage."""
    secrets = profile.settings.secrets
    role = secrets.vault.role if secrets and secrets.vault else None
    if role and not role.startswith(prefix):
        diag.warning(
            f"profile '{profile.env}': Vault role '{role}' does not start with '{prefix}' (chartgen.yaml "
            "vault.prefix): `chartgen vault plan` and `apply` manage only names with that prefix",
            profile.location("secrets", "vault", "role"),
        )


def check_placeholders(
    chart: str,
    facts: ProjectFacts,
    profile: Profile,
    values: ProductionValues,
    data: EnvironmentData,
    diag: Diagnostics,
) -> None:
    """A `${NAME}` nothing provides: the runtime does not start when a property it reads at
    start-up holds one (an error); otherwise the property is empty (a warning)."""
    env = {**(profile.settings.env or {})}
    names = set(env) | runtime_env(facts, data, values)
    entries = facts.config + [
        ConfigEntry(key, str(value), (), None, profile.location("properties", key, key=True))
        for key, value in (profile.settings.properties or {}).items()
    ]
    for missing in missing_placeholders(entries, names, active_profiles(env)):
        name, entry = missing.placeholder, missing.entry
        what = f"chart '{chart}' in '{profile.env}': '{entry.name}' reads ${{{name}}}, which nothing provides"
        provide = f"map {name} to a Secret key in the profile's secrets.env, or set it in env"
        if missing.stops_startup:
            diag.error(
                f"{what}, and the runtime reads it at start-up: it would not start (SRCFG00011); {provide}",
                entry.where,
            )
        else:
            diag.warning(f"{what}: the runtime starts with '{entry.name}' empty; {provide}", entry.where)


def runtime_env(facts: ProjectFacts, data: EnvironmentData, values: ProductionValues) -> set[str]:
    """The environment variables the chart's runtime container gets besides the profile's `env`
    (the production templates' chartgen.runtimeEnv, the SinkBinding or operator's K_SINK), and
    the names of the credentials it reads as files (named like variables, matched like them); a
    helm-tier test (test_the_runtime_environment_planning_assumes_is_the_one_rendered) checks
    this set against what the templates render."""
    names = {"QUARKUS_HTTP_PORT"}
    if data.runtime == "kubernetes":
        names.add("KOGITO_SERVICE_URL")
        if data.persistence:
            names |= {"KOGITO_PERSISTENCE_TYPE", "QUARKUS_DATASOURCE_DB_KIND", "QUARKUS_DATASOURCE_JDBC_URL"}
            names |= {
                "KOGITO_PERSISTENCE_PROTO_MARSHALLER",
                "KIE_FLYWAY_ENABLED",
                "QUARKUS_FLYWAY_MIGRATE_AT_START",
            }
        if facts.timers and values.jobService is not None:
            names.add("KOGITO_JOBS_SERVICE_URL")
    if facts.produced or data.eventsToBroker:
        names.add("K_SINK")
    if data.provider == "injector":  # the agent's file sets each property itself, no variable
        names.add("QUARKUS_CONFIG_LOCATIONS")
        names |= {binding.property for binding in data.secretBindings}
    elif data.credentials:
        names.add("SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS")
        names |= {name for binding in data.secretBindings for name in (binding.env, binding.property)}
    return names


def _check_kubernetes_api(chart: str, facts: ProjectFacts, profile: Profile, diag: Diagnostics) -> None:
    rbac = profile.settings.rbac
    rules = (rbac.kubernetesApi or {}).get(chart, []) if rbac else []
    if facts.kube_api_calls and not rules:
        diag.warning(
            f"chart '{chart}': {facts.kube_api_calls[0]} calls the Kubernetes API, but profile "
            f"'{profile.env}' grants no rbac.kubernetesApi.{chart} rules: the runtime gets no "
            "ServiceAccount token and must bring its own credentials",
            profile.location("mode", key=True),
        )


def _check_callers(
    chart: str, facts: ProjectFacts, profile: Profile, network: NetworkPolicySettings, diag: Diagnostics
) -> None:
    """An HTTP-started workflow needs callers the NetworkPolicy admits."""
    eventing = profile.settings.eventing or EventingSettings()
    event_namespaces = {"knative-eventing", eventing.brokerNamespace or "knative-eventing"}
    if facts.http_started and not admits_callers(network, event_namespaces):
        diag.warning(
            f"chart '{chart}' in '{profile.env}': {', '.join(facts.http_started)} "
            f"{'is' if len(facts.http_started) == 1 else 'are'} started over HTTP, "
            "but the NetworkPolicy admits "
            "no callers but event delivery and `helm test`: list the callers in networkPolicy.ingress "
            "(namespace, podLabels or cidr)",
            profile.location("networkPolicy"),
        )
