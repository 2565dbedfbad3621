"""The `aimsync` command line (DESIGN.md §7). Commands are thin: they call the pipeline and
return an exit code; errors are mapped to exit codes once, here."""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import NoReturn

import click
from msgspec import Struct

from aimsync.cli.context import CliState
from aimsync.cli.log import Log, LogFormat
from aimsync.cli.version import show_version
from aimsync.core.errors import AimsyncError
from aimsync.core.exit_codes import ExitCode


def _report(exc: AimsyncError, log: Log) -> None:
    # Imported here: `aimsync --help` should not load the pipeline and the API schema.
    from aimsync.pipeline import InvalidRepository

    if isinstance(exc, InvalidRepository):
        if exc.label:
            log.error(f"{exc}:")
        log.findings(exc.findings, exc.files_read)
    else:
        log.error(exc.headline)


GLOBAL_FLAGS = frozenset({"-v", "--verbose"})
GLOBAL_OPTIONS = frozenset({"--log-format"})  # take a value


def lift_global_options(args: list[str]) -> list[str]:
    """kubectl-style: global flags are accepted after the command too (`aimsync validate
    -v`); they are moved before it. Nothing after `--` is touched."""
    command = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    if command is None:
        return args
    lifted: list[str] = []
    rest: list[str] = []
    tail = args[command + 1:]
    index = 0
    while index < len(tail):
        arg = tail[index]
        if arg == "--":
            rest += tail[index:]
            break
        if arg in GLOBAL_FLAGS or (arg.split("=", 1)[0] in GLOBAL_OPTIONS and "=" in arg):
            lifted.append(arg)
        elif arg in GLOBAL_OPTIONS and index + 1 < len(tail):
            lifted += [arg, tail[index + 1]]
            index += 1
        else:
            rest.append(arg)
        index += 1
    return [*args[:command], *lifted, args[command], *rest]


class LazyCommand(Struct, frozen=True):
    """A command imported only when it runs (as pip's command table): `aimsync validate`
    does not pay for importing sync's Kubernetes client and Git. `summary` is the command's
    short help for `aimsync --help` (a test keeps it equal to the command's own)."""

    module: str
    attribute: str
    summary: str

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(self.module), self.attribute)
        assert isinstance(command, click.Command)
        return command


COMMANDS: dict[str, LazyCommand] = {
    "validate": LazyCommand(
        "aimsync.cli.validate", "validate_command",
        "Check the AIM specs of the repository at PATH (default: the current folder), and "
        "the policies of its policies/ folder (ValidatingAdmissionPolicies, GPU budgets).",
    ),
    "render": LazyCommand(
        "aimsync.cli.render", "render_command",
        "Print the Kubernetes objects the repository at PATH derives, sorted in apply order.",
    ),
    "explain": LazyCommand(
        "aimsync.cli.explain", "explain_command",
        "Explain the profile choice of NAMESPACE/SERVICE in the repository at PATH (default .).",
    ),
    "diff": LazyCommand(
        "aimsync.cli.diff", "diff_command",
        "Show what would change: against the live cluster, or (--base) against a Git ref.",
    ),
    "sync": LazyCommand(
        "aimsync.cli.sync", "sync_command",
        "Server-side-apply the objects the repository at PATH derives, in order, with gating.",
    ),
    "status": LazyCommand(
        "aimsync.cli.status", "status_command",
        "Show the status reports under PATH/status (no cluster needed).",
    ),
    "policy": LazyCommand(
        "aimsync.cli.policy", "policy_group",
        "Organisation policies (policies/): ValidatingAdmissionPolicies and GPU budgets.",
    ),
    "completion": LazyCommand(
        "aimsync.cli.version", "completion_command",
        "Print the shell completion script for SHELL.",
    ),
}


