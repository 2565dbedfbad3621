"""`aimsync --version` (with the commit it was built from) and `aimsync completion SHELL`."""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import get_completion_class

from aimsync import __version__

BUILD_COMMIT_FILE = "BUILD_COMMIT"  # written into the package when it is built (setup.py)
SHELLS = ("bash", "zsh", "fish")


def build_commit() -> str | None:
    """The commit aimsync was built from: recorded in the package when it was built, else
    (run from a checkout) the checkout's HEAD."""
    # Imported here: every command imports this module, few ask for the version (start-up).
    import subprocess
    from importlib import resources

    recorded = resources.files("aimsync").joinpath(BUILD_COMMIT_FILE)
    if recorded.is_file():
        return recorded.read_text().strip() or None
    package = Path(__file__).resolve().parents[1]
    if not (package.parent / ".git").exists():
        return None
    try:
        answer = subprocess.run(
            ["git", "-C", str(package.parent), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = answer.stdout.strip()
    return commit if answer.returncode == 0 and commit else None


def version_text() -> str:
    commit = build_commit()
    return f"{__version__} (commit {commit[:12]})" if commit else f"{__version__} (commit unknown)"


def show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: computed only when asked (it may ask git)."""
    if value and not ctx.resilient_parsing:
        click.echo(f"aimsync {version_text()}")
        ctx.exit(0)


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> int:
    """Print the shell completion script for SHELL.

    \b
      bash: aimsync completion bash > ~/.local/share/bash-completion/completions/aimsync
      zsh:  aimsync completion zsh > "${fpath[1]}/_aimsync"
      fish: aimsync completion fish > ~/.config/fish/completions/aimsync.fish
    """
    completion = get_completion_class(shell)
    assert completion is not None  # click ships bash, zsh and fish
    ctx = click.get_current_context()
    script = completion(ctx.find_root().command, {}, "aimsync", "_AIMSYNC_COMPLETE").source()
    click.echo(script)
    return 0
