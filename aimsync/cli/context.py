"""What every command gets from the command group: the log and the global flags."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from msgspec import Struct, field

from aimsync.cli.log import Log
from aimsync.core.facts import ClusterFacts

F = TypeVar("F", bound=Callable[..., Any])


class CliState(Struct, frozen=True):
    verbose: bool = False
    log: Log = field(default_factory=Log)


def state() -> CliState:
    """The state of the running command (defaults outside a command group)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(CliState) if ctx is not None else None
    return found if found is not None else CliState()


def log() -> Log:
    return state().log


def facts_option(help_text: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        option = click.option(
            "--cluster-facts", type=click.Path(path_type=Path, dir_okay=False, exists=True),
            help=help_text,
        )
        return option(func)

    return decorate


FACTS_HELP = "Nodes to match profiles against: the output of `kubectl get nodes -o yaml`."


def facts_or_none(path: Path | None) -> ClusterFacts | None:
    # Imported here: `aimsync --help` should not load the pipeline and the API schema.
    from aimsync.pipeline import facts_from_file

    return facts_from_file(path) if path is not None else None


def cluster_options(func: F) -> F:
    func = click.option("--context", help="The kubeconfig context to use.")(func)
    func = click.option(
        "--kubeconfig", type=click.Path(path_type=Path, dir_okay=False),
        envvar="KUBECONFIG", help="Path to the kubeconfig (default: $KUBECONFIG, "
        "~/.kube/config, else in-cluster).",
    )(func)
    return func
