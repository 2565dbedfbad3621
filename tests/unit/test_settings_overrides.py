"""A cluster's aimsync.yaml overrides (AIMSYNC_SETTINGS_FILE, the CronJob's ConfigMap): the keys
the file gives replace the repository's; a bad file is a located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimsync.load.repository import load_repository
from aimsync.settings import SETTINGS_OVERRIDES_VARIABLE
from tests.support import write_repo

REPOSITORY_SETTINGS = """\
namespaces: [ml-team, research]
fieldManager: team-sync
lock: {namespace: aimsync-system, name: shared-lock, leaseDurationSeconds: 120}
"""


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "repo", {"aimsync.yaml": REPOSITORY_SETTINGS})


def overrides(monkeypatch: pytest.MonkeyPatch, folder: Path, text: str) -> Path:
    path = folder / "overrides.yaml"
    path.write_text(text)
    monkeypatch.setenv(SETTINGS_OVERRIDES_VARIABLE, str(path))
    return path


def test_without_the_variable_the_repository_settings_hold(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SETTINGS_OVERRIDES_VARIABLE, raising=False)
    settings = load_repository(repository).settings
    assert settings.namespaces == ["ml-team", "research"]


def test_a_key_of_the_overrides_replaces_the_repository_value(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides(monkeypatch, tmp_path, "namespaces: [research]\n")
    settings = load_repository(repository).settings
    assert settings.namespaces == ["research"]


def test_keys_the_overrides_do_not_give_stay_as_the_repository_has_them(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides(monkeypatch, tmp_path, "namespaces: [research]\n")
    settings = load_repository(repository).settings
    assert settings.field_manager == "team-sync"
    assert settings.lock.name == "shared-lock"


def test_a_nested_key_replaces_the_whole_setting(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides(monkeypatch, tmp_path, "lock: {name: second-cluster-lock}\n")
    lock = load_repository(repository).settings.lock
    assert lock.name == "second-cluster-lock"
    assert lock.lease_duration_seconds == 60  # the default, not the repository's 120


def test_an_empty_mapping_overrides_nothing(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides(monkeypatch, tmp_path, "# nothing overridden\n{}\n")
    loaded = load_repository(repository)
    assert not loaded.findings.has_errors
    assert loaded.settings.lock.lease_duration_seconds == 120


def test_an_empty_file_overrides_nothing(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides(monkeypatch, tmp_path, "")
    loaded = load_repository(repository)
    assert not loaded.findings.has_errors
    assert loaded.settings.namespaces == ["ml-team", "research"]


def test_an_invalid_override_is_an_error_located_in_the_overrides_file(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = overrides(monkeypatch, tmp_path, "fieldManager: x\nnamespaces: [Not_A_Label]\n")
    (error,) = load_repository(repository).findings.errors
    assert (error.location.path, error.location.line) == (str(path), 2)
    assert error.field == "namespaces[0]"


def test_an_unknown_key_in_the_overrides_is_an_error(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = overrides(monkeypatch, tmp_path, "namespace: [research]\n")
    (error,) = load_repository(repository).findings.errors
    assert error.location.path == str(path) and error.field == "namespace"


def test_a_missing_overrides_file_is_an_error_naming_it(
    repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "absent.yaml"
    monkeypatch.setenv(SETTINGS_OVERRIDES_VARIABLE, str(missing))
    (error,) = load_repository(repository).findings.errors
    assert error.location.path == str(missing)
