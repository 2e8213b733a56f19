"""A compound's read models as of a past time, built by replay: the compound's events up to that
time (``audit.ledger.compound_events``) run through the same views the projector runs, into a
scratch schema of their own. The API answers an ``asOf`` question from it.

Making the views' tables took about half of an answer and dropping them again a fifth, so an API
process keeps the scratch schemas it answered from (``Replays``): each is emptied once its answer
is sent and used again, its clock set anew, for a later question. A process that dies leaves its
schemas behind (one that stops drops its own: ``close``); any process drops those made more than
``ORPHAN_SECONDS`` ago (``sweep``), which no live process still uses: none starts a question in one
made more than ``KEEP_SECONDS`` ago."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import suppress
from datetime import datetime
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from audit.ledger import compound_events
from infra.database import connect, database_away
from projections.catalogue import all_views

SCRATCH_PREFIX = "asof_"
KEPT = 4  # emptied schemas an API process keeps for the next questions
KEEP_SECONDS = 600.0
ORPHAN_SECONDS = 3600.0
SWEEP_SECONDS = 60.0

log = logging.getLogger(__name__)


class Replays:
    """The scratch schemas one process replays compounds into."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._kept: list[str] = []  # emptied, each ready for another question
        self._lock = threading.Lock()
        self._swept_at = 0.0

    def build(self, compound_id: UUID, at: datetime) -> str:
        """Replays the compound's ledger up to ``at`` into a scratch schema; returns its name. Each
        aggregate's events are applied in version order up to the first one after ``at``."""
        if time.monotonic() - self._swept_at > SWEEP_SECONDS:
            self._swept_at = time.monotonic()
            sweep(self.database_url)
        kept = self._take()
        if kept is not None:
            try:
                return self._into(kept, compound_id, at, new=False)
            except psycopg.Error as error:
                if database_away(error):
                    raise
                # Gone or changed under this process (a database restored, a schema dropped by
                # hand): the question is asked again in a schema of its own.
                log.warning("the kept asOf schema %s failed (%s); replaying into a new one", kept, error)
        schema = f"{SCRATCH_PREFIX}{time.time_ns() // 1000}_{uuid4().hex[:8]}"
        return self._into(schema, compound_id, at, new=True)

    def _into(self, schema: str, compound_id: UUID, at: datetime, *, new: bool) -> str:
        try:
            with connect(self.database_url) as conn:
                if new:
                    _make(conn, schema)
                _replay(conn, schema, compound_id, at)
        except BaseException:
            with suppress(psycopg.Error):  # a new schema went with the transaction; a kept one goes now
                drop(self.database_url, schema)
            raise
        return schema

    def give_back(self, schema: str) -> None:
        """Once the answer is sent: the schema emptied and kept, or dropped if enough are kept or
        it is too old to start another question in."""
        try:
            if self._keeps(schema):
                with connect(self.database_url) as conn:
                    _empty(conn, schema)
                with self._lock:
                    if len(self._kept) < KEPT:
                        self._kept.append(schema)
                        return
            drop(self.database_url, schema)
        except psycopg.Error as error:  # the database away: the schema is swept once an orphan
            _left(schema, error)

    def close(self) -> None:
        """The kept schemas dropped, as the process ends."""
        with self._lock:
            kept, self._kept = self._kept, []
        for schema in kept:
            try:
                drop(self.database_url, schema)
            except psycopg.Error as error:  # the database away: swept once an orphan
                _left(schema, error)

    def _keeps(self, schema: str) -> bool:
        with self._lock:
            return len(self._kept) < KEPT and time.time() - made_at(schema) < KEEP_SECONDS

    def _take(self) -> str | None:
        with self._lock:
            while self._kept:
                schema = self._kept.pop()
                if time.time() - made_at(schema) < KEEP_SECONDS:
                    return schema
                threading.Thread(target=drop, args=(self.database_url, schema), name="asof-drop",
                                 daemon=True).start()
        return None


def _left(schema: str, error: psycopg.Error) -> None:
    log.warning("the asOf schema %s was left (%s); it is dropped within %.0f minutes",
                schema, error, ORPHAN_SECONDS / 60)


def made_at(schema: str) -> float:
    """When a scratch schema was made (seconds since 1970), from its name; 0 for a name without
    the time (made by older code)."""
    stamp, separator, _ = schema.removeprefix(SCRATCH_PREFIX).partition("_")
    return int(stamp) / 1e6 if separator and stamp.isdigit() else 0.0


def _make(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(search_path(schema)))
    for view in all_views():
        conn.execute(view.ddl())


def _replay(conn: psycopg.Connection, schema: str, compound_id: UUID, at: datetime) -> None:
    handlers: dict[str, list] = {}
    for view in all_views():
        for event_type, handler in view.handlers().items():
            handlers.setdefault(event_type, []).append(handler)
    # The schema's clock stands at ``at``: searched before pg_catalog, its now() is the one every
    # view and query over these tables computes "overdue" and "in office" with. Replacing it ends
    # the plans PostgreSQL kept with the previous question's time.
    conn.execute(sql.SQL("CREATE OR REPLACE FUNCTION {}.now() RETURNS timestamptz LANGUAGE sql IMMUTABLE AS {}")
                 .format(sql.Identifier(schema), sql.Literal(f"SELECT '{at.isoformat()}'::timestamptz")))
    conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(search_path(schema)))
    applied: dict[UUID, int] = {}
    with conn.cursor() as cur:
        for entry in compound_events(conn, compound_id, at):
            event = entry.event
            if event.aggregate_version != applied.get(event.aggregate_id, 0) + 1:
                continue  # after a version that occurred later than ``at``
            for handler in handlers.get(event.type, ()):
                handler(cur, event)
            applied[event.aggregate_id] = event.aggregate_version


def _empty(conn: psycopg.Connection, schema: str) -> None:
    tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
    conn.execute(sql.SQL(" ").join(sql.SQL("DELETE FROM {};").format(sql.Identifier(schema, table))
                                   for (table,) in tables))


def search_path(schema: str) -> sql.Composable:
    return sql.SQL("{}, pg_catalog").format(sql.Identifier(schema))


def drop(database_url: str, schema: str) -> None:
    assert schema.startswith(SCRATCH_PREFIX)
    with connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def sweep(database_url: str) -> list[str]:
    """Drops the scratch schemas left by processes that died (made more than ``ORPHAN_SECONDS``
    ago, or by older code); answers which."""
    with connect(database_url, autocommit=True) as conn:
        found = [name for (name,) in conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
                                                   (SCRATCH_PREFIX,))]
    orphans = [name for name in found if time.time() - made_at(name) > ORPHAN_SECONDS]
    for schema in orphans:
        try:
            drop(database_url, schema)
        except psycopg.Error as error:  # another process dropping it too, or the database away
            log.info("the orphaned asOf schema %s was not dropped here: %s", schema, error)
    if orphans:
        log.warning("dropped %d asOf schemas left by processes that died", len(orphans))
    return orphans
