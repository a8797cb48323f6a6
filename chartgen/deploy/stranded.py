"""Upgrades that never strand an instance: which instances of what runs now wait where the new
version can no longer resume them.

What the new version removes comes from the same rules as `version bump`
(`version.rules.removals`: a workflow, a state, a function or an event the running version
has), where instances are from the Data Index (live, not a record). An instance is stranded
when it can still move (active, suspended, or in error: an error can be retried) and either
its workflow is gone or it waits in a state that is gone or that needs a removed function or
event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chartgen.deploy.data_index import Instance
from chartgen.version.rules import Removal

LIVE = ("active", "suspended", "error")  # the statuses of an instance that can still move
MAX_REASON = 500  # --allow-stranded's reason goes into the release's description: one line


@dataclass(frozen=True)
class Stranded:
    instance: Instance
    removal: Removal

    def line(self) -> str:
        i = self.instance
        where = f"waits in '{', '.join(i.waiting_in)}'" if i.waiting_in else "has not ended"
        return f"instance {i.id} of '{i.workflow}' ({i.status}) {where}: {self.removal.describe()}"


def stranded(removals: Sequence[Removal], instances: Iterable[Instance]) -> list[Stranded]:
    """Each live instance that `removals` would strand, with the first removal that does."""
    found = []
    for instance in instances:
        if instance.status not in LIVE:
            continue
        for removal in removals:
            if removal.workflow != instance.workflow:
                continue
            if removal.part == "workflow" or set(instance.waiting_in) & set(removal.states):
                found.append(Stranded(instance, removal))
                break
    return found


def stranding_workflows(removals: Sequence[Removal]) -> list[str]:
    """The workflows whose instances are worth asking about: those a removal can strand in."""
    return sorted({r.workflow for r in removals if r.part == "workflow" or r.states})


def instances(count: int) -> str:
    """'1 instance', '2 instances'."""
    return f"{count} instance{'s' * (count != 1)}"


def check_reason(reason: str) -> str | None:
    """Why `--allow-stranded REASON` is refused (None: it is a reason)."""
    if not reason.strip():
        return "--allow-stranded needs a reason: say why these instances may be stranded"
    if len(reason) > MAX_REASON or any(ord(c) < 32 for c in reason):
        return f"--allow-stranded: one line of at most {MAX_REASON} characters"
    return None
