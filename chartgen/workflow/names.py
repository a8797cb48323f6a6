"""Kubernetes-safe names for charts and workflow resources.

Names are DNS-1035 labels (lowercase letters, digits and '-', starting with a letter,
ending with a letter or digit) so they are valid for Helm releases, Services and
every other kind, and at most 53 characters (Helm's release-name limit). Names that
would be longer are cut and given a short hash of the original, so they stay stable
and distinct.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from chartgen.errors import Diagnostics, Location

Where = Callable[[], Location | None]

MAX_NAME = 53
HASH_LEN = 8
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_INVALID = re.compile(r"[^a-z0-9]+")
VALID_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def dns_name(raw: str, max_len: int = MAX_NAME) -> str:
    """`Ticket_Escalation.v2` -> `ticket-escalation-v2`; `02_demo` -> `wf-02-demo`."""
    name = _INVALID.sub("-", _CAMEL.sub(r"\1-\2", raw).lower()).strip("-")
    if not name:
        name = "wf"
    if not name[0].isalpha():
        name = f"wf-{name}"
    if len(name) > max_len:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:HASH_LEN]
        name = f"{name[: max_len - HASH_LEN - 1].rstrip('-')}-{digest}"
    return name


def is_valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME and VALID_NAME.fullmatch(name) is not None


class NameRegistry:
    """Hands out names and reports two sources that map to the same one."""

    def __init__(self, what: str, diag: Diagnostics) -> None:
        self.what = what
        self.diag = diag
        self.owners: dict[str, tuple[str, Where]] = {}

    def claim(self, name: str, owner: str, where: Where = lambda: None) -> bool:
        """`where` is called only when reporting: finding positions re-reads files."""
        previous = self.owners.get(name)
        if previous is not None and previous[0] != owner:
            prev_owner, prev_where = previous
            prev_location = prev_where()
            also = f" ({prev_location})" if prev_location else ""
            self.diag.error(
                f"{self.what} name '{name}' is produced by both {prev_owner}{also} and {owner}; "
                "rename one of them",
                where(),
            )
            return False
        self.owners[name] = (owner, where)
        return True
