"""Status files: deterministic content, condition timing, the run summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aimsync.commit.status_files import (
    RunRecord,
    readme_text,
    status_documents,
    status_path,
    summary_text,
)
from aimsync.load.status_tree import read_status_tree
from aimsync.observe.conditions import Health, with_times, worst
from aimsync.observe.observe import StatusReport


def report(status: str = "Running", name: str = "chat", index: int = 0) -> StatusReport:
    return StatusReport(
        "AIMService", name, "team", "namespaces/team/services/chat.yaml", index,
        {"status": status, "conditions": [
            {"type": "Ready", "status": "True", "reason": "r", "message": "m",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}],
         "runtime": {"replicas": "1/1"}, "resolvedProfile": {"name": "qwen"}},
    )


def test_status_files_mirror_the_spec_path() -> None:
    assert status_path("namespaces/a/services/b.yaml") == "status/namespaces/a/services/b.yaml"


def test_the_same_state_gives_the_same_bytes() -> None:
    first = status_documents([report(), report(name="second", index=1)], "abc")
    second = status_documents([report(name="second", index=1), report()], "abc")
    assert first == second
    (text,) = first.values()
    assert text.index("name: chat") < text.index("name: second")  # document order kept
    assert "aimsync.io/revision: abc" in text


def test_statuses_written_are_read_back(tmp_path: Path) -> None:
    for relative, text in status_documents([report()], "abc").items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    statuses = read_status_tree(tmp_path).statuses()
    assert statuses[("AIMService", "team", "chat")]["status"] == "Running"


def test_condition_keeps_its_time_while_its_status_holds() -> None:
    previous = [{"type": "Ready", "status": "True", "lastTransitionTime": "old"}]
    same = with_times([("Ready", "True", "r", "new message")], previous, "now")
    flipped = with_times([("Ready", "False", "r", "m")], previous, "now")
    assert same[0]["lastTransitionTime"] == "old"
    assert flipped[0]["lastTransitionTime"] == "now"


def test_worst_health_wins() -> None:
    assert worst(["Ready", "Progressing", "Pending"]) == "Pending"
    assert worst(["Ready", "Failed", "Pending"]) == "Failed"
    assert Health("InferenceService", "Progressing", "r", "m").condition[1] == "Unknown"


def record(revision: str = "abc", result: str = "Succeeded") -> RunRecord:
    return RunRecord(revision, "2026-01-01T00:00:00Z", 1.0, result, {"created": 1})


def parsed(text: str | None) -> dict[str, Any]:
    return yaml.safe_load(text) if text else {}


def test_a_run_that_changed_nothing_keeps_the_summary() -> None:
    first = parsed(summary_text(record(), {}, changed=True))
    assert summary_text(record(), first, changed=False) is None
    assert summary_text(record(revision="def"), first, changed=False) is not None
    assert summary_text(record(result="Failed"), first, changed=False) is not None


def test_the_summary_keeps_the_last_five_runs() -> None:
    text = None
    for number in range(8):
        text = summary_text(record(revision=f"r{number}"), parsed(text), changed=True)
    assert text is not None
    assert text.count("- revision:") == 5
    assert "revision: r7" in text.splitlines()[1]


def test_readme_table_lists_services_without_timestamps() -> None:
    text = readme_text([report()], "0123456789abcdef")
    assert "| chat | team | Running | qwen | 1/1 |  |" in text
    assert "0123456789ab" in text and "2026" not in text
