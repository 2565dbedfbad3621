"""Server-side apply, one concern per module (after Flux's fluxcd/pkg/ssa):

- apply: one object, for real or as a dry run, with conflicts classified and drift reclaimed;
- dry_run: what an apply would change (the merged object and what exists now);
- replace: immutable fields (a finished download Job is deleted and created again);
- delete: one member, only the incarnation that was read;
- failures: every API failure as one typed `ApplyFailed`, with a cause and a message.

The decisions made from these answers are pure and live in aimsync.plan.
"""
