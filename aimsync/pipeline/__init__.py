"""The pipeline of DESIGN.md §2, end to end: the one place that strings the stages together.

  load -> validate -> resolve -> render -> policy             offline: validate, render,
                                                               explain, diff --base
  load -> validate -> [lock] -> resolve -> render -> policy   online: diff (plan only),
          -> plan -> apply -> observe -> commit                sync

Both halves share load -> validate -> resolve -> render -> policy (`offline.derive`). The
stages are pure; the I/O is here and at the edges (load: files; kube: the cluster; commit:
Git). The command line and the benchmarks run the stages through these entries (`offline`:
check_repository, render_repository, status_reports; `offline_diff`: diff_refs; `online`:
sync_repository); they only format what comes back. This package re-exports the offline
half only: importing it loads neither the plan stage nor the Kubernetes client nor Git.
"""

from aimsync.pipeline.offline import (
    Checked,
    Derived,
    InvalidRepository,
    Validated,
    check_repository,
    derive,
    facts_from_file,
    narrowed_to,
    refuse_denied,
    render_repository,
    status_reports,
    validated_repository,
)

__all__ = [
    "Checked", "Derived", "InvalidRepository", "Validated", "check_repository", "derive",
    "facts_from_file", "narrowed_to", "refuse_denied", "render_repository", "status_reports",
    "validated_repository",
]
