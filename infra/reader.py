"""Reading the four bodies' topics exactly once in effect: what the projector and the policies
share.

Each poll's batch is handled in one PostgreSQL transaction together with the consumed offsets,
so a crash loses nothing and handles nothing twice. Repeats from the relay (at-least-once) are
dropped by aggregate version. When the relay republishes a lost topic under a newer generation,
the reader reads every partition of it again from the start, skipping what older generations left;
versions make the replay harmless. It learns of the generation from the relay's record in
PostgreSQL, checked every second, not from what arrives: a republished partition can end exactly
where the old one did and show nothing new. A partition that ends below the reader's position was
recreated: it is read again from the start too.

No single message stops a reader. One that is not a Siwei event this code can read is set aside
in ``dead_letters`` with the reason; one kafka-python cannot parse (it would fail on it at every
poll) with the rest of its batch. An event a handler cannot apply (any error but a lost
connection) is set aside for that handler alone, with the event id, the handler and the error:
the batch is applied again event by event, each handler in a savepoint, and every other handler
and every later event goes on. Each time a reader starts it applies again what it set aside, in
order (``retry``), so that a fixed handler catches up by itself; ``siwei projections retry`` does
the same on demand.

A rebuild reads the bodies' stores first (``from_stores``), as far as the relays published them,
and the topics on from there.

Partitions are assigned, not joined through a consumer group, and offsets live in PostgreSQL:
nothing depends on the broker's group coordination, nor on its ListOffsets answers. Any number of
processes run one reader together, sharing its partitions by leases (``infra.leases``).
"""

from __future__ import annotations

import gc
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import psycopg
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from psycopg import sql
from tqdm import tqdm

from infra import relay, stored, wire
from services.common.published import PublishedEvent
from infra.database import array_literal, connect, database_away, ensure_schema, riding_out, schema_changes
from infra.leases import LEASES_DDL, RENEW_SECONDS, LeaseLost, Leases, new_holder
from infra.settings import Settings
from infra.topics import (NO_TOPIC_CREATION, ensure_topics, high_watermarks, offsets_consumer, partitions_of, polled,
                          records_at, unparsable)
from services.common.bodies import Body

log = logging.getLogger(__name__)

POLL_MS = 200
MAX_POLL_RECORDS = 2000
# How long a fetch at a partition's end waits for a message. A real Kafka answers as soon as one
# arrives, and this only paces idle fetches; the embedded Tansu holds the fetch for the whole
# wait, so an event waits for the fetch in hand to end (broker alone, 100 ms: 30 ms at the median,
# 65 at p99; 20 ms: 9 and 23). The price is idle fetches: an idle projector takes 8-10 % of a core
# and the broker about as much, against 3 % each at 100 ms. What needs no freshness (a policy's
# reaction, a witnessed head) waits longer: UNHURRIED_FETCH_WAIT_MS.
FETCH_WAIT_MS = 20
UNHURRIED_FETCH_WAIT_MS = 500
RETRY_SECONDS = 1.0
PARTITION_CHECK_SECONDS = 5.0
GENERATION_CHECK_SECONDS = 1.0
CONFLICT_RETRIES = 10  # a batch that deadlocked with another process of the reader, applied again
CONFLICTS = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)
DEADLOCK_TIMEOUT_MS = 50

# A view's index that no statement conflicts on (``CREATE INDEX``, not ``UNIQUE``): made after a bulk build.
SECONDARY_INDEX = re.compile(r"^CREATE INDEX [^;]*;", re.MULTILINE)

READER_DDL = """
CREATE TABLE IF NOT EXISTS projector_offsets (
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    generation bigint,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS projected_aggregates (
    aggregate_id uuid PRIMARY KEY,
    body text NOT NULL,
    version bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    generation bigint NOT NULL,
    reason text NOT NULL,
    key bytea,
    headers jsonb NOT NULL,
    value bytea,
    set_aside_at timestamptz NOT NULL DEFAULT now()
);
-- Since handlers' failures are set aside too: which event, for which view (or part of the
-- reader: '' for the whole message, unreadable or out of its aggregate's order), which handler.
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS event_id uuid,
    ADD COLUMN IF NOT EXISTS event_type text,
    ADD COLUMN IF NOT EXISTS view text NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS handler text;
ALTER TABLE dead_letters DROP CONSTRAINT IF EXISTS dead_letters_topic_partition_offset_generation_key;
CREATE UNIQUE INDEX IF NOT EXISTS dead_letters_once ON dead_letters (topic, partition, "offset", generation, view);
"""

