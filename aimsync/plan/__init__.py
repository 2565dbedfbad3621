"""Stage 5, plan: desired objects against what exists now -> a change set (pure).

What exists now is either another render (offline `diff --base`) or the live cluster (read
by the kube edge and handed in as plain data).
"""
