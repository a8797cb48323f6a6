"""helm: lint, template and release commands, as argv lists."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from chartgen.tools.locate import cache_dir
from chartgen.tools.runner import Completed, run

# Registries reached over plain HTTP: only this machine's (a test or a local mirror); any
# other registry is HTTPS, so credentials and charts never cross a network in clear.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# A render lives ~50 ms: Go's collector only costs it time (a third of its CPU when diff or lint
# run hundreds), so it is off, with a ceiling where it comes back on. A user's own settings win.
SHORT_LIVED_GO = {"GOGC": "off", "GOMEMLIMIT": "1GiB"}


def is_loopback(url: str) -> bool:
    """True when `url` (oci://HOST[:PORT]/PATH or http://...) names this machine."""
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def helm_reason(result: Completed) -> str:
    """helm's own one-line reason for a failure: its last `Error:` line, else its last line."""
    lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    return (errors or lines or [f"exit code {result.returncode}"])[-1].removeprefix("Error:").strip()


def _plain_http(url: str) -> list[str]:
    return ["--plain-http"] if url.startswith("oci://") and is_loopback(url) else []


def template_args(
    release: str,
    chart: Path,
    values: Sequence[Path],
    kube_version: str,
    namespace: str,
    sets: Sequence[str] = (),
) -> list[str | Path]:
    """`helm template`'s arguments (helm runs them, or helm-batch: tools/helm_batch.py)."""
    args: list[str | Path] = [
        "template",
        release,
        chart,
        "--kube-version",
        kube_version,
        "--namespace",
        namespace,
    ]
    for v in values:
        args += ["-f", v]
    for s in sets:
        args += ["--set", s]
    return args


@dataclass
class Helm:
    binary: Path
    timeout: float = 120
    kubeconfig: Path | None = None  # release commands: the cluster (None: KUBECONFIG / helm's default)
    context: str | None = None

    def _run(
        self,
        args: Sequence[str | Path],
        timeout: float | None = None,
        own_config: bool = True,
        pass_signals: bool = False,
        short_lived: bool = False,
    ) -> Completed:
        env = self.environment(own_config)
        if short_lived:
            env.update({k: v for k, v in SHORT_LIVED_GO.items() if k not in os.environ})
        return run([self.binary, *args], timeout=timeout or self.timeout, env=env, pass_signals=pass_signals)

    @staticmethod
    def environment(own_config: bool = True) -> dict[str, str]:
        """helm's environment: an empty HOME-independent config keeps runs repeatable and
        offline. Commands that reach a registry keep the user's config: `helm registry login`
        stores credentials there."""
        env = dict(os.environ)
        env.setdefault("HELM_CACHE_HOME", str(cache_dir() / "helm" / "cache"))
        env.setdefault("HELM_DATA_HOME", str(cache_dir() / "helm" / "data"))
        if own_config:
            env.setdefault("HELM_CONFIG_HOME", str(cache_dir() / "helm" / "config"))
        return env

    def lint(self, chart: Path, values: Sequence[Path], kube_version: str) -> Completed:
        args: list[str | Path] = ["lint", "--strict", "--kube-version", kube_version, chart]
        for v in values:
            args += ["-f", v]
        return self._run(args, short_lived=True)

    def template(
        self,
        release: str,
        chart: Path,
        values: Sequence[Path],
        kube_version: str,
        namespace: str,
        sets: Sequence[str] = (),
    ) -> Completed:
        return self._run(
            template_args(release, chart, values, kube_version, namespace, sets), short_lived=True
        )

    def release(self, args: Sequence[str | Path], timeout: float = 600) -> Completed:
        """A release command (install, upgrade, test, rollback, uninstall) on the chosen cluster;
        a Ctrl-C or SIGTERM chartgen receives meanwhile is passed to it (tools/interrupts)."""
        cluster: list[str | Path] = []
        if self.kubeconfig:
            cluster += ["--kubeconfig", self.kubeconfig]
        if self.context:
            cluster += ["--kube-context", self.context]
        return self._run([*args, *cluster], timeout, pass_signals=True)

    def version(self) -> str:
        return self._run(["version", "--template", "{{ .Version }}"]).stdout.strip()

    # --- packaging and distribution (chartgen release / verify) ---

    def package(
        self,
        chart: Path,
        destination: Path,
        sign_key: str | None = None,
        keyring: Path | None = None,
        passphrase_file: Path | None = None,
    ) -> Completed:
        """`helm package` into `destination`; with `sign_key`, also `<chart>.tgz.prov` signed with
        that key of the (legacy, secret) `keyring`."""
        args: list[str | Path] = ["package", chart, "--destination", destination]
        if sign_key:
            args += ["--sign", "--key", sign_key]
            if keyring:
                args += ["--keyring", keyring]
            if passphrase_file:
                args += ["--passphrase-file", passphrase_file]
        return self._run(args)

    def push(self, package: Path, remote: str) -> Completed:
        """`helm push` to `oci://HOST/PATH` (a `.prov` beside the package is pushed with it)."""
        return self._run(["push", package, remote, *_plain_http(remote)], timeout=300, own_config=False)

    def show_chart(self, ref: str, version: str) -> Completed:
        """Chart.yaml of a released chart: `ref` is `oci://HOST/PATH/NAME`."""
        return self._run(["show", "chart", ref, "--version", version, *_plain_http(ref)], own_config=False)

    def pull(
        self,
        ref: str,
        version: str,
        destination: Path,
        prov: bool = False,
        repo_url: str | None = None,
        untar: bool = False,
    ) -> Completed:
        """The package into `destination` (with `untar`: the chart folder `destination/NAME`)."""
        args: list[str | Path] = ["pull", ref, "--version", version, "--destination", destination]
        if prov:
            args.append("--prov")
        if untar:
            args += ["--untar", "--untardir", destination]
        source = ["--repo", repo_url] if repo_url else _plain_http(ref)
        return self._run([*args, *source], timeout=300, own_config=False)

    def verify(self, package: Path, keyring: Path) -> Completed:
        """`helm verify`: the `.prov` beside `package` is signed by a key of `keyring` and names
        the package's sha256."""
        return self._run(["verify", package, "--keyring", keyring])

    def repo_index(self, folder: Path, merge: Path | None = None, url: str | None = None) -> Completed:
        """`helm repo index`: writes `folder/index.yaml` for the packages in `folder`, keeping
        every entry of `merge` (an existing index.yaml) as it is."""
        args: list[str | Path] = ["repo", "index", folder]
        if merge:
            args += ["--merge", merge]
        if url:
            args += ["--url", url]
        return self._run(args)
