"""GPU budget usage before → after, for `diff`'s summary (every budget line, exceeded or
not): lines for the table, a Markdown table, and a `budgets` key for JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aimsync.policy import BudgetChange
from aimsync.report.json_text import indented_json


def budget_lines(changes: Sequence[BudgetChange]) -> list[str]:
    """`GPU budgets:` and one line per budget line (nothing without budgets)."""
    if not changes:
        return []
    return ["GPU budgets:", *(f"  {change.shown}" for change in changes)]


def budget_markdown(changes: Sequence[BudgetChange]) -> list[str]:
    if not changes:
        return []
    rows = ["| GPU budget | Scope | Accelerator | Before | After | Limit | |",
            "|---|---|---|---:|---:|---:|---|"]
    for c in changes:
        limit = "?" if c.limit is None else str(c.limit)
        name = "node capacity" if c.kind == "nodes" else f"`{c.budget}`"
        rows.append(f"| {name} | {c.scope} | {c.model} | {c.before} | {c.after} | {limit} | "
                    f"{'**exceeded**' if c.exceeded else ''} |")
    return rows


def budget_json(changes: Sequence[BudgetChange]) -> list[dict[str, object]]:
    return [
        {"budget": c.budget, "scope": c.scope, "accelerator": c.model, "before": c.before,
         "after": c.after, "limit": c.limit, "kind": c.kind, "exceeded": c.exceeded}
        for c in changes
    ]


def with_budgets(document: str, changes: Sequence[BudgetChange]) -> str:
    """A diff's JSON document with a `budgets` key (when the repository has budgets)."""
    if not changes:
        return document
    data = json.loads(document)
    data["budgets"] = budget_json(changes)
    return indented_json(data) + "\n"
