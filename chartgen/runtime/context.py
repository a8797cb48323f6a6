"""A production chart -> the build context of the runtime it deploys (pure: files in, files out).

The context is a Maven project whose `src/main/resources` holds exactly the files the chart
carries (its workflows, specs, schemas and application.properties), a pom with the pinned
SonataFlow and Quarkus versions and the extensions the workflows need (each with its reason),
and a Containerfile whose runtime stage has the layout, user and entrypoint the chart expects:
the app in /deployments (the working directory, so Quarkus reads the chart's
/deployments/config/application.properties), the chart's UID, only /tmp written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from chartgen.charts.chart import GeneratedChart
from chartgen.config import SONATAFLOW_VERSION
from chartgen.formats.source import ParseError, SourceFile

# The one place the runtime's versions live. SonataFlow 10.0.0 is built on Quarkus 3.8.4
# (org.kie.kogito:kogito-build-parent:10.0.0, property version.io.quarkus).
QUARKUS_VERSION = "3.8.4"
DEFAULT_UID = 10001  # the user images run as, unless the chart's securityContext names another
BUILD_IMAGE = "docker.io/library/maven:3.9.9-eclipse-temurin-17"
RUNTIME_IMAGE = "docker.io/library/eclipse-temurin:17.0.15_6-jre"
APP = "/deployments"  # what the chart mounts config/ into, and the working directory
RESOURCES = "files/resources/"
PROPERTIES = "files/config/"
KIE = "org.kie"
SERVICE_URI = re.compile(r"^(knative|kubernetes|openshift):", re.IGNORECASE)


@dataclass(frozen=True)
class Extension:
    group: str
    artifact: str
    reason: str
    kie: bool = False  # versioned by SonataFlow, not by the Quarkus BOM
    version: str = ""  # pinned here: neither BOM manages it (the SonataFlow BOM names 2.2.0)


@dataclass(frozen=True)
class Versions:
    sonataflow: str = SONATAFLOW_VERSION
    quarkus: str = QUARKUS_VERSION

    @classmethod
    def chosen(cls, settings: dict[str, str]) -> Versions:
        """chartgen.yaml's `runtime: {sonataflow, quarkus}` over the pinned ones."""
        return cls(settings.get("sonataflow", SONATAFLOW_VERSION), settings.get("quarkus", QUARKUS_VERSION))


PINNED = Versions()


def extensions(files: Mapping[str, bytes]) -> list[Extension]:
    """What the chart's workflows need in the runtime, each with the reason, in a stable order."""
    data = GeneratedChart.of("", files).raw_data
    found = [
        Extension("org.apache.kie.sonataflow", "sonataflow-quarkus", "runs the workflows", kie=True),
        Extension("io.quarkus", "quarkus-resteasy-jackson", "the workflows' REST endpoints"),
        Extension(
            "io.quarkus", "quarkus-smallrye-health", "the chart's probes: /q/health/started|live|ready"
        ),
        Extension(
            "io.smallrye.config",
            "smallrye-config-source-file-system",
            "credentials read as files of the chart's Secret volume (SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS)",
        ),
    ]
    waits = [str(w) for w in data.get("waits") or []]
    if waits:
        why = f"workflows wait ({waits[0]}{'; …' if len(waits) > 1 else ''}): instances are persisted"
        found += [
            Extension(KIE, "kie-addons-quarkus-persistence-jdbc", why, kie=True),
            Extension("io.quarkus", "quarkus-jdbc-postgresql", why),
            Extension("io.quarkus", "quarkus-agroal", why),
        ]
    timers = [str(t) for t in data.get("timers") or []]
    if timers:
        why = f"timers ({timers[0]}{'; …' if len(timers) > 1 else ''}): sent to the Jobs Service"
        found.append(Extension(KIE, "kogito-addons-quarkus-jobs-management", why, kie=True))
    events = data.get("events")
    consumed = (events.get("consumed") or []) if isinstance(events, dict) else []
    produced = (events.get("produced") or []) if isinstance(events, dict) else []
    if consumed or produced:
        kinds = [f"consumes {len(consumed)}"] * bool(consumed) + [f"produces {len(produced)}"] * bool(
            produced
        )
        why = f"{' and '.join(kinds)} event types (Knative: K_SINK out, broker deliveries in)"
        found.append(Extension(KIE, "kie-addons-quarkus-knative-eventing", why, kie=True))
    if data.get("processEvents"):
        why = "instance events to the platform's Data Index (values dataIndex.url), over HTTP"
        found += [
            Extension(KIE, "kie-addons-quarkus-events-process", why, kie=True),
            Extension(
                "io.quarkiverse.reactivemessaging.http",
                "quarkus-reactive-messaging-http",
                why,
                version="2.2.0",
            ),
        ]
    secured = sorted(oauth_specs(files))
    if secured:
        why = f"OAuth2 security of {', '.join(secured)}: its generated REST client fetches the tokens"
        found.append(Extension("io.quarkus", "quarkus-oidc-client-filter", why))
    uris = sorted(service_uris(files))
    if uris:
        why = f"service discovery for {', '.join(uris)}"
        found.append(Extension(KIE, "kie-addons-quarkus-kubernetes", why, kie=True))
    return found


