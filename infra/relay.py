"""The relay: each body's notification log (the outbox) published, in order, to its topic.

At least once: a batch is sent, acknowledged by the broker (``acks=all``, idempotent producer),
and only then is the relay's position stored in PostgreSQL. A crash between the two publishes the
batch again on restart; consumers drop the repeats by aggregate version.

The stores are the truth and Kafka is derived. The relay remembers the id of the topic it
publishes into and where, on each partition, the messages the broker acknowledged in the current
*generation* end: the offset after the last of them, as the broker answered it. Not how many: a
generation can begin after messages already there (an older generation's, or a batch published
again after a crash), and a count would then fall short of the partition's end, and a reader short
of it would be said to have read it all. When the broker holds the topic under another id (made
again: the embedded Tansu keeps topics in memory, so every restart does this), or a partition ends
below that offset and its last acknowledged message cannot be read, the broker has lost messages,
and the relay starts a new generation and republishes from the start. It records the generation
before it publishes in it: readers learn of it from PostgreSQL, on every partition, whatever
arrives.
Generations are increasing numbers (the microsecond they began) and every message carries its
own, so a consumer reads a newer generation from the start and skips what an older one left.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from psycopg import sql

from audit.chain import CHAIN_TABLE
from infra import wire
from infra.database import connect, riding_out, schema_changes
from infra.settings import Settings
from infra.topics import (NO_TOPIC_CREATION, ensure_topics, high_watermarks, offsets_consumer, partitions_of,
                          records_at, topic_id)
from services.common.application import BodyApplication
from services.common.bodies import Body

log = logging.getLogger(__name__)

BATCH_SIZE = 500
IDLE_CHECK_SECONDS = 5.0
RETRY_SECONDS = 1.0
SEND_TIMEOUT_SECONDS = 30.0
METADATA_WAIT_SECONDS = 5.0  # a send waiting longer for its topic: the broker is away, or lost the topic
LOSS_CONFIRMATIONS = 3
LOSS_CONFIRMATION_SECONDS = 1.0


class RelayAlreadyRunning(RuntimeError):
    """Another relay holds this body's log; two would publish everything twice."""


def new_generation() -> int:
    return time.time_ns() // 1000


@dataclass
class RelayState:
    generation: int
    position: int = 0  # the last notification id published and acknowledged
    # partition -> the offset after its last message the broker acknowledged in this generation (an
    # older relay recorded how many: never more, so read as an offset it errs early, as it did)
    acknowledged: dict[int, int] = field(default_factory=dict)
    topic_id: str | None = None  # the topic they were acknowledged in, if the broker gives ids


def recorded(conn: psycopg.Connection, body: Body, topic: str | None = None) -> RelayState | None:
    """What the body's relay recorded of its topic (or of ``topic``); None if it never published."""
    table = sql.Identifier(body.schema, "relay_state")
    if conn.execute("SELECT to_regclass(%s)", (f"{body.schema}.relay_state",)).fetchone()[0] is None:
        return None
    row = conn.execute(sql.SQL("SELECT generation, position, acknowledged, topic_id FROM {} WHERE topic = %s")
                       .format(table), (topic or body.topic,)).fetchone()
    if row is None:
        return None
    return RelayState(row[0], row[1], {int(p): n for p, n in row[2].items()}, row[3])


