"""Branch names and remote URLs from untrusted places (a flag, a pull request's branch name
in GITHUB_HEAD_REF, a CronJob's arguments), checked before they reach git.

Nothing here may ever become an option of git: a branch is a valid ref name (the rules of
`git check-ref-format`) that does not start with '-', and a remote is a URL of a transport
aimsync supports, without credentials in it. Messages show a URL without its userinfo.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from msgspec import Struct

from aimsync.core.errors import InvalidInput

# `git check-ref-format` rules 3-10 (a component may not start with '.' nor end with '.lock';
# no '..', '@{', '//', control characters, space, ~ ^ : ? * [ \; not '@'; no leading or
# trailing '/', no trailing '.').
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
MAX_BRANCH_LENGTH = 255
# scp-like syntax: user@host:path (no scheme, a ':' before any '/').
_SCP_LIKE = re.compile(r"^(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>.+)$")
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class InvalidBranch(InvalidInput):
    pass


class InvalidRemote(InvalidInput):
    pass


def checked_branch(name: str, where: str = "--branch") -> str:
    """`name` if git accepts it as a branch and it cannot be read as an option."""
    problem = _branch_problem(name)
    if problem:
        shown = name if len(name) <= 80 and name.isprintable() else repr(name[:80])
        raise InvalidBranch(f"{where}: {shown!r} is not a branch name git accepts: {problem}")
    return name


def _branch_problem(name: str) -> str:
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with '-'"
    if len(name) > MAX_BRANCH_LENGTH:
        return f"it is longer than {MAX_BRANCH_LENGTH} characters"
    if name == "@":
        return "'@' alone is not a branch"
    if _FORBIDDEN.search(name):
        return (
            "it contains a character or sequence git forbids (space, ~ ^ : ? * [ \\, '..', "
            "'@{', '//')"
        )
    if name.startswith("/") or name.endswith(("/", ".")):
        return "it starts with '/' or ends with '/' or '.'"
    for component in name.split("/"):
        if component.startswith(".") or component.endswith(".lock"):
            return "a part of it starts with '.' or ends with '.lock'"
    return ""


class Remote(Struct, frozen=True):
    """A remote URL aimsync will hand to git, and how to show it."""

    url: str
    shown: str  # without userinfo


def checked_remote(url: str) -> Remote:
    """https, ssh (also scp-like `git@host:path`), file; http only to this machine (a token
    would travel in clear). Credentials in the URL are refused in every form."""
    if not url or url.startswith("-") or any(ord(c) < 0x20 or c == "\x7f" for c in url):
        raise InvalidRemote(f"--repo: {url[:80]!r} is not a repository URL")
    if "::" in url.split("/", 1)[0]:  # <transport>::<address>: a remote helper, e.g. ext::
        raise InvalidRemote(
            f"--repo: {shown_url(url)}: remote helpers (<transport>::) are not supported; use "
            "https://, ssh://, git@host:path or file://"
        )
    if "://" not in url:
        scp = _SCP_LIKE.match(url)
        at, colon = url.find("@"), url.find(":")
        if at > colon >= 0:  # user:password@host:path
            raise InvalidRemote(
                "the repository URL carries credentials; use an SSH key "
                "(AIMSYNC_GIT_SSH_KEY_FILE) instead"
            )
        if scp is None:
            raise InvalidRemote(
                f"--repo: {shown_url(url)} is not a URL aimsync supports; use https://, "
                "ssh://, git@host:path or file://"
            )
        return Remote(url, url)
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise InvalidRemote(f"--repo: {shown_url(url)} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http", "ssh", "file"):
        raise InvalidRemote(
            f"--repo: the {scheme!r} transport is not supported; use https://, ssh://, "
            "git@host:path or file://"
        )
    if parts.password is not None or (parts.username and scheme in ("https", "http")):
        instead = (
            "an SSH key (AIMSYNC_GIT_SSH_KEY_FILE)" if scheme == "ssh"
            else "the token in AIMSYNC_GIT_TOKEN"
        )
        raise InvalidRemote(
            f"the repository URL carries credentials; use {instead} instead, so they never "
            "reach a log or the clone's config"
        )
    if scheme == "http" and (parts.hostname or "") not in LOOPBACK:
        raise InvalidRemote(
            f"--repo: {shown_url(url)}: plain http is only allowed to this machine (a token "
            "would travel in clear); use https://"
        )
    if scheme != "file" and not parts.hostname:
        raise InvalidRemote(f"--repo: {shown_url(url)} names no host")
    return Remote(url, shown_url(url))


def shown_url(url: str) -> str:
    """The URL without userinfo (a password or token never reaches a message)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a malformed URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))
