"""Stage 4, render: derive the Kubernetes objects the AIM operator would create (pure)."""
