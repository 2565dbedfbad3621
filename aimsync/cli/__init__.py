"""The `aimsync` command line (DESIGN.md §7). Commands are thin: they call the pipeline."""

from __future__ import annotations

import sys
import traceback

import click

from aimsync import __version__
from aimsync.cli import log
from aimsync.cli.diff import diff_command
from aimsync.cli.exit_codes import ExitCode
from aimsync.cli.explain import explain_command
from aimsync.cli.render import render_command
from aimsync.cli.status import status_command
from aimsync.cli.sync import sync_command
from aimsync.cli.validate import validate_command


class _Group(click.Group):
    """Turns unexpected exceptions into one line (the traceback only with -v)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            log.error("interrupted")
            sys.exit(130)
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            log.error(
                f"internal error: {type(exc).__name__}: {exc} (run with -v for the "
                "traceback, and please report it)"
            )
            sys.exit(ExitCode.FAILURE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aimsync")
@click.option("-v", "--verbose", is_flag=True, help="More output; tracebacks on internal errors.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              envvar="AIMSYNC_LOG_FORMAT", show_default=True,
              help="Errors, notes and progress on stderr as text or as JSON lines.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, log_format: str) -> None:
    """GitOps batch reconciler for AMD Inference Microservices (AIM) on Kubernetes."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    log.set_format(log_format)


cli.add_command(validate_command)
cli.add_command(render_command)
cli.add_command(explain_command)
cli.add_command(diff_command)
cli.add_command(sync_command)
cli.add_command(status_command)


def main() -> None:
    cli(prog_name="aimsync")
