"""Stage 7, observe: live objects -> the status the operator would write for every spec (pure)."""
