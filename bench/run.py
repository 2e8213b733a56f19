"""``siwei bench run``: each figure measured ``repeats`` times beside its raw baseline, on the city
``siwei bench generate`` recorded.

In order: the relay publishing every log to an empty broker; the projector rebuilding the read
models; commands through the services, then the projector catching up on them; with the relay,
projector and API running as in ``siwei up``: freshness, GraphQL under 32 clients and ``asOf``;
``audit verify``. The reactor, witness and deadline watcher are not run: they would react to the
benchmark's own commands while it measures."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from uuid import UUID

import httpx
import psycopg
from psycopg import sql
from tqdm import tqdm
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench import measures
from bench.figures import Report, children_of, peak_mib, percentile, processes_named
from bench.load import load
from bench.measures import in_child, in_children
from infra.database import connect
from infra.reader import FETCH_WAIT_MS, MAX_POLL_RECORDS
from infra.settings import Settings
from infra.topics import NO_TOPIC_CREATION, high_watermarks, offsets_consumer, partitions_of
from services.common.bodies import Body
from services.common.context import china_date

FIGURES = ["relay", "rebuild", "commands", "catch-up", "freshness", "graphql", "asof", "verify"]
CLIENTS = (1, 16)
GRAPHQL_CLIENTS = 32
WARM_UP_SECONDS = 2.0  # of each GraphQL load, before it is measured
BUILDERS = 2  # projector processes of the shared rebuild
API_WORKERS = os.cpu_count() or 1  # one API process a core, as a deployment would run it
FRESHNESS_RATE = 100.0  # commands a second
SAMPLE_MESSAGES = 500
ASOF_REQUESTS = 20
READY_SECONDS = 600.0

PROFILE = """query ($id: UUID!) { compound(id: $id) { name district street community households residents
  bodies { branch ownersCommittee propertyCompany propertyCompanyName fourInOne twoNone }
  branch { name mode } units { totalCount } } }"""
CASES = """query ($id: UUID!) { cases(compoundId: $id, first: 20) { totalCount
  edges { node { id category state overdue raisedAt } } pageInfo { hasNextPage endCursor } } }"""
COVERAGE = """query ($street: String!) { coverage(street: $street) { compounds withBranch withOwnersCommittee
  withPropertyCompany fourInOne twoNone withNone } }"""
STREET_FIGURES = """query ($street: String!, $month: String!) { areaFigures(street: $street, period: $month,
  first: 100) { totalCount edges { node { name rank score previousScore classes raised repeated
  response { rate } resolution { rate } satisfaction { rate } } } } }"""
COMPANY_GRADES = """query ($street: String!, $half: String!) { companyGrades(street: $street, period: $half) {
  edges { node { companyName score grade listed compounds { compoundName score } } } } }"""
STREET_QUERIES = (COVERAGE, STREET_FIGURES, COMPANY_GRADES)  # asked of a street, not a compound
# The queries round two's issue sets a p99 goal for; the street's figures and grades it asks to be measured.
WITH_TARGET = (PROFILE, CASES, COVERAGE)
TRIVIAL = "{ __typename }"
AS_OF = """query ($id: UUID!, $at: DateTime) { compound(id: $id, asOf: $at) { name households
  bodies { branch ownersCommittee propertyCompany } units { totalCount } } }"""
RECENT = """query ($id: UUID!, $since: DateTime!) {
  cases(compoundId: $id, raisedSince: $since, first: 100) { edges { node { id } } } }"""


def run(settings: Settings, manifest: dict, *, repeats: int, seconds: float,
        only: list[str] | None = None) -> Report:
    from infra.relay import topics_current

    wanted = set(only or FIGURES)
    if "catch-up" in wanted:
        wanted.add("commands")  # the projector catches up on the commands' events
    settings = replace(settings, rate_limit=1e9)  # the benchmark's clients are not throttled
    compounds = [c for ids in manifest["streets"].values() for c in ids]
    report = Report(facts={"compounds": manifest["compounds"], "active": manifest.get("active", manifest["compounds"]),
                           "events generated": sum(manifest["events"].values()), "repeats": repeats,
                           "seconds per load": seconds})
    topics_current(settings)  # the embedded broker starts empty: the stores published once, untimed
    with tqdm(total=repeats * len(wanted), unit="measure", desc="bench") as progress:
        def step(name: str) -> bool:
            if name in wanted:
                progress.set_description(f"bench: {name}")
                progress.update()
            return name in wanted

        for _ in range(repeats):
            if step("relay"):
                _relay(settings, report)
            if step("rebuild"):
                _rebuild(settings, report)
            if step("commands"):
                _commands(settings, report, compounds, seconds)
            if step("catch-up"):
                _catch_up(settings, report)
        if wanted & {"freshness", "graphql", "asof"}:
            _live(settings, report, manifest, compounds, repeats, seconds, step)
        for _ in range(repeats):
            if not step("verify"):
                break
            result, baseline = in_child(measures.verify, settings), in_child(measures.raw_hash, settings)
            report.figure("audit verify", "events/s", "PostgreSQL hashing each event and reading it as JSON",
                          "≥ 200,000 and ≥ 0.7×").add(_rate(result), _rate(baseline))
            report.note_memory("audit verify", result["peak_mib"])
    report.note_memory("bench clients (this process)", peak_mib())
    for name, prefix in (("PostgreSQL (largest process)", "postgres"), ("Tansu broker", "tansu")):
        for pid in processes_named(prefix):
            report.note_memory(name, peak_mib(pid))
    return report


def _rate(result: dict) -> float:
    return result["count"] / result["seconds"]


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('s') else 's'}"


def _combined_rate(results: list[dict]) -> float:
    """The rate of processes that started together."""
    return sum(r["count"] for r in results) / max(r["seconds"] for r in results)


# -- publishing and projecting ---------------------------------------------------------------------

def _relay(settings: Settings, report: Report) -> None:
    samples, counts = _samples(settings)
    prefix = f"bench{time.time_ns()}"
    result = in_child(measures.relay, settings, f"{prefix}.relay")
    baseline = in_child(measures.raw_produce, settings, f"{prefix}.produce", samples, counts)
    report.figure("relay", "events/s", "kafka-python producing the same messages").add(
        _rate(result), _rate(baseline))
    report.note_memory("relay", result["peak_mib"])
    _forget_bench_relays(settings, prefix)


def _samples(settings: Settings) -> tuple[dict[str, measures.Sample], dict[str, int]]:
    """Messages read back from each body's topic, and how many each topic holds."""
    consumer = offsets_consumer(settings.kafka_bootstrap, "siwei-bench-sample")
    samples: dict[str, measures.Sample] = {}
    counts: dict[str, int] = {}
    try:
        for body in Body:
            partitions = partitions_of(consumer, body.topic)
            counts[body.value] = sum(high_watermarks(consumer, partitions).values())
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            sample: measures.Sample = []
            while len(sample) < min(SAMPLE_MESSAGES, counts[body.value]):
                for records in consumer.poll(timeout_ms=500).values():
                    sample += [(r.key, r.value, list(r.headers)) for r in records]
            samples[body.value] = sample[:SAMPLE_MESSAGES]
    finally:
        consumer.close()
    return samples, counts


