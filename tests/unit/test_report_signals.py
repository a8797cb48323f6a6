"""A Ctrl-C (or SIGTERM) pressed while a command prints its report leaves the report whole
and exits with the signal's code, never a traceback (a second Ctrl-C of an interrupted deploy
often lands exactly then)."""

from __future__ import annotations

import os
import signal

from chartgen.cli.main import _signals_held


def test_a_signal_while_the_report_prints_is_noted_and_acted_on_after() -> None:
    before = signal.getsignal(signal.SIGINT)
    printed = []
    with _signals_held() as came:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        printed.append("the whole report")  # reached: no KeyboardInterrupt cut it
    assert printed == ["the whole report"]
    assert came == [signal.SIGINT, signal.SIGTERM]
    assert signal.getsignal(signal.SIGINT) is before
