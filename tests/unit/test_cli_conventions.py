"""What people type (issue 13, item 7): global flags after the command too, shell completion,
--version with the commit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimsync.cli import COMMANDS, cli, lift_global_options

ROOT = Path(__file__).resolve().parents[2]


def test_global_flags_after_the_command_are_moved_before_it() -> None:
    assert lift_global_options(["validate", "repo", "-v", "--log-format", "json"]) == [
        "-v", "--log-format", "json", "validate", "repo"
    ]


def test_a_global_option_with_its_value_attached_is_moved_too() -> None:
    assert lift_global_options(["sync", "--log-format=json", "."]) == [
        "--log-format=json", "sync", "."
    ]


def test_nothing_after_a_double_dash_is_moved() -> None:
    assert lift_global_options(["render", "--", "-v"]) == ["render", "--", "-v"]


def test_global_flags_before_the_command_stay_where_they_are() -> None:
    assert lift_global_options(["-v", "validate", "."]) == ["-v", "validate", "."]


def test_log_format_after_the_command_takes_effect() -> None:
    result = CliRunner().invoke(cli, ["validate", "no/such/folder", "--log-format", "json"])
    assert result.exit_code == 2
    assert result.stderr.lstrip().startswith("{")  # a JSON line, not "aimsync: ..."


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_the_shell(shell: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0
    assert "_AIMSYNC_COMPLETE" in result.stdout


def test_completion_refuses_an_unknown_shell() -> None:
    assert CliRunner().invoke(cli, ["completion", "tcsh"]).exit_code == 2


def test_version_names_the_commit_of_the_checkout() -> None:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()
    result = subprocess.run([sys.executable, "-m", "aimsync", "--version"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    if head:
        assert result.stdout.strip().endswith(f"(commit {head})")
    else:  # a copy without .git
        assert re.fullmatch(r"aimsync \S+ \(commit unknown\)", result.stdout.strip())


def _loaded_after(args: list[str], packages: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run `aimsync ARGS` in a fresh interpreter: its output, and the modules of `packages`
    (a package and everything below it) it had imported, sorted."""
    probe = (
        "import sys\n"
        "from aimsync.cli import cli\n"
        "try:\n"
        f"    cli({args!r}, prog_name='aimsync')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"wanted = {packages!r}\n"
        "print('loaded:' + ','.join(sorted(m for m in sys.modules\n"
        "      if any(m == p or m.startswith(p + '.') for p in wanted))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    *output, loaded = result.stdout.strip().splitlines()
    names = loaded.removeprefix("loaded:")
    return "\n".join(output), names.split(",") if names else []


def test_offline_commands_do_not_import_the_cluster_or_git_clients() -> None:
    heavy = ("kubernetes", "git", "urllib3", "deepdiff", "aimsync.kube", "aimsync.sync",
             "aimsync.commit", "aimsync.pipeline.online", "aimsync.cli.sync", "aimsync.cli.diff",
             "aimsync.plan")
    _, loaded = _loaded_after(["validate", "repo-layout"], heavy)
    assert loaded == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_help_summary_of_a_command_is_its_own_short_help(name: str) -> None:
    command = COMMANDS[name].load()
    assert command.name == name
    assert COMMANDS[name].summary == command.get_short_help_str(limit=10_000)


def test_help_lists_every_command_without_importing_one() -> None:
    output, loaded = _loaded_after(["--help"], ("aimsync.cli", "aimsync.pipeline", "pydantic"))
    assert all(f"  {name} " in output for name in COMMANDS)
    assert loaded == ["aimsync.cli", "aimsync.cli.context", "aimsync.cli.log",
                      "aimsync.cli.version"]


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["synk"])
    assert result.exit_code == 2
    assert "No such command 'synk'" in result.output
