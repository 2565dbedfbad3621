"""Sync: plan against the live cluster, apply in order with gating, prune, wait (I/O).

The pure decisions live in aimsync.plan; this package sends the requests, through aimsync.kube.
"""
