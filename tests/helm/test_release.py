"""`chartgen release` and `chartgen verify` against real stores on 127.0.0.1: the CNCF
distribution registry (built by scripts/toolchain.sh) and a chart repository folder served over
HTTP, with git repositories that push their tags to a bare `origin`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import git
import pytest
import yaml

from chartgen.charts.chart import parse_chart_yaml, version_fields, working_files
from chartgen.errors import UserError
from chartgen.formats.redact import redact
from chartgen.release.targets import parse_target
from chartgen.tools.helm import Helm, is_loopback
from chartgen.tools.locate import find_tool
from chartgen.tools.runner import Completed
from chartgen.version.digest import chart_digest
from chartgen.version.tags import Claim
from testing.registry import Registry, serving
from testing.repo import REPO, run_cli

pytestmark = pytest.mark.helm

PROD_CHARTS = ("invoice-sync", "order-approval", "shipment-tracker")
ALL_CHARTS = ("acme-workflows-dev", *PROD_CHARTS)


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/ with its charts generated, committed in a git repository (built once)."""
    repo_dir = tmp_path_factory.mktemp("template") / "repo"
    shutil.copytree(REPO / "examples", repo_dir, ignore=shutil.ignore_patterns("charts"))
    repo = git.Repo.init(repo_dir, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "chartgen test")
        config.set_value("user", "email", "test@example.invalid")
    result = run_cli("-C", str(repo_dir), "generate")
    assert result.code == 0, result.err
    commit_all(repo, "workflows and charts")
    repo.close()
    return repo_dir


@pytest.fixture
def workspace(template_repo: Path, tmp_path: Path) -> Iterator[git.Repo]:
    """A fresh copy of the template repository, with a bare `origin` it has pushed to."""
    origin = tmp_path / "origin.git"
    git.Repo.init(origin, bare=True, initial_branch="main").close()
    repo_dir = tmp_path / "repo"
    shutil.copytree(template_repo, repo_dir, symlinks=True)
    repo = git.Repo(repo_dir)
    repo.create_remote("origin", str(origin))
    repo.git.push("-q", "origin", "main")
    yield repo
    repo.close()  # gitpython's `git cat-file` processes


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(secret keyring, public keyring) of a throwaway signing key without a passphrase."""
    if not shutil.which("gpg"):
        pytest.skip("gpg is not installed")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    gpg = ["gpg", "--batch", "--quiet"]
    subprocess.run(
        [
            *gpg,
            "--passphrase",
            "",
            "--quick-gen-key",
            "chartgen test <test@example.invalid>",
            "ed25519",
            "sign",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    secret, public = home / "secring.gpg", home / "pubring.gpg"
    secret.write_bytes(
        subprocess.run([*gpg, "--export-secret-keys"], env=env, check=True, capture_output=True).stdout
    )
    public.write_bytes(subprocess.run([*gpg, "--export"], env=env, check=True, capture_output=True).stdout)
    return secret, public


def commit_all(repo: git.Repo, message: str) -> None:
    repo.git.add("-A")
    repo.git.commit("-q", "-m", message)


def target(registry: Registry, request: pytest.FixtureRequest) -> str:
    """A registry path of this test's own (one registry serves the whole module)."""
    return registry.oci(request.node.name.replace("_", "-").lower())


def release(repo: git.Repo, *args: str) -> tuple[int, list[str], str]:
    result = run_cli("-C", str(repo.working_tree_dir), "release", *args)
    assert "Traceback" not in result.out + result.err
    return result.code, result.out.splitlines(), result.err


def lines_of(lines: list[str], mark: str) -> set[str]:
    return {line.split()[1] for line in lines if line.startswith(mark + " ")}


def change_workflow_input(repo: git.Repo, value: str) -> None:
    """Change invoice-sync's settings and regenerate: new content, same version, valid digest."""
    props = Path(str(repo.working_tree_dir)) / "workflows" / "invoice-sync" / "application.properties"
    props.write_text(props.read_text() + f"chartgen.test.value={value}\n")
    result = run_cli("-C", str(repo.working_tree_dir), "generate")
    assert result.code == 0, result.err
    commit_all(repo, f"invoice-sync setting {value}")


def helm() -> Helm:
    return Helm(find_tool("helm"))


