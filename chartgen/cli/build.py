"""`chartgen build`: the runtime each production chart deploys, as a Maven build context (and app)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chartgen.cli.common import add_chart_choice, add_charts_folder, settings_from
from chartgen.cli.output import Outcome, Printer, counted
from chartgen.errors import EXIT_OK, EXIT_USER
from chartgen.flows.build import ChartBuild, run_build
from chartgen.formats.source import display_path
from chartgen.runtime.context import Versions
from chartgen.runtime.images import BuiltImage


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "build",
        parents=parents,
        help="write each production chart's runtime build context (Maven, Containerfile) and build it",
        description="For each production chart: build/<chart>/ with a Maven project whose "
        "src/main/resources holds exactly the chart's files, the extensions its workflows need "
        "(each with its reason), a Containerfile matching the chart and image.txt (the REPOSITORY:TAG "
        "to push it as, from values.yaml); then mvn package.",
    )
    add_chart_choice(p)
    add_charts_folder(p)
    p.add_argument(
        "--out", dest="build_out", metavar="DIR", default="build", help="contexts folder (default: build)"
    )
    p.add_argument("--base", metavar="REF", help="only charts changed since the merge-base with REF")
    p.add_argument("--no-package", action="store_true", help="write the contexts only (no mvn)")
    p.add_argument("--offline", action="store_true", help="mvn -o: only what ~/.m2 already has")
    p.add_argument(
        "--image",
        action="store_true",
        help="also build each Containerfile, unchanged, with podman (base images made from Debian "
        "packages on first use), tagged as image.txt says: what `run --container` runs; and the dev "
        "chart's devmode image (a stand-in for the upstream one, with the chart's extensions)",
    )


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    settings = settings_from(args)
    out = Path(args.build_out)

    def show(result: ChartBuild) -> None:
        where = display_path(result.context)
        if result.problems:
            printer.line(f"✖ {result.name}: the runtime does not build ({where})")
            for line in result.problems:
                printer.line(f"    {line}")
        elif result.app is not None:
            printer.line(f"✔ {result.name}: {display_path(result.app)} ({result.seconds:.0f} s)")
        else:
            printer.line(f"✔ {result.name}: {where}")
        if result.built_image is not None:
            b = result.built_image
            printer.line(f"    image {b.tag}: {b.size / 1e6:.0f} MB, built in {b.seconds:.0f} s (podman)")
        for e in result.extensions:
            printer.line(f"    + {e.artifact}: {e.reason}")

    with printer.progress("building") as step:
        versions = Versions.chosen(settings.runtime_versions)
        results = run_build(
            settings.out, out, args.only, not args.no_package, args.offline, show, versions, args.base,
            image=args.image, status=step,
        )  # fmt: skip
    failed = [r.name for r in results if r.problems]
    printer.result(f"{counted(len(results), 'runtime')} in {display_path(out)}: {len(failed)} failed")
    charts = [
        {
            "name": r.name,
            "context": str(r.context),
            "image": r.image,
            "app": str(r.app) if r.app else None,
            "extensions": [{"artifact": e.artifact, "reason": e.reason} for e in r.extensions],
            "problems": r.problems,
            "seconds": round(r.seconds, 1),
            "builtImage": _built(r.built_image),
        }
        for r in results
    ]
    return Outcome({"charts": charts}, [], EXIT_USER if failed else EXIT_OK)


def _built(image: BuiltImage | None) -> dict[str, Any] | None:
    return {"tag": image.tag, "seconds": round(image.seconds, 1), "bytes": image.size} if image else None
