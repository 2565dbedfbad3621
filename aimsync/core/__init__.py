"""The leaf package: identity and fact types every stage shares (an object's key, a desired
object, cluster facts, live objects and their states, typed results, names the operator
derives, quantities, errors and exit codes). Plain data and pure functions; it imports
nothing of aimsync."""
