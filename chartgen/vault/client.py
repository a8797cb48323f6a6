"""The Vault HTTP API chartgen uses (through hvac), and every failure as one located line.

`VaultApi` is what `apply` and `check` need; `connect` gives the real one. Each call names
the path it touches, so a refusal says which address, which path and what to do. Secret
values are read only by `secret_keys`, which keeps the key names and drops the rest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import hvac
import hvac.exceptions as hvac_errors
import requests

from chartgen.errors import UserError
from chartgen.vault.access import VaultAccess

TIMEOUT_SECONDS = 10
K8S_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"


class VaultError(UserError):
    """A Vault request that failed, in one line: where, what, and the fix. `missing`: a 404."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Mount:
    type: str
    version: str  # kv: "1" or "2"; "" otherwise


class VaultApi(Protocol):
    address: str

    def check_ready(self) -> None: ...
    def secret_mount(self, mount: str) -> Mount | None: ...
    def auth_mount(self, mount: str) -> Mount | None: ...
    def enable_kv2(self, mount: str) -> None: ...
    def enable_kubernetes(self, mount: str) -> None: ...
    def kubernetes_host(self, mount: str) -> str: ...
    def configure_kubernetes(self, mount: str, host: str, ca_pem: str) -> None: ...
    def read_policy(self, name: str) -> str | None: ...
    def write_policy(self, name: str, hcl: str) -> None: ...
    def read_role(self, mount: str, name: str) -> dict[str, Any] | None: ...
    def write_role(self, mount: str, name: str, settings: dict[str, Any]) -> None: ...
    def secret_keys(self, mount: str, path: str) -> list[str] | None: ...
    def secret_deleted(self, mount: str, path: str) -> bool: ...