class _Group(click.Group):
    """Runs a command and exits with the code it returns; an aimsync error exits with its
    own code after one line (or its findings); anything unexpected is one line too (the
    traceback only with -v). Commands are imported when they run (COMMANDS)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = COMMANDS.get(cmd_name)
        return None if lazy is None else lazy.load()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click's, from the summaries: `aimsync --help` imports no command.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.utils.make_default_short_help(COMMANDS[name].summary, limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, lift_global_options(list(args)))

    def invoke(self, ctx: click.Context) -> object:
        try:
            code = super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except AimsyncError as exc:
            _report(exc, _state(ctx).log)
            code = exc.exit_code
        except KeyboardInterrupt:
            _state(ctx).log.error("interrupted")
            code = 130
        except BrokenPipeError:  # `aimsync render | head`: the reader left; nothing to say
            _discard_unwritten_output()
            code = ExitCode.OK
        except OSError as exc:  # the output cannot be written (a full disk, a closed file)
            _discard_unwritten_output()
            _state(ctx).log.error(f"cannot write the output: {exc.strerror or exc}")
            code = ExitCode.FAILURE
        except Exception as exc:
            if _state(ctx).verbose:
                traceback.print_exc()
            _state(ctx).log.error(
                f"internal error: {type(exc).__name__}: {exc} (run with -v for the "
                "traceback, and please report it)"
            )
            code = ExitCode.FAILURE
        if not isinstance(code, int):  # every command returns its exit code
            _state(ctx).log.error("internal error: the command returned no exit code")
            code = ExitCode.FAILURE
        ctx.exit(int(code))


def _discard_unwritten_output() -> None:
    """What is left in stdout's buffer can never be written: Python would try again when it
    exits, print "Exception ignored ..." and exit 120 instead of the command's code. Its file
    descriptor is pointed at /dev/null (Python's own advice for a reader that left)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's captured output)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


def _state(ctx: click.Context) -> CliState:
    return ctx.obj if isinstance(ctx.obj, CliState) else CliState()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=show_version, help="Show the version and the commit, then exit.")
@click.option("-v", "--verbose", is_flag=True, help="More output; tracebacks on internal errors.")
@click.option("--log-format", type=click.Choice([f.value for f in LogFormat]), default="text",
              envvar="AIMSYNC_LOG_FORMAT", show_default=True,
              help="Errors, notes and progress on stderr as text or as JSON lines.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, log_format: str) -> None:
    """GitOps batch reconciler for AMD Inference Microservices (AIM) on Kubernetes."""
    ctx.obj = CliState(verbose, Log(LogFormat(log_format)))


@contextlib.contextmanager
def one_shot_process() -> Iterator[None]:
    """A run allocates many short-lived dicts, frees them by reference counting, and holds
    what it read for its whole life: the cyclic collector finds next to nothing to free (a
    few hundred objects a run) but scans every object that lives on once, 25-45 ms per
    young collection even at a threshold of 50,000 (0.2 s of a 2.5 s process at 1,000
    services). A one-shot process runs without it. Set for the process by its entry point,
    never by the pipeline."""
    collecting = gc.isenabled()
    gc.disable()
    # pydantic looks for plugins (observability hooks) in every installed distribution's
    # entry points when it builds the first model: a one-shot run has none to load.
    plugins_set = "PYDANTIC_DISABLE_PLUGINS" not in os.environ
    if plugins_set:
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        if plugins_set:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]


def exit_without_teardown(code: object) -> NoReturn:
    """Ends a one-shot process as `sys.exit(code)` would, without freeing what it holds.

    An interpreter that exits frees every object and module one by one: 0.13-0.2 s of a
    2.2 s no-op sync at 1,000 services, for memory the kernel takes back at once. As mypy's
    `hard_exit`: the output is flushed and the exit handlers run, then the process ends.
    While another (non-daemon) thread still runs, the process exits the usual way, which
    waits for it; so it does under a profiler or tracer, which reports after the exit."""
    status = _exit_status(code)
    try:
        if sys.stdout is not None and not sys.stdout.closed:
            sys.stdout.flush()
    except BrokenPipeError:  # the reader left before the last of the output: as in a command
        _discard_unwritten_output()
    except OSError as exc:
        _discard_unwritten_output()
        print(f"aimsync: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        status = status or ExitCode.FAILURE
    others = [t for t in threading.enumerate()
              if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if others or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(status)
    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()  # what an exit handler printed
        sys.stderr.flush()
    os._exit(status)


def _exit_status(code: object) -> int:
    """The status `sys.exit(code)` exits with (a message is printed, then 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def main() -> NoReturn:
    with one_shot_process():
        try:
            cli(prog_name="aimsync")
        except SystemExit as stop:  # click's standalone mode always ends so
            code: object = stop.code
        else:
            code = 0
        # Inside: switched back on, the collector would first scan all the run holds (90 ms
        # at 1,000 services), for a process about to end.
        exit_without_teardown(code)
