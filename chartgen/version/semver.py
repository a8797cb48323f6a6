"""SemVer 2 chart versions: parse, order, bump, and the prerelease of a pull-request build."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

INITIAL = "0.1.0"  # the version of a chart chartgen has not written before
BUMPS = ("major", "minor", "patch")

_SEMVER = re.compile(
    r"(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_PR_LABEL = re.compile(r"[0-9A-Za-z-]+")


class NotSemVer(ValueError):
    pass


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.fullmatch(text) if isinstance(text, str) and len(text) <= 128 else None
        if match is None:
            raise NotSemVer(f"'{str(text)[:60]}' is not a SemVer 2 version (MAJOR.MINOR.PATCH)")
        major, minor, patch, pre, build = match.groups()
        return cls(int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else (), build or "")

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        return text + (f"+{self.build}" if self.build else "")

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        """SemVer precedence: a prerelease sorts below its release; numeric identifiers below
        alphanumeric ones; build metadata is ignored."""
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def bumped(self, kind: str) -> Version:
        """The next release of this kind (from the release part: a PR build's prerelease and any
        build metadata are dropped)."""
        if kind == "major":
            return Version(self.major + 1, 0, 0)
        if kind == "minor":
            return Version(self.major, self.minor + 1, 0)
        if kind == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(kind)

    def pull_request(self, number: int, sha: str) -> Version:
        """`X.Y.Z-pr.<n>.<sha>`: sorts below X.Y.Z, so the release that follows the PR wins."""
        label = sha[:12]
        if number < 0 or not _PR_LABEL.fullmatch(label):
            raise ValueError("a pull request number and a commit sha are needed")
        # A sha that is all digits must not start with 0 (SemVer numeric identifiers).
        part = label if not label.isdigit() else "g" + label
        return Version(self.major, self.minor, self.patch, ("pr", str(number), part))