def test_oci_release_tags_every_chart_then_is_a_noop(
    workspace: git.Repo, registry: Registry, request: pytest.FixtureRequest
) -> None:
    to = target(registry, request)
    code, lines, err = release(workspace, "--to", to)
    assert code == 0, err
    assert lines_of(lines, "✔") == set(ALL_CHARTS)
    assert f"✔ invoice-sync 0.1.0 released to {to} (tag invoice-sync-0.1.0)" in lines
    head = workspace.head.commit.hexsha
    origin_tags = str(workspace.git.ls_remote("--tags", "origin")).splitlines()
    for name in ALL_CHARTS:
        assert workspace.git.rev_parse(f"{name}-0.1.0^{{commit}}") == head
        assert f"{head}\trefs/tags/{name}-0.1.0" in origin_tags

    code, lines, err = release(workspace, "--to", to)
    assert code == 0, err
    assert lines_of(lines, "=") == set(ALL_CHARTS)
    assert "= order-approval 0.1.0 already released (same digest)" in lines
    as_json = run_cli("-C", str(workspace.working_tree_dir), "--output", "json", "release", "--to", to)
    charts = json.loads(as_json.out)["result"]["charts"]
    assert {(c["name"], c["state"]) for c in charts} == {(name, "skipped") for name in ALL_CHARTS}
    # --base: only charts changed since the merge-base (none since HEAD).
    code, lines, err = release(workspace, "--to", to, "--base", "HEAD")
    assert (code, lines[-1]) == (0, f"0 charts for {to}: 0 released, 0 already released, 0 failed")


def test_changed_content_without_a_bump_is_refused_naming_the_chart(
    workspace: git.Repo, registry: Registry, request: pytest.FixtureRequest
) -> None:
    to = target(registry, request)
    assert release(workspace, "--to", to)[0] == 0
    repo_dir = Path(str(workspace.working_tree_dir))

    # A hand edit under charts/: not committed, then committed (its digest no longer matches).
    values = repo_dir / "charts" / "order-approval" / "values-prod.yaml"
    values.write_text(values.read_text() + "# tuned by hand\n")
    code, lines, _ = release(workspace, "--to", to, "--chart", "order-approval")
    assert code == 1
    assert any("order-approval" in line and "commit the chart first" in line for line in lines)
    commit_all(workspace, "hand edit")
    code, lines, _ = release(workspace, "--to", to)
    assert code == 1
    assert lines_of(lines, "✖") == {"order-approval"}
    assert any("order-approval" in line and "does not match the chart's content" in line for line in lines)
    assert {"invoice-sync", "shipment-tracker"} <= lines_of(lines, "=")
    workspace.git.revert("--no-edit", "HEAD")

    # New content through generate, the version kept: the registry has 0.1.0 with other content.
    change_workflow_input(workspace, "v2")
    code, lines, _ = release(workspace, "--to", to)
    assert code == 1
    assert "invoice-sync" in lines_of(lines, "✖")
    assert "✖ invoice-sync 0.1.0: 0.1.0 is already released with other content: bump the version" in lines
    assert {"order-approval", "shipment-tracker"} <= lines_of(lines, "=")


