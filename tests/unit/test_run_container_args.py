"""`chartgen run --container`'s podman arguments, from a resolved pod: every mount read-only at
its path, emptyDirs as tmpfs, the securityContext and limits, the env through a 0600 file."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from chartgen.errors import UserError
from chartgen.runtime.container import Resolved, Security
from chartgen.runtime.images import base_recipe
from chartgen.runtime.in_container import check_non_root, container_args
from chartgen.tools.podman import Podman


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


def test_a_base_image_is_remade_when_what_it_is_made_from_changes() -> None:
    packages = ("openjdk-17-jre-headless", "ca-certificates")
    plain = base_recipe(packages, {})
    assert base_recipe(packages, {}) == plain  # the same recipe: the image is kept
    with_ca = base_recipe(packages, {"proxy.crt": b"-----BEGIN CERTIFICATE-----\nA\n"})
    assert with_ca != plain  # a CA this machine now trusts
    assert base_recipe(packages, {"proxy.crt": b"-----BEGIN CERTIFICATE-----\nB\n"}) != with_ca  # renewed
    assert base_recipe((*packages, "maven"), {}) != plain