WHOLE_MESSAGE = ""  # the view of a dead letter that concerns no single view


Handler = Callable[[psycopg.Cursor, PublishedEvent], None]


def is_transient(error: BaseException) -> bool:
    """A failure of the servers, not of the event: the reader connects again and reads the
    event again; never set aside."""
    return isinstance(error, KafkaError) or database_away(error)


def in_savepoint(cur: psycopg.Cursor, handler: Handler, event: PublishedEvent) -> str | None:
    """Runs the handler in a savepoint of its own; answers why it failed (its work undone), or
    None. A transient failure is raised: it is not the event's."""
    try:
        with cur.connection.transaction():
            handler(cur, event)
    except Exception as error:
        if is_transient(error):
            raise
        return storable(f"{type(error).__name__}: {error}")
    return None


def storable(text: str) -> str:
    """``text`` as a text or JSON column can hold it: a NUL (which neither can) as U+FFFD, as the
    headers' bytes that are no UTF-8 are."""
    return text.replace("\x00", "\ufffd")


@dataclass
class PartitionState:
    next_offset: int = 0
    generation: int | None = None


# What a generation header that names no generation counts as (not digits, or more of them than
# a bigint holds): never recorded by a relay, whose generations are microseconds since 1970.
NOT_A_GENERATION = 2**63 - 1


def generation_of(record: ConsumerRecord) -> int | None:
    """The relay's generation a message names; None if it has no generation header."""
    value = wire.header(record.headers, wire.GENERATION_HEADER)
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else NOT_A_GENERATION


def resume_points(body: Body, published: relay.RelayState) -> dict[TopicPartition, PartitionState]:
    """Where the body's topic goes on past the events of its log up to the relay's position: on
    each partition, after the last message the broker had acknowledged there in the relay's
    generation when it recorded that position. Never beyond: the relay publishes the log in order
    and records a position only once everything up to it was acknowledged, so what comes after is
    of events past it (a batch a relay's crash left published and not recorded is published again
    from that position). An older relay's record (how many messages) is no further on; what is read
    again is dropped by version, as any repeat is."""
    return {TopicPartition(body.topic, partition): PartitionState(end, published.generation)
            for partition, end in published.acknowledged.items()}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while the stores are read. A batch's events live until it
    is applied: collections in its midst only move them to older generations, which then cost
    collections of the whole heap (an eighth of a rebuild). Reading leaves few objects in cycles,
    whatever its length (133 at 929 compounds as at 20,000), collected once it ends."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _out_of_order(cur: psycopg.Cursor, origin: None, reason: str) -> None:
    """An event of a store out of its aggregate's order, or unreadable: the store is not read on."""
    raise stored.UnreadableStoredEvent(reason)


@dataclass(frozen=True)
class Unparsed:
    """Where a message kafka-python cannot parse lies: set aside with nothing of it but that."""
    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple = ()


@dataclass(frozen=True)
class BatchOutcome:
    applied: int
    duplicates: int
    set_aside: int
    rewound: list[TopicPartition]


