"""The Kubernetes edge: the only package that talks to the API server.

Everything else gets plain dicts in and out. One concern per module: client (transport,
retries, counting), errors (one typed error per failure), resources (where each kind lives),
apply, read, delete, wait, lock, inventory.
"""
