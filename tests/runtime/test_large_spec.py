"""A spec too large for a ConfigMap, for real: chartgen cuts it down to the operations the
workflows call (tests/runtime/projects/bigspec), and the runtime built from the chart still
calls that operation: a stub server on 127.0.0.1 answers it."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from chartgen.flows.run import render_environment
from chartgen.runtime.local import start_runtime
from chartgen.workflow.model import CONFIG_MAP_BUDGET
from testing.repo import require, run_cli
from tests.runtime.helpers import call

pytestmark = pytest.mark.runtime

PROJECT = Path(__file__).parent / "projects" / "bigspec"
SPEC = "workflows/lookup/specs/catalog.yaml"
OPERATIONS = 2500  # with their descriptions, well over the ConfigMap budget


class Catalog(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Catalog.seen.append(self.path)
        body = json.dumps({"id": self.path.rsplit("/", 1)[-1], "name": "blue teapot"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def catalog() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Catalog)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def large_spec(server: str) -> dict[str, Any]:
    """An OpenAPI document of many operations; getItem is the one the workflow calls."""
    filler = "A description long enough that the whole document is larger than a ConfigMap. " * 5
    paths: dict[str, Any] = {
        f"/things{i}/{{thingId}}": {
            "get": {
                "operationId": f"getThing{i}",
                "description": filler,
                "parameters": [
                    {"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "a thing"}},
            }
        }
        for i in range(OPERATIONS)
    }
    paths["/items/{itemId}"] = {
        "get": {
            "operationId": "getItem",
            "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "the item",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Catalog", "version": "1.0.0"},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
                "Unused": {"type": "object", "description": filler},
            }
        },
    }


def test_a_minified_spec_still_serves_the_call(tmp_path: Path, catalog: str, helm_binary: Path) -> None:
    require("java", shutil.which("java") is not None)
    require("mvn", shutil.which("mvn") is not None)
    repo = tmp_path / "bigspec"
    shutil.copytree(PROJECT, repo)
    (repo / SPEC).parent.mkdir(exist_ok=True)  # git keeps no empty folder
    (repo / SPEC).write_text(yaml.safe_dump(large_spec(catalog), sort_keys=False))
    original = (repo / SPEC).stat().st_size
    assert original > CONFIG_MAP_BUDGET
    generated = run_cli("-C", str(repo), "generate")
    assert generated.code == 0, generated.err
    assert "is over the ConfigMap budget: the chart carries it cut down to the 1 operations" in generated.err
    carried = yaml.safe_load((repo / "charts/lookup/files/resources/specs/catalog.yaml").read_text())
    assert [op["get"]["operationId"] for op in carried["paths"].values()] == ["getItem"]
    assert list(carried["components"]["schemas"]) == ["Item"]
    start = time.monotonic()
    built = run_cli("-C", str(repo), "build")
    print(
        f"\n[runtime] chartgen build --chart lookup (spec {original:,} bytes): {time.monotonic() - start:.0f}s"
    )
    assert built.code == 0, built.out + built.err
    objects, _ = render_environment(repo / "charts/lookup", "prod", "1.34")
    start = time.monotonic()
    with start_runtime(
        objects, repo / "build/lookup/target/quarkus-app/quarkus-run.jar", prefer="lookup"
    ) as runtime:
        print(f"[runtime] lookup (prod) ready in {time.monotonic() - start:.1f}s")
        status, answer, _ = call(f"{runtime.url}/lookup", {"itemId": "42"})
        assert status == 201, runtime.logs(30)
    assert answer["workflowdata"]["item"] == {"id": "42", "name": "blue teapot"}
    assert Catalog.seen == ["/items/42"]
