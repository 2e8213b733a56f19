"""The database away (restarting, its connections all busy): never a 500. A command answers the
typed problem ``Unavailable``, a query's field an error coded ``UNAVAILABLE``, and a request that
could not even be authenticated HTTP 503; each says when to retry. A command's events are written
in one transaction: it is recorded whole or not at all. (What counts as the database away is
``infra.database.database_away``, the parts' test too.)"""

from __future__ import annotations

RETRY_SECONDS = 5
MESSAGE = f"the ledger's database is unavailable just now: retry in {RETRY_SECONDS} seconds"