class Relay:
    def __init__(self, settings: Settings, application: BodyApplication, topic: str | None = None) -> None:
        """Publishes ``application``'s log to its body's topic (or to ``topic``: the benchmark's)."""
        assert settings.database_url and settings.kafka_bootstrap
        self.settings = settings
        self.body: Body = application.body
        self.application = application
        self.topic = topic or self.body.topic
        self._table = sql.Identifier(self.body.schema, "relay_state")
        self._connection: psycopg.Connection | None = None  # holding the lock (_take_lock)
        self._producer: KafkaProducer | None = None
        self._consumer = None
        self.last_error: str | None = None  # to note beside the state once the database is there

    # -- state in PostgreSQL ------------------------------------------------------------------

    def _create_table(self) -> None:
        with schema_changes(self.settings.database_url) as conn:
            conn.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (topic text PRIMARY KEY, generation bigint NOT NULL,"
                " position bigint NOT NULL, acknowledged jsonb NOT NULL)"
            ).format(self._table))
            conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS topic_id text,"
                                 " ADD COLUMN IF NOT EXISTS last_error text,"
                                 " ADD COLUMN IF NOT EXISTS last_error_at timestamptz").format(self._table))

    def load_state(self) -> RelayState | None:
        return recorded(self._connection, self.body, self.topic)

    def _save_state(self, state: RelayState) -> None:
        self._connection.execute(
            sql.SQL(
                "INSERT INTO {} (topic, generation, position, acknowledged, topic_id)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (topic) DO UPDATE SET"
                " generation = EXCLUDED.generation, position = EXCLUDED.position,"
                " acknowledged = EXCLUDED.acknowledged, topic_id = EXCLUDED.topic_id"
            ).format(self._table),
            (self.topic, state.generation, state.position, json.dumps(state.acknowledged), state.topic_id),
        )

    def _note_error(self) -> None:
        """Keeps the last error that befell the relay beside its state, for ``siwei status``."""
        if self.last_error is None:
            return
        with suppress(psycopg.Error), connect(self.settings.database_url) as conn:
            conn.execute(sql.SQL("UPDATE {} SET last_error = %s, last_error_at = now() WHERE topic = %s")
                         .format(self._table), (self.last_error, self.topic))
            self.last_error = None

    def _take_lock(self) -> None:
        """Connects, and takes the lock that makes this the body's only relay. The connection is
        kept while it publishes, for its state and its links: one per batch would cost two
        connections' set-up (about 5 ms each) on every event's way to the readers."""
        conn = connect(self.settings.database_url, autocommit=True)
        taken = conn.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (f"siwei relay {self.topic}",)
        ).fetchone()[0]
        if not taken:
            conn.close()
            raise RelayAlreadyRunning(f"another relay is publishing the {self.body.value} log")
        self._connection = conn

    # -- the broker ------------------------------------------------------------------------------

    def _connect_broker(self) -> None:
        ensure_topics(self.settings.kafka_bootstrap, self.settings.topic_partitions, [self.topic])
        self._producer = self._new_producer()
        self._consumer = offsets_consumer(self.settings.kafka_bootstrap, f"siwei-relay-{self.body.value}")

    def _new_producer(self) -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            client_id=f"siwei-relay-{self.body.value}",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_in_flight_requests_per_connection=5,
            max_block_ms=int(METADATA_WAIT_SECONDS * 1000),
            **NO_TOPIC_CREATION,
        )

    def _renew_producer(self) -> None:
        """A broker that lost its state does not know the idempotent producer's id, and the client
        would retry forever: a new generation gets a new producer."""
        _close(self._producer)
        self._producer = self._new_producer()

    def _disconnect_broker(self) -> None:
        _close(self._producer)
        _close(self._consumer)
        self._producer = self._consumer = None

    def _shortfall(self, state: RelayState) -> tuple[dict[int, int], dict[int, int]]:
        """Partitions ending before the last message the broker acknowledged there, and the ends seen."""
        partitions = partitions_of(self._consumer, self.topic)
        ends = {tp.partition: mark for tp, mark in high_watermarks(self._consumer, partitions).items()}
        short = {p: n for p, n in state.acknowledged.items() if ends.get(p, 0) < n}
        # A reported end below what was acknowledged is a loss only if the last acknowledged
        # message cannot be read either.
        held = records_at(self._consumer, {TopicPartition(self.topic, p): n - 1 for p, n in short.items() if n > 0})
        return {p: n for p, n in short.items() if TopicPartition(self.topic, p) not in held}, ends

    def _topic_now(self) -> str | None:
        """The id under which the broker holds the topic now, made first (with Siwei's partition
        count) if it holds none; None from a broker that gives no ids."""
        held = topic_id(self.settings.kafka_bootstrap, self.topic)
        if held is None:
            ensure_topics(self.settings.kafka_bootstrap, self.settings.topic_partitions, [self.topic])
            held = topic_id(self.settings.kafka_bootstrap, self.topic)
        return held or None

    def reconcile(self, state: RelayState | None) -> RelayState:
        """Starts a new generation if the topic holds less than the broker acknowledged (see
        ``examine``); otherwise keeps ``state``, with the topic's id as the broker gives it now."""
        held, lost = self.examine(state)
        return self.settle(state, held, lost)

    def examine(self, state: RelayState | None) -> tuple[str | None, bool]:
        """The topic's id now, and whether the broker lost what it acknowledged in ``state``: at
        once if it holds the topic under another id, or if a partition ends before that. Each
        reading of those fetches the last acknowledged message of a partition that reports a short
        end (Tansu's reported end can trail); a fetch can also time out under load, so a shortfall
        counts only if it is still there after ``LOSS_CONFIRMATIONS`` more readings. Reads the
        broker only: it may run beside the publishing of newer messages."""
        held = self._topic_now()
        if state is None:
            return held, True
        if state.topic_id and held and held != state.topic_id and any(state.acknowledged.values()):
            log.warning("%s: the broker holds the topic under another id (made again: the broker restarted"
                        " empty, or the topic was deleted); republishing from the store", self.topic)
            return held, True
        lost, ends = self._shortfall(state)
        for _ in range(LOSS_CONFIRMATIONS):
            if not lost:
                return held, False
            time.sleep(LOSS_CONFIRMATION_SECONDS)
            lost, ends = self._shortfall(state)
        if lost:
            log.warning("%s: the broker holds fewer messages than it acknowledged (partition: acknowledged"
                        " up to %s, ends now at %s); republishing from the store", self.topic, lost, ends)
        return held, bool(lost)

    def settle(self, state: RelayState | None, held: str | None, lost: bool) -> RelayState:
        """``examine``'s verdict recorded: a new generation if the broker lost messages."""
        if state is not None and not lost:
            if held != state.topic_id:
                state.topic_id = held
                self._save_state(state)
            return state
        fresh = RelayState(generation=new_generation(), topic_id=held)
        self._save_state(fresh)
        return fresh

    # -- publishing ----------------------------------------------------------------------------

    def publish_batch(self, state: RelayState) -> int:
        """Publishes the next batch of the log; returns how many events it published."""
        notifications = self.application.recorder.select_notifications(
            start=state.position, limit=BATCH_SIZE, inclusive_of_start=False
        )
        if not notifications:
            return 0
        links = self._links([n.id for n in notifications])
        futures = []
        for notification in notifications:
            event = self.application.mapper.sealed(notification)
            message = wire.encode(self.body, event, state.generation, links.get(notification.id))
            futures.append(self._producer.send(
                self.topic, key=message.key, value=message.value, headers=message.headers
            ))
        self._producer.flush(timeout=SEND_TIMEOUT_SECONDS)  # raises KafkaTimeoutError
        for future in futures:
            metadata = future.get()
            state.acknowledged[metadata.partition] = max(state.acknowledged.get(metadata.partition, 0),
                                                         metadata.offset + 1)
        state.position = notifications[-1].id
        self._save_state(state)
        return len(notifications)

    def _links(self, positions: list[int]) -> dict[int, wire.ChainLink]:
        """The hash chain's link of each event, to publish with it (for the other bodies' witnesses)."""
        rows = self._connection.execute(
            sql.SQL("SELECT position, sequence, link FROM {} WHERE position = ANY(%s)")
            .format(sql.Identifier(self.body.schema, CHAIN_TABLE)), (positions,)).fetchall()
        return {position: wire.ChainLink(sequence, bytes(link)) for position, sequence, link in rows}

    def run(self, stop: threading.Event, *, until_caught_up: bool = False) -> None:
        """Publishes until ``stop`` is set (or, with ``until_caught_up``, until the log is out).
        If the database goes away, connects again, with a growing pause, and goes on from the
        position it recorded (what it had published since, it publishes again: at least once)."""
        riding_out(self.topic, stop, lambda: self._run(stop, until_caught_up))

    def _run(self, stop: threading.Event, until_caught_up: bool) -> None:
        try:
            self._publish(stop, until_caught_up)
        except Exception as error:
            self.last_error = f"{type(error).__name__}: {error}"  # the database away: noted when it is back
            raise

    def _publish(self, stop: threading.Event, until_caught_up: bool) -> None:
        self._create_table()
        self._note_error()
        self._take_lock()
        listener = connect(self.settings.database_url, autocommit=True)
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.application.recorder.channel_name)))
        checks = ThreadPoolExecutor(1, thread_name_prefix=f"relay-check-{self.body.value}")
        check: Future | None = None  # the topic checked while the loop publishes
        try:
            while not stop.is_set():
                try:
                    self._connect_broker()
                    state = self.reconcile(self.load_state())
                    last_check = time.monotonic()
                    while not stop.is_set():
                        if check is not None and check.done():
                            checked = self.settle(state, *check.result())  # raises what the check met
                            check, last_check = None, time.monotonic()
                            if checked is not state:
                                self._renew_producer()
                                state = checked
                        if self.publish_batch(state):
                            continue
                        if until_caught_up:
                            return
                        # Sleep until the store announces an insert (LISTEN/NOTIFY), or half a second.
                        for _ in listener.notifies(timeout=0.5, stop_after=1):
                            pass
                        if check is None and time.monotonic() - last_check > IDLE_CHECK_SECONDS:
                            # Checked beside the publishing, which would otherwise wait for it (30-500 ms).
                            check = checks.submit(self.examine, replace(state, acknowledged=dict(state.acknowledged)))
                except KafkaError as error:
                    log.warning("%s: broker error (%s); reconnecting", self.topic, error)
                    self.last_error = f"broker: {type(error).__name__}: {error}"
                    self._note_error()
                    check = _finished(check)
                    self._disconnect_broker()
                    stop.wait(RETRY_SECONDS)
        finally:
            _finished(check)
            checks.shutdown()
            self._disconnect_broker()
            listener.close()
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _finished(check: Future | None) -> None:
    """Waits for a check of the topic whose verdict is no longer wanted (its clients are about to
    close); a broker error it met is the one the caller is handling."""
    if check is not None:
        with suppress(Exception):
            check.result()


