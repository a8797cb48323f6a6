"""Fetch what the runtime and container tiers would otherwise download while they run, so that
scripts/test.sh can do it in the background during the tiers that use neither Maven nor podman.

    python scripts/prefetch.py [runtime] [container]

- runtime: the Maven artifacts of the examples' runtimes (their `chartgen build`, into a
  temporary folder; skipped when this machine's Maven repository already holds SonataFlow) and
  the platform services, built into chartgen's cache as `chartgen run` builds them;
- container: the Debian base images (podman), as `chartgen build --image` makes them, then the
  images `run --container` starts beside a runtime (PostgreSQL, the Jobs Service, the Data Index).

Best effort: a step that fails is named on stderr, and the tier then fetches what it needs.
One line per step on stdout, with its time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from chartgen.config import SONATAFLOW_VERSION
from chartgen.flows.build import run_build
from chartgen.plan.platform_services import SERVICES
from chartgen.runtime.container_platform import POSTGRES, service_image
from chartgen.runtime.images import ensure_base_images, ensure_images, maven_repository
from chartgen.runtime.platform import service_app
from chartgen.tools.podman import Podman

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from testing.repo import copy_examples, run_cli  # noqa: E402  (the repository's own helpers)

SONATAFLOW = Path("org/apache/kie/sonataflow/sonataflow-quarkus") / SONATAFLOW_VERSION


def examples_built() -> str:
    if (maven_repository() / SONATAFLOW).is_dir():
        return "the Maven repository already holds SonataFlow: nothing to fetch"
    with tempfile.TemporaryDirectory(prefix="chartgen-prefetch-") as tmp:
        repo = copy_examples(Path(tmp))
        generated = run_cli("-C", str(repo), "generate")
        if generated.code != 0:
            raise RuntimeError(generated.err)
        built = run_build(repo / "charts", repo / "build")
    failed = [b.name for b in built if b.problems]
    if failed:
        raise RuntimeError(f"did not build: {', '.join(failed)}")
    return f"the examples' {len(built)} runtimes built (their Maven artifacts fetched)"


def services_built() -> str:
    for service in SERVICES:
        service_app(service)
    return f"{', '.join(s.title for s in SERVICES)} built into chartgen's cache"


def base_images() -> str:
    made = ensure_base_images(Podman.find())
    return f"base images made: {', '.join(made)}" if made else "base images already made"


def platform_images() -> str:
    """The images `run --container` starts beside a runtime: PostgreSQL's, each service's."""
    podman = Podman.find()
    made = ensure_images(podman, [POSTGRES])
    tags = [service_image(podman, service) for service in SERVICES]
    return f"platform images ready: {', '.join([*made, *tags]) or 'none made'}"


def step(what: Callable[[], str]) -> bool:
    start = time.monotonic()
    try:
        done = what()
    except Exception as exc:  # best effort: the tier fetches what is missing itself
        print(f"prefetch: {what.__name__} failed ({time.monotonic() - start:.0f}s): {exc}", file=sys.stderr)
        return False
    print(f"prefetch: {done} ({time.monotonic() - start:.0f}s)", flush=True)
    return True


def main(tiers: list[str]) -> int:
    steps: list[Callable[[], str]] = []
    if "container" in tiers:
        steps.append(base_images)  # Debian's mirror first: Maven Central is the longer fetch
    if "runtime" in tiers or "container" in tiers:
        steps += [examples_built, services_built]
    if "container" in tiers:
        steps.append(platform_images)  # after services_built: its Maven artifacts are then here
    results = [step(s) for s in steps]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
