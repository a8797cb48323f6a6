"""Benchmark: the examples' images with podman (run as root; the container tier's set-up).

    python benchmarks/container.py [--repeat 3]

The examples generated and their build contexts written (`chartgen build --no-package`); then,
per production chart: the image built cold (`--no-cache`: both stages, the Maven build inside
with this machine's Maven repository mounted), warm (every layer cached; best of --repeat), its
size, and the container started by `chartgen run --container`'s code until the chart's startup
probe passes, on a podman network beside a PostgreSQL container (best of --repeat; the
database's start is not counted, the Jobs Service container of a chart with timers is). Before
that: the platform services' images (built once per content, so a number only when missing)
and the PostgreSQL container's start until it takes logins. Then the same for the dev chart's
devmode image (`build --image`: its warm-up reads this machine's Maven repository) and
`run --container` of it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from chartgen.flows.build import IMAGE_FILE, build_chart_image
from chartgen.flows.run import render_environment
from chartgen.plan.platform_services import SERVICES
from chartgen.runtime.container_platform import container_postgres, service_image
from chartgen.runtime.devmode import start_devmode
from chartgen.runtime.images import ensure_base_images
from chartgen.runtime.local import start_runtime
from chartgen.runtime.postgres import ensure_database
from chartgen.tools.podman import Podman

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from testing.repo import copy_examples, run_cli  # noqa: E402  (the repository's own helpers)

CHARTS = ("invoice-sync", "order-approval", "shipment-tracker")
DEV_CHART = "acme-workflows-dev"


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    podman = Podman.find()
    start = time.perf_counter()
    made = ensure_base_images(podman)
    if made:
        print(f"base images made from Debian packages: {time.perf_counter() - start:.0f}s")
    for service in SERVICES:
        before = time.perf_counter()
        tag = service_image(podman, service)
        seconds = time.perf_counter() - before
        print(f"{service.title}: image {tag} {podman.image_size(tag) / 1e6:.0f} MB, {seconds:.1f}s")
    started = []
    for _ in range(args.repeat):
        before = time.perf_counter()
        with container_postgres():
            started.append(time.perf_counter() - before)
    print(f"PostgreSQL container (network, start, logins taken): {min(started):.1f}s (best of {args.repeat})")
    with tempfile.TemporaryDirectory(prefix="chartgen-bench-container-") as tmp:
        repo = copy_examples(Path(tmp))
        assert run_cli("-C", str(repo), "generate").code == 0
        assert run_cli("-C", str(repo), "build", "--no-package").code == 0
        for chart in CHARTS:
            context = repo / "build" / chart
            tag = (context / IMAGE_FILE).read_text().strip()
            cold = build_chart_image(podman, context, tag, devmode=False, cold=True)
            warm = [build_chart_image(podman, context, tag, devmode=False) for _ in range(args.repeat)]
            objects, _ = render_environment(repo / "charts" / chart, "prod", "1.34")
            ready = []
            with container_postgres() as server:
                ensure_database(server, "workflows")
                db = server.with_database("workflows")
                for _ in range(args.repeat):
                    before = time.perf_counter()
                    running = start_runtime(objects, Path("unused.jar"), prefer=chart, database=db, image=tag)
                    ready.append(time.perf_counter() - before)
                    running.stop()
            print(
                f"{chart}: image {cold.size / 1e6:.0f} MB; build cold {cold.seconds:.0f}s, warm "
                f"{min(b.seconds for b in warm):.1f}s; start to ready {min(ready):.1f}s (with the "
                f"Jobs Service when it has timers; best of {args.repeat})"
            )
        _devmode(podman, repo, args.repeat)


def _devmode(podman: Podman, repo: Path, repeat: int) -> None:
    assert run_cli("-C", str(repo), "build", "--chart", DEV_CHART, "--image", "--no-package").code == 0
    context = repo / "build" / DEV_CHART
    tag = (context / IMAGE_FILE).read_text().strip()
    cold = build_chart_image(podman, context, tag, devmode=True, cold=True)
    warm = [build_chart_image(podman, context, tag, devmode=True) for _ in range(repeat)]
    objects, _ = render_environment(repo / "charts" / DEV_CHART, None, "1.34", dev=True)
    ready = []
    for _ in range(repeat):
        before = time.perf_counter()
        running = start_devmode(objects, label=DEV_CHART, name=DEV_CHART, image=tag)
        ready.append(time.perf_counter() - before)
        running.stop()
    print(
        f"{DEV_CHART} (devmode image): {cold.size / 1e6:.0f} MB; build cold {cold.seconds:.0f}s (its "
        f"warm-up dev-mode run included), warm {min(b.seconds for b in warm):.1f}s; start to ready "
        f"{min(ready):.1f}s (mvn -o quarkus:dev compiles the chart's workflows; best of {repeat})"
    )


if __name__ == "__main__":
    main()
