"""resolve: what the names in workflows point at, found among the files already loaded.

A function's `<spec file>#<operationId>` becomes a SpecRef (remote, a project file, or
not found) and each local spec is parsed once; a `dataInputSchema` becomes its file.
Nothing is read from disk here and nothing is judged: validation reports what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlparse

from chartgen.errors import Diagnostics, Location
from chartgen.formats.source import ParseError
from chartgen.workflow.loader import report_duplicates
from chartgen.workflow.model import (
    Asset,
    Project,
    SchemaFile,
    SchemaRef,
    SpecDoc,
    SpecRef,
    Workflow,
    WorkflowSet,
)

SPEC_FUNCTION_TYPES = ("rest", "asyncapi")


def resolve(wset: WorkflowSet, diag: Diagnostics) -> None:
    parsed: set[Path] = set()  # a spec that is not one is parsed (and reported) once too
    for project in wset.projects:
        before = diag.error_count
        files = {a.path.resolve(): a for a in project.assets}
        for wf in project.workflows:
            for fn in wf.functions:
                if fn.type in SPEC_FUNCTION_TYPES and "#" in fn.operation:
                    fn.spec = _spec_ref(fn.operation, wf, project, files)
                    if fn.spec.path is not None and fn.spec.path not in parsed:
                        parsed.add(fn.spec.path)
                        _parse_spec(fn.spec.path, files[fn.spec.path], wset, diag)
            schema = wf.data_input_schema
            if schema is not None and not is_remote(schema.name):
                wf.input_schema = find_local(schema.name, wf, project, files)
                _follow_schema(wf.input_schema, files, wset, diag)
            output = wf.output_schema
            if output is not None and not is_remote(output.name):
                wf.output_schema_file = find_local(output.name, wf, project, files)
                _follow_schema(wf.output_schema_file, files, wset, diag)
        project.errors += diag.error_count - before


def _follow_schema(
    path: Path | None, files: Mapping[Path, Asset], wset: WorkflowSet, diag: Diagnostics
) -> None:
    """Parse a schema file and, through their relative `$ref`s, every project file it reaches
    (each once): SonataFlow's build reads them all."""
    todo = [path] if path is not None else []
    while todo:
        current = todo.pop()
        if current in wset.schemas:
            continue
        source = files[current].source
        try:
            docs = source.documents()
        except ParseError as exc:
            diag.error(
                f"cannot parse JSON schema: {exc.message}", Location(source.display, exc.line, exc.col)
            )
            continue
        report_duplicates(source, diag)
        schema = SchemaFile(source, docs[0] if docs else None)
        for ref, at in _refs(schema.doc, ()):
            found = None
            if not ref.startswith("#") and not is_remote(ref) and "\0" not in ref:
                target = (current.parent / ref.split("#", 1)[0]).resolve()
                found = target if target in files else None
            schema.refs.append(SchemaRef(ref, at, found))
            if found is not None:
                todo.append(found)
        wset.schemas[current] = schema


def _refs(node: object, at: tuple[str | int, ...]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every `$ref` string of a JSON document, with where it is."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(node, at)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, Mapping):
            ref = value.get("$ref")
            if isinstance(ref, str):
                yield ref, (*where, "$ref")
            stack.extend((v, (*where, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(value))


def _spec_ref(operation: str, wf: Workflow, project: Project, files: Mapping[Path, object]) -> SpecRef:
    uri, op_id = operation.rsplit("#", 1)
    alias = wf.uri_definitions.get(uri)
    if alias is not None or is_remote(uri):
        return SpecRef(uri, op_id, remote=alias or uri)
    return SpecRef(uri, op_id, path=find_local(uri, wf, project, files))


def is_remote(uri: str) -> bool:
    return urlparse(uri).scheme in ("http", "https")


def find_local(uri: str, wf: Workflow, project: Project, files: Mapping[Path, object]) -> Path | None:
    """A project file next to the workflow, else at the resources root (the classpath)."""
    if "\0" in uri:  # no file has this name (and the OS refuses to look it up)
        return None
    for prefix in ("classpath:", "file:"):
        if uri.startswith(prefix):
            uri = uri[len(prefix) :].lstrip("/") if prefix == "classpath:" else uri[len(prefix) :]
    for candidate in (wf.source.path.parent / uri, project.resources / uri):
        resolved = candidate.resolve()
        if resolved in files:
            return resolved
    return None


def _parse_spec(path: Path, asset: Asset, wset: WorkflowSet, diag: Diagnostics) -> None:
    source = asset.source
    try:
        docs = source.documents()
    except ParseError as exc:
        diag.error(f"cannot parse spec: {exc.message}", Location(source.display, exc.line, exc.col))
        return
    report_duplicates(source, diag)
    doc = docs[0] if docs else None
    if not isinstance(doc, Mapping):
        diag.error("spec is not an OpenAPI or AsyncAPI document", source.location())
        return
    wset.specs[path] = SpecDoc(source, doc)
