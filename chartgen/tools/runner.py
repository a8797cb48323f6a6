"""Run a program with an argv list (never a shell), a timeout, and captured output."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ToolError
from chartgen.tools import interrupts


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run(
    argv: Sequence[str | Path],
    timeout: float = 120,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    pass_signals: bool = False,
) -> Completed:
    args = tuple(str(a) for a in argv)
    if interrupts.active():
        code, out, err = interrupts.run_forwarded(args, timeout, env, input_text, pass_signals, cwd)
        if code == -9 and not interrupts.received():
            raise ToolError(
                f"{Path(args[0]).name} did not finish within {timeout:.0f}s: {' '.join(args[1:4])} ..."
            )
        return Completed(args, code, out, err)
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=input_text,
            check=False,
        )
    except FileNotFoundError:
        raise ToolError(f"program not found: {args[0]}") from None
    except subprocess.TimeoutExpired:
        raise _late(args, timeout) from None
    return Completed(args, proc.returncode, proc.stdout, proc.stderr)


def _late(args: tuple[str, ...], timeout: float) -> ToolError:
    return ToolError(f"{Path(args[0]).name} did not finish within {timeout:.0f}s: {' '.join(args[1:4])} ...")
