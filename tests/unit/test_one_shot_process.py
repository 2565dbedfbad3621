"""The process settings of a one-shot run (the entry point's, never the pipeline's)."""

from __future__ import annotations

import gc
import os

from aimsync.cli import one_shot_process


def test_the_cyclic_collector_does_not_scan_what_a_run_keeps() -> None:
    with one_shot_process():
        before = [generation["collections"] for generation in gc.get_stats()]
        kept = [[] for _ in range(200_000)]  # many young collections' worth at any threshold
        after = [generation["collections"] for generation in gc.get_stats()]
        del kept
    assert after == before


def test_the_interpreter_is_left_as_it_was_found() -> None:
    plugins = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    assert gc.isenabled()
    with one_shot_process():
        assert not gc.isenabled()
        assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == (plugins or "__all__")
    assert gc.isenabled()
    assert os.environ.get("PYDANTIC_DISABLE_PLUGINS") == plugins


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    try:
        with one_shot_process():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