def _forget_bench_relays(settings: Settings, prefix: str) -> None:
    """The relay positions of the benchmark's topics. The topics stay: deleting topics on the
    embedded broker has been seen to disturb the others."""
    with connect(settings.database_url) as conn:
        for body in Body:
            conn.execute(f'DELETE FROM "{body.schema}".relay_state WHERE topic LIKE %s', (prefix + "%",))


def _topic_ends(settings: Settings) -> dict[tuple[str, int], int]:
    consumer = offsets_consumer(settings.kafka_bootstrap, "siwei-bench-ends")
    try:
        partitions = [tp for body in Body for tp in partitions_of(consumer, body.topic)]
        return {(tp.topic, tp.partition): end for tp, end in high_watermarks(consumer, partitions).items()}
    finally:
        consumer.close()


def _projected(settings: Settings) -> dict[tuple[str, int], int]:
    """The live projector's position in each partition, counted only in the generation the relay
    publishes now (a position in an older one is to be read again)."""
    from projections.projector import LIVE_SCHEMA

    with connect(settings.database_url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{LIVE_SCHEMA}.projector_offsets",)).fetchone()[0]
        if exists is None:
            return {}
        current = {topic: generation for body in Body for topic, generation in conn.execute(
            sql.SQL("SELECT topic, generation FROM {}").format(sql.Identifier(body.schema, "relay_state")))}
        return {(t, p): o if g == current.get(t) else 0 for t, p, o, g in conn.execute(
            f"SELECT topic, partition, next_offset, generation FROM {LIVE_SCHEMA}.projector_offsets")}


def _rebuild(settings: Settings, report: Report) -> None:
    ends = _topic_ends(settings)
    result = in_child(measures.rebuild, settings)
    baseline = in_child(measures.raw_consume, settings, {tp: (0, end) for tp, end in ends.items()})
    report.figure("projector: full rebuild", "events/s", "consume + Avro decode + one row per event",
                  "≥ 50,000, or 3× 2026-12-02's").add(sum(ends.values()) / result["seconds"], _rate(baseline))
    report.note_memory("projector (rebuild)", result["peak_mib"])
    # The same, by two projector processes sharing the partitions (into a scratch schema, dropped).
    schema, start = f"bench_build_{time.time_ns()}", measures.SPAWN.Barrier(BUILDERS)
    try:
        results = in_children(measures.build, [(settings, schema, start)] * BUILDERS)
    finally:
        with connect(settings.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    report.figure(f"projector: full rebuild, {BUILDERS} processes", "events/s",
                  "consume + Avro decode + one row per event").add(
        sum(ends.values()) / max(r["seconds"] for r in results), _rate(baseline))


def _commands(settings: Settings, report: Report, compounds: list[str], seconds: float) -> None:
    """The clients share out over up to ``API_WORKERS`` processes, as the API's workers would take them."""
    for clients in CLIENTS:
        processes = min(clients, API_WORKERS)
        shares = [range(clients)[p::processes] for p in range(processes)]
        start = measures.SPAWN.Barrier(processes)
        results = in_children(measures.commands, [
            (settings, [compounds[n % len(compounds)] for n in share], seconds, start) for share in shares])
        start = measures.SPAWN.Barrier(processes)
        baselines = in_children(measures.trivial_appends, [
            (settings, len(share), seconds, start) for share in shares])
        report.figure(f"commands, {_counted(clients, 'client')}", "commands/s",
                      "eventsourcing saving a trivial aggregate", "≥ 0.8×" if clients == 16 else "").add(
            _combined_rate(results), _combined_rate(baselines))
        for result in results:
            report.note_memory(f"services ({_counted(clients, 'client')}, {_counted(processes, 'process')})",
                               result["peak_mib"])


def _catch_up(settings: Settings, report: Report) -> None:
    from infra.relay import topics_current

    topics_current(settings)  # the commands' events published
    before, ends = _projected(settings), _topic_ends(settings)
    ranges = {tp: (before.get(tp, 0), end) for tp, end in ends.items() if end > before.get(tp, 0)}
    count = sum(end - start for start, end in ranges.values())
    if not count:
        return
    result = in_child(measures.catch_up, settings)
    baseline = in_child(measures.raw_consume, settings, ranges)
    report.figure("projector: catch-up", "events/s", "consume + Avro decode + one row per event").add(
        count / result["seconds"], _rate(baseline))
    report.note_memory("projector (catch-up)", result["peak_mib"])


# -- with the system running ------------------------------------------------------------------------

def _live(settings: Settings, report: Report, manifest: dict, compounds: list[str], repeats: int,
          seconds: float, step: Callable[[str], bool]) -> None:
    from api import tokens
    from api.principals import Principal
    from infra.running import Supervisor
    from infra.embedded import free_port

    port = free_port()
    supervisor = Supervisor(settings, {"relay": ["relay"], "projector": ["project"],
                                       "api": ["api", "--port", str(port),
                                               "--workers", str(API_WORKERS)]})
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        supervisor.start_all()
        # Each street office asks about its own street, with its own token.
        tokens_of = {street: tokens.issue(settings.database_url, Principal.parse(f"auditor:street:{street}")).secret
                     for street in manifest["streets"]}
        street_of = {c: street for street, ids in manifest["streets"].items() for c in ids}
        _ready(settings, url, next(iter(tokens_of.values())))
        rng = random.Random(1)
        today = china_date(datetime.now(tz=timezone.utc))
        last_month = today.replace(day=1) - timedelta(days=1)
        periods = {"month": f"{last_month:%Y-%m}", "half": f"{today.year}-H{(today.month - 1) // 6 + 1}"}

        def about(query: str) -> Callable[[], tuple[str, dict, str]]:
            def ask() -> tuple[str, dict, str]:
                compound = rng.choice(compounds)
                street = street_of[compound]
                if query not in STREET_QUERIES:
                    return query, {"id": compound}, tokens_of[street]
                return query, {"street": street, **{k: v for k, v in periods.items() if f"${k}" in query}}, \
                    tokens_of[street]
            return ask

        for _ in range(repeats):
            if step("freshness"):
                _freshness(settings, report, url, tokens_of[street_of[compounds[-1]]], UUID(compounds[-1]), seconds)
            if step("graphql"):
                trivial = _graphql(url, lambda: (TRIVIAL, {}, tokens_of[street_of[compounds[0]]]), seconds)
                profile = _graphql(url, about(PROFILE), seconds)
                for name, query in (("compound profile", PROFILE), ("first page of cases", CASES),
                                    ("a street's coverage", COVERAGE),
                                    ("a street's monthly figures", STREET_FIGURES),
                                    ("the grades of a street's companies", COMPANY_GRADES)):
                    _graphql_figures(report, name, profile if query is PROFILE else _graphql(url, about(query), seconds),
                                     trivial, "≤ 50 and ≤ 3×" if query in WITH_TARGET else "")
                _during_rebuild(settings, report, url, about(PROFILE), seconds, profile)
            if step("asof"):
                _as_of(report, url, [about(AS_OF)() for _ in range(ASOF_REQUESTS)])
        for name in ("projector", "relay"):
            report.note_memory(f"{name} (live)", peak_mib(supervisor.children[name].pid))
        for worker in children_of(supervisor.children["api"].pid):
            report.note_memory("api worker (live)", peak_mib(worker))
    finally:
        supervisor.stop()


def _ready(settings: Settings, url: str, token: str) -> None:
    """Until the API answers and the read models hold every event of the bodies' logs: the topics'
    ends are not enough, since the broker started empty and the relay may still be filling it."""
    from infra.status import behind
    from projections.serving import LIVE_SCHEMA

    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        try:
            answered = httpx.post(url, json={"query": TRIVIAL}, headers=_auth(token), timeout=5).status_code == 200
        except httpx.HTTPError:
            answered = False
        try:
            caught_up = behind(settings.database_url, LIVE_SCHEMA) == 0
        except psycopg.errors.UndefinedTable:  # the projector has not created its tables yet
            caught_up = False
        if answered and caught_up:
            return
        time.sleep(1)
    raise TimeoutError(f"the API or the projector was not ready within {READY_SECONDS:.0f}s")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _freshness(settings: Settings, report: Report, url: str, token: str, compound: UUID,
               seconds: float) -> None:
    """Cases raised at a steady rate; each one's time from its commit until a GraphQL query first
    returns it. One poller asks for the cases raised since the oldest one it has not yet seen."""
    from services.bootstrap import bootstrap
    from services.common.context import acting

    services = bootstrap(settings.database_url, pool=settings.db_pool)
    committed: dict[UUID, tuple[float, datetime]] = {}  # case -> (commit, raised at)
    seen: dict[UUID, float] = {}
    done = threading.Event()

    def poll() -> None:
        with httpx.Client(headers=_auth(token), timeout=10) as client:
            while not (done.is_set() and len(seen) >= len(committed)):
                pending = [raised for case, (_, raised) in list(committed.items()) if case not in seen]
                if not pending:
                    time.sleep(0.001)
                    continue
                since = min(pending) - timedelta(milliseconds=50)
                answer = client.post(url, json={"query": RECENT, "variables": {
                    "id": str(compound), "since": since.isoformat()}}).json()
                answered = time.perf_counter()
                for edge in answer["data"]["cases"]["edges"]:
                    seen.setdefault(UUID(edge["node"]["id"]), answered)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        started = time.perf_counter()
        with acting(f"resident:{compound}:1单元101"):
            for n in range(int(seconds * FRESHNESS_RATE)):
                time.sleep(max(0.0, started + n / FRESHNESS_RATE - time.perf_counter()))
                raised = datetime.now(tz=timezone.utc)
                case = services.residents.raise_case(compound_id=compound, category="repairs",
                                                     description="电梯异响", location="2栋").aggregate_id
                committed[case] = (time.perf_counter(), raised)
    finally:
        done.set()
        poller.join(timeout=60)
        services.close()
    delays = [(seen[case] - commit) * 1000 for case, (commit, _) in committed.items() if case in seen]
    if len(delays) < len(committed):
        raise TimeoutError(f"{len(committed) - len(delays)} cases never appeared in GraphQL")
    broker = _broker_latency(settings, seconds)
    for share, label in ((0.5, "p50"), (0.99, "p99")):
        report.figure(f"freshness {label} at 100 commands/s", "ms", "Kafka produce → consume alone",
                      "worst ≤ 150" if label == "p99" else "").add(percentile(delays, share), percentile(broker, share))


def _broker_latency(settings: Settings, seconds: float) -> list[float]:
    """Milliseconds from a message's send to its poll by a consumer set up as the readers are, at
    the same rate: what the broker alone costs a change on its way to the read models."""
    from infra.topics import ensure_topics

    topic = f"bench{time.time_ns()}.latency"
    ensure_topics(settings.kafka_bootstrap, 1, [topic])
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             fetch_max_wait_ms=FETCH_WAIT_MS, max_poll_records=MAX_POLL_RECORDS,
                             **NO_TOPIC_CREATION)
    consumer.assign([TopicPartition(topic, 0)])
    consumer.seek_to_beginning()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=5, **NO_TOPIC_CREATION)
    sent: dict[int, float] = {}
    latencies: list[float] = []
    count = int(seconds * FRESHNESS_RATE)

    def receive() -> None:
        while len(latencies) < count:
            for records in consumer.poll(timeout_ms=200).values():
                now = time.perf_counter()
                latencies.extend((now - sent[int(r.value)]) * 1000 for r in records)

    receiver = threading.Thread(target=receive)
    receiver.start()
    started = time.perf_counter()
    for n in range(count):
        time.sleep(max(0.0, started + n / FRESHNESS_RATE - time.perf_counter()))
        sent[n] = time.perf_counter()
        producer.send(topic, value=str(n).encode())
        producer.flush()
    receiver.join(timeout=60)
    producer.close()
    consumer.close()
    return latencies