class HvacApi:
    """VaultApi over hvac; hvac and requests errors never leave this class."""

    def __init__(self, client: hvac.Client, address: str) -> None:
        self.client = client
        self.address = address

    def check_ready(self) -> None:
        with self.translate("sys/health", "read"):
            health = self.client.sys.read_health_status(method="GET")
        if isinstance(health, dict) and health.get("sealed"):
            raise self._sealed()
        if isinstance(health, requests.Response) and health.status_code == 503:
            raise self._sealed()
        try:  # every valid token may look itself up (the default policy): Vault says 403 for a bad one
            self._get("auth/token/lookup-self")
        except hvac_errors.Forbidden:
            raise VaultError(
                f"Vault at {self.address} refused the token on auth/token/lookup-self: it is expired, "
                "revoked or not a token (set VAULT_TOKEN, or log in again), or it lacks Vault's default "
                "policy, which lets every token look itself up"
            ) from None
        except Exception:  # any other failure: say it the usual way
            with self.translate("auth/token/lookup-self", "read"):
                raise

    def secret_mount(self, mount: str) -> Mount | None:
        """The mount's type: from sys/mounts (an operator's token), else as any token that may
        use the mount sees it (sys/internal/ui/mounts, which answers 403 for a missing one)."""
        try:
            body = self.client.adapter.get(f"/v1/sys/mounts/{mount}")
        except hvac_errors.InvalidRequest:
            return None  # "No secret engine mount at kv/"
        except hvac_errors.Forbidden:
            try:
                with self.translate(f"sys/internal/ui/mounts/{mount}", "read"):
                    body = self._get(f"sys/internal/ui/mounts/{mount}")
            except VaultError as exc:
                raise VaultError(
                    f"Vault at {self.address}: no secrets engine at {mount}/ that this token may use "
                    "(it is missing, or the token's policies do not reach it)"
                ) from exc
        except Exception:  # any other failure: say it the usual way
            with self.translate(f"sys/mounts/{mount}", "read"):
                raise
        data = body.get("data", body) if isinstance(body, dict) else {}
        return Mount(str(data.get("type", "")), str((data.get("options") or {}).get("version", "")))

    def auth_mount(self, mount: str) -> Mount | None:
        with self.translate("sys/auth", "read"):
            methods = self._get("sys/auth")
        found = (methods.get("data") or methods).get(f"{mount}/")
        return Mount(str(found.get("type", "")), "") if isinstance(found, dict) else None

    def enable_kv2(self, mount: str) -> None:
        with self.translate(f"sys/mounts/{mount}", "create (sudo)"):
            self.client.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})

    def enable_kubernetes(self, mount: str) -> None:
        with self.translate(f"sys/auth/{mount}", "create (sudo)"):
            self.client.sys.enable_auth_method("kubernetes", path=mount)

    def kubernetes_host(self, mount: str) -> str:
        """The API server the kubernetes auth mount reviews tokens with ("" when unconfigured)."""
        found = self._read(f"auth/{mount}/config")
        return str(((found or {}).get("data") or {}).get("kubernetes_host") or "")

    def configure_kubernetes(self, mount: str, host: str, ca_pem: str) -> None:
        # With a CA given, Vault runs outside the cluster: its own pod's CA and token do not exist.
        settings: dict[str, Any] = {"kubernetes_host": host}
        if ca_pem:
            settings.update(kubernetes_ca_cert=ca_pem, disable_local_ca_jwt=True)
        with self.translate(f"auth/{mount}/config", "create/update"):
            self.client.adapter.post(f"/v1/auth/{mount}/config", json=settings)

    def read_policy(self, name: str) -> str | None:
        found = self._read(f"sys/policies/acl/{name}")
        return None if found is None else str(found["data"]["policy"])

    def write_policy(self, name: str, hcl: str) -> None:
        with self.translate(f"sys/policies/acl/{name}", "create/update"):
            self.client.adapter.put(f"/v1/sys/policies/acl/{name}", json={"policy": hcl})

    def read_role(self, mount: str, name: str) -> dict[str, Any] | None:
        found = self._read(f"auth/{mount}/role/{name}")
        return None if found is None else dict(found["data"])

    def write_role(self, mount: str, name: str, settings: dict[str, Any]) -> None:
        with self.translate(f"auth/{mount}/role/{name}", "create/update"):
            self.client.adapter.post(f"/v1/auth/{mount}/role/{name}", json=settings)

    def secret_keys(self, mount: str, path: str) -> list[str] | None:
        """The key names of the secret's current version (None: none readable); values dropped."""
        body = self._read(f"{mount}/data/{path}")
        data = (body.get("data") or {}).get("data") if body is not None else None
        return sorted(str(k) for k in data) if isinstance(data, dict) else None

    def secret_deleted(self, mount: str, path: str) -> bool:
        """Whether the path has versions but its current one is deleted or destroyed."""
        body = self._read(f"{mount}/metadata/{path}")
        if body is None:
            return False
        meta = body["data"]
        current = (meta.get("versions") or {}).get(str(meta.get("current_version")), {})
        return bool(current.get("deletion_time") or current.get("destroyed"))

    # -- plumbing -----------------------------------------------------------------------------

    def _read(self, path: str) -> dict[str, Any] | None:
        """The response to a read; None when nothing is there (404)."""
        try:
            with self.translate(path, "read"):
                return self._get(path)
        except VaultError as exc:
            if exc.missing:
                return None
            raise

    def _get(self, path: str) -> dict[str, Any]:
        body = self.client.adapter.get(f"/v1/{path}")
        if not isinstance(body, dict):
            raise VaultError(f"Vault at {self.address}: {path} answered without a JSON body")
        return body

    def _sealed(self) -> VaultError:
        return VaultError(
            f"Vault at {self.address} is sealed: unseal it (`bao operator unseal` or "
            "`vault operator unseal`) and run again"
        )

    @contextmanager
    def translate(self, path: str, action: str) -> Iterator[None]:
        try:
            yield
        except hvac_errors.VaultDown as exc:
            if "sealed" in str(exc).lower():
                raise self._sealed() from None
            raise VaultError(
                f"Vault at {self.address} is unavailable (503) on {path}: {_first(exc)}"
            ) from None
        except hvac_errors.Forbidden:
            raise VaultError(
                f"permission denied by Vault at {self.address} on {path}: the token needs '{action}' "
                f'there (a policy with path "{path}")'
            ) from None
        except hvac_errors.Unauthorized:
            raise VaultError(
                f"Vault at {self.address} refused the token on {path}: VAULT_TOKEN is missing, expired or "
                "revoked (log in again)"
            ) from None
        except hvac_errors.InvalidPath as exc:
            raise VaultError(
                f"Vault at {self.address}: nothing at {path} ({_first(exc)})", missing=True
            ) from None
        except hvac_errors.VaultError as exc:
            raise VaultError(f"Vault at {self.address} refused {action} on {path}: {_first(exc)}") from None
        except requests.exceptions.SSLError:
            raise VaultError(
                f"TLS verification of Vault at {self.address} failed: set VAULT_CACERT to the CA file that "
                "signed its certificate"
            ) from None
        except requests.exceptions.Timeout:
            raise VaultError(
                f"cannot reach Vault at {self.address}: no answer within {TIMEOUT_SECONDS} s; check "
                "VAULT_ADDR (or --address) and the network"
            ) from None
        except requests.exceptions.ConnectionError:
            raise VaultError(
                f"cannot reach Vault at {self.address}: nothing answers there; check VAULT_ADDR (or "
                "--address) and the network"
            ) from None


