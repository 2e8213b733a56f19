"""Each body's log as a hash chain, written in the same transaction as the events it links.

For every stored event the chain keeps a row in ``<body>.chain``:

- ``sequence``: 1, 2, 3… with no gaps (notification ids may skip numbers; the chain may not);
- ``position``: the event's notification id in the body's log;
- ``event_hash``: SHA-256 of the event's canonical encoding: the stored row exactly as the store
  holds it (aggregate id, version, topic, state), and the row's index columns (below). Personal
  data is sealed in the state before it is stored (``services.common.personal``), so the hash is
  over ciphertext and erasing a person's key leaves every hash intact;
- ``link``: SHA-256 of the previous link, the sequence and the event hash; the first event links
  to the body's genesis. Changing, removing or adding any event changes every later link.

Besides, each row indexes the event for auditors: its aggregate, compound, time and every id it
names (``subjects``), so that a subject's history across bodies is one indexed query.

``hash_version`` is the format of the row's hash. Format 2 (written since 2026-12-03) covers the
index columns, read from the state when the event is written, so that an edited index breaks the
hash like an edited event. Format 1 hashed the event alone; ``audit verify`` checks such rows'
index columns against their state, as it always did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
import psycopg
from psycopg import Cursor
from psycopg.abc import Query
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from services.common.context import active_context

CHAIN_TABLE = "chain"
COMMANDS_TABLE = "commands"
RECORDED_ALREADY = "command_recorded_already"
HASH_VERSION = 2  # the format of the links written now
HASH_PREFIXES = {1: b"siwei-event-v1", 2: b"siwei-event-v2"}
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # what ``timestamptz_send`` counts from


def genesis(body: str) -> bytes:
    """What a body's first link follows."""
    return hashlib.sha256(b"siwei-chain-genesis:" + body.encode()).digest()


def event_hash(aggregate_id: UUID, version: int, topic: str, state: bytes, indexed: Indexed,
               hash_version: int = HASH_VERSION) -> bytes:
    """The hash of a stored event in a format of ``HASH_PREFIXES`` (format 1 ignores ``indexed``)."""
    topic_bytes = topic.encode()
    return hashlib.sha256(b"".join((
        HASH_PREFIXES[hash_version], aggregate_id.bytes, version.to_bytes(8, "big"),
        len(topic_bytes).to_bytes(4, "big"), topic_bytes, state,
        indexed.encoded() if hash_version >= 2 else b"",
    ))).digest()


def next_link(previous: bytes, sequence: int, hashed: bytes) -> bytes:
    return hashlib.sha256(previous + sequence.to_bytes(8, "big") + hashed).digest()


# The same hashes computed by PostgreSQL, over a stored event ``e`` and a chain row ``c``, so that
# ``audit verify`` can check a whole log without reading it out. A row of an unknown format gets
# no hash, which matches none.
_STORED_SQL = SQL("uuid_send(e.originator_id) || int8send(e.originator_version)"
                  " || int4send(octet_length(convert_to(e.topic, 'UTF8'))) || convert_to(e.topic, 'UTF8') || e.state")
_INDEXED_SQL = SQL(  # what ``Indexed.encoded`` writes
    "coalesce('\\x01'::bytea || uuid_send(c.compound_id), '\\x00'::bytea) || timestamptz_send(c.occurred_at)"
    " || int4send(cardinality(c.subjects)) || decode(replace(array_to_string(c.subjects, ''), '-', ''), 'hex')")
EVENT_HASH_SQL = SQL(
    "CASE c.hash_version WHEN 2 THEN sha256({v2} || {stored} || {indexed}) WHEN 1 THEN sha256({v1} || {stored}) END"
).format(v1=Literal(HASH_PREFIXES[1]), v2=Literal(HASH_PREFIXES[2]), stored=_STORED_SQL, indexed=_INDEXED_SQL)


def next_link_sql(previous: Composable) -> Composed:
    return SQL("sha256({} || int8send(c.sequence) || c.event_hash)").format(previous)