def service_uris(files: Mapping[str, bytes]) -> set[str]:
    """`knative:`/`kubernetes:` operation URIs of the chart's workflow functions."""
    uris = set()
    for rel, content in files.items():
        if rel.startswith(RESOURCES) and is_workflow(rel):
            for function in _functions(rel, content):
                operation = function.get("operation") if isinstance(function, dict) else None
                if isinstance(operation, str) and SERVICE_URI.match(operation):
                    uris.add(operation.split("?", 1)[0])
    return uris


def oauth_specs(files: Mapping[str, bytes]) -> set[str]:
    """The chart's OpenAPI specs with an oauth2 or openIdConnect security scheme."""
    found = set()
    for rel, content in files.items():
        if not rel.startswith(RESOURCES) or is_workflow(rel) or not rel.endswith((".yaml", ".yml", ".json")):
            continue
        try:
            docs = SourceFile(_path(rel), content).documents()
        except ParseError:
            continue
        doc = docs[0] if docs else None
        if not isinstance(doc, dict) or not ("openapi" in doc or "swagger" in doc):
            continue
        components = doc.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        schemes = schemes if isinstance(schemes, dict) else doc.get("securityDefinitions")
        kinds = (
            {s.get("type") for s in (schemes or {}).values() if isinstance(s, dict)}
            if isinstance(schemes, dict)
            else set()
        )
        if kinds & {"oauth2", "openIdConnect"}:
            found.add(rel[len(RESOURCES) :])
    return found


def is_workflow(rel: str) -> bool:
    return rel.endswith((".sw.yaml", ".sw.yml", ".sw.json"))


def _functions(rel: str, content: bytes) -> list[Any]:
    try:
        docs = SourceFile(_path(rel), content).documents()
    except ParseError:
        return []  # generate validated these files; the runtime build reports its own errors
    doc = docs[0] if docs else None
    functions = doc.get("functions") if isinstance(doc, dict) else None
    return functions if isinstance(functions, list) else []


def _path(rel: str) -> Any:
    from pathlib import PurePosixPath

    return PurePosixPath(rel)


def build_context(
    name: str, files: Mapping[str, bytes], uid: int, versions: Versions = Versions()
) -> dict[str, bytes]:
    """Every file of the build context of chart `name`, by path."""
    context: dict[str, bytes] = {}
    for rel, content in sorted(files.items()):
        if rel.startswith(RESOURCES):
            context["src/main/resources/" + rel[len(RESOURCES) :]] = content
        elif rel.startswith(PROPERTIES) and rel.endswith(".properties"):
            context["src/main/resources/" + rel[len(PROPERTIES) :]] = content
    context["pom.xml"] = pom(name, extensions(files), versions).encode()
    context["Containerfile"] = containerfile(name, uid).encode()
    context[".dockerignore"] = b"target/\n"
    return context


