"""A compound's read models as of a past time, built by replay: the compound's events up to that
time (``audit.ledger.compound_events``) run through the same views the projector runs, into a
scratch schema of their own. The API answers an ``asOf`` question from it, then drops it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from psycopg import sql

from audit.ledger import compound_events
from infra.database import connect
from projections.catalogue import all_views

SCRATCH_PREFIX = "asof_"


def build(database_url: str, services: Any, compound_id: UUID, at: datetime,
          on_event: Callable[[], None] | None = None) -> str:
    """Replays the compound's ledger up to ``at`` into a new schema; returns its name. Each
    aggregate's events are applied in version order up to the first one after ``at``."""
    schema = f"{SCRATCH_PREFIX}{uuid4().hex}"
    views = all_views()
    handlers: dict[str, list] = {}
    for view in views:
        for event_type, handler in view.handlers().items():
            handlers.setdefault(event_type, []).append(handler)
    with connect(database_url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        # The schema's clock stands at ``at``: searched before pg_catalog, its now() is the one
        # every view and query over these tables computes "overdue" and "in office" with.
        conn.execute(sql.SQL("CREATE FUNCTION {}.now() RETURNS timestamptz LANGUAGE sql IMMUTABLE AS {}")
                     .format(sql.Identifier(schema), sql.Literal(f"SELECT '{at.isoformat()}'::timestamptz")))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(search_path(schema)))
        for view in views:
            conn.execute(view.ddl())
        applied: dict[UUID, int] = {}
        with conn.cursor() as cur:
            for entry in compound_events(conn, services, compound_id, at):
                event = entry.event
                if event.aggregate_version != applied.get(event.aggregate_id, 0) + 1:
                    continue  # after a version that occurred later than ``at``
                for handler in handlers.get(event.type, ()):
                    handler(cur, event)
                applied[event.aggregate_id] = event.aggregate_version
                if on_event is not None:
                    on_event()
    return schema


def search_path(schema: str) -> sql.Composable:
    return sql.SQL("{}, pg_catalog").format(sql.Identifier(schema))


def drop(database_url: str, schema: str) -> None:
    assert schema.startswith(SCRATCH_PREFIX)
    with connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
