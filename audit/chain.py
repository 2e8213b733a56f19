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

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
import psycopg
from psycopg import Cursor
from psycopg.abc import Query
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from infra.database import array_literal
from services.common.context import active_context

CHAIN_TABLE = "chain"
COMMANDS_TABLE = "commands"
RECORDED_ALREADY = "command_recorded_already"
HASH_VERSION = 2  # the format of the links written now
HASH_PREFIXES = {1: b"siwei-event-v1", 2: b"siwei-event-v2"}
# The chain's insert is planned once. Left to choose, PostgreSQL planned it anew for every insert,
# under the table's lock (0.2 ms each): a plan made for arrays of known length looks cheaper than
# the shared one, though it is the same plan. Needs PostgreSQL 12 (as ``jsonb_path_query_array``).
GENERIC_PLANS = b"SET LOCAL plan_cache_mode = force_generic_plan"
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


def _bytea(value: bytes) -> str:
    """A bytea as text: ``\\x`` and its hex."""
    return "\\x" + value.hex()


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
    """The library's recorder, linking each insert into the body's chain in its transaction.

    The library locks the events table for the insert (so that notification ids follow commit
    order) and holds the lock over two round trips, its insert answered before it commits; a
    worker's other threads, holding the interpreter meanwhile, held the lock longer still. Here
    lock, insert, links and commit go in one round trip: PostgreSQL works out the links from the
    chain's head under the lock (``next_link_sql``), so the lock is held only while it executes."""

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
        # The library's insert takes an array of composites, which psycopg dumps field by field
        # (the states escaped); this one takes each column as one array literal, as the chain's.
        self.insert_columns_statement = _rendered(SQL(
            "INSERT INTO {events} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[])"
            " RETURNING notification_id"
        ).format(events=Identifier(datastore.schema, events_table_name),
                 id_type=Identifier(datastore.originator_id_type)))
        self.notify_statement = _rendered(SQL("NOTIFY {}").format(Identifier(self.channel_name)))
        self.chain_insert_statement = _rendered(SQL(
            # The insert's events in the order of their positions, each the head's sequence plus
            # its place; each link follows the one before, the first the head's (or the genesis).
            "WITH RECURSIVE head AS (SELECT sequence, link FROM {chain} ORDER BY sequence DESC LIMIT 1),"
            " placed AS (SELECT row_number() OVER (ORDER BY e.notification_id) AS place, e.notification_id,"
            "  i.aggregate_id, i.compound_id, i.occurred_at, i.event_hash,"
            "  (%(subjects)s::uuid[])[i.first_subject:i.first_subject + i.subject_count - 1] AS subjects"
            "  FROM unnest(%(aggregate_ids)s::uuid[], %(versions)s::bigint[], %(compound_ids)s::uuid[],"
            "   %(occurred_at)s::timestamptz[], %(first_subjects)s::int[], %(subject_counts)s::int[],"
            "   %(event_hashes)s::bytea[])"
            "   AS i (aggregate_id, version, compound_id, occurred_at, first_subject, subject_count, event_hash)"
            "  JOIN {events} e ON e.originator_id = i.aggregate_id AND e.originator_version = i.version),"
            " c AS (SELECT p.*, coalesce((SELECT sequence FROM head), 0) + p.place AS sequence FROM placed p),"
            " linked (place, link) AS ("
            "  SELECT 0::bigint, coalesce((SELECT link FROM head), %(genesis)s::bytea)"
            "  UNION ALL SELECT c.place, {link} FROM linked l JOIN c ON c.place = l.place + 1)"
            " INSERT INTO {chain} (sequence, position, aggregate_id, compound_id, occurred_at, subjects,"
            "  hash_version, event_hash, link)"
            " SELECT c.sequence, c.notification_id, c.aggregate_id, c.compound_id, c.occurred_at, c.subjects,"
            "  {version}, c.event_hash, linked.link FROM c JOIN linked USING (place)"
        ).format(chain=self.chain_table, events=Identifier(datastore.schema, events_table_name),
                 link=next_link_sql(SQL("l.link")), version=Literal(HASH_VERSION)))

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.notify_statement)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert (lock, notify, insert), the chain's links and the command's
        idempotency key, and the commit, sent together: the server commits, and lets go of the
        lock, without waiting for this process. Indexes and hashes are worked out before."""
        if not stored_events:
            return None
        links = self._links(stored_events)
        events = (array_literal(e.originator_id for e in stored_events),
                  array_literal(e.originator_version for e in stored_events),
                  array_literal(e.topic for e in stored_events),
                  array_literal(_bytea(e.state) for e in stored_events))
        failed: Exception | None = None
        with self.datastore.get_connection() as conn:
            with conn.pipeline(), conn.cursor() as curs, conn.cursor() as inserted:
                try:
                    curs.execute(b"BEGIN")
                    curs.execute(GENERIC_PLANS, prepare=True)
                    self._lock_table(curs)
                    self._notify_channel(curs)
                    inserted.execute(self.insert_columns_statement, events)
                    curs.execute(self.chain_insert_statement, links, prepare=True)
                    self._remember_command(curs, stored_events)
                    curs.execute(b"COMMIT")
                    positions = [row["notification_id"] for row in inserted.fetchall()]
                except Exception as error:  # raised once the pipeline is closed, as the library does
                    failed = error
            if failed is not None:
                # A statement failed: the server skipped the rest, the commit too; the failed
                # transaction is rolled back as the error leaves the pool's connection.
                raise failed
        return positions

    def _links(self, stored_events: Sequence[StoredEvent]) -> dict[str, Any]:
        """The chain insert's parameters: each event's index and hash (its subjects flattened),
        each column one array literal (dumping lists held a quarter of a command's interpreter)."""
        indexed = [Indexed.of(e.originator_id, e.state) for e in stored_events]
        subjects, first_subjects = [], []
        for index in indexed:
            first_subjects.append(len(subjects) + 1)
            subjects.extend(index.subjects)
        return {
            "aggregate_ids": array_literal(e.originator_id for e in stored_events),
            "versions": array_literal(e.originator_version for e in stored_events),
            "compound_ids": array_literal(i.compound_id for i in indexed),
            "occurred_at": array_literal(i.occurred_at.isoformat() for i in indexed),
            "first_subjects": array_literal(first_subjects),
            "subject_counts": array_literal(len(i.subjects) for i in indexed),
            "subjects": array_literal(subjects),
            "event_hashes": array_literal(_bytea(event_hash(e.originator_id, e.originator_version, e.topic, e.state, i))
                                          for e, i in zip(stored_events, indexed, strict=True)),
            "genesis": self.genesis,
        }

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
