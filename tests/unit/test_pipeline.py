"""The pipeline's entries: what a request asks, and what the offline entry hands back."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimsync.pipeline import InvalidRepository, render_repository
from aimsync.pipeline.online import SyncRequest
from aimsync.settings import Settings
from tests.support import CLUSTER_PROFILE, service, write_repo

GUARDED = Settings.model_validate({"prune": {"allowEmpty": True, "sharedCaches": True}})


def test_prune_guards_default_to_the_settings() -> None:
    options = SyncRequest(Path("."), prune=True).options(GUARDED)
    assert options.allow_empty and options.prune_shared_caches


def test_prune_guard_flags_win_over_the_settings() -> None:
    request = SyncRequest(Path("."), prune=True, allow_empty=False, prune_shared_caches=False)
    options = request.options(GUARDED)
    assert not options.allow_empty and not options.prune_shared_caches


def test_without_settings_the_prune_guards_are_closed() -> None:
    options = SyncRequest(Path("."), prune=True).options(Settings())
    assert not options.allow_empty and not options.prune_shared_caches


def test_a_plan_only_request_never_writes_status() -> None:
    request = SyncRequest(Path("."), plan_only=True, commit_status=True)
    assert not request.writes_status and not request.options(Settings()).observe


def test_an_invalid_repository_raises_with_its_findings(tmp_path: Path) -> None:
    write_repo(tmp_path, {"namespaces/t/services/s.yaml": service("replicas: x")})
    with pytest.raises(InvalidRepository) as raised:
        render_repository(tmp_path)
    assert raised.value.findings.has_errors and raised.value.exit_code == 2


def test_rendering_without_facts_says_so(tmp_path: Path) -> None:
    write_repo(tmp_path, {"cluster/profiles/qwen.yaml": CLUSTER_PROFILE})
    derived = render_repository(tmp_path)
    assert not derived.facts.known and derived.notes