def _graphql(url: str, query: Callable[[], tuple[str, dict, str]], seconds: float) -> tuple[list[float], float]:
    """``GRAPHQL_CLIENTS`` clients asking ``query`` back to back for ``seconds``, after
    ``WARM_UP_SECONDS`` of the same unmeasured: latencies in ms and requests a second. The warm-up
    makes each worker's first request with each street's token (200 at 20,000 compounds), which
    reads the token's principal and its area's compounds: before it, the first two seconds of a
    load held its p99 (the trivial query's, asked with one token, did not have them)."""
    load(url, GRAPHQL_CLIENTS, WARM_UP_SECONDS, query)
    return load(url, GRAPHQL_CLIENTS, seconds, query)


def _graphql_figures(report: Report, name: str, measured: tuple[list[float], float],
                     trivial: tuple[list[float], float], target: str) -> None:
    (latencies, rate), (trivial_latencies, trivial_rate) = measured, trivial
    baseline = f"`{TRIVIAL}` through the same server, {GRAPHQL_CLIENTS} clients"
    report.figure(f"GraphQL {name}: p50", "ms", baseline).add(
        percentile(latencies, 0.5), percentile(trivial_latencies, 0.5))
    report.figure(f"GraphQL {name}: p99", "ms", baseline, target).add(
        percentile(latencies, 0.99), percentile(trivial_latencies, 0.99))
    report.figure(f"GraphQL {name}: requests/s", "requests/s", baseline).add(rate, trivial_rate)


