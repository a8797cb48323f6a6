"""Rules for the JSON schemas a workflow names (`dataInputSchema`, the workflow-output-schema
extension's `outputSchema`) and the files their `$ref`s reach: what SonataFlow 10.0's build
refuses in them, found statically. Each rule names the runtime failure it spares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from chartgen.workflow.context import Context
from chartgen.workflow.model import Ref, SchemaFile, Workflow, WorkflowSet
from chartgen.workflow.resolve import is_remote

# networknt json-schema-validator 1.0.86 (SonataFlow 10.0's) builds a root `$id` into a URI only
# with one of these schemes; anything else fails the build ("... is an invalid segment for URI").
_ID_SCHEMES = re.compile(r"^(http|https|ftp|file|jar|classpath|resource):")
# The meta-schemas it knows; any other `$schema` fails the build ("Unknown MetaSchema").
_DRAFTS = (
    "draft-04/schema",
    "draft-06/schema",
    "draft-07/schema",
    "draft/2019-09/schema",
    "draft/2020-12/schema",
)
_META_SCHEMAS = frozenset(
    f"{scheme}://json-schema.org/{draft}{hash_}"
    for scheme in ("http", "https")
    for draft in _DRAFTS
    for hash_ in ("", "#")
)


def check_schemas(wf: Workflow, ctx: Context) -> None:
    for what, ref, path in (
        ("dataInputSchema", wf.data_input_schema, wf.input_schema),
        ("outputSchema", wf.output_schema, wf.output_schema_file),
    ):
        if ref is None:
            continue
        if is_remote(ref.name):
            ctx.diag.warning(
                f"{what} '{ref.name}' of workflow '{wf.id}' is remote: SonataFlow's build fetches it, so "
                "the build needs the network",
                wf.ref_loc(ref),
            )
        elif path is None:
            ctx.diag.error(
                f"{what} '{ref.name}' of workflow '{wf.id}' is not a file of project '{ctx.project.rel}' "
                "(relative to the workflow, or to the resources folder): SonataFlow's build fails reading "
                "it (NoSuchFileException)",
                wf.ref_loc(ref),
            )
        elif path in ctx.wset.schemas:
            _check_root(ctx.wset.schemas[path], what, ref, wf, ctx)
            for schema in _reachable(path, ctx.wset):
                _check_refs(schema, ctx)


def _check_root(schema: SchemaFile, what: str, ref: Ref, wf: Workflow, ctx: Context) -> None:
    doc = schema.doc if isinstance(schema.doc, dict) else {}
    schema_id = doc.get("$id")
    if isinstance(schema_id, str) and not schema_id.startswith("#") and not _ID_SCHEMES.match(schema_id):
        ctx.diag.error(
            f"$id '{schema_id}' of {what} schema '{ref.name}' is not an absolute URI: SonataFlow's build "
            f"fails on it ('{schema_id}: null is an invalid segment for URI'); remove it, or write "
            f"'#{Path(schema_id).stem or 'root'}' or a URI such as 'https://example.com/{schema_id}'",
            schema.source.location(0, ("$id",)),
        )
    meta = doc.get("$schema")
    if meta is not None and meta not in _META_SCHEMAS:
        ctx.diag.error(
            f"$schema '{meta}' of {what} schema '{ref.name}' is not a JSON Schema draft SonataFlow knows "
            "(draft-04, -06, -07, 2019-09, 2020-12): its build fails ('Unknown MetaSchema')",
            schema.source.location(0, ("$schema",)),
        )


def _check_refs(schema: SchemaFile, ctx: Context) -> None:
    absolute_id = isinstance(schema.doc, dict) and is_remote(str(schema.doc.get("$id", "")))
    for ref in schema.refs:
        if ref.ref.startswith("#"):
            ctx.diag.error(
                f"$ref '{ref.ref}' points inside the schema, which SonataFlow's build reads as a file name "
                "and fails (NoSuchFileException): move the definition to a file of its own and refer to it",
                schema.source.location(0, ref.at),
            )
        elif is_remote(ref.ref) or (absolute_id and ref.path is None):
            ctx.diag.warning(
                f"$ref '{ref.ref}' is fetched by SonataFlow's build (a URL, or relative to an http(s) $id): "
                "the build needs the network",
                schema.source.location(0, ref.at),
            )
        elif ref.path is None:
            ctx.diag.error(
                f"$ref '{ref.ref}' is not a file of the project (relative to {schema.source.display}): "
                "SonataFlow's build fails reading it (NoSuchFileException)",
                schema.source.location(0, ref.at),
            )


def _reachable(path: Path, wset: WorkflowSet) -> Iterator[SchemaFile]:
    seen = {path}
    todo = [path]
    while todo:
        schema = wset.schemas.get(todo.pop())
        if schema is None:
            continue
        yield schema
        for ref in schema.refs:
            if ref.path is not None and ref.path not in seen:
                seen.add(ref.path)
                todo.append(ref.path)