def _close(client: KafkaProducer | KafkaConsumer | None) -> None:
    """Closes a Kafka client that may be stuck on a broken connection; it is dropped anyway."""
    if client is None:
        return
    try:
        client.close(timeout=1) if isinstance(client, KafkaProducer) else client.close()
    except Exception:
        log.debug("closing a Kafka client failed", exc_info=True)


def run_relays(settings: Settings, stop: threading.Event, bodies: list[Body] | None = None,
               *, until_caught_up: bool = False) -> None:
    """Runs one relay per body, each in its own thread, until ``stop`` is set."""
    from services.bootstrap import bootstrap

    services = bootstrap(settings.database_url, pool=settings.db_pool)
    errors: list[BaseException] = []

    def guarded(relay: Relay) -> None:
        try:
            relay.run(stop, until_caught_up=until_caught_up)
        except BaseException as error:
            errors.append(error)
            stop.set()

    threads = [
        threading.Thread(target=guarded, args=(Relay(settings, services.of(body)),),
                         name=f"relay-{body.value}")
        for body in (bodies or list(Body))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    services.close()
    if errors:
        raise errors[0]


def topics_current(settings: Settings) -> None:
    """Publishes what the topics lack (all of it, to a broker that started empty), unless a
    running relay is already keeping them current."""
    try:
        run_relays(settings, threading.Event(), until_caught_up=True)
    except RelayAlreadyRunning:
        pass
