"""The database away (restarting, its connections all busy): never a 500. A command answers the
typed problem ``Unavailable``, a query's field an error coded ``UNAVAILABLE``, and a request that
could not even be authenticated HTTP 503; each says when to retry. A command's events are written
in one transaction: it is recorded whole or not at all."""

from __future__ import annotations

import psycopg
from eventsourcing import persistence

RETRY_SECONDS = 5
MESSAGE = f"the ledger's database is unavailable just now: retry in {RETRY_SECONDS} seconds"
# psycopg's OperationalError covers a connection lost, refused or shut down and a pool's timeout
# (psycopg_pool.PoolTimeout); the eventsourcing library re-raises them as its own.
OUTAGES = (psycopg.OperationalError, psycopg.InterfaceError, persistence.OperationalError,
           persistence.InterfaceError)


def is_outage(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, is the database being away."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OUTAGES):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False
