"""SIGINT and SIGTERM as one exception, so that an interrupt ends in one line.

Inside :func:`interrupts`, either signal raises :class:`Interrupted` (a
``KeyboardInterrupt``, so code that already lets Ctrl-C through lets both
through) carrying the shell's exit code: 130 for SIGINT, 143 for SIGTERM.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class Interrupted(KeyboardInterrupt):
    """The process was asked to stop; ``code`` is the exit code to stop with."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def raise_on_signals() -> None:
    """From now on, SIGINT and SIGTERM raise :class:`Interrupted`."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _raise)


@contextmanager
def interrupts() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` (a plain Ctrl-C counts too)."""
    saved = {s: signal.signal(s, _raise) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise Interrupted(signal.SIGINT) from None
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def ignore_interrupts() -> None:
    """A worker process's initializer: Ctrl-C is the parent's to report (in one line,
    stopping the workers); SIGTERM from the parent ends a worker at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def cancel_on_exit(executor: Any) -> Iterator[None]:
    """On any exception (an interrupt, a failure), cancel ``executor``'s queued tasks
    and stop its running workers, rather than wait for them all to finish."""
    try:
        yield
    except BaseException:
        processes = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.terminate()
        raise
