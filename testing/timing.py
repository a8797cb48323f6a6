"""Stopping a block that runs too long, so a stall fails a test instead of hanging CI."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def time_limit(seconds: float, error: BaseException) -> Iterator[None]:
    """Raise `error` inside the block once it has run `seconds` (main thread, SIGALRM)."""

    def expire(signum: int, frame: object) -> None:
        raise error

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
