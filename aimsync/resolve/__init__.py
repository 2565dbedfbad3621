"""Stage 3, resolve: pick a profile for every AIMService (pure)."""
