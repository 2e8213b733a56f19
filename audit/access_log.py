"""Who was shown whose personal data (PIPL art. 51; 网络安全法 art. 21; GB/T 22239-2019 level 3).

Each time an answer shows a principal a personal value unmasked, the API notes a *showing*: the
principal (a resident by their person id), the person, the field, the compound, the time and the
request. Showings are written in batches by a task beside the requests, never on their path.

The log is append-only and hash-chained like the bodies' logs: each row's link is the SHA-256 of
the link before it and the row itself, and ``personal.access_log_head`` keeps the last link. An
update is refused by a trigger; an edit or a deletion made around it breaks the chain, and
``siwei audit verify`` finds it. Rows are kept ``SIWEI_ACCESS_LOG_DAYS`` (at least 180 by
default) and deleted only by ``siwei audit purge-access-log``, which records in the head how far
it purged and the link it purged through, so that the chain verifies from there.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID

import psycopg

from infra.database import database_away

log = logging.getLogger("siwei.access_log")

GENESIS = bytes(32)
DEFAULT_DAYS = 180
FLUSH_SECONDS = 0.2

DDL = """
CREATE SCHEMA IF NOT EXISTS personal;
CREATE TABLE IF NOT EXISTS personal.access_log (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    principal text NOT NULL,
    person_id uuid NOT NULL,
    field text NOT NULL,
    compound_id uuid,
    request_id uuid NOT NULL,
    link bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_person ON personal.access_log (person_id, seq);
CREATE INDEX IF NOT EXISTS access_log_at ON personal.access_log (at);
CREATE TABLE IF NOT EXISTS personal.access_log_head (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq bigint NOT NULL DEFAULT 0,
    link bytea NOT NULL DEFAULT '\\x0000000000000000000000000000000000000000000000000000000000000000',
    purged_through bigint NOT NULL DEFAULT 0,  -- rows up to here were purged
    purged_link bytea NOT NULL DEFAULT '\\x0000000000000000000000000000000000000000000000000000000000000000'
);
INSERT INTO personal.access_log_head DEFAULT VALUES ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION personal.access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('siwei.purging', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the access log is append-only (siwei audit purge-access-log deletes old rows)';
END $$;
DROP TRIGGER IF EXISTS append_only ON personal.access_log;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON personal.access_log
    FOR EACH ROW EXECUTE FUNCTION personal.access_log_append_only();
"""


@dataclass(frozen=True)
class Showing:
    principal: str
    person_id: UUID
    field: str
    compound_id: UUID | None
    request_id: UUID
    at: datetime


def link(previous: bytes, seq: int, showing: Showing) -> bytes:
    row = "|".join((str(seq), showing.at.astimezone(timezone.utc).isoformat(), showing.principal,
                    str(showing.person_id), showing.field, str(showing.compound_id or ""),
                    str(showing.request_id)))
    return hashlib.sha256(previous + row.encode()).digest()


def append(conn: psycopg.Connection, showings: Iterable[Showing]) -> int:
    """Appends showings to the chain, in one transaction; the head's lock orders writers."""
    showings = list(showings)
    if not showings:
        return 0
    with conn.transaction():
        seq, previous = conn.execute(
            "SELECT seq, link FROM personal.access_log_head FOR UPDATE").fetchone()
        previous, rows = bytes(previous), []
        for showing in showings:
            seq += 1
            previous = link(previous, seq, showing)
            rows.append((seq, showing.at, showing.principal, showing.person_id, showing.field,
                         showing.compound_id, showing.request_id, previous))
        with conn.cursor().copy("COPY personal.access_log (seq, at, principal, person_id, field, compound_id,"
                                " request_id, link) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("UPDATE personal.access_log_head SET seq = %s, link = %s", (seq, previous))
    return len(rows)


class AccessLog:
    """The API's writer: showings noted by requests, appended in batches by one task."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._waiting: list[Showing] = []
        self._wake = asyncio.Event()

    def note(self, showings: list[Showing]) -> None:
        if showings:
            self._waiting.extend(showings)
            self._wake.set()

    async def run(self) -> None:
        """Writes what requests noted, until cancelled; then writes what is left. A batch the
        server refused waits for the next round, on a new connection."""
        conn: psycopg.Connection | None = None
        try:
            while True:
                await self._wake.wait()
                await asyncio.sleep(FLUSH_SECONDS)  # a batch gathers
                conn = await self._flush(conn)
        finally:
            conn = await self._flush(conn)
            if conn is not None:
                await asyncio.to_thread(conn.close)

    async def _flush(self, conn: psycopg.Connection | None) -> psycopg.Connection | None:
        self._wake.clear()
        batch, self._waiting = self._waiting, []
        try:
            if conn is None or conn.closed:
                conn = await asyncio.to_thread(psycopg.connect, self._database_url, autocommit=True)
            await asyncio.to_thread(append, conn, batch)
            return conn
        except Exception as error:
            if not database_away(error):
                raise
            self._waiting[:0] = batch
            self._wake.set()
            log.warning("access log: %d showings wait for the database (%s)", len(batch), error)
            return None


@dataclass(frozen=True)
class Verified:
    rows: int
    broken_at: int | None
    detail: str = ""

    def __str__(self) -> str:
        if self.broken_at is not None:
            return f"access log: BROKEN at row {self.broken_at}: {self.detail}"
        return f"access log: {self.rows} showings, chain intact"


def verify(conn: psycopg.Connection) -> Verified:
    """Walks the access log's chain from the last purge to the head."""
    head_seq, head_link, seq, previous = conn.execute(
        "SELECT seq, link, purged_through, purged_link FROM personal.access_log_head").fetchone()
    previous, rows = bytes(previous), 0
    with conn.cursor(name="access_log_verify") as cur:
        cur.execute("SELECT seq, at, principal, person_id, field, compound_id, request_id, link"
                    " FROM personal.access_log WHERE seq > %s ORDER BY seq", (seq,))
        for found, at, principal, person_id, field, compound_id, request_id, stored in cur:
            seq += 1
            if found != seq:
                return Verified(rows, seq, f"row {seq} is missing (the next is {found})")
            previous = link(previous, seq, Showing(principal, person_id, field, compound_id, request_id, at))
            if previous != bytes(stored):
                return Verified(rows, seq, "the row does not hash to its link (edited)")
            rows += 1
    if seq != head_seq or previous != bytes(head_link):
        return Verified(rows, seq + 1, f"the log ends at row {seq}, its head says {head_seq}")
    return Verified(rows, None)


def purge(conn: psycopg.Connection, days: int) -> tuple[int, int]:
    """Deletes the chain's oldest rows, up to the first one not older than ``days``, recording the
    last purged row's seq and link in the head; returns how many rows were deleted and through
    which seq."""
    before = datetime.now(timezone.utc) - timedelta(days=days)
    with conn.transaction():
        conn.execute("SELECT 1 FROM personal.access_log_head FOR UPDATE")
        last = conn.execute(
            "SELECT seq, link FROM personal.access_log WHERE at < %s AND seq < coalesce("
            " (SELECT min(seq) FROM personal.access_log WHERE at >= %s), 'infinity'::numeric)"
            " ORDER BY seq DESC LIMIT 1", (before, before)).fetchone()
        if last is None:
            return 0, 0
        conn.execute("SET LOCAL siwei.purging = 'on'")
        deleted = conn.execute("DELETE FROM personal.access_log WHERE seq <= %s", (last[0],)).rowcount
        conn.execute("UPDATE personal.access_log_head SET purged_through = %s, purged_link = %s", last)
    log.warning("access log: purged %d showings older than %d days (through row %d)", deleted, days, last[0])
    return deleted, last[0]
