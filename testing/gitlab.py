"""The shipped GitLab CI file, read as GitLab reads its jobs (for tests of the pipelines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from testing.repo import REPO

GITLAB = REPO / "pipelines" / "gitlab" / ".gitlab-ci.yml"


class _GitLabLoader(yaml.SafeLoader):
    """GitLab's !reference tag: the referenced lines are checked where they are written."""


_GitLabLoader.add_constructor("!reference", lambda loader, node: [])


def gitlab_jobs(path: Path = GITLAB) -> dict[str, Any]:
    """Every top-level key of the file: jobs, hidden jobs (.name), variables, stages."""
    loaded = yaml.load(path.read_text(), Loader=_GitLabLoader)
    assert isinstance(loaded, dict), path
    return loaded
