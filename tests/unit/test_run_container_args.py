"""`chartgen run --container`'s podman arguments, from a resolved pod: every mount read-only at
its path, emptyDirs as tmpfs, the securityContext and limits, the env through a 0600 file."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from chartgen.errors import UserError
from chartgen.plan.model import CredentialFiles
from chartgen.runtime.container import Resolved, Security, resolve
from chartgen.runtime.container_platform import SERVICE_PORT, SERVICE_SECURITY, check_reachable
from chartgen.runtime.images import Recipe, recipe_digest
from chartgen.runtime.in_container import Attachment, check_non_root, container_args
from chartgen.runtime.postgres import Database
from chartgen.tools.podman import Podman
from testing.repo import REPO


def _resolved(**changes: object) -> Resolved:
    resolved = Resolved(
        env={},
        files={"/deployments/config/application.properties": b"a=b\n"},
        dirs=["/tmp"],
        mounts=["/deployments/config", "/var/run/secrets/chartgen/credentials", "/tmp"],
        port=8080,
        startup_path="/q/health/started",
        startup_timeout=60,
        secret_values=[],
        placeholders=[],
        database_keys=[],
        notes=[],
        security=Security(
            user=10001, group=10001, read_only_root=True, drop_all=True, no_new_privileges=True
        ),
        limits={"cpu": "500m", "memory": "1Gi"},
    )
    for key, value in changes.items():
        setattr(resolved, key, value)
    return resolved


def test_the_pod_s_settings_become_podman_s(tmp_path: Path) -> None:
    args = container_args("img:1", "chartgen-x-1", _resolved(), tmp_path, {"TOKEN": "s3cret", "A": "1"})
    assert args[-1] == "img:1" and args[:4] == ["run", "--rm", "--pull=never", "--name=chartgen-x-1"]
    assert f"--volume={tmp_path}/deployments/config:/deployments/config:ro" in args
    assert (
        f"--volume={tmp_path}/var/run/secrets/chartgen/credentials:/var/run/secrets/chartgen/credentials:ro"
        in args
    )
    assert "--tmpfs=/tmp:rw,mode=1777" in args and not any("/tmp:ro" in a for a in args)
    for expected in (
        "--user=10001:10001",
        "--read-only",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
    ):
        assert expected in args
    assert "--memory=1g" in args and "--cpus=0.5" in args
    assert not any("s3cret" in a for a in args)  # ps shows the command line: the env goes in a file
    env_file = tmp_path / "container.env"
    assert env_file.read_text() == "A=1\nTOKEN=s3cret\n" and stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_on_a_podman_network_the_container_is_reached_by_name_and_published_on_loopback(
    tmp_path: Path,
) -> None:
    attachment = Attachment("chartgen-ab12cd34", "order-approval", 8080, 40123)
    args = container_args("img:1", "c", _resolved(), tmp_path, {}, attachment)
    assert "--network=host" not in args
    assert [a for a in args if a.startswith(("--network", "--publish"))] == [
        "--network=chartgen-ab12cd34",
        "--network-alias=order-approval",
        "--publish=127.0.0.1:40123:8080",  # this machine only, never every interface
    ]
    alone = container_args("img:1", "c", _resolved(), tmp_path, {})
    assert "--network=host" in alone and not [a for a in alone if a.startswith("--publish")]


@pytest.mark.parametrize(
    ("host", "refused"),
    [
        ("127.0.0.1", True),
        ("127.0.0.53", True),
        ("localhost", True),
        ("::1", True),
        ("10.88.0.1", False),
        ("pg.example.internal", False),
        ("chartgen-postgres-0b334ad2", False),
    ],
)
def test_what_a_container_cannot_reach_on_this_machine_s_loopback_is_refused(
    host: str, refused: bool
) -> None:
    if refused:
        with pytest.raises(UserError, match=f"the database is on {host}, this machine's loopback"):
            check_reachable("the database", host)
    else:
        check_reachable("the database", host)


def test_a_database_in_a_container_is_reached_by_name_on_its_network_and_by_port_from_here() -> None:
    db = Database("127.0.0.1", 40999, "chartgen", "pw", network="net", network_address=("chartgen-pg", 5432))
    assert db.reached(on_network=False) == ("127.0.0.1", 40999)
    assert db.reached(on_network=True) == ("chartgen-pg", 5432)
    assert db.with_database("workflows").reached(on_network=True) == ("chartgen-pg", 5432)
    given = Database("pg.example.internal", 5432, "app", "pw")  # --database: as given, from both
    assert given.reached(on_network=True) == given.reached(on_network=False)


def test_a_pod_without_a_security_context_runs_as_the_image_says(tmp_path: Path) -> None:
    args = container_args("img:1", "c", _resolved(security=Security(), limits={}), tmp_path, {})
    assert not [
        a for a in args if a.startswith(("--user", "--read-only", "--cap-drop", "--memory", "--cpus"))
    ]


def test_a_line_break_in_a_variable_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="the variable PEM holds a line break"):
        container_args("img:1", "c", _resolved(), tmp_path, {"PEM": "a\nb"})


@dataclass(frozen=True)
class _ImageUser(Podman):
    """podman whose `image inspect` answers the image's USER (no podman needed)."""

    user: str = ""

    def checked(self, *args: str | Path, timeout: float = 300) -> str:
        assert args[:2] == ("image", "inspect")
        return f"{self.user}\n"


