"""Remote mode for the CronJob: clone `--repo URL --branch B` into a temporary folder.

Credentials come from the environment and stay there: an HTTPS token (AIMSYNC_GIT_TOKEN, with
AIMSYNC_GIT_USERNAME, default x-access-token) reaches git through an askpass helper that reads
the variable when git asks; an SSH key (AIMSYNC_GIT_SSH_KEY_FILE with AIMSYNC_GIT_KNOWN_HOSTS)
through GIT_SSH_COMMAND. Nothing is written to the clone's config, to a log or to a status
file, and the temporary folder is removed at the end.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from msgspec import Struct

from aimsync.commit.git_ops import GIT_TIMEOUT_SECONDS, GitError
from aimsync.commit.refs import checked_branch, checked_remote
from aimsync.core.secrets import mask_userinfo

TOKEN_VARIABLE = "AIMSYNC_GIT_TOKEN"
USERNAME_VARIABLE = "AIMSYNC_GIT_USERNAME"
SSH_KEY_VARIABLE = "AIMSYNC_GIT_SSH_KEY_FILE"
KNOWN_HOSTS_VARIABLE = "AIMSYNC_GIT_KNOWN_HOSTS"
ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "${AIMSYNC_GIT_USERNAME:-x-access-token}" ;;
  *) printf '%s\\n' "$AIMSYNC_GIT_TOKEN" ;;
esac
"""


class Clone(Struct, frozen=True):
    path: Path
    env: dict[str, str]  # what every later git command of the run needs
    secrets: tuple[str, ...]


def git_environment(environ: Mapping[str, str], helper_dir: Path) -> tuple[dict[str, str], tuple[
    str, ...
]]:
    # No prompts; only the transports aimsync supports, also for anything git fetches later.
    # A transfer slower than 1 KB/s for a minute is a stalled one: git gives up.
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": "https:http:ssh:file",
           "GIT_PROTOCOL_FROM_USER": "0", "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
           "GIT_HTTP_LOW_SPEED_TIME": "60"}
    secrets: tuple[str, ...] = ()
    token = environ.get(TOKEN_VARIABLE, "")
    if token:
        askpass = helper_dir / "askpass.sh"
        askpass.write_text(ASKPASS)
        askpass.chmod(stat.S_IRWXU)
        env["GIT_ASKPASS"] = str(askpass)
        env[TOKEN_VARIABLE] = token
        if environ.get(USERNAME_VARIABLE):
            env[USERNAME_VARIABLE] = environ[USERNAME_VARIABLE]
        secrets = (token,)
    key = environ.get(SSH_KEY_VARIABLE, "")
    if key:
        command = ["ssh", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                   "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15"]
        known_hosts = environ.get(KNOWN_HOSTS_VARIABLE, "")
        if known_hosts:
            command += ["-o", f"UserKnownHostsFile={known_hosts}",
                        "-o", "StrictHostKeyChecking=yes"]
        env["GIT_SSH_COMMAND"] = shlex.join(command)
    return env, secrets


@contextmanager
def cloned(url: str, branch: str, environ: Mapping[str, str] | None = None) -> Iterator[Clone]:
    """Raises InvalidInput for a URL or branch aimsync will not hand to git, GitError when
    the clone fails."""
    environ = os.environ if environ is None else environ
    remote = checked_remote(url)
    checked_branch(branch)
    work = Path(tempfile.mkdtemp(prefix="aimsync-remote-"))
    try:
        helper_dir = work / "helper"
        helper_dir.mkdir()
        env, secrets = git_environment(environ, helper_dir)
        target = work / "repo"
        # A blobless clone: the whole commit history (so the revision the status reflects
        # can be found behind aimsync's own status commits) without old file contents.
        command = ["git", "clone", "--quiet", "--filter=blob:none", "--single-branch",
                   "--branch", branch, "--", remote.url, str(target)]
        try:
            result = subprocess.run(
                command, env={**os.environ, **env}, capture_output=True, text=True,
                check=False, timeout=GIT_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise GitError(
                f"cannot clone {remote.shown} (branch {branch}): no result after "
                f"{GIT_TIMEOUT_SECONDS:g}s"
            ) from None
        if result.returncode != 0:
            message = f"cannot clone {remote.shown} (branch {branch}): {result.stderr.strip()}"
            for secret in secrets:  # a token may also sit in the URL's path
                message = message.replace(secret, "***")
            raise GitError(mask_userinfo(message))
        yield Clone(target, env, secrets)
    finally:
        shutil.rmtree(work, ignore_errors=True)
