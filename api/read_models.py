"""The API's connections to the read models: the schema ``projections`` (views onto the version
serving, see ``projections.serving``), each a cursor that survives a switch of version."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool

from infra.database import POOL_WAIT_SECONDS
from projections.serving import LIVE_SCHEMA

STALE_PLAN = "cached plan must not change result type"


class ReadModelCursor(psycopg.AsyncCursor):
    """A statement prepared on a connection before the read models switched version, whose result
    changed shape (a column added), fails once: the connection's prepared statements are dropped
    and the statement runs again, so that no request fails at a switch."""

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> ReadModelCursor:
        try:
            return await super().execute(query, params, **kwargs)
        except psycopg.errors.FeatureNotSupported as error:
            if STALE_PLAN not in str(error) or self.connection.info.transaction_status != TransactionStatus.IDLE:
                raise
            await self.connection.execute("DEALLOCATE ALL")  # psycopg forgets what it prepared too
            return await super().execute(query, params, **kwargs)


def pool(database_url: str, size: int) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        database_url, min_size=1, max_size=size, timeout=POOL_WAIT_SECONDS, open=False,
        kwargs={"autocommit": True, "options": f"-c search_path={LIVE_SCHEMA}", "cursor_factory": ReadModelCursor},
    )
