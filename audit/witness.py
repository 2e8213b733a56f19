"""The witness: reads every body's topic for the chain link each event is published with, keeps
the latest head of each body, and every so often has each body record the others' heads in its
own log (``services.common.witness``)."""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from infra.database import connect, database_away
from infra.reader import UNHURRIED_FETCH_WAIT_MS, Handler, TopicReader
from infra.settings import Settings
from services.bootstrap import Services
from services.common.bodies import Body
from services.common.context import acting
from services.common.errors import DomainError
from services.common.published import PublishedEvent
from services.common.witness import Head

WITNESS_SCHEMA = "witness"
WITNESS_RECORDS = ("ChainWitnessOpened", "HeadsWitnessed")
READER_CHECK_SECONDS = 1.0  # how soon the witness notices its reader failed
HEADS_DDL = """
CREATE TABLE IF NOT EXISTS heads (
    body text PRIMARY KEY,
    sequence bigint NOT NULL,
    link bytea NOT NULL,
    content bigint NOT NULL  -- the sequence of the latest event that is not a witness record
);
"""


class HeadReader(TopicReader):
    role = "witness"
    fetch_wait_ms = UNHURRIED_FETCH_WAIT_MS  # the heads are witnessed every minute or so

    def __init__(self, settings: Settings, *, schema: str = WITNESS_SCHEMA) -> None:
        super().__init__(settings, schema=schema)

    def ddl(self) -> list[str]:
        return [HEADS_DDL]

    def handlers(self, event_type: str) -> list[tuple[str, Handler]]:
        return [("heads", self.record_head)]

    def record_head(self, cur: psycopg.Cursor, event: PublishedEvent) -> None:
        if event.chain is None:
            return
        content = 0 if event.name in WITNESS_RECORDS else event.chain.sequence
        cur.execute(
            "INSERT INTO heads (body, sequence, link, content) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (body) DO UPDATE SET"
            " link = CASE WHEN EXCLUDED.sequence > heads.sequence THEN EXCLUDED.link ELSE heads.link END,"
            " sequence = GREATEST(heads.sequence, EXCLUDED.sequence),"
            " content = GREATEST(heads.content, EXCLUDED.content)",
            (event.body.value, event.chain.sequence, event.chain.link, content),
        )


def heads_seen(settings: Settings, schema: str = WITNESS_SCHEMA) -> dict[str, Head]:
    with connect(settings.database_url) as conn:
        rows = conn.execute(f"SELECT body, sequence, link, content FROM {schema}.heads").fetchall()
    return {body: Head(sequence, bytes(link).hex(), content) for body, sequence, link, content in rows}


def witness_round(settings: Settings, services: Services, schema: str = WITNESS_SCHEMA) -> list[Body]:
    """Each body records the others' heads, if they moved; returns the bodies that recorded."""
    heads = heads_seen(settings, schema)
    recorded = []
    for body in Body:
        with acting(f"witness:{body.value}"):
            try:
                if services.of(body).witness(heads) is not None:
                    recorded.append(body)
            except DomainError as error:  # another witness recorded meanwhile: next round
                logging.getLogger(__name__).warning("%s could not witness: %s", body.value, error)
    return recorded


def watch(settings: Settings, services: Services, stop: threading.Event, every: float) -> None:
    """Reads the heads continuously; a witness round every ``every`` seconds until ``stop``. If
    the reader fails, so does the witness, at once: a process left up with its reader dead would
    witness stale heads and keep no offsets, and its supervisor would never know."""
    reader, failed = HeadReader(settings), []
    reader.create_tables()

    def read() -> None:
        try:
            reader.run(stop)
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=read, name="witness-reader", daemon=True)
    thread.start()
    last_round = time.monotonic()
    while not stop.wait(READER_CHECK_SECONDS):
        if failed:
            raise failed[0]
        if time.monotonic() - last_round >= every:
            try:
                witness_round(settings, services)
            except Exception as error:  # the round is the next one's to do
                if not database_away(error):
                    raise
                logging.getLogger(__name__).warning("the database went away (%s); witnessing at the next round",
                                                    error)
            last_round = time.monotonic()
    thread.join()
    if failed:
        raise failed[0]