def test_pulled_chart_has_the_committed_digest(
    workspace: git.Repo, registry: Registry, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    to = target(registry, request)
    assert release(workspace, "--to", to, "--chart", "order-approval")[0] == 0
    pulled = helm().pull(f"{to}/order-approval", "0.1.0", tmp_path)
    assert pulled.ok, pulled.stderr
    with tarfile.open(tmp_path / "order-approval-0.1.0.tgz") as archive:
        archive.extractall(tmp_path / "x", filter="data")
    chart = tmp_path / "x" / "order-approval"
    files = working_files(chart)
    meta = parse_chart_yaml(files["Chart.yaml"], chart / "Chart.yaml")
    committed = Path(str(workspace.working_tree_dir)) / "charts" / "order-approval" / "Chart.yaml"
    expected = version_fields(parse_chart_yaml(committed.read_bytes(), committed)).digest
    assert chart_digest(meta, files) == expected
    assert version_fields(meta).digest == expected


def test_repo_dir_index_is_merged_and_served(workspace: git.Repo, tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    with serving(store) as url:
        code, lines, err = release(
            workspace, "--repo-dir", str(store), "--repo-url", url, "--chart", "invoice-sync"
        )
        assert code == 0, err
        first = yaml.safe_load((store / "index.yaml").read_text())["entries"]["invoice-sync"]
        code, lines, err = release(workspace, "--repo-dir", str(store), "--repo-url", url)
        assert code == 0, err
        assert lines_of(lines, "=") == {"invoice-sync"}
        assert lines_of(lines, "✔") == set(ALL_CHARTS) - {"invoice-sync"}
        entries = yaml.safe_load((store / "index.yaml").read_text())["entries"]
        assert set(entries) == set(ALL_CHARTS)
        assert entries["invoice-sync"] == first  # merged, never rewritten
        assert entries["order-approval"][0]["urls"] == [f"{url}/order-approval-0.1.0.tgz"]
        pulled = helm().pull("order-approval", "0.1.0", tmp_path, repo_url=url)
        assert pulled.ok, pulled.stderr
    assert (tmp_path / "order-approval-0.1.0.tgz").read_bytes() == (
        store / "order-approval-0.1.0.tgz"
    ).read_bytes()

    # Other content under a released version: refused, the stored package untouched.
    before = (store / "invoice-sync-0.1.0.tgz").read_bytes()
    change_workflow_input(workspace, "v2")
    code, lines, _ = release(workspace, "--repo-dir", str(store), "--chart", "invoice-sync")
    assert code == 1
    assert any("already released with other content" in line for line in lines)
    assert (store / "invoice-sync-0.1.0.tgz").read_bytes() == before


def test_signed_release_verifies_and_a_tampered_package_does_not(
    workspace: git.Repo,
    registry: Registry,
    request: pytest.FixtureRequest,
    keys: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    secret, public = keys
    to = target(registry, request)
    # A key the keyring does not hold: this chart fails and its version is not claimed.
    code, lines, _ = release(
        workspace, "--to", to, "--chart", "invoice-sync", "--sign-key", "nobody", "--keyring", str(secret)
    )
    assert code == 1
    assert lines[0].startswith("✖ invoice-sync 0.1.0: helm package invoice-sync failed: ")
    assert not workspace.git.tag("-l", "invoice-sync-0.1.0")
    assert "invoice-sync-0.1.0" not in str(workspace.git.ls_remote("--tags", "origin"))
    sign = ("--sign-key", "chartgen test", "--keyring", str(secret))
    assert release(workspace, "--to", to, "--chart", "invoice-sync", *sign)[0] == 0
    store = tmp_path / "store"
    store.mkdir()
    assert release(workspace, "--repo-dir", str(store), "--chart", "invoice-sync", *sign)[0] == 0
    assert (store / "invoice-sync-0.1.0.tgz.prov").is_file()

    verified = run_cli("verify", f"{to}/invoice-sync:0.1.0", "--keyring", str(public))
    assert verified.code == 0, verified.err
    assert "✔ invoice-sync-0.1.0.tgz signed by chartgen test <test@example.invalid>" in verified.out
    verified = run_cli("verify", "--repo-dir", str(store), "invoice-sync", "0.1.0", "--keyring", str(public))
    assert verified.code == 0, verified.err

    # The same name with other bytes: the .prov's sha256 no longer matches.
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    shutil.copy(store / "invoice-sync-0.1.0.tgz.prov", tampered)
    package = tampered / "invoice-sync-0.1.0.tgz"
    package.write_bytes((store / "invoice-sync-0.1.0.tgz").read_bytes() + b"\0")
    failed = run_cli("verify", str(package), "--keyring", str(public))
    assert failed.code == 1
    assert len(failed.err.strip().splitlines()) == 1
    assert "invoice-sync-0.1.0.tgz: signature check failed" in failed.err

    # Released unsigned: a clear one-line error.
    assert release(workspace, "--to", to + "-unsigned", "--chart", "order-approval")[0] == 0
    failed = run_cli("verify", f"{to}-unsigned/order-approval:0.1.0", "--keyring", str(public))
    assert failed.code == 1
    assert (
        failed.err.strip()
        == "chartgen: error: order-approval-0.1.0.tgz is not signed: no order-approval-0.1.0.tgz.prov beside it"
    )


def test_two_releases_of_one_version_at_once_exactly_one_wins(
    workspace: git.Repo, registry: Registry, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    to = target(registry, request)
    origin = str(workspace.remotes.origin.url)
    clones = []
    for value in ("left", "right"):
        clone = git.Repo.clone_from(origin, tmp_path / value)
        with clone.config_writer() as config:
            config.set_value("user", "name", value)
            config.set_value("user", "email", f"{value}@example.invalid")
        change_workflow_input(clone, value)
        clones.append(clone)

    def run(clone: git.Repo) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "chartgen", "-C", str(clone.working_tree_dir), "release"]
        return subprocess.run(
            [*argv, "--to", to, "--chart", "invoice-sync"], capture_output=True, text=True, timeout=120
        )

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, clones))
    request.addfinalizer(lambda: close_all(clones))
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1], [(r.stdout, r.stderr) for r in results]
    winner, loser = (0, 1) if results[0].returncode == 0 else (1, 0)
    lost = results[loser].stdout + results[loser].stderr
    assert "Traceback" not in lost
    assert "✖ invoice-sync 0.1.0: " in lost
    assert "bump the version" in lost
    winner_sha = clones[winner].head.commit.hexsha
    assert f"{winner_sha}\trefs/tags/invoice-sync-0.1.0" in str(workspace.git.ls_remote("--tags", "origin"))
    assert not clones[loser].git.tag("-l", "invoice-sync-0.1.0")  # its claim was taken back
    shown = helm().show_chart(f"{to}/invoice-sync", "0.1.0")
    chart = Path(str(clones[winner].working_tree_dir)) / "charts" / "invoice-sync" / "Chart.yaml"
    assert (
        version_fields(yaml.safe_load(shown.stdout)).digest
        == version_fields(parse_chart_yaml(chart.read_bytes(), chart)).digest
    )


