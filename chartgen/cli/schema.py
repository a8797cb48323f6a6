"""`chartgen schema`: the JSON Schema of profiles (or chart values), for editors and other tools.

Generated from the same models chartgen checks with: e.g. `# yaml-language-server: $schema=...`
at the top of a profile, pointing at the output of `chartgen schema profile`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from chartgen.cli.output import Outcome, Printer
from chartgen.plan.schema import dev_schema, production_schema
from chartgen.profile.model import ProfileSettings
from chartgen.schema.json_schema import document, model_schema
from chartgen.values.model import ProductionValues


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "schema",
        parents=parents,
        help="print the JSON Schema of profiles or chart values",
        description="The JSON Schema (draft 2020-12) chartgen checks profiles with, or the values "
        "schema of production or dev charts (every optional section included).",
    )
    p.add_argument("what", choices=("profile", "production-values", "dev-values"))


def run(args: argparse.Namespace, printer: Printer) -> Outcome:
    if args.what == "profile":
        schema = document(
            "A chartgen environment profile (profiles/<env>.yaml)", model_schema(ProfileSettings)
        )
    elif args.what == "production-values":
        schema = production_schema([ProductionValues(replicaCount=1)], every_section=True)
    else:
        schema = dev_schema()
    printer.result(json.dumps(schema, indent=2), multiline=True)
    return Outcome({"schema": schema})
