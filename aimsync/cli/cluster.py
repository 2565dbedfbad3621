"""Options and plumbing shared by the commands that talk to a cluster (sync, diff)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from aimsync.cli import log
from aimsync.cli.common import echo_findings, exit_with
from aimsync.cli.exit_codes import ExitCode
from aimsync.findings import Findings
from aimsync.kube.client import KubeClient, KubeConfigError
from aimsync.load.cluster_facts import load_cluster_facts
from aimsync.load.repository import load_repository
from aimsync.resolve.facts import ClusterFacts
from aimsync.specs import Specs
from aimsync.validate import validate_repository

F = TypeVar("F", bound=Callable[..., Any])
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> float:
    """'90s', '10m', '1h30m' or plain seconds."""
    if text.isdigit():
        return float(text)
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise click.BadParameter(f"{text!r} is not a duration such as 90s, 10m or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def cluster_options(func: F) -> F:
    func = click.option("--context", help="The kubeconfig context to use.")(func)
    func = click.option(
        "--kubeconfig", type=click.Path(path_type=Path, dir_okay=False),
        envvar="KUBECONFIG", help="Path to the kubeconfig (default: $KUBECONFIG, "
        "~/.kube/config, else in-cluster).",
    )(func)
    return func


def valid_specs_or_exit(path: Path) -> Specs:
    """Validation before any cluster contact: an invalid repository changes nothing."""
    if not path.is_dir():
        log.error(f"{path} is not a folder")
        exit_with(ExitCode.INVALID)
    loaded = load_repository(path)
    result = validate_repository(loaded)
    if not result.ok:
        echo_findings(result.findings, loaded.files_read)
        exit_with(ExitCode.INVALID)
    echo_findings(result.findings, loaded.files_read, warnings_only=True)
    return result.specs


def facts_or_exit(path: Path | None) -> ClusterFacts | None:
    """Nodes from --cluster-facts (None: read them from the cluster, or treat all as fine)."""
    if path is None:
        return None
    found = Findings()
    facts = load_cluster_facts(path, found)
    if found.has_errors:
        echo_findings(found, 0)
        exit_with(ExitCode.INVALID)
    return facts


def connect_or_exit(kubeconfig: Path | None, context: str | None, concurrency: int) -> KubeClient:
    try:
        return KubeClient.connect(kubeconfig, context, pool_size=concurrency)
    except KubeConfigError as exc:
        log.error(f"{exc}")
        exit_with(ExitCode.FAILURE)
