"""What ``siwei bench run`` times, and the raw baseline of each. Every function here runs in a
process of its own (``in_child``), so that each reports its own peak memory and none inherits
another's caches."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from psycopg import sql

from bench.figures import peak_mib
from infra import wire
from infra.database import connect, ensure_schema, eventsourcing_env, schema_changes
from infra.reader import FETCH_WAIT_MS, MAX_POLL_RECORDS
from infra.settings import Settings
from infra.stored import events_table
from infra.topics import NO_TOPIC_CREATION, ensure_topics
from services.common.bodies import Body

Ranges = dict[tuple[str, int], tuple[int, int]]  # (topic, partition) -> [start, end) offsets
Sample = list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]  # key, value, headers
RAW_SCHEMA = "bench_raw"


class MeasureFailed(RuntimeError):
    """A measurement's process failed."""


def _child(queue: Any, measure: Callable[..., dict], args: tuple) -> None:
    try:
        result = measure(*args)
        result["peak_mib"] = peak_mib()
        queue.put(("ok", result))
    except BaseException as error:  # reported to the parent, which stops the run
        queue.put(("failed", f"{measure.__name__}: {type(error).__name__}: {error}"))


SPAWN = multiprocessing.get_context("spawn")


def in_child(measure: Callable[..., dict], *args: Any) -> dict:
    """Runs ``measure(*args)`` in a fresh process; its result and peak memory (``peak_mib``)."""
    return in_children(measure, [args])[0]


def in_children(measure: Callable[..., dict], args_of_each: list[tuple]) -> list[dict]:
    """Runs ``measure`` in one fresh process for each tuple of arguments, all at once. The first
    to fail stops the others (which may be waiting for it at a barrier)."""
    queue = SPAWN.Queue()
    processes = [SPAWN.Process(target=_child, args=(queue, measure, args)) for args in args_of_each]
    for process in processes:
        process.start()
    results = []
    try:
        for _ in processes:
            status, value = queue.get()
            if status != "ok":
                raise MeasureFailed(value)
            results.append(value)
    finally:
        stop = len(results) < len(processes)  # one failed: the rest may never finish
        for process in processes:
            if stop:
                process.terminate()
            process.join()
    return results


def _timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _in_threads(work: Callable[[int], Any], count: int) -> None:
    errors: list[BaseException] = []

    def guarded(n: int) -> None:
        try:
            work(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# -- commands ----------------------------------------------------------------------------------

def commands(settings: Settings, compounds: list[str], seconds: float, start: Any) -> dict:
    """Residents raising cases through the residents' service, one client for each of
    ``compounds`` (a compound may be named more than once), as fast as they can for ``seconds``
    from when every process passed ``start`` (a barrier)."""
    from services.bootstrap import bootstrap
    from services.common.context import acting

    clients = len(compounds)
    services = bootstrap(settings.database_url, pool=clients)  # a connection a client: no client waits for one
    done = [0] * clients
    start.wait()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        compound = UUID(compounds[n])
        with acting(f"resident:{compound}:1单元101"):
            while time.perf_counter() < deadline:
                services.residents.raise_case(compound_id=compound, category="repairs",
                                              description="楼道灯不亮", location="1单元")
                done[n] += 1

    elapsed = _timed(lambda: _in_threads(client, clients))
    services.close()
    return {"count": sum(done), "seconds": elapsed}


class Tally(Aggregate):
    """The trivial aggregate of the baseline: created, nothing else."""


def trivial_appends(settings: Settings, clients: int, seconds: float, start: Any) -> dict:
    """The eventsourcing library alone: each client creating and saving a trivial aggregate (one
    event) with the library's own PostgreSQL recorder, on the same server and pool settings."""
    env = eventsourcing_env(settings.database_url, "bench_baseline", pool=clients)
    del env["APPLICATION_RECORDER_TOPIC"]
    with schema_changes(settings.database_url) as conn:
        ensure_schema(conn, "bench_baseline")
        app = Application(env={**env, "CREATE_TABLE": "y"})
    done = [0] * clients
    start.wait()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        while time.perf_counter() < deadline:
            app.save(Tally())
            done[n] += 1

    elapsed = _timed(lambda: _in_threads(client, clients))
    app.close()
    return {"count": sum(done), "seconds": elapsed}


# -- the relay ---------------------------------------------------------------------------------

def relay(settings: Settings, prefix: str) -> dict:
    """Every body's whole log published by its relay, to fresh topics ``<prefix>.<body>``."""
    from infra.relay import Relay
    from services.bootstrap import bootstrap

    services = bootstrap(settings.database_url, pool=settings.db_pool)
    relays = [Relay(settings, services.of(body), topic=f"{prefix}.{body.value}") for body in Body]
    elapsed = _timed(lambda: _in_threads(lambda n: relays[n].run(threading.Event(), until_caught_up=True),
                                         len(relays)))
    events = sum(services.of(body).recorder.max_notification_id() or 0 for body in Body)
    services.close()
    return {"count": events, "seconds": elapsed}


def raw_produce(settings: Settings, prefix: str, samples: dict[str, Sample], counts: dict[str, int]) -> dict:
    """kafka-python alone: per body, the same number of messages as its log, copies of messages
    sampled from its topic, with the relay's producer settings and one producer per body."""
    topics = {body: f"{prefix}.{body}" for body in samples}
    ensure_topics(settings.kafka_bootstrap, settings.topic_partitions, list(topics.values()))

    def produce(n: int) -> None:
        body = list(samples)[n]
        sample = samples[body]
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True,
                                 linger_ms=5, max_in_flight_requests_per_connection=5, **NO_TOPIC_CREATION)
        futures = [producer.send(topics[body], key=key, value=value, headers=headers)
                   for key, value, headers in (sample[i % len(sample)] for i in range(counts[body]))]
        producer.flush()
        for future in futures:
            future.get()
        producer.close()

    elapsed = _timed(lambda: _in_threads(produce, len(samples)))
    return {"count": sum(counts.values()), "seconds": elapsed}