def _during_rebuild(settings: Settings, report: Report, url: str, query: Callable[[], tuple[str, dict, str]],
                    seconds: float, without: tuple[list[float], float]) -> None:
    """The compound profile asked while ``siwei projections rebuild`` builds the read models beside
    the serving ones and switches to them, against the same without a rebuild."""
    rebuilding = threading.Thread(target=in_child, args=(measures.rebuild, settings))
    rebuilding.start()
    try:
        latencies, _ = load(url, GRAPHQL_CLIENTS, seconds, query)  # at once: the rebuild is under way
    finally:
        rebuilding.join()
    report.figure("GraphQL compound profile during a rebuild: p99", "ms",
                  f"the same without a rebuild, {GRAPHQL_CLIENTS} clients").add(
        percentile(latencies, 0.99), percentile(without[0], 0.99))


def _as_of(report: Report, url: str, asked_of: list[tuple[str, dict, str]]) -> None:
    """One client asking compounds as they stood six months ago, and the same asked now."""
    at = (datetime.now(tz=timezone.utc) - timedelta(days=182)).isoformat()
    timings: dict[bool, list[float]] = {True: [], False: []}
    with httpx.Client(timeout=60) as client:
        for query, variables, token in asked_of:
            for as_of in (True, False):
                asked = time.perf_counter()
                answer = client.post(url, headers=_auth(token), json={"query": query, "variables": {
                    **variables, "at": at if as_of else None}}).json()
                timings[as_of].append((time.perf_counter() - asked) * 1000)
                if answer.get("errors"):
                    raise RuntimeError(f"asOf answered {answer['errors']}")
    for share, label in ((0.5, "p50"), (0.99, "p99")):
        report.figure(f"asOf compound six months ago: {label}", "ms", "the same query now, 1 client").add(
            percentile(timings[True], share), percentile(timings[False], share))
