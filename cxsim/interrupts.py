"""SIGINT and SIGTERM as one exception, so that an interrupt ends in one line.

Inside :func:`interrupts`, either signal raises :class:`Interrupted` (a
``KeyboardInterrupt``, so code that already lets Ctrl-C through lets both
through) carrying the shell's exit code: 130 for SIGINT, 143 for SIGTERM.

``interrupts(defer=True)`` holds a signal back until code marked
:func:`interruptible` runs (or the block ends). Hydra needs this: an exception
raised while OmegaConf is half way through a flag override is replaced by an
``AttributeError`` from its clean-up, so an interrupt landing there ended a
sweep with a confusing error and exit code 1. A second signal stops at once.
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


_armed = True  # a signal raises at once; otherwise it waits in _pending
_pending: int | None = None


def _raise(signum: int, frame: FrameType | None) -> None:
    global _pending
    if _armed or _pending is not None:  # a second signal is not held back
        raise Interrupted(signum)
    _pending = signum


def raise_on_signals() -> None:
    """From now on, SIGINT and SIGTERM raise :class:`Interrupted`."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _raise)


@contextmanager
def interrupts(*, defer: bool = False) -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` (a plain Ctrl-C counts too);
    with ``defer``, only inside :func:`interruptible` or when the block ends."""
    global _armed, _pending
    _armed, _pending = not defer, None
    saved = {s: signal.signal(s, _raise) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
        if _pending is not None:
            raise Interrupted(_pending)
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise Interrupted(signal.SIGINT) from None
    finally:
        _armed, _pending = True, None
        for s, handler in saved.items():
            signal.signal(s, handler)


@contextmanager
def interruptible() -> Iterator[None]:
    """Code that a signal may stop at any point (a simulation, staged writes): a
    signal held back by ``interrupts(defer=True)`` is raised on entry, and any
    signal inside raises at once."""
    global _armed
    if _pending is not None:
        raise Interrupted(_pending)
    was, _armed = _armed, True
    try:
        yield
    finally:
        _armed = was


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
