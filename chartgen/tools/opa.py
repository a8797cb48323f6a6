"""opa: evaluate Rego policies over many inputs in one process (argv lists, no shell)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.errors import ToolError
from chartgen.tools.runner import run

# Every input of the batch evaluated against the same policies: one compile, one process.
BATCH_QUERY = (
    "[[d, w] | some b in input.batch; "
    "d := data.main.deny with input as b; "
    "w := data.main.warn with input as b]"
)


@dataclass(frozen=True)
class Verdict:
    deny: list[str]  # messages of the rules that deny, sorted
    warn: list[str]  # listed exceptions (and any organisation warnings), sorted


@dataclass
class Opa:
    binary: Path
    timeout: float = 120

    def evaluate(
        self, policies: Sequence[Path], inputs: Sequence[Any], data: Sequence[Path] = ()
    ) -> list[Verdict]:
        """One verdict per input (conftest's --combine shape: [{path, contents}, ...])."""
        if not inputs:
            return []
        with tempfile.TemporaryDirectory(prefix="chartgen-opa-") as tmp:
            batch = Path(tmp) / "input.json"
            batch.write_text(json.dumps({"batch": list(inputs)}))
            argv: list[str | Path] = [self.binary, "eval", "--format", "json", "--input", batch]
            for path in [*policies, *data]:
                argv += ["--data", path]
            done = run([*argv, BATCH_QUERY], timeout=self.timeout)
        if not done.ok:
            raise ToolError(f"opa eval failed: {_first_error(done.stdout + done.stderr)}")
        try:
            value = json.loads(done.stdout)["result"][0]["expressions"][0]["value"]
        except (ValueError, KeyError, IndexError) as exc:
            raise ToolError(f"opa eval gave no result ({type(exc).__name__})") from None
        return [Verdict(sorted(d), sorted(w)) for d, w in value]

    def test(self, paths: Sequence[Path]) -> tuple[bool, str]:
        """`opa test`: the policies' own unit tests."""
        done = run([self.binary, "test", *paths], timeout=self.timeout)
        return done.ok, done.stdout + done.stderr


def _first_error(text: str) -> str:
    try:
        errors = json.loads(text).get("errors", [])
        return "; ".join(str(e.get("message", e)) for e in errors)[:1000] or text[:1000]
    except (ValueError, AttributeError):
        return " ".join(text.split())[:1000]
