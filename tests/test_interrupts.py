"""Held-back interrupts: a signal waits for code that may stop, a second stops at once.

An interrupt landing inside OmegaConf's flag override once ended a sweep with an
``AttributeError`` and exit code 1 (its clean-up replaced the exception); a sweep
therefore holds signals back while Hydra composes a job's config.
"""

import os
import signal

import pytest

from cxsim.interrupts import Interrupted, interruptible, interrupts


def test_a_held_back_signal_is_raised_when_interruptible_code_starts():
    reached = []
    with pytest.raises(Interrupted) as caught:
        with interrupts(defer=True):
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("composing went on")  # not stopped half way
            with interruptible():
                reached.append("simulating")  # never reached: raised on entry
    assert reached == ["composing went on"]
    assert caught.value.code == 130


def test_a_signal_inside_interruptible_code_stops_it_at_once():
    reached = []
    with pytest.raises(Interrupted) as caught:
        with interrupts(defer=True), interruptible():
            os.kill(os.getpid(), signal.SIGTERM)
            reached.append("after the signal")
    assert reached == [] and caught.value.code == 143


def test_a_held_back_signal_ends_the_block_and_a_second_one_is_not_held():
    reached = []
    with pytest.raises(Interrupted):
        with interrupts(defer=True):
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("held")
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("after the second")
    assert reached == ["held"]
    with pytest.raises(Interrupted):  # and one held to the end is raised there
        with interrupts(defer=True):
            os.kill(os.getpid(), signal.SIGINT)
    with interrupts(defer=True):  # state does not leak into the next block
        pass


def test_without_defer_a_signal_raises_at_once():
    with pytest.raises(Interrupted):
        with interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            pytest.fail("not stopped")