# -- the projector -----------------------------------------------------------------------------

def rebuild(settings: Settings) -> dict:
    """``siwei projections rebuild``: the live read models built again from offset zero beside the
    serving ones, and switched to."""
    from projections.projector import rebuild_live

    return {"seconds": _timed(lambda: rebuild_live(settings))}


def build(settings: Settings, schema: str, start: Any) -> dict:
    """One of several projector processes building the read models from offset zero into one
    scratch schema together, sharing the partitions by leases; timed until all have been read."""
    from projections.projector import Projector

    builder = Projector(settings, schema=schema)
    builder.create_tables()
    start.wait()
    return {"seconds": _timed(lambda: builder.run(threading.Event(), until_caught_up=True))}


def catch_up(settings: Settings) -> dict:
    """The projector reading what was published since it last stopped."""
    from projections.projector import Projector

    return {"seconds": _timed(lambda: Projector(settings).run(threading.Event(), until_caught_up=True))}


def raw_consume(settings: Settings, ranges: Ranges) -> dict:
    """kafka-python, Avro decoding and PostgreSQL alone: the same offsets polled as the projector
    polls them, each message decoded, one row written per event in one transaction per poll."""
    table = sql.Identifier(RAW_SCHEMA, "events")
    with connect(settings.database_url, autocommit=True) as conn:
        ensure_schema(conn, RAW_SCHEMA)
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(sql.SQL("CREATE TABLE {} (event_id uuid, type text, aggregate_id uuid, version bigint,"
                             " occurred_at timestamptz, data jsonb)").format(table))
    insert = sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(table)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             max_poll_records=MAX_POLL_RECORDS, fetch_max_wait_ms=FETCH_WAIT_MS, **NO_TOPIC_CREATION)
    partitions = {TopicPartition(topic, partition): span for (topic, partition), span in ranges.items()}
    consumer.assign(list(partitions))
    for tp, (start, _) in partitions.items():
        consumer.seek(tp, start)
    left = {tp: end - start for tp, (start, end) in partitions.items()}
    count = 0

    def consume() -> None:
        nonlocal count
        with connect(settings.database_url, autocommit=True) as conn:
            while any(n > 0 for n in left.values()):
                batch = consumer.poll(timeout_ms=200)
                rows = []
                for tp, records in batch.items():
                    for record in records[:max(0, left[tp])]:
                        event = wire.decode(record.headers, record.value)
                        rows.append((event.event_id, event.type, event.aggregate_id, event.aggregate_version,
                                     event.occurred_at, json.dumps(event.data, default=str)))
                    left[tp] -= len(records)
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(insert, rows)
                count += len(rows)

    elapsed = _timed(consume)
    consumer.close()
    return {"count": count, "seconds": elapsed}


# -- the audit ---------------------------------------------------------------------------------

def verify(settings: Settings) -> dict:
    """``siwei audit verify``: every body's log against its chain and the others' witness records."""
    from audit.verify import verify as verify_logs

    started = time.perf_counter()
    reports = verify_logs(settings.database_url)
    elapsed = time.perf_counter() - started
    broken = [str(r) for r in reports if r.broken is not None]
    if broken:
        raise MeasureFailed("the ledger does not verify: " + "; ".join(broken))
    return {"count": sum(r.events for r in reports), "seconds": elapsed}


def raw_hash(settings: Settings) -> dict:
    """PostgreSQL alone hashing each stored event once and reading it as JSON, on the same
    stretches of the logs, by as many connections sharing one snapshot as ``audit verify``."""
    from audit.verify import in_snapshot, snapshot_of, stretches

    def hash_stretch(conn, stretch) -> int:
        return conn.execute(sql.SQL(
            "SELECT count(*) FROM {} WHERE notification_id BETWEEN %s AND %s"
            " AND sha256(state) IS NOT NULL AND convert_from(state, 'UTF8')::jsonb IS NOT NULL").format(
                events_table(stretch.body)),
            (stretch.first, stretch.last)).fetchone()[0]

    with snapshot_of(settings.database_url) as (conn, snapshot):
        started = time.perf_counter()
        work = [s for body in Body for s in stretches(conn, body)]
        count = sum(in_snapshot(settings.database_url, snapshot, work, hash_stretch))
        elapsed = time.perf_counter() - started
    return {"count": count, "seconds": elapsed}
