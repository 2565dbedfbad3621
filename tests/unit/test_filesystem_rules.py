"""One rule for the filesystem: nothing outside the repository is read or written, links to
folders are refused (never a silently skipped folder), and special files are located errors,
never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aimsync.cli import cli
from aimsync.commit.status_writer import StatusFolderRefused, write_status_tree
from tests.support import CLUSTER_PROFILE, service, write_repo

SECRET = "ghp_do-not-print-me-0123456789"
SERVICE = "namespaces/team/services/chat.yaml"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the repository, with a file that must never be read or changed."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "credentials.yaml").write_text(f"token: {SECRET}\n")
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "repo", {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        SERVICE: service("profile: {name: qwen}"),
    })


def test_a_settings_file_linked_outside_is_refused_unread(repo: Path, outside: Path) -> None:
    (repo / "aimsync.yaml").symlink_to(outside / "credentials.yaml")
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "aimsync.yaml:1:1: error: symbolic link points outside the repository" in (
        result.stdout
    )
    assert SECRET not in result.output


def test_a_settings_file_that_is_a_folder_is_a_located_error(repo: Path) -> None:
    (repo / "aimsync.yaml").mkdir()
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "aimsync.yaml:1:1: error: is a folder, not a file" in result.stdout


def test_a_spec_file_linked_outside_is_refused_unread(repo: Path, outside: Path) -> None:
    (repo / "namespaces/team/services/leak.yaml").symlink_to(outside / "credentials.yaml")
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "leak.yaml:1:1: error: symbolic link points outside the repository" in result.stdout
    assert SECRET not in result.output


def test_a_link_to_a_folder_inside_is_refused_never_silently_skipped(repo: Path) -> None:
    """Followed, the link would be read first and the real folder skipped as seen (its
    objects gone from the render, and pruned)."""
    (repo / "namespaces/alias").symlink_to(repo / "namespaces/team")
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "namespaces/alias:1:1: error: symbolic link to a folder" in result.stdout


def test_a_symlink_loop_is_a_located_error(repo: Path) -> None:
    (repo / "namespaces/team/services/a.yaml").symlink_to(repo / "namespaces/team/services/b.yaml")
    (repo / "namespaces/team/services/b.yaml").symlink_to(repo / "namespaces/team/services/a.yaml")
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "a.yaml:1:1: error: symbolic link loops back on itself" in result.stdout


def test_a_fifo_named_like_a_spec_is_a_located_error_not_a_hang(repo: Path) -> None:
    os.mkfifo(repo / "namespaces/team/services/pipe.yaml")
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "pipe.yaml:1:1: error: is not a regular file" in result.stdout


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_cluster_facts_that_are_not_a_regular_file_are_refused(
    repo: Path, tmp_path: Path, special: str
) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "facts.fifo"
        os.mkfifo(path)
    result = run("render", str(repo), "--cluster-facts", str(path))
    assert result.exit_code == 2
    assert "cannot read cluster facts" in result.stderr and "not a regular file" in result.stderr


def test_a_kubeconfig_that_is_a_fifo_is_refused(repo: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "kubeconfig"
    os.mkfifo(fifo)
    result = run("diff", str(repo), "--kubeconfig", str(fifo))
    assert result.exit_code == 3
    assert "not a regular file" in result.stderr


def test_status_linked_outside_is_not_read(repo: Path, outside: Path) -> None:
    (repo / "status").symlink_to(outside)
    result = run("status", str(repo), "-o", "json")
    assert result.exit_code == 2
    assert SECRET not in result.output


def test_a_sync_refuses_to_write_status_through_a_link_before_touching_the_cluster(
    repo: Path, outside: Path, tmp_path: Path
) -> None:
    (repo / "status").symlink_to(outside)
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    result = run("sync", str(repo), "--write-status",
                 "--kubeconfig", str(tmp_path / "no-such-kubeconfig"))
    assert result.exit_code == 2
    assert "status/ is a symbolic link" in result.stderr
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before


def test_a_link_inside_status_is_replaced_never_written_through(
    repo: Path, outside: Path
) -> None:
    target = outside / "credentials.yaml"
    (repo / "status").mkdir()
    (repo / "status/summary.yaml").symlink_to(target)
    changed = write_status_tree(repo, {"status/summary.yaml": "revision: x\n"}, {}, lambda _: True)
    assert changed == ["status/summary.yaml"]
    assert not (repo / "status/summary.yaml").is_symlink()
    assert target.read_text() == f"token: {SECRET}\n"


def test_a_linked_folder_inside_status_is_refused(repo: Path, outside: Path) -> None:
    (repo / "status").mkdir()
    (repo / "status/namespaces").symlink_to(outside)
    with pytest.raises(StatusFolderRefused):
        write_status_tree(repo, {"status/namespaces/team/x.yaml": "x\n"}, {}, lambda _: True)
    assert sorted(p.name for p in outside.iterdir()) == ["credentials.yaml"]


def test_removing_status_of_a_gone_spec_never_deletes_through_a_link(
    repo: Path, outside: Path
) -> None:
    (repo / "status").mkdir()
    (repo / "status/old.yaml").symlink_to(outside / "credentials.yaml")
    write_status_tree(repo, {}, {"status/old.yaml": "x"}, lambda _: True)
    assert (outside / "credentials.yaml").exists()


def test_a_settings_file_that_is_a_fifo_is_a_located_error(repo: Path) -> None:
    os.mkfifo(repo / "aimsync.yaml")
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "aimsync.yaml:1:1: error: is not a regular file" in result.stdout


def test_a_file_name_with_a_line_break_stays_on_one_line(repo: Path) -> None:
    odd = repo / "namespaces/team/services/two\nlines.yaml"
    odd.write_text("kind: [")
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert "namespaces/team/services/two\\nlines.yaml:1:" in result.stdout
    assert all(line.count(": error: ") <= 1 for line in result.stdout.splitlines())


def test_a_huge_value_is_cut_in_the_message(repo: Path) -> None:
    chat = repo / SERVICE
    chat.write_text(chat.read_text().replace(
        "  name: chat\n", "  name: chat\n  labels:\n    team: " + "v" * 500_000 + "\n"))
    result = run("validate", str(repo))
    assert result.exit_code == 2
    assert len(result.stdout) < 2_000 and "(500000 characters)" in result.stdout


# As people run it: Python's stdout buffered (PYTHONUNBUFFERED, set on some machines, would
# hide what is left in the buffer when the process exits).
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
AIMSYNC = [sys.executable, "-c", "from aimsync.cli import main; main()"]


def test_output_that_cannot_be_written_is_one_line_and_exit_3(repo: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*AIMSYNC, "render", str(repo)],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False, env=BUFFERED,
        )
    assert done.returncode == 3
    assert done.stderr == "aimsync: cannot write the output: No space left on device\n"


def test_a_reader_that_leaves_early_ends_the_output_quietly_with_exit_0(tmp_path: Path) -> None:
    # More output than the pipe holds, so that the writer meets the closed pipe.
    repo = write_repo(tmp_path / "repo", {
        "cluster/profiles/qwen.yaml": CLUSTER_PROFILE,
        **{f"namespaces/team/services/s{i}.yaml": service("profile: {name: qwen}", f"s{i}")
           for i in range(60)},
    })
    with subprocess.Popen(
        [*AIMSYNC, "render", str(repo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=BUFFERED,
    ) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        assert reader.stdout.readline()  # the first line came
        reader.stdout.close()  # as `| head -1` does
        stderr = reader.stderr.read().decode()
        code = reader.wait(timeout=60)
    assert code == 0
    assert [line for line in stderr.splitlines() if not line.startswith("note: ")] == []