def test_repo_dir_retry_replaces_the_leftovers_of_an_interrupted_release(
    workspace: git.Repo, tmp_path: Path
) -> None:
    """Files index.yaml does not name (a run stopped between copying and indexing) are not
    released: a retry replaces them instead of failing forever."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "invoice-sync-0.1.0.tgz").write_bytes(b"half a package")
    (store / "invoice-sync-0.1.0.tgz.prov").write_bytes(b"a signature of something else")
    code, lines, err = release(workspace, "--repo-dir", str(store), "--chart", "invoice-sync")
    assert code == 0, (lines, err)
    assert not (store / "invoice-sync-0.1.0.tgz.prov").exists()
    with tarfile.open(store / "invoice-sync-0.1.0.tgz") as archive:
        assert "invoice-sync/Chart.yaml" in archive.getnames()
    entries = yaml.safe_load((store / "index.yaml").read_text())["entries"]
    assert [e["version"] for e in entries["invoice-sync"]] == ["0.1.0"]
    assert not list(store.glob(".*chartgen-tmp"))


def test_two_releases_to_one_repo_dir_without_origin_exactly_one_wins(
    workspace: git.Repo, tmp_path: Path
) -> None:
    """Without `origin`, the chart repository folder's lock arbitrates."""
    store = tmp_path / "store"
    store.mkdir()
    clones = []
    for value in ("left", "right"):
        clone = git.Repo.clone_from(str(workspace.remotes.origin.url), tmp_path / value)
        clone.delete_remote(clone.remotes.origin)
        with clone.config_writer() as config:
            config.set_value("user", "name", value)
            config.set_value("user", "email", f"{value}@example.invalid")
        change_workflow_input(clone, value)
        clones.append(clone)

    def run(clone: git.Repo) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "chartgen", "-C", str(clone.working_tree_dir), "release"]
        return subprocess.run(
            [*argv, "--repo-dir", str(store), "--chart", "invoice-sync"],
            capture_output=True,
            text=True,
            timeout=120,
        )

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, clones))
    for clone in clones:
        clone.close()
    assert sorted(r.returncode for r in results) == [0, 1], [(r.stdout, r.stderr) for r in results]
    loser = 0 if results[0].returncode else 1
    assert "Traceback" not in results[loser].stderr
    assert "✖ invoice-sync 0.1.0: 0.1.0 is already released with other content" in results[loser].stdout
    assert not clones[loser].git.tag("-l", "invoice-sync-0.1.0")
    entries = yaml.safe_load((store / "index.yaml").read_text())["entries"]
    assert len(entries["invoice-sync"]) == 1