def pom(name: str, needed: list[Extension], versions: Versions) -> str:
    persistence = any(e.artifact == "kie-addons-quarkus-persistence-jdbc" for e in needed)
    # Quarkus fixes Flyway's locations at build time, and SonataFlow 10.0 ships its tables'
    # migrations in db/postgresql: without this the runtime starts with no tables.
    flyway = (
        "\n    <quarkus.flyway.locations>classpath:db/postgresql</quarkus.flyway.locations>" * persistence
    )
    deps = "\n".join(
        f"    <!-- {escape(e.reason)} -->\n"
        f"    <dependency><groupId>{e.group}</groupId><artifactId>{e.artifact}</artifactId>"
        + ("<version>${sonataflow.version}</version>" if e.kie else "")
        + (f"<version>{e.version}</version>" if e.version else "")
        + "</dependency>"
        for e in needed
    )
    what = f"from chart {escape(name)}. Do not edit: regenerate with chartgen build"
    return quarkus_pom(name, what, flyway, deps, versions)


def quarkus_pom(artifact: str, what: str, properties: str, dependencies: str, versions: Versions) -> str:
    """A Quarkus app's pom on the SonataFlow and Quarkus BOMs: `properties` and `dependencies`
    are XML lines of their own (properties start with a newline)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by chartgen {what}. -->
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>chartgen.runtime</groupId>
  <artifactId>{escape(artifact)}</artifactId>
  <version>1.0.0</version>
  <properties>
    <maven.compiler.source>17</maven.compiler.source>
    <maven.compiler.target>17</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <sonataflow.version>{escape(versions.sonataflow)}</sonataflow.version>
    <quarkus.version>{escape(versions.quarkus)}</quarkus.version>{properties}
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>io.quarkus</groupId><artifactId>quarkus-bom</artifactId><version>${{quarkus.version}}</version><type>pom</type><scope>import</scope></dependency>
      <dependency><groupId>org.kie.kogito</groupId><artifactId>kogito-dependencies-bom</artifactId><version>${{sonataflow.version}}</version><type>pom</type><scope>import</scope></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
{dependencies}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-maven-plugin</artifactId>
        <version>${{quarkus.version}}</version>
        <extensions>true</extensions>
        <!-- generate-code: the REST clients of the OpenAPI operations the workflows call -->
        <executions><execution><goals><goal>generate-code</goal><goal>build</goal></goals></execution></executions>
      </plugin>
    </plugins>
  </build>
</project>
"""


def containerfile(name: str, uid: int, sources: bool = True) -> str:
    """The image of a runtime (or, without `sources`, of a platform service: its pom alone)."""
    copy_sources = "COPY src ./src\n" if sources else ""
    return f"""# Generated by chartgen from chart {name}: the runtime its Deployment or SonataFlow runs.
# Build from this folder (buildah bud -f Containerfile . / kaniko / docker build -f Containerfile .).
FROM {BUILD_IMAGE} AS build
WORKDIR /build
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline
{copy_sources}RUN mvn -B -q package -DskipTests

# The chart mounts config/ under {APP} (read as ./config/application.properties), an emptyDir
# at /tmp, and runs as UID {uid} with a read-only root file system.
FROM {RUNTIME_IMAGE}
WORKDIR {APP}
COPY --from=build --chown={uid}:{uid} /build/target/quarkus-app/lib/ {APP}/lib/
COPY --from=build --chown={uid}:{uid} /build/target/quarkus-app/app/ {APP}/app/
COPY --from=build --chown={uid}:{uid} /build/target/quarkus-app/quarkus/ {APP}/quarkus/
COPY --from=build --chown={uid}:{uid} /build/target/quarkus-app/quarkus-run.jar {APP}/quarkus-run.jar
USER {uid}:{uid}
EXPOSE 8080
ENTRYPOINT ["java", "-Djava.io.tmpdir=/tmp", "-jar", "{APP}/quarkus-run.jar"]
"""