@dataclass(frozen=True)
class Indexed:
    """What the chain's index columns say about a stored event, read from its state."""

    compound_id: UUID | None
    occurred_at: datetime
    subjects: list[UUID]

    @classmethod
    def of(cls, aggregate_id: UUID, state: bytes) -> Indexed:
        decoded = json.loads(state)
        compound = decoded.get("compound_id")
        subjects = dict.fromkeys([aggregate_id, *_ids_in(decoded)])
        return cls(
            compound_id=UUID(compound["_data_"]) if compound else None,
            occurred_at=datetime.fromisoformat(decoded["timestamp"]["_data_"]),
            subjects=list(subjects),
        )

    def encoded(self) -> bytes:
        """The index as format 2 hashes it: the compound (a flag byte, then its 16 bytes), the
        time (microseconds since 2000, as PostgreSQL sends it), the count of ids and each id."""
        compound = b"\x01" + self.compound_id.bytes if self.compound_id is not None else b"\x00"
        micros = (self.occurred_at - POSTGRES_EPOCH) // timedelta(microseconds=1)
        return b"".join((compound, micros.to_bytes(8, "big", signed=True),
                         len(self.subjects).to_bytes(4, "big"), *(s.bytes for s in self.subjects)))

    def describe(self) -> str:
        return (f"of compound {self.compound_id}, at {self.occurred_at.isoformat()}, "
                f"naming {', '.join(map(str, self.subjects))}")


# What ``Indexed.of`` reads, read by PostgreSQL from ``doc`` (the state as jsonb) and compared with
# the chain row ``c``: true when its index columns say what its state says (for format 1 rows,
# whose hash does not cover them).
INDEX_MATCHES_SQL = SQL(
    "c.compound_id IS NOT DISTINCT FROM (doc #>> '{compound_id,_data_}')::uuid"
    " AND c.occurred_at = (doc #>> '{timestamp,_data_}')::timestamptz"
    " AND c.subjects[1] = c.aggregate_id AND c.subjects @> named.ids AND named.ids || c.aggregate_id @> c.subjects"
)
NAMED_IDS_SQL = SQL(  # every id the state names, as ``_ids_in`` finds them
    "SELECT coalesce(array_agg(value::uuid), '{}') AS ids FROM jsonb_array_elements_text("
    "jsonb_path_query_array(doc, 'strict $.**?(@._type_ == \"uuid_hex\")._data_'))"
)


def _ids_in(value: Any) -> Iterator[UUID]:
    """Every id the library's JSON names, at any depth (``{"_type_": "uuid_hex", …}``)."""
    if isinstance(value, dict):
        if value.get("_type_") == "uuid_hex":
            yield UUID(value["_data_"])
            return
        for item in value.values():
            yield from _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)


def chain_ddl(schema: str) -> list[SQL]:
    table = Identifier(schema, CHAIN_TABLE)
    return [
        SQL("CREATE TABLE IF NOT EXISTS {} ("
            " sequence bigint PRIMARY KEY, position bigint NOT NULL UNIQUE,"
            " aggregate_id uuid NOT NULL, compound_id uuid, occurred_at timestamptz NOT NULL,"
            " subjects uuid[] NOT NULL, event_hash bytea NOT NULL, link bytea NOT NULL)").format(table),
        # Rows from before formats were numbered are format 1; every insert names its format.
        SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS hash_version smallint NOT NULL DEFAULT 1").format(table),
        SQL("CREATE INDEX IF NOT EXISTS chain_subjects ON {} USING gin (subjects)").format(table),
        SQL("CREATE INDEX IF NOT EXISTS chain_compound_time ON {} (compound_id, occurred_at)").format(table),
        # Commands sent with an idempotency key: which command (execution) recorded them, what
        # it answered (kept after the commit; until then, the aggregate and version it left).
        SQL("CREATE TABLE IF NOT EXISTS {} (principal text NOT NULL, key text NOT NULL, execution uuid NOT NULL,"
            " aggregate_id uuid NOT NULL, version bigint NOT NULL, answer jsonb,"
            " recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (principal, key))")
        .format(Identifier(schema, COMMANDS_TABLE)),
        # Raised inside the insert's transaction, so that it rolls back whole.
        SQL("CREATE OR REPLACE FUNCTION {}() RETURNS integer LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION '{}'; END $$").format(Identifier(schema, RECORDED_ALREADY), SQL(RECORDED_ALREADY)),
    ]


@dataclass
class _Links:
    """One insert's events with their index and hash, and the cursor reading the chain's head."""

    events: list[tuple[StoredEvent, Indexed, bytes]]
    head: Cursor[DictRow] | None = None