def test_a_chart_name_that_is_not_its_folder_name_is_refused_alone(
    workspace: git.Repo, registry: Registry, request: pytest.FixtureRequest
) -> None:
    """Chart.yaml's name becomes a git tag, a registry path and a file name."""
    to = target(registry, request)
    chart = Path(str(workspace.working_tree_dir)) / "charts" / "order-approval" / "Chart.yaml"
    chart.write_text(chart.read_text().replace("name: order-approval", "name: --delete", 1))
    commit_all(workspace, "a hostile chart name")
    code, lines, _ = release(workspace, "--to", to)
    assert code == 1
    assert lines_of(lines, "✖") == {"order-approval"}
    assert "is not its folder's name" in next(line for line in lines if line.startswith("✖"))
    assert lines_of(lines, "✔") == set(ALL_CHARTS) - {"order-approval"}
    assert "order-approval-0.1.0" not in workspace.git.tag("-l").split()
    assert not [t for t in workspace.git.tag("-l").split() if t.startswith("-")]


def test_unreachable_origin_fails_each_chart_at_once_and_leaves_no_tag(
    workspace: git.Repo, registry: Registry, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    to = target(registry, request)
    workspace.remotes.origin.set_url(str(tmp_path / "gone.git"))
    code, lines, _ = release(workspace, "--to", to)
    assert code == 1
    failures = [line for line in lines if line.startswith("✖")]
    assert len(failures) == len(ALL_CHARTS)
    for line in failures:
        assert "cannot reach origin to claim the version: fatal: " in line
        assert "does not appear to be a git repository" in line
    assert not workspace.git.tag("-l")
    assert not helm().show_chart(f"{to}/invoice-sync", "0.1.0").ok


def test_taking_a_claim_back_deletes_the_local_tag_even_when_origin_is_gone(
    workspace: git.Repo, tmp_path: Path
) -> None:
    workspace.git.tag("invoice-sync-0.1.0")
    workspace.remotes.origin.set_url(str(tmp_path / "gone.git"))
    Claim(workspace, "invoice-sync-0.1.0", created=True, pushed=True).undo()
    assert not workspace.git.tag("-l", "invoice-sync-0.1.0")


def test_registry_commands_use_the_users_helm_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`helm registry login` stores credentials in the user's config: push, show and pull read it."""
    monkeypatch.delenv("HELM_CONFIG_HOME", raising=False)
    seen: list[dict[str, str]] = []

    def fake_run(
        argv: list[object], timeout: float, env: dict[str, str], pass_signals: bool = False
    ) -> Completed:
        seen.append(env)
        return Completed((), 0, "", "")

    monkeypatch.setattr("chartgen.tools.helm.run", fake_run)
    h = Helm(tmp_path / "helm")
    h.push(tmp_path / "a-0.1.0.tgz", "oci://registry.example.com/charts")
    h.show_chart("oci://registry.example.com/charts/a", "0.1.0")
    h.pull("oci://registry.example.com/charts/a", "0.1.0", tmp_path)
    h.lint(tmp_path, [], "1.34")
    assert ["HELM_CONFIG_HOME" in env for env in seen] == [False, False, False, True]


def test_plain_http_only_on_loopback_and_no_credentials_in_urls() -> None:
    assert is_loopback("oci://127.0.0.1:5000/charts")
    assert is_loopback("oci://localhost/charts")
    assert is_loopback("oci://[::1]:5000/charts")
    assert not is_loopback("oci://registry.example.com/charts")
    assert not is_loopback("oci://127.0.0.1.example.com/charts")
    with pytest.raises(Exception, match="credentials do not belong") as raised:
        parse_target("oci://user:s3cret@registry.example.com/charts", None, None)
    assert "s3cret" not in str(raised.value)
    for args, message in [
        ((None, ".", "https://u:s3cret@charts.example.com"), "credentials do not belong"),
        (("oci://registry.example.com/charts", None, "https://charts.example.com"), "goes with --repo-dir"),
        (("oci://[::1/charts", None, None), "expected oci://HOST"),
        ((None, ".", "ftp://charts.example.com"), "expected http://HOST"),
    ]:
        with pytest.raises(UserError, match=message) as raised:
            parse_target(*args)
        assert "s3cret" not in str(raised.value)
    assert redact("fatal: unable to access 'https://x:tok@github.com/a/b'") == (
        "fatal: unable to access 'https://***@github.com/a/b'"
    )


def close_all(repos: list[git.Repo]) -> None:
    for repo in repos:
        repo.close()