def _first(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    text = "; ".join(str(e) for e in errors) if isinstance(errors, list) and errors else str(exc)
    return " ".join(text.split())[:300] or type(exc).__name__


def vault_address(flag: str | None, accesses: Sequence[VaultAccess], flag_name: str = "--address") -> str:
    """--address, else VAULT_ADDR: never the charts' own address, which a pull request can
    change (the token would go there). The selection must be the charts of one Vault."""
    addresses = sorted({a.address for a in accesses})
    if len(addresses) > 1:
        raise UserError(
            f"the selected charts use {len(addresses)} Vaults ({', '.join(addresses)}): select the "
            "charts of one with --env (or --chart)"
        )
    chosen = flag or os.environ.get("VAULT_ADDR")
    source = flag_name if flag else "VAULT_ADDR"
    if not chosen:
        raise UserError(f"set VAULT_ADDR (or {flag_name}) to the Vault the charts use ({addresses[0]})")
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", chosen):
        raise UserError(f"{source} '{chosen}' is not an http(s) URL like https://vault.example.com:8200")
    return str(chosen)


def connect(address: str) -> HvacApi:
    """A client for `address`, authenticated from the environment (see `login_from_env`)."""
    ca = os.environ.get("VAULT_CACERT")
    client = hvac.Client(
        url=address,
        namespace=os.environ.get("VAULT_NAMESPACE") or None,
        verify=ca if ca else True,
        timeout=TIMEOUT_SECONDS,
    )
    api = HvacApi(client, address)
    login_from_env(api)
    return api


def login_from_env(api: HvacApi) -> None:
    """VAULT_TOKEN; else an AppRole login (VAULT_ROLE_ID, VAULT_SECRET_ID, VAULT_APPROLE_MOUNT);
    else a Kubernetes login as the pod's ServiceAccount (VAULT_K8S_ROLE, VAULT_K8S_MOUNT,
    VAULT_K8S_TOKEN_FILE)."""
    env, client = os.environ, api.client
    if env.get("VAULT_TOKEN"):
        client.token = env["VAULT_TOKEN"]
    elif env.get("VAULT_ROLE_ID") and env.get("VAULT_SECRET_ID"):
        mount = env.get("VAULT_APPROLE_MOUNT", "approle")
        with _login(api, mount, "VAULT_APPROLE_MOUNT"):
            client.auth.approle.login(env["VAULT_ROLE_ID"], env["VAULT_SECRET_ID"], mount_point=mount)
    elif env.get("VAULT_K8S_ROLE"):
        token_file = Path(env.get("VAULT_K8S_TOKEN_FILE", K8S_TOKEN_FILE))
        try:
            jwt = token_file.read_text().strip()
        except OSError as exc:
            raise VaultError(f"{token_file}: cannot read the ServiceAccount token ({exc.strerror})") from None
        mount = env.get("VAULT_K8S_MOUNT", "kubernetes")
        with _login(api, mount, "VAULT_K8S_MOUNT"):
            client.auth.kubernetes.login(env["VAULT_K8S_ROLE"], jwt, mount_point=mount)
    else:
        raise VaultError(
            "no Vault credentials: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole), or "
            "VAULT_K8S_ROLE (Kubernetes login as this pod)"
        )


@contextmanager
def _login(api: HvacApi, mount: str, variable: str) -> Iterator[None]:
    path = f"auth/{mount}/login"
    try:
        with api.translate(path, "login"):
            yield
    except VaultError as exc:
        if exc.missing:
            raise VaultError(
                f"Vault at {api.address} has no auth method at auth/{mount}/: set {variable} to the mount "
                "it is enabled at"
            ) from None
        raise