def _rendered(statement: Query) -> Query:
    """A composed statement as the bytes it renders to (its identifiers need no connection)."""
    return statement.as_bytes(None) if isinstance(statement, Composable) else statement


class AlreadyRecorded(Exception):
    """Another execution of the command (the same principal and idempotency key) committed first."""


def recorded_already(error: BaseException) -> bool:
    """Whether a failed insert was rolled back because its command was recorded already."""
    while error is not None:
        if isinstance(error, psycopg.errors.RaiseException) and RECORDED_ALREADY in str(error):
            return True
        error = error.__cause__
    return False


class ChainedRecorder(PostgresApplicationRecorder):
    """The library's recorder, linking each insert into the body's chain before it commits.

    The library locks the events table for the insert (so that notification ids follow commit
    order); the chain is extended under the same lock, so the head read here is the latest."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.genesis = genesis(events_table_name.removesuffix("_events"))
        self.chain_table = Identifier(datastore.schema, CHAIN_TABLE)
        self.commands_table = Identifier(datastore.schema, COMMANDS_TABLE)
        self.recorded_already = Identifier(datastore.schema, RECORDED_ALREADY)
        self.sql_create_statements.extend(chain_ddl(datastore.schema))
        # The statements of every insert, rendered once: the library composes its own anew each
        # time, which was a tenth of a command's Python.
        self.lock_table_statements = [_rendered(s) for s in self.lock_table_statements]
        self.insert_events_statement = _rendered(self.insert_events_statement)
        self.notify_statement = _rendered(SQL("NOTIFY {}").format(Identifier(self.channel_name)))
        self.chain_head_statement = _rendered(SQL("SELECT sequence, link FROM {} ORDER BY sequence DESC LIMIT 1")
                                              .format(self.chain_table))
        self.chain_insert_statement = _rendered(SQL(
            "INSERT INTO {} (sequence, position, aggregate_id, compound_id, occurred_at, subjects, hash_version,"
            " event_hash, link) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)").format(self.chain_table))

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.notify_statement)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        # What each link says of its event is worked out before the insert takes the table's lock.
        links = _Links([(stored, indexed, event_hash(stored.originator_id, stored.originator_version, stored.topic,
                                                     stored.state, indexed))
                        for stored in stored_events for indexed in [Indexed.of(stored.originator_id, stored.state)]])
        return super().insert_events(stored_events, links=links, **kwargs)

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], *,
                              links: _Links, **kwargs: Any) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # The head, asked under the lock in the insert's own round trip.
        links.head = curs.connection.cursor()
        links.head.execute(self.chain_head_statement, prepare=True)

    def _fetch_ids_after_insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], *,
                                       links: _Links, **kwargs: Any) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        head = links.head.fetchone()
        links.head.close()
        sequence, link = (head["sequence"], head["link"]) if head else (0, self.genesis)
        rows = []
        for position, (stored, indexed, hashed) in zip(positions or (), links.events, strict=True):
            sequence += 1
            link = next_link(link, sequence, hashed)
            rows.append((sequence, position, stored.originator_id, indexed.compound_id,
                         indexed.occurred_at, indexed.subjects, HASH_VERSION, hashed, link))
        curs.executemany(self.chain_insert_statement, rows)
        self._remember_command(curs, stored_events)
        return positions

    def _remember_command(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """Records a command sent with an idempotency key, with its events: a second command with
        the same key (sent again, even at once to another worker) rolls back with AlreadyRecorded."""
        context = active_context()
        if context is None or context.once is None or not stored_events:
            return
        first = stored_events[0].originator_id
        version = max(e.originator_version for e in stored_events if e.originator_id == first)
        curs.execute(
            SQL("WITH kept AS (INSERT INTO {} AS c (principal, key, execution, aggregate_id, version)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (principal, key) DO UPDATE SET"
                " aggregate_id = EXCLUDED.aggregate_id, version = EXCLUDED.version"
                " WHERE c.execution = EXCLUDED.execution RETURNING 1)"
                " SELECT CASE WHEN EXISTS (SELECT FROM kept) THEN 1 ELSE {}() END")
            .format(self.commands_table, self.recorded_already), (*context.once, context.command_id, first, version))
        curs.fetchone()  # in the library's pipeline: waits for the answer, or the error
