"""What a workflow rule sees: the project the workflow is in, the whole set, and where to report."""

from __future__ import annotations

from collections.abc import Callable

from chartgen.errors import Diagnostics
from chartgen.workflow.model import Project, Workflow, WorkflowSet


class Context:
    def __init__(self, project: Project, diag: Diagnostics, wset: WorkflowSet | None = None) -> None:
        self.project = project
        self.diag = diag
        self.wset = wset or WorkflowSet(project.root, [project])


Rule = Callable[[Workflow, Context], None]
