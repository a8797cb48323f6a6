"""`chartgen verify`: who signed a released chart package (helm verify against a keyring),
from a file, an OCI registry or a chart repository folder."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from chartgen.errors import UserError
from chartgen.formats.redact import redact
from chartgen.formats.source import display_path
from chartgen.release.targets import INDEX, RepoDirTarget, helm_error
from chartgen.tools.helm import Helm


def verify_package(helm: Helm, package: Path, keyring: Path) -> str:
    """Who signed `package` (helm verify with `keyring`), or a one-line UserError."""
    if not package.is_file():
        raise UserError(f"{display_path(package)}: no such chart package")
    if not Path(f"{package}.prov").is_file():
        raise UserError(f"{package.name} is not signed: no {package.name}.prov beside it")
    result = helm.verify(package, keyring)
    if not result.ok:
        raise UserError(f"{package.name}: signature check failed: {helm_error(result)}")
    signer = [line for line in result.stdout.splitlines() if line.startswith("Signed by:")]
    return signer[0].removeprefix("Signed by:").strip() if signer else "a key of the keyring"


def verify_oci(helm: Helm, ref: str, keyring: Path) -> tuple[str, str]:
    """(package name, signer) of `oci://HOST/PATH/NAME:VERSION`, pulled with its .prov."""
    remote, _, version = ref.rpartition(":")
    if not remote.startswith("oci://") or "/" in version or not version:
        raise UserError(f"{redact(ref)}: expected oci://HOST/PATH/NAME:VERSION")
    with tempfile.TemporaryDirectory(prefix="chartgen-verify-") as tmp:
        pulled = helm.pull(remote, version, Path(tmp), prov=True)
        if not pulled.ok:
            raise UserError(f"cannot pull {redact(ref)}: {helm_error(pulled)}")
        packages = sorted(Path(tmp).glob("*.tgz"))
        if not packages:
            raise UserError(f"cannot pull {redact(ref)}: no package")
        return packages[0].name, verify_package(helm, packages[0], keyring)


def verify_repo_dir(helm: Helm, folder: Path, name: str, version: str, keyring: Path) -> tuple[str, str]:
    """(package name, signer) of NAME VERSION in the chart repository folder `folder`."""
    item = RepoDirTarget(folder).entry(name, version)
    if item is None:
        raise UserError(f"{name} {version} is not in {display_path(folder / INDEX)}")
    urls = item.get("urls") or [f"{name}-{version}.tgz"]
    package = folder / Path(urlsplit(str(urls[0])).path).name  # the file name only: in `folder`
    return package.name, verify_package(helm, package, keyring)
