"""The Kubernetes edge: the only package that talks to the API server.

One concern per module: client (transport, retries, counting), errors (one typed error per
failure), resources (where each kind lives), read, members (the inventory's members), wait,
lock, inventory, namespaces; ssa/ (server-side apply: apply, dry run, replace, delete,
failures). What comes back are plain dicts of live objects and typed values of aimsync.core.
"""