@pytest.mark.parametrize(
    ("image_user", "pod_user", "refusal"),
    [
        ("1001:0", None, None),
        ("", 10001, None),  # the securityContext's UID, not the image's, is checked
        ("", None, "would run as root"),
        ("0", None, "would run as root"),
        ("root", None, "'root' is not numeric"),
        ("kogito:0", None, "'kogito' is not numeric"),
        ("1001", 0, "would run as root"),
    ],
)
def test_run_as_non_root_is_checked_as_the_kubelet_checks_it(
    image_user: str, pod_user: int | None, refusal: str | None
) -> None:
    security = Security(user=pod_user, non_root=True)
    if refusal is None:
        check_non_root(_ImageUser(Path("podman"), image_user), "img:1", security)
    else:
        with pytest.raises(UserError, match=refusal):
            check_non_root(_ImageUser(Path("podman"), image_user), "img:1", security)
    check_non_root(
        _ImageUser(Path("podman"), "0"), "img:1", Security(non_root=False)
    )  # not asked: not checked


def test_an_image_is_remade_when_what_it_is_made_from_changes() -> None:
    recipe = Recipe("img:1", ("openjdk-17-jre-headless", "ca-certificates"))
    plain = recipe_digest(recipe, {})
    assert recipe_digest(recipe, {}) == plain  # the same recipe: the image is kept
    with_ca = recipe_digest(recipe, {"proxy.crt": b"-----BEGIN CERTIFICATE-----\nA\n"})
    assert with_ca != plain  # a CA this machine now trusts
    assert recipe_digest(recipe, {"proxy.crt": b"-----BEGIN CERTIFICATE-----\nB\n"}) != with_ca  # renewed
    assert recipe_digest(Recipe("img:1", (*recipe.packages, "maven")), {}) != plain
    with_file = Recipe("img:1", recipe.packages, files=(("/usr/local/bin/start", "exec x\n"),))
    assert recipe_digest(with_file, {}) != plain
    edited = Recipe("img:1", recipe.packages, files=(("/usr/local/bin/start", "exec y\n"),))
    assert recipe_digest(edited, {}) != recipe_digest(with_file, {})
    assert recipe_digest(Recipe("img:1", recipe.packages, changes=("USER 5",)), {}) != plain


def test_the_service_containers_run_as_the_platform_chart_s_pods() -> None:
    """What `run --container` gives the Jobs Service and Data Index containers is what the
    platform chart (its golden rendering) gives their pods: user, root, capabilities, port,
    credentials folder."""
    rendered = REPO / "tests/golden/platform/rendered/acme-workflows-platform/values-prod.yaml"
    objects = [o for o in yaml.safe_load_all(rendered.read_text()) if isinstance(o, dict)]
    deployments = [o["metadata"]["name"] for o in objects if o.get("kind") == "Deployment"]
    assert sorted(deployments) == [
        "acme-workflows-platform-data-index",
        "acme-workflows-platform-jobs-service",
    ]
    for name in deployments:
        pod = resolve(objects, {}, prefer=name)
        assert pod.security == SERVICE_SECURITY, name
        assert pod.port == SERVICE_PORT and pod.env["QUARKUS_HTTP_PORT"] == str(SERVICE_PORT), name
        assert pod.env["SMALLRYE_CONFIG_SOURCE_FILE_LOCATIONS"] == CredentialFiles.folder, name