class TopicReader:
    """Reads all four topics into a PostgreSQL schema of its own (offsets, aggregate versions,
    dead letters and whatever its subclass keeps); ``handle`` is called once per new event."""

    role = "reader"
    fetch_wait_ms = FETCH_WAIT_MS

    def __init__(self, settings: Settings, *, schema: str) -> None:
        assert settings.database_url and settings.kafka_bootstrap
        self.settings = settings
        self.schema = schema
        self.topics = [body.topic for body in Body]
        self.states: dict[TopicPartition, PartitionState] = {}
        self.relay_generations: dict[str, int] = {}  # topic -> the newest generation its relay recorded
        self.leases = Leases(new_holder(self.role))
        self.partitions: list[TopicPartition] = []  # every partition of the topics
        self.last_error: str | None = None  # to note in this process's row at the next claim
        # What the batch in hand set aside, by partition, view and reason: one log line each once
        # it commits (a foreign topic read whole would otherwise log a line a message).
        self._noted: dict[tuple[str, int, str, str], list[int]] = {}
        # The ends of the partitions taken since the consumer was made: where a run
        # ``until_caught_up`` stops, without asking the broker again (a batch parsed a partition).
        self._ends: dict[TopicPartition, int] = {}

    def handlers(self, event_type: str) -> list[tuple[str, Handler]]:
        """The handlers of events of this type, each with the view (or part of the reader) it
        writes: what fails is set aside for that view."""
        raise NotImplementedError

    def ddl(self) -> list[str]:
        """The subclass's own tables."""
        return []

    def connect(self) -> psycopg.Connection:
        # Autocommit, so that each `conn.transaction()` in `apply` is a transaction of its own,
        # never a savepoint inside one left open by an earlier read.
        conn = connect(self.settings.database_url, autocommit=True)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        # Processes of one reader can deadlock on a row two partitions touch: found sooner than
        # PostgreSQL's default second, and the batch applied again (a superuser's setting: kept
        # where the server does not allow it).
        with suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SET deadlock_timeout = '{DEADLOCK_TIMEOUT_MS}ms'")
        return conn

    def create_tables(self, *, indexes: bool = True) -> None:
        """The reader's tables and its subclass's, each statement as if not there; without
        ``indexes``, the subclass's tables without their secondary indexes."""
        with schema_changes(self.settings.database_url) as conn:
            ensure_schema(conn, self.schema)
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            conn.execute(READER_DDL)
            conn.execute(LEASES_DDL)
            for statement in self.ddl():
                conn.execute(statement if indexes else SECONDARY_INDEX.sub("", statement))

    def drop_tables(self) -> None:
        with connect(self.settings.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema)))

    def load_offsets(self, conn: psycopg.Connection, partitions: set[TopicPartition]) -> None:
        """The committed offsets of the partitions this process now holds, and only of those."""
        committed = {
            TopicPartition(topic, partition): PartitionState(next_offset, generation)
            for topic, partition, next_offset, generation in conn.execute(
                "SELECT topic, partition, next_offset, generation FROM projector_offsets"
            )
        }
        self.states = {tp: self.states[tp] if tp in self.states else committed.get(tp, PartitionState())
                       for tp in partitions}

    def recorded_generations(self, conn: psycopg.Connection) -> dict[str, int]:
        """The generation each body's relay recorded last, by topic: the one it publishes in."""
        tables = [f"{body.schema}.relay_state" for body in Body]
        present = conn.execute("SELECT array_agg(t) FROM unnest(%s::text[]) t WHERE to_regclass(t) IS NOT NULL",
                               (tables,)).fetchone()[0] or []
        if present:
            self.relay_generations.update(conn.execute(sql.SQL(" UNION ALL ").join(
                sql.SQL("SELECT topic, generation FROM {}").format(sql.Identifier(*table.split(".")))
                for table in present)).fetchall())
        return self.relay_generations

    def believed(self, topic: str, generation: int) -> bool:
        """Whether the relay of ``topic`` recorded ``generation``: a header anyone able to
        produce to the topic could forge, believed only if the relay's own record in PostgreSQL
        (written before it publishes in a generation) bears it out."""
        if generation <= self.relay_generations.get(topic, -1):
            return True
        with connect(self.settings.database_url, autocommit=True) as conn:
            return generation <= self.recorded_generations(conn).get(topic, -1)

    def follow_republished(self, conn: psycopg.Connection) -> list[TopicPartition]:
        """Partitions read in an older generation than the one their relay recorded: read again
        from the start, in that generation (what an older one left there is skipped)."""
        recorded = self.recorded_generations(conn)
        found = []
        for tp, state in self.states.items():
            newer = recorded.get(tp.topic)
            if newer is not None and state.generation is not None and newer > state.generation:
                log.warning("%s: %s partition %s was republished; reading it again from the start",
                            self.role, tp.topic, tp.partition)
                self.states[tp] = PartitionState(0, newer)
                found.append(tp)
        return found

    # -- reading the stores ---------------------------------------------------------------------

    def from_stores(self, stop: threading.Event, *, progress: bool = False) -> None:
        """Reads each body's log from its store, as far as its relay has published it, into this
        reader's schema before any process reads the topics into it (a rebuild's), and sets each
        partition of the topics where reading goes on past those events: ``infra.stored`` and
        ``resume_points`` say why nothing is missed. A body whose log holds an event this code
        cannot read or apply so is left to its topic, read from the start, where what fails is set
        aside as any message is."""
        riding_out(self.role, stop, lambda: self._from_stores(progress))

    def _from_stores(self, progress: bool) -> None:
        # The event types, which import every body's domain (0.2 s, a tenth of a rebuild at 929
        # compounds), loaded while PostgreSQL makes the tables. The secondary indexes made once the
        # tables are filled, as a bulk load does: sorted once, not kept up batch by batch (about 5 %).
        loading = threading.Thread(target=wire.load, name="loading the event types")
        loading.start()
        self.create_tables(indexes=False)
        loading.join()
        with self.connect() as conn, _collector_paused():
            published = {body: relay.recorded(conn, body) for body in Body}
            published = {body: state for body, state in published.items() if state is not None}
            total = sum(stored.count(conn, body, state.position) for body, state in published.items())
            with tqdm(disable=not progress, total=total, unit="event",
                      desc=f"reading the stores into {self.schema}") as bar:
                for body, state in published.items():
                    try:
                        for events in stored.log_ahead(self.settings.database_url, body, state.position,
                                                       MAX_POLL_RECORDS):
                            with conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                                self.apply_events(cur, [(None, event) for event in events], _out_of_order)
                            bar.update(len(events))
                    except Exception as error:
                        if is_transient(error):
                            raise
                        log.warning("%s: the %s log is read from its topic, from the start, not from its store"
                                    " (%s: %s)", self.role, body.value, type(error).__name__, error)
                        continue
                    with conn.transaction(), conn.cursor() as cur:
                        self._commit_offsets(cur, resume_points(body, state))
        self.create_tables()

    # -- applying a batch ------------------------------------------------------------------------

    def apply(self, conn: psycopg.Connection,
              batch: dict[TopicPartition, list[ConsumerRecord]]) -> BatchOutcome:
        """Applies one polled batch and its offsets in one transaction. If a handler fails on
        an event, the batch is applied again with each handler's work in a savepoint, and what
        fails is set aside; if the transaction deadlocked with another process, it is applied
        again whole."""
        states = {tp: replace(state) for tp, state in self.states.items()}
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                return self._apply_either(conn, batch, states)
            except CONFLICTS as error:
                # A deadlock with another process of this reader writing the same rows (a compound's,
                # from another partition), or a serialization failure: nothing was committed.
                self.states = {tp: replace(state) for tp, state in states.items()}
                if attempt == CONFLICT_RETRIES:
                    raise
                log.info("%s: %s; applying the batch again", self.role, type(error).__name__)
        raise AssertionError("unreachable")

    def _apply_either(self, conn: psycopg.Connection, batch: dict[TopicPartition, list[ConsumerRecord]],
                      states: dict[TopicPartition, PartitionState]) -> BatchOutcome:
        try:
            return self._apply(conn, batch, isolated=False)
        except Exception as error:
            self.states = {tp: replace(state) for tp, state in states.items()}  # nothing was committed
            if is_transient(error) or isinstance(error, LeaseLost):
                raise
            log.warning("%s: a handler failed in a batch (%s: %s); applying it again event by event",
                        self.role, type(error).__name__, error)
            return self._apply(conn, batch, isolated=True)

    def _apply(self, conn: psycopg.Connection, batch: dict[TopicPartition, list[ConsumerRecord]],
               *, isolated: bool) -> BatchOutcome:
        self._noted = {}
        # In pipeline mode: statements go to the server without waiting for each one's answer
        # (a view that reads a result waits for that one only). Isolated, each handler's work
        # is a savepoint of its own, its failure known at once.
        with (nullcontext() if isolated else conn.pipeline()), conn.transaction(), conn.cursor() as cur:
            self.leases.check(cur, set(batch))
            decoded, touched, superseded, rewound = self._decode(batch)
            applied, duplicates, set_aside = self.apply_events(cur, decoded, self._set_aside, isolated=isolated)
            self._commit_offsets(cur, touched)
        self._noted_said()
        return BatchOutcome(applied, superseded + duplicates, set_aside, rewound)

    def _decode(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> tuple[
            list[tuple[ConsumerRecord, PublishedEvent | str]], dict[TopicPartition, PartitionState], int,
            list[TopicPartition]]:
        """The batch's messages decoded (or why not) and the partitions' states moved past them;
        how many an older generation left, and the partitions to read again from the start."""
        decoded: list[tuple[ConsumerRecord, PublishedEvent | str]] = []
        touched: dict[TopicPartition, PartitionState] = {}
        superseded = 0
        rewound: list[TopicPartition] = []
        for tp, records in batch.items():
            state = self.states.setdefault(tp, PartitionState())
            touched[tp] = state
            for record in records:
                generation = generation_of(record)
                if generation is not None and not self.believed(tp.topic, generation):
                    # The header's value is kept with the message in dead_letters.headers.
                    decoded.append((record, "a generation never recorded by the relay of this topic:"
                                            " a forged or foreign header"))
                    state.next_offset = record.offset + 1
                    continue
                if generation is not None and state.generation is not None:
                    if generation < state.generation:
                        # Left by a generation the relay has since republished: superseded.
                        state.next_offset = record.offset + 1
                        superseded += 1
                        continue
                    if generation > state.generation and record.offset != 0:
                        # The relay republished this topic: read it again from its start.
                        log.warning("%s: partition %s was republished; reading it again from the start",
                                    tp.topic, tp.partition)
                        state.generation = generation
                        state.next_offset = 0
                        rewound.append(tp)
                        break
                if generation is not None:
                    state.generation = max(generation, state.generation or 0)
                try:
                    decoded.append((record, wire.decode(record.headers, record.value)))
                except wire.UndecodableMessage as error:
                    decoded.append((record, error.reason))
                state.next_offset = record.offset + 1
        return decoded, touched, superseded, rewound

    def apply_events(self, cur: psycopg.Cursor, decoded: list[tuple[Any, PublishedEvent | str]],
                     set_aside: Callable[[psycopg.Cursor, Any, str], None], *,
                     isolated: bool = False) -> tuple[int, int, int]:
        """Applies each event that is its aggregate's next version, drops the repeats, and hands
        ``set_aside`` what cannot be read (a reason instead of an event) or comes out of its
        aggregate's order, with where it came from. Answers how many were applied, dropped and
        set aside."""
        applied = duplicates = set_aside_count = 0
        events = [e for _, e in decoded if isinstance(e, PublishedEvent)]
        versions = dict(cur.execute(
            "SELECT aggregate_id, version FROM projected_aggregates WHERE aggregate_id = ANY(%s::uuid[])",
            (array_literal({e.aggregate_id for e in events}),),
        ).fetchall()) if events else {}
        changed: dict[UUID, tuple[str, int]] = {}
        accepted: list[PublishedEvent] = []
        for origin, event in decoded:
            if isinstance(event, str):
                set_aside(cur, origin, event)
                set_aside_count += 1
                continue
            seen = versions.get(event.aggregate_id, 0)
            if event.aggregate_version <= seen:
                duplicates += 1
                continue
            if event.aggregate_version != seen + 1:
                set_aside(cur, origin, f"version gap: {event.type} of {event.aggregate_id}"
                                       f" is version {event.aggregate_version}, expected {seen + 1}")
                set_aside_count += 1
                continue
            if isolated:
                set_aside_count += self._handle(cur, origin, event)
            else:
                accepted.append(event)
            versions[event.aggregate_id] = event.aggregate_version
            changed[event.aggregate_id] = (event.body.value, event.aggregate_version)
            applied += 1
        self.handle(cur, accepted)
        if changed:  # one statement a batch, not one an aggregate (a third of a rebuild's statements)
            cur.execute(
                "INSERT INTO projected_aggregates (aggregate_id, body, version)"
                " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::bigint[])"
                " ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version",
                (array_literal(changed), array_literal(b for b, _ in changed.values()),
                 array_literal(v for _, v in changed.values())),
            )
        return applied, duplicates, set_aside_count

    @staticmethod
    def _commit_offsets(cur: psycopg.Cursor, states: dict[TopicPartition, PartitionState]) -> None:
        cur.executemany(
            "INSERT INTO projector_offsets (topic, partition, next_offset, generation)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (topic, partition) DO UPDATE SET"
            " next_offset = EXCLUDED.next_offset, generation = EXCLUDED.generation",
            [(tp.topic, tp.partition, s.next_offset, s.generation) for tp, s in states.items()],
        )

    def _noted_said(self) -> None:
        """What was set aside, now committed: said once a kind."""
        for (topic, partition, view, reason), offsets in self._noted.items():
            where = (f"@{offsets[0]}" if len(offsets) == 1
                     else f" ({len(offsets)} messages, @{offsets[0]}…{offsets[-1]})")
            log.warning("%s set aside %s/%s%s%s: %s", self.role, topic, partition, where, view, reason)
        self._noted = {}

    def handle(self, cur: psycopg.Cursor, events: list[PublishedEvent]) -> None:
        """Runs the handlers of a batch's new events, in order (a subclass may apply them
        together)."""
        for event in events:
            for _, handler in self.handlers(event.type):
                handler(cur, event)

    def _handle(self, cur: psycopg.Cursor, record: ConsumerRecord, event: PublishedEvent) -> int:
        """Runs the event's handlers, each in a savepoint, setting aside the work of any that
        fails. Answers how many were set aside."""
        failed = 0
        for view, handler in self.handlers(event.type):
            error = in_savepoint(cur, handler, event)
            if error is not None:
                self._set_aside(cur, record, error, event=event, view=view, handler=handler.__qualname__)
                failed += 1
        return failed

    def _set_aside(self, cur: psycopg.Cursor, record: ConsumerRecord | Unparsed, reason: str, *,
                   event: PublishedEvent | None = None, view: str = WHOLE_MESSAGE,
                   handler: str | None = None) -> None:
        reason = storable(reason)
        kind = (record.topic, record.partition, f" for {view} ({handler})" if view else "", reason)
        self._noted.setdefault(kind, []).append(record.offset)
        headers = {storable(k): (storable(v.decode("utf-8", "replace")) if v is not None else None)
                   for k, v in record.headers}
        cur.execute(
            "INSERT INTO dead_letters (topic, partition, \"offset\", generation, reason, key, headers,"
            " value, event_id, event_type, view, handler) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (topic, partition, \"offset\", generation, view) DO UPDATE SET reason = EXCLUDED.reason",
            (record.topic, record.partition, record.offset, generation_of(record) or 0, reason,
             record.key, json.dumps(headers), record.value,
             event.event_id if event else None, event.type if event else None, view, handler),
        )

    # -- what was set aside ----------------------------------------------------------------------

    def retry(self, conn: psycopg.Connection) -> tuple[int, int]:
        """Applies again, in the order they were set aside, the events set aside, each for the
        handler that failed (or for all, if the whole message was); what now applies leaves the
        list. Answers how many applied and how many are still set aside."""
        rows = conn.execute('SELECT id FROM dead_letters ORDER BY id').fetchall()
        applied = 0
        for (letter,) in rows:
            with conn.transaction(), conn.cursor() as cur:
                taken = cur.execute("SELECT headers, value, view FROM dead_letters WHERE id = %s"
                                    " FOR UPDATE SKIP LOCKED", (letter,)).fetchone()
                if taken is None:  # applied meanwhile, or being retried by another process
                    continue
                headers, value, view = taken
                try:
                    event = wire.decode([(k, v.encode() if v is not None else None) for k, v in headers.items()],
                                        value)
                except wire.UndecodableMessage as error:
                    cur.execute("UPDATE dead_letters SET reason = %s WHERE id = %s", (error.reason, letter))
                    continue
                if view == WHOLE_MESSAGE:
                    done = self._retry_message(cur, letter, event)
                else:
                    done = self._retry_view(cur, letter, event, view)
                if done:
                    cur.execute("DELETE FROM dead_letters WHERE id = %s", (letter,))
                    applied += 1
        left = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        if rows:
            log.warning("%s: %d set-aside events applied on retry, %d still set aside", self.role, applied, left)
        return applied, left

    def _retry_view(self, cur: psycopg.Cursor, letter: int, event: PublishedEvent, view: str) -> bool:
        handler = dict(self.handlers(event.type)).get(view)
        if handler is None:  # the view no longer handles such events: nothing is left to apply
            return True
        error = in_savepoint(cur, handler, event)
        if error is not None:
            cur.execute("UPDATE dead_letters SET reason = %s WHERE id = %s", (error, letter))
        return error is None

    def _retry_message(self, cur: psycopg.Cursor, letter: int, event: PublishedEvent) -> bool:
        """A whole event now readable: applied if it is its aggregate's next version, dropped if
        it was applied since (a repeat), kept if its predecessor is still missing."""
        seen = cur.execute("SELECT version FROM projected_aggregates WHERE aggregate_id = %s",
                           (event.aggregate_id,)).fetchone()
        seen = seen[0] if seen else 0
        if event.aggregate_version > seen + 1:
            return False
        if event.aggregate_version <= seen:
            return True
        for view, handler in self.handlers(event.type):
            error = in_savepoint(cur, handler, event)
            if error is not None:
                cur.execute(  # set aside again, for that view alone
                    "INSERT INTO dead_letters (topic, partition, \"offset\", generation, reason, key, headers,"
                    " value, event_id, event_type, view, handler) SELECT topic, partition, \"offset\", generation,"
                    " %s, key, headers, value, %s, %s, %s, %s FROM dead_letters WHERE id = %s ON CONFLICT DO NOTHING",
                    (error, event.event_id, event.type, view, handler.__qualname__, letter))
        cur.execute("INSERT INTO projected_aggregates (aggregate_id, body, version) VALUES (%s, %s, %s)"
                    " ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version",
                    (event.aggregate_id, event.body.value, event.aggregate_version))
        return True

    # -- consuming -------------------------------------------------------------------------------

    def _consumer(self, conn: psycopg.Connection) -> KafkaConsumer:
        """A consumer assigned the partitions this process holds, each at our position."""
        ensure_topics(self.settings.kafka_bootstrap, self.settings.topic_partitions, self.topics)
        consumer = KafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            client_id=f"siwei-{self.role}-{self.schema}",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=MAX_POLL_RECORDS,
            fetch_max_wait_ms=self.fetch_wait_ms,
            metadata_max_age_ms=int(PARTITION_CHECK_SECONDS * 1000),
            **NO_TOPIC_CREATION,
        )
        self.partitions = [tp for topic in self.topics for tp in partitions_of(consumer, topic)]
        self._ends = {}
        self._claim(conn, consumer, reassign=True)
        return consumer

    def _claim(self, conn: psycopg.Connection, consumer: KafkaConsumer, *, reassign: bool = False) -> None:
        """Renews and rebalances this process's leases. A partition it takes is read from the
        offset committed with the views, or from the start if it was recreated or republished
        meanwhile (otherwise the next event to arrive would wait behind the whole partition read
        again, and a run ``until_caught_up`` would stop short)."""
        held = self.leases.claim(conn, self.partitions, self.last_error)
        self.last_error = None
        if held == set(self.states) and not reassign:
            return
        gained = sorted(held - set(self.states))
        if held != set(self.states):
            log.info("%s: reads %d of %d partitions", self.role, len(held), len(self.partitions))
        self.load_offsets(conn, held)
        if gained:
            self._ends.update(high_watermarks(consumer, gained))
            self.shrunk(consumer, gained)
        self.follow_republished(conn)
        self._assign(consumer)

    def _assign(self, consumer: KafkaConsumer) -> None:
        consumer.assign(sorted(self.states))
        for tp in self.states:
            consumer.seek(tp, self.position(tp))

    def _add_new_partitions(self, consumer: KafkaConsumer) -> None:
        """Partitions added to a topic since we started: shared at the next claim, read from the start.
        They are found in the consumer's metadata, which it refreshes in the background every
        ``PARTITION_CHECK_SECONDS``: asking the broker here would stop the reading (a request for
        every topic's metadata held the projector 310–330 ms on the embedded broker)."""
        found = [tp for topic in self.topics for tp in partitions_of(consumer, topic)]
        added = [tp for tp in found if tp not in self.partitions]
        if added:
            log.warning("new partitions %s; reading them from the start", added)
            self.partitions.extend(added)

    def position(self, tp: TopicPartition) -> int:
        return self.states.get(tp, PartitionState()).next_offset

    def shrunk(self, consumer: KafkaConsumer, partitions: list[TopicPartition]) -> list[TopicPartition]:
        """Partitions that now end below our position: recreated, to be read from the start. The
        end a fetch reports can trail (Tansu's does), so such a partition counts only if the
        record before our position cannot be read either."""
        marks = {tp: consumer.highwater(tp) for tp in partitions}
        below = {tp: self.position(tp) - 1 for tp, mark in marks.items()
                 if mark is not None and mark < self.position(tp)}
        if not below:
            return []
        held = records_at(consumer, below)
        self._assign(consumer)
        found = [tp for tp in below if tp not in held]
        for tp in found:
            log.warning("%s: partition %s ends at %d, below our position %d; reading it again from the start",
                        tp.topic, tp.partition, marks[tp], self.position(tp))
            self.states[tp] = PartitionState(0, self.states[tp].generation)
        return found

    def run(self, stop: threading.Event, *, until_caught_up: bool = False,
            progress: bool = False) -> None:
        """Reads until ``stop`` is set, or with ``until_caught_up`` until every partition (read by
        this process or another) has reached where it ended when this one began."""
        wire.load()  # before the first message, not in its way
        riding_out(self.role, stop, lambda: self._run(stop, until_caught_up, progress))

    def _run(self, stop: threading.Event, until_caught_up: bool, progress: bool) -> None:
        """``run`` while the database stays: the offsets, as committed with the views, are read
        again at each connection, so that an event is applied once whatever broke off."""
        self.create_tables()
        with (self.connect() as conn,
              tqdm(disable=not progress, unit="event", desc=f"reading the topics into {self.schema}") as bar):
            self.states = {}
            self.retry(conn)  # a handler fixed since it last ran catches up with what it missed
            try:
                while not stop.is_set():
                    consumer = None
                    try:
                        consumer = self._consumer(conn)
                        if self._consume(conn, consumer, stop, until_caught_up, bar):
                            return
                    except KafkaError as error:
                        log.warning("%s: broker error (%s); reconnecting", self.role, error)
                        self.last_error = f"broker: {type(error).__name__}: {error}"
                        stop.wait(RETRY_SECONDS)
                    finally:
                        if consumer is not None:
                            consumer.close()
            except Exception as error:
                self.last_error = f"{type(error).__name__}: {error}"  # noted at the next claim
                raise
            finally:
                if not conn.closed:
                    with suppress(psycopg.Error):
                        self.leases.release(conn)  # the others take them now, not when they expire

    def _consume(self, conn: psycopg.Connection, consumer: KafkaConsumer, stop: threading.Event,
                 until_caught_up: bool, bar: tqdm) -> bool:
        """Applies polled batches until ``stop``; with ``until_caught_up``, returns True once
        every partition has reached where it ended when this began."""
        targets = None
        if until_caught_up:
            others = [tp for tp in self.partitions if tp not in self._ends]
            targets = {**self._ends, **high_watermarks(consumer, others)}
            if others:
                self._assign(consumer)
            committed = self.committed(conn)
            bar.reset(total=sum(max(0, mark - committed.get(tp, 0)) for tp, mark in targets.items()))
        claimed = partitions_checked = generations_checked = time.monotonic()
        while not stop.is_set():
            if targets is not None and self._caught_up(conn, targets):
                return True
            if time.monotonic() - claimed > RENEW_SECONDS:
                self._claim(conn, consumer)
                claimed = time.monotonic()
            if not self.states:  # every partition is another process's, for now
                stop.wait(POLL_MS / 1000)
                continue
            try:
                batch = self._poll(conn, consumer)
                if batch:
                    rewound = self.apply(conn, batch).rewound
            except LeaseLost as error:
                log.info("%s: %s; claiming again", self.role, error)
                self._claim(conn, consumer, reassign=True)
                claimed = time.monotonic()
                continue
            if batch:
                bar.update(sum(len(records) for records in batch.values()))
            else:
                rewound = self.shrunk(consumer, sorted(self.states))
                if time.monotonic() - partitions_checked > PARTITION_CHECK_SECONDS:
                    self._add_new_partitions(consumer)
                    partitions_checked = time.monotonic()
            if time.monotonic() - generations_checked > GENERATION_CHECK_SECONDS:
                rewound += self.follow_republished(conn)
                generations_checked = time.monotonic()
            for tp in rewound:
                consumer.seek(tp, 0)
        return False

    def _poll(self, conn: psycopg.Connection, consumer: KafkaConsumer) -> dict[TopicPartition, list[ConsumerRecord]]:
        """A poll's records; none if it failed on a message kafka-python cannot parse, passed."""
        records, failure = polled(consumer, POLL_MS)
        if failure is not None:
            self._pass_unparsable(conn, consumer, failure)
        return records

    def _pass_unparsable(self, conn: psycopg.Connection, consumer: KafkaConsumer, error: Exception) -> None:
        """A poll failed parsing a message, and would at every poll: the batch that holds it is
        set aside whole, as one dead letter (a batch is one producer's: the relay's messages are
        never in another's), and reading goes on after it. Raises ``error`` if no partition this
        process reads holds such a message at its position."""
        probe = offsets_consumer(self.settings.kafka_bootstrap, f"siwei-{self.role}-probe")
        try:
            for tp in sorted(self.states):
                start = self.position(tp)
                if not unparsable(probe, tp, start):
                    continue
                past, end = start + 1, high_watermarks(probe, [tp])[tp]  # the first readable offset after
                while past < end:
                    middle = (past + end) // 2
                    past, end = (middle + 1, end) if unparsable(probe, tp, middle) else (past, middle)
                with conn.transaction(), conn.cursor() as cur:
                    self.leases.check(cur, {tp})
                    self._set_aside(cur, Unparsed(tp.topic, tp.partition, start),
                                    f"kafka-python cannot read offsets {start} to {past - 1}:"
                                    f" {type(error).__name__}: {error}")
                    self.states[tp].next_offset = past
                    self._commit_offsets(cur, {tp: self.states[tp]})
                self._noted_said()
                consumer.seek(tp, past)
                return
        finally:
            probe.close()
        raise error

    def committed(self, conn: psycopg.Connection) -> dict[TopicPartition, int]:
        """Every partition's offset as committed with the views, by whichever process read it."""
        return {TopicPartition(topic, partition): offset for topic, partition, offset in
                conn.execute("SELECT topic, partition, next_offset FROM projector_offsets")}

    def _caught_up(self, conn: psycopg.Connection, targets: dict[TopicPartition, int]) -> bool:
        if not all(self.position(tp) >= mark for tp, mark in targets.items() if tp in self.states):
            return False
        if all(tp in self.states for tp in targets):
            return True
        committed = self.committed(conn)
        return all(committed.get(tp, 0) >= mark for tp, mark in targets.items() if tp not in self.states)
