"""The process settings of a one-shot run (the entry point's, never the pipeline's), and how
such a process ends."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from aimsync.cli import cli, one_shot_process

ROOT = Path(__file__).resolve().parents[2]


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


def _entry_point(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`script` run before the entry point, with `aimsync ARGS` on its command line."""
    code = f"import sys; {script}; sys.argv = ['aimsync', *sys.argv[1:]]; " \
        "from aimsync.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_process_ends_with_the_commands_exit_code() -> None:
    assert _entry_point("pass", "validate", "no-such-folder").returncode == 2
    assert _entry_point("pass", "no-such-command").returncode == 2


def test_a_process_writes_all_of_its_output_before_it_ends() -> None:
    expected = CliRunner().invoke(cli, ["render", "repo-layout"]).stdout
    assert _entry_point("pass", "render", "repo-layout").stdout == expected


def test_exit_handlers_still_run_when_a_process_ends() -> None:
    done = _entry_point("import atexit; atexit.register(print, 'handler ran')", "--help")
    assert done.returncode == 0
    assert done.stdout.endswith("handler ran\n")


def test_a_process_waits_for_a_thread_that_still_runs() -> None:
    started = ("import threading, time; threading.Thread(target=lambda: (time.sleep(0.3), "
               "print('thread done', flush=True))).start()")
    done = _entry_point(started, "--help")
    assert done.returncode == 0
    assert "thread done" in done.stdout


def test_a_profiler_still_writes_its_report_when_a_process_ends(tmp_path: Path) -> None:
    report = tmp_path / "run.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(report), "-m", "aimsync",
                           "--help"], cwd=ROOT, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0
    assert report.stat().st_size > 0


_UNFLUSHED_THEN_EXIT = ("import sys; from aimsync.cli import exit_without_teardown; "
                        "sys.stdout.write('unflushed'); exit_without_teardown(3)")
# Output to a pipe stays in the buffer until it is flushed (unless Python is told otherwise).
_BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def test_output_still_buffered_is_written_when_a_process_ends() -> None:
    done = subprocess.run([sys.executable, "-c", _UNFLUSHED_THEN_EXIT], cwd=ROOT,
                          env=_BUFFERED, capture_output=True, text=True, timeout=60,
                          check=False)
    assert (done.returncode, done.stdout, done.stderr) == (3, "unflushed", "")


def test_a_reader_that_left_before_the_last_output_is_no_error() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # gone before anything was flushed
    try:
        done = subprocess.run([sys.executable, "-c", _UNFLUSHED_THEN_EXIT], cwd=ROOT,
                              env=_BUFFERED, stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (3, "")
