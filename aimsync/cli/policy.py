"""`aimsync policy test [PATH]`: run the test cases beside the policies (policies/*.test.yaml)
and say which pass; no cluster needed."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import click

from aimsync.core.exit_codes import ExitCode
from aimsync.findings import Findings, Location
from aimsync.load.files import inside
from aimsync.load.repository import (
    load_policy_documents,
    load_settings,
    read_file_documents,
    require_folder,
)
from aimsync.load.yaml_reader import YamlDocument, YamlLimits
from aimsync.policy import read_policy_set
from aimsync.policy.testing import TestRun, run_policy_tests
from aimsync.report.findings import format_text


@click.group("policy")
def policy_group() -> None:
    """Organisation policies (policies/): ValidatingAdmissionPolicies and GPU budgets."""


def _run(root: Path) -> TestRun:
    require_folder(root)
    found = Findings()
    settings = load_settings(root, found)
    documents, _ = load_policy_documents(root, settings, found)
    policies = read_policy_set(documents, found)
    tests, files = load_policy_documents(root, settings, found, tests=True)

    def read_file(test_file: str, relative: str) -> list[YamlDocument] | None:
        folder = PurePosixPath(test_file).parent
        target = folder / relative
        path = root / target
        if relative.startswith("/") or ".." in PurePosixPath(relative).parts or not inside(
            root / "policies", path
        ):
            found.error(Location(test_file), f"{relative}: a fixture file is read from the "
                        "policies/ folder only", rule="policy-test.file")
            return None
        return read_file_documents(path, target.as_posix(), settings.limits.max_file_bytes,
                                   found, YamlLimits())

    run = run_policy_tests(policies, tests, read_file, settings)
    run.findings.extend(found.items)
    if not files and not found.has_errors:
        found.warning(Location("policies"), "no policy tests (policies/*.test.yaml) found",
                      rule="policy-test.none")
        run.findings.extend(found.warnings[-1:])
    return run


@policy_group.command("test")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def policy_test_command(path: Path, output: str) -> ExitCode:
    """Run the policy tests of the repository at PATH (policies/*.test.yaml).

    Exit 0 when every case gives the verdict it expects, 2 when one does not or a policy or
    test file is invalid.
    """
    run = _run(path)
    if output == "json":
        click.echo(json.dumps({
            "results": [r.to_dict() for r in run.results],
            "findings": [f.to_dict() for f in run.findings.sorted()],
            "passed": run.counts[0], "failed": run.counts[1],
        }, indent=2))
        return ExitCode.OK if run.ok else ExitCode.INVALID
    for result in run.results:
        where = f"{result.file}:{result.line}"
        if result.passed:
            click.echo(f"PASS {where}: {result.test}: {result.case} ({result.expected.value})")
        else:
            click.echo(f"FAIL {where}: {result.test}: {result.case}: "
                       + "; ".join(result.problems))
    if run.findings.items:
        click.echo(format_text(run.findings, 0).rsplit("\n", 1)[0])
    passed, failed = run.counts
    click.echo(f"{passed} passed, {failed} failed")
    return ExitCode.OK if run.ok else ExitCode.INVALID
