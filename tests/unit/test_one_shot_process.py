"""The process settings of a one-shot run (the entry point's, never the pipeline's)."""

from __future__ import annotations

import gc
import os

from aimsync.cli import RUN_GC_THRESHOLDS, one_shot_process


def test_what_survived_a_young_collection_is_not_examined_again_during_a_run() -> None:
    with one_shot_process():
        older_before = gc.get_stats()[1]["collections"]
        young = RUN_GC_THRESHOLDS[0]
        kept = [[] for _ in range(young * 25)]  # 25 young collections of survivors
        older_after = gc.get_stats()[1]["collections"]
        del kept
    assert older_after == older_before


def test_the_interpreter_is_left_as_it_was_found() -> None:
    thresholds = gc.get_threshold()
    plugins = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    with one_shot_process():
        assert gc.get_threshold() == RUN_GC_THRESHOLDS
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
    assert os.environ.get("PYDANTIC_DISABLE_PLUGINS") == plugins
