"""The projector against the real embedded servers: crashes, repeats, a broker that forgets,
and bytes that are not events. After each, the read models equal a rebuild
(from the stores as far as the relays published, then the topics)."""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from msgspec.structs import replace
from decimal import Decimal

import psycopg

from kafka import KafkaProducer
from kafka.partitioner.default import murmur2

from infra import relay as relay_module
from infra import schemas, wire
from infra.embedded import EmbeddedBroker
from infra.reader import TopicReader
from infra.relay import Relay, run_relays
from infra.status import behind, status
from infra.topics import ensure_topics, high_watermarks, offsets_consumer, partitions_of
from projections.catalogue import all_views
from projections.compounds.view import CompoundsView
from projections.projector import LIVE_SCHEMA, SWITCH_LAG, Projector, differences, rebuild_live
from projections.view import View, handles, handles_together
from services.common.bodies import Body
from services.owners_committee.exclusive_unit import OwnersRoll
from services.residents.compound import Compound
from services.common.application import Receipt
from services.common.context import acting
from tests.conftest import NoUtf8, wait_until, with_body


def register_compound(system, name="北苑小区"):
    with acting("admin"):
        return system.services.residents.register_compound(
            name=name, district="武侯区", street="晋阳街道", community="晋阳社区",
            households=420, residents=1260)


def register_units(system, compound, first, count):
    with acting("admin"):
        return [
            system.services.owners_committee.register_exclusive_unit(
                compound_id=compound.aggregate_id, building=f"{1 + n // 100}栋", unit=str(n),
                exclusive_area="88.8", owner=f"业主{n}")
            for n in range(first, first + count)
        ]


@contextmanager
def registering_units(system, compound, first, step) -> Iterator[list[Receipt]]:
    """Units registered ``step`` at a time by a thread until the block ends: what it registered."""
    writing, written = threading.Event(), []

    def write():
        n = first
        while not writing.is_set():
            written.extend(register_units(system, compound, n, step))
            n += step

    writer = threading.Thread(target=write)
    writer.start()
    try:
        yield written
    finally:
        writing.set()
        writer.join()


def assert_equals_a_rebuild(system):
    rebuilt = Projector(system.settings, schema="rebuilt")
    rebuilt.rebuild()
    assert differences(system.settings, LIVE_SCHEMA, "rebuilt") == {}


def stop_projector(system):
    system.processes.pop("projector").terminate()


def test_killed_relay_and_projector_resume_without_losing_or_doubling_an_event(system):
    compound = register_compound(system)
    receipts = register_units(system, compound, 0, 200)
    system.start_relay()
    system.start_projector()

    # Keep writing while both run, until after both are killed: the kill lands mid-stream.
    with registering_units(system, compound, 200, 20) as written:
        wait_until(lambda: system.count("projections.exclusive_units") >= 150, "the projector to be part-way")
        system.kill("relay")
        system.kill("projector")
        applied_at_kill = system.count("projections.exclusive_units")
    receipts += written
    assert 150 <= applied_at_kill < len(receipts)

    receipts += register_units(system, compound, 10_000, 50)
    system.start_relay()
    system.start_projector()
    system.wait_projected(compound, *receipts)
    stop_projector(system)

    total = len(receipts)
    assert system.query("SELECT count(*), count(DISTINCT unit) FROM projections.exclusive_units") == [(total, total)]
    roll = OwnersRoll.create_id(compound.aggregate_id)  # the register: opened, then one event a unit
    assert system.query("SELECT max(version) FROM projections.projected_aggregates WHERE aggregate_id <> %s",
                        (roll,)) == [(1,)]
    assert system.query("SELECT version FROM projections.projected_aggregates WHERE aggregate_id = %s",
                        (roll,)) == [(total + 1,)]
    assert_equals_a_rebuild(system)


def test_a_batch_published_twice_is_applied_once(system):
    compound = register_compound(system)
    receipts = register_units(system, compound, 0, 5)
    relay = Relay(system.settings, system.services.owners_committee)
    relay.run(threading.Event(), until_caught_up=True)
    # As if the relay died after the broker acknowledged the batch, before it stored its position:
    system.query("UPDATE owners_committee.relay_state SET position = 0, acknowledged = '{}'")
    relay.run(threading.Event(), until_caught_up=True)
    run_relays(system.settings, threading.Event(), [Body.RESIDENTS], until_caught_up=True)

    consumer = offsets_consumer(system.settings.kafka_bootstrap, "test")
    marks = high_watermarks(consumer, partitions_of(consumer, Body.OWNERS_COMMITTEE.topic))
    assert sum(marks.values()) == 2 * (5 + 6)  # 5 units and the roll's 6 events, each twice on the topic

    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    system.wait_projected(compound, *receipts)
    assert system.query("SELECT count(*) FROM projections.exclusive_units") == [(5,)]
    assert_equals_a_rebuild(system)


def partition_of_key(key: bytes, partitions: int) -> int:
    """Where a producer sends a message with ``key`` (kafka-python's default partitioner)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def generation_of(system, body: str) -> int:
    return system.query(f"SELECT generation FROM {body}.relay_state")[0][0]


def published_everything(system, body: str) -> bool:
    """The relay's position has reached the end of the body's log."""
    return system.query(
        f"SELECT (SELECT position FROM {body}.relay_state) = (SELECT max(notification_id) FROM {body}.{body}_events)"
    )[0][0]


def test_the_relay_republishes_when_the_broker_comes_back_empty(system, broker, tmp_path):
    compound = register_compound(system)
    receipts = register_units(system, compound, 0, 40)
    system.start_relay()
    system.start_projector()
    system.wait_projected(compound, *receipts)
    before = system.query("SELECT * FROM projections.exclusive_units ORDER BY unit_id")
    generations = {body: generation_of(system, body) for body in ("residents", "owners_committee")}

    broker.stop()
    reborn = EmbeddedBroker(tmp_path / "reborn", port=broker.port)
    reborn.start()
    try:
        later = register_units(system, compound, 40, 3)
        system.wait_projected(*later)
        assert system.processes["relay"].poll() is None and system.processes["projector"].poll() is None
        after = system.query("SELECT * FROM projections.exclusive_units ORDER BY unit_id")
        assert len(after) == 43
        assert [row for row in after if row[0] not in {r.aggregate_id for r in later}] == before
        # Each relay notices on its own (an idle one at its next check) and republishes its log.
        for body, generation in generations.items():
            wait_until(lambda b=body, g=generation: generation_of(system, b) > g,
                       f"the {body} relay to start a new generation")
        wait_until(lambda: all(published_everything(system, b) for b in generations),
                   "the relays to republish their logs")
        consumer = offsets_consumer(reborn.bootstrap, "test")
        marks = high_watermarks(consumer, partitions_of(consumer, Body.OWNERS_COMMITTEE.topic))
        assert sum(marks.values()) >= 43  # the new broker holds the whole log again
        stop_projector(system)
        assert_equals_a_rebuild(system)
    finally:
        system.stop_all()
        reborn.stop()


def test_the_relay_publishes_while_it_checks_its_topic(system, monkeypatch):
    """The relay's periodic check of what the broker holds (its topic's id, each partition's end)
    took 30-500 ms under load; what the body records meanwhile is published without waiting for it,
    and the check's verdict is kept when it ends."""
    monkeypatch.setattr(relay_module, "IDLE_CHECK_SECONDS", 0.0)
    checking, release = threading.Event(), threading.Event()
    examine = Relay.examine

    def held(relay, state):
        if threading.current_thread().name.startswith("relay-check"):  # not the check at connecting
            checking.set()
            release.wait(timeout=60)
        return examine(relay, state)

    monkeypatch.setattr(Relay, "examine", held)
    register_compound(system)
    stop = threading.Event()
    relay = threading.Thread(target=Relay(system.settings, system.services.residents).run, args=(stop,))
    relay.start()
    try:
        wait_until(checking.is_set, "the relay to check its topic")
        generation = generation_of(system, "residents")
        register_compound(system, name="南苑小区")
        wait_until(lambda: published_everything(system, "residents"), "the relay to publish during its check")
        checking.clear()
        release.set()
        wait_until(checking.is_set, "the check's verdict settled and the next check begun")
        assert generation_of(system, "residents") == generation  # nothing was lost: no new generation
    finally:
        release.set()
        stop.set()
        relay.join(timeout=60)
    assert not relay.is_alive()


def test_a_reader_knows_every_event_type_before_it_reads_a_message(system, monkeypatch):
    """Knowing the event types imports every body's domain, about half a second. A projector that
    found nothing to read when it started paid it on the first event that came, in that event's way
    to the read models (the first cases of a freshness load, 0.3-0.8 s late)."""
    schemas.catalogue.cache_clear()
    known_when_reading, consume = [], TopicReader._consume

    def reading(reader, *args):
        known_when_reading.append(schemas.catalogue.cache_info().currsize)
        return consume(reader, *args)

    monkeypatch.setattr(TopicReader, "_consume", reading)
    stop = threading.Event()
    reader = threading.Thread(target=Projector(system.settings, schema="scratch").run, args=(stop,))
    reader.start()
    try:
        wait_until(lambda: known_when_reading, "the projector to begin reading")
    finally:
        stop.set()
        reader.join(timeout=60)
    assert known_when_reading[0] == 1, "the event types were not loaded before the first read"


def test_a_projector_started_after_a_republish_reads_the_new_generation_at_once(system, broker, tmp_path):
    """Stopped while the broker lost its topics and the relay republished them (as the same
    number of messages), the projector reads them again when it starts, not when the next event
    arrives: that event would otherwise wait behind the whole topic."""
    compound = register_compound(system)
    receipts = register_units(system, compound, 0, 20)
    system.start_relay()
    system.start_projector()
    system.wait_projected(compound, *receipts)
    stop_projector(system)
    body = Body.OWNERS_COMMITTEE
    generation = generation_of(system, body.value)

    broker.stop()
    reborn = EmbeddedBroker(tmp_path / "reborn", port=broker.port)
    reborn.start()
    try:
        wait_until(lambda: generation_of(system, body.value) > generation, "the relay to start a new generation")
        wait_until(lambda: published_everything(system, body.value), "the relay to republish its log")
        # Caught up means caught up with the topics as they are now, with nothing new recorded.
        Projector(system.settings).run(threading.Event(), until_caught_up=True)
        read = system.query(f"SELECT generation FROM {LIVE_SCHEMA}.projector_offsets"
                            " WHERE topic = %s AND next_offset > 0", (body.topic,))
        assert read and {g for (g,) in read} == {generation_of(system, body.value)}
        assert_equals_a_rebuild(system)
    finally:
        system.stop_all()
        reborn.stop()


def test_a_running_projector_reads_a_partition_its_topic_gained(system, broker, tmp_path):
    """The broker comes back with the residents' topic made anew, with a fourth partition (the
    embedded broker cannot add one to a topic). The running projector reads its three again from
    the relay's new generation, finds the fourth in its consumer's metadata and reads it from the
    start: a compound published there is projected."""
    system.start_relay()
    system.start_projector()
    system.wait_projected(register_compound(system))
    relay = system.processes.pop("relay")
    relay.terminate()
    relay.wait()

    broker.stop()
    reborn = EmbeddedBroker(tmp_path / "reborn", port=broker.port)
    reborn.start()
    try:
        ensure_topics(reborn.bootstrap, 4, [Body.RESIDENTS.topic])
        system.start_relay()
        n = 0
        while True:  # compounds registered until one is keyed to the fourth partition
            n += 1
            compound = register_compound(system, name=f"新苑{n}小区")
            if partition_of_key(str(compound.aggregate_id).encode(), 4) == 3:
                break
        system.wait_projected(compound, timeout=30)
        assert system.query(f"SELECT DISTINCT partition FROM {LIVE_SCHEMA}.projector_offsets WHERE topic = %s"
                            " ORDER BY partition", (Body.RESIDENTS.topic,)) == [(0,), (1,), (2,), (3,)]
        assert system.processes["projector"].poll() is None
    finally:
        system.stop_all()
        reborn.stop()


def test_a_running_projector_follows_a_republish_that_nothing_on_the_partition_shows(system, broker, tmp_path):
    """The broker restarts while the projector is held up in a transaction. By the time it reads
    again the relay has republished the log, and a partition ends exactly where it ended: the old
    generation held a repeat, the new one an event recorded since. No record there shows the new
    generation; the projector learns it from the relay's record, reads the partition again, and
    the event is visible without waiting for another one behind it."""
    compound = register_compound(system)
    unit = register_units(system, compound, 0, 1)[0]
    body = Body.OWNERS_COMMITTEE

    def correct(area: str) -> Receipt:
        with acting("admin"):
            return system.services.owners_committee.correct_unit_area(
                compound_id=compound.aggregate_id, building="1栋", unit="0", exclusive_area=area, reason="复测")

    correct("90.1")
    Relay(system.settings, system.services.owners_committee).run(threading.Event(), until_caught_up=True)
    # The relay died after the broker acknowledged the correction, before it stored its position:
    # the old generation holds it twice.
    system.query(f"UPDATE {body.value}.relay_state SET position = position - 1")
    system.start_relay()
    system.start_projector()
    system.wait_projected(compound, correct("90.2"))
    generation = generation_of(system, body.value)

    with psycopg.connect(system.settings.database_url) as held:
        held.execute(f"LOCK TABLE {LIVE_SCHEMA}.projector_offsets")
        correct("90.3")  # read from the old generation; the projector waits on the lock to apply it
        wait_until(lambda: system.query("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                        " AND datname = current_database()")[0][0] > 0,
                   "the projector to wait on the lock")
        broker.stop()
        reborn = EmbeddedBroker(tmp_path / "reborn", port=broker.port)
        reborn.start()
        wait_until(lambda: generation_of(system, body.value) > generation, "the relay to start a new generation")
        wait_until(lambda: published_everything(system, body.value), "the relay to republish its log")
        last = correct("90.4")
        wait_until(lambda: published_everything(system, body.value), "the relay to publish the last correction")
    try:
        system.wait_projected(last, timeout=15)
        assert system.query(f"SELECT exclusive_area FROM {LIVE_SCHEMA}.exclusive_units WHERE unit_id = %s",
                            (unit.aggregate_id,)) == [(Decimal("90.4"),)]
        read = system.query(f"SELECT DISTINCT generation FROM {LIVE_SCHEMA}.projector_offsets WHERE topic = %s",
                            (body.topic,))
        assert read == [(generation_of(system, body.value),)]
    finally:
        system.stop_all()
        reborn.stop()


def test_messages_that_are_not_readable_events_are_set_aside_and_the_projector_goes_on(system):
    compound = register_compound(system)
    with acting("admin"):
        app = system.services.residents
        real = wire.encode(Body.RESIDENTS, app.mapper.to_domain_event(
            app.recorder.select_notifications(1, 1)[0]), generation=1)
    producer = KafkaProducer(bootstrap_servers=system.settings.kafka_bootstrap)
    topic = Body.RESIDENTS.topic
    from infra.topics import ensure_topics
    ensure_topics(system.settings.kafka_bootstrap, 3)
    # Without a generation: a generation the relay never recorded is refused before decoding.
    headers = [(k, v) for k, v in real.headers if k != wire.GENERATION_HEADER]
    bad_fingerprint = [(k, b"00000000deadbeef" if k == "siwei_schema" else v) for k, v in headers]
    producer.send(topic, key=real.key, value=b"\x02not avro at all", headers=headers)
    producer.send(topic, key=real.key, value=real.value, headers=bad_fingerprint)
    producer.send(topic, key=b"x", value=b"{\"hello\": 1}", headers=[])
    for body in ("nobody", "branch"):  # valid Avro, its envelope naming no body, or another's
        producer.send(topic, key=real.key, value=with_body(real, body)[1], headers=headers)
    # NUL and bytes that are no UTF-8 in the headers, which a JSON column cannot hold as they are.
    producer.send(topic, key=b"\x00", value=b"\x00", headers=[
        ("ce_type", b"siwei.residents.Compound\x00Registered"), ("note\x00", b"\x00\xff")])
    producer.close()  # sends what it holds first

    system.start_projector()
    system.start_relay()
    later = register_compound(system, "红运花园")
    system.wait_projected(compound, later)

    reasons = sorted(r[0] for r in system.query("SELECT reason FROM projections.dead_letters"))
    assert len(reasons) == 6
    assert any("unknown event type 'residents.Compound\\x00Registered'" in r for r in reasons)
    assert sum("is not that of residents.CompoundRegistered" in r for r in reasons) == 2
    assert "not valid Avro" in reasons[2] or any("not valid Avro" in r for r in reasons)
    assert any("unknown schema fingerprint" in r for r in reasons)
    assert any("missing or foreign ce_type" in r for r in reasons)
    assert sorted(r[0] for r in system.query("SELECT name FROM projections.compounds")) == ["北苑小区", "红运花园"]
    assert system.processes["projector"].poll() is None


def test_a_batch_kafka_python_cannot_parse_stops_neither_the_relay_nor_the_projector(system):
    compound = register_compound(system)
    system.start_projector()
    system.start_relay()
    system.wait_projected(compound)
    # Three messages in one batch, after the compound's event on its partition: kafka-python reads
    # the first (no Siwei event: set aside) and fails parsing the second at every poll from there
    # on; the relay's check of its topic (every 5 s while idle) reads across them too.
    producer = KafkaProducer(bootstrap_servers=system.settings.kafka_bootstrap, linger_ms=500)
    key = str(compound.aggregate_id).encode()
    for headers in ([], [(NoUtf8("k"), b"v")], []):
        producer.send(Body.RESIDENTS.topic, key=key, value=b"x", headers=headers)
    producer.close()  # sends what it holds first
    time.sleep(relay_module.IDLE_CHECK_SECONDS + 1)
    later = register_compound(system, "红运花园")
    system.wait_projected(later)

    letters = system.query('SELECT "offset", reason, value FROM projections.dead_letters ORDER BY "offset"')
    assert [(offset, value) for offset, _, value in letters] == [(1, b"x"), (2, None)]
    assert letters[0][1].startswith("missing or foreign ce_type")
    assert letters[1][1].startswith("kafka-python cannot read offsets 2 to 3: CorruptRecordError"), letters[1][1]
    assert "UnicodeDecodeError" in letters[1][1]
    assert sorted(r[0] for r in system.query("SELECT name FROM projections.compounds")) == ["北苑小区", "红运花园"]
    assert system.processes["projector"].poll() is None and system.processes["relay"].poll() is None


class Mentions(View):
    """A second view of compounds, for the test: it can apply what the compounds view cannot."""

    name = "mentions"
    tables = ("mentions",)

    def ddl(self) -> str:
        return "CREATE TABLE IF NOT EXISTS mentions (event_id uuid PRIMARY KEY, name text NOT NULL)"

    @handles("residents.CompoundRegistered")
    def mention(self, cur, event) -> None:
        cur.execute("INSERT INTO mentions VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (event.event_id, event.data["name"].replace("\x00", "␀")))


def test_an_event_a_view_cannot_apply_is_set_aside_for_that_view_alone_and_applied_once_fixed(system, monkeypatch):
    # Stored as an older version could have, past today's input boundary: a NUL in a name.
    with acting("admin"):
        poison = Compound(name="北苑\x00小区", district="武侯区", street="晋阳街道", community="晋阳社区",
                          households=420, residents=1260)
        system.services.residents.record(poison, conflict="registered already")
    register_compound(system, name="南苑小区")
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings, views=[*all_views(), Mentions()]).run(threading.Event(), until_caught_up=True)

    letters = system.query("SELECT event_id, event_type, view, handler, reason FROM projections.dead_letters")
    assert [letter[1:4] for letter in letters] == [
        ("residents.CompoundRegistered", "compounds", "CompoundsView.registered")]
    assert "NUL" in letters[0][4]
    mentioned = dict(system.query("SELECT name, event_id FROM projections.mentions"))
    assert set(mentioned) == {"北苑␀小区", "南苑小区"} and mentioned["北苑␀小区"] == letters[0][0]
    assert [n for (n,) in system.query("SELECT name FROM projections.compounds")] == ["南苑小区"]

    # What an operator sees, and a retry that cannot succeed yet leaves it set aside.
    listed = system.siwei("projections", "dead-letters")
    assert listed.returncode == 1 and "1 set aside." in listed.stdout, listed.stderr
    assert "residents.CompoundRegistered" in listed.stdout and "for compounds (CompoundsView" in listed.stdout
    # A reason quoting what a message held prints on one line, its control characters escaped.
    system.query("UPDATE projections.dead_letters SET reason = reason || %s", ("\n2026-01-01 forged\x1b[2J",))
    listed = system.siwei("projections", "dead-letters")
    assert "\\n2026-01-01 forged\\x1b[2J" in listed.stdout and "\x1b" not in listed.stdout, listed.stdout
    assert len(listed.stdout.splitlines()) == 2, listed.stdout  # the letter's line, then the count
    retried = system.siwei("projections", "retry")
    assert retried.returncode == 1 and "projector: 0 applied, 1 still set aside" in retried.stdout, retried.stderr

    # A later version of the view copes; the projector's next start applies what it set aside.
    original = CompoundsView.registered

    @handles_together("residents.CompoundRegistered", "owners_committee.ExclusiveUnitRegistered")
    def fixed(self, cur, events):
        original(self, cur, [replace(e, data={**e.data, "name": e.data["name"].replace("\x00", "")})
                             if e.name == "CompoundRegistered" else e for e in events])

    monkeypatch.setattr(CompoundsView, "registered", fixed)
    Projector(system.settings, views=[*all_views(), Mentions()]).run(threading.Event(), until_caught_up=True)
    assert system.query("SELECT count(*) FROM projections.dead_letters") == [(0,)]
    assert sorted(n for (n,) in system.query("SELECT name FROM projections.compounds")) == ["北苑小区", "南苑小区"]


def test_a_forged_generation_header_is_set_aside_and_no_event_is_lost(system, caplog):
    compound = register_compound(system)
    register_units(system, compound, 0, 10)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)

    # Anyone able to produce to the topics claims a generation the relay never started, or one
    # that is no generation: more digits than a bigint holds, or digits of another script.
    producer = KafkaProducer(bootstrap_servers=system.settings.kafka_bootstrap)
    for body in Body:
        for partition in range(3):
            for named in (b"99999999999999999", b"9" * 25, "１２３".encode()):
                forged = [(wire.GENERATION_HEADER, named), ("ce_type", b"siwei.residents.CaseRaised")]
                producer.send(body.topic, key=b"x", value=b"\x00garbage", headers=forged, partition=partition)
    producer.close()  # sends what it holds first
    receipts = register_units(system, compound, 10, 30)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)

    assert all(system.projected_version(r.aggregate_id) == r.version for r in receipts)
    assert system.count("projections.exclusive_units") == 40
    letters = system.query("SELECT reason FROM projections.dead_letters")
    assert len(letters) == 36 and all("never recorded by the relay" in r for (r,) in letters)
    # Said once a partition and batch, with how many: not a line a message.
    said = [m for m in caplog.messages if " set aside " in m and "never recorded by the relay" in m]
    counted = [int(found[1]) if (found := re.search(r"\((\d+) messages", m)) else 1 for m in said]
    assert sum(counted) == 36 and len(said) <= 12
    assert_equals_a_rebuild(system)


def test_a_rebuild_reads_the_stores_as_far_as_published_then_the_topics_on_from_there(system):
    compound = register_compound(system)
    receipts = register_units(system, compound, 0, 5)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    # As if the owners' relay died after the broker acknowledged a batch, before it recorded it: the
    # topic holds the batch twice, the relay's record ends after the second.
    system.query("UPDATE owners_committee.relay_state SET position = 0, acknowledged = '{}'")
    run_relays(system.settings, threading.Event(), [Body.OWNERS_COMMITTEE], until_caught_up=True)
    later = register_units(system, compound, 5, 5)  # stored, not yet published

    rebuilt = Projector(system.settings, schema="rebuilt")
    rebuilt.from_stores(threading.Event())
    assert gc.isenabled()  # held off while the stores were read, on again
    # What the relays published, from the stores; each partition set where the relay's record ends.
    assert system.count("rebuilt.exclusive_units") == 5
    # The tables' indexes made once they were filled: all that tables made empty have.
    Projector(system.settings, schema="made").create_tables()
    indexes = "SELECT indexname FROM pg_indexes WHERE schemaname = %s"
    assert set(system.query(indexes, ("rebuilt",))) == set(system.query(indexes, ("made",))) != set()
    with psycopg.connect(system.settings.database_url) as conn:
        recorded = {body: relay_module.recorded(conn, body) for body in Body}
    assert set(system.query("SELECT topic, partition, next_offset, generation FROM rebuilt.projector_offsets")) == {
        (body.topic, partition, end, recorded[body].generation)
        for body in Body for partition, end in recorded[body].acknowledged.items()}
    consumer = offsets_consumer(system.settings.kafka_bootstrap, "test")
    marks = high_watermarks(consumer, partitions_of(consumer, Body.OWNERS_COMMITTEE.topic))
    assert sum(marks.values()) == 2 * (5 + 6)  # the units and the roll's events, twice
    assert recorded[Body.OWNERS_COMMITTEE].acknowledged == {tp.partition: end for tp, end in marks.items() if end}

    # The topics read on from there: what was published since applied once.
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    rebuilt.run(threading.Event(), until_caught_up=True)
    assert dict(system.query("SELECT aggregate_id, version FROM rebuilt.projected_aggregates WHERE aggregate_id"
                             " = ANY(%s)", ([r.aggregate_id for r in receipts + later],))) == {
        r.aggregate_id: r.version for r in receipts + later}
    assert system.count("rebuilt.exclusive_units") == 10
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    assert differences(system.settings, LIVE_SCHEMA, "rebuilt") == {}


def test_status_counts_what_a_reader_has_not_read_of_a_generation_begun_after_older_messages(system):
    """The relay records where the messages the broker acknowledged end on each partition, not how
    many there are: a generation begun on a topic that holds an older one's messages ends beyond
    its own count, and a reader past that count but short of the end was said to have read it all
    (``siwei status``, ``/readyz``, a rebuild's wait for the relays)."""
    compound = register_compound(system)
    register_units(system, compound, 0, 5)
    body = Body.OWNERS_COMMITTEE
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    generation = generation_of(system, body.value)
    # The relay finds the topic under another id than it recorded: a new generation, published
    # after the old one's messages, which the broker still holds.
    system.query(f"UPDATE {body.value}.relay_state SET topic_id = 'another'")
    run_relays(system.settings, threading.Event(), [body], until_caught_up=True)
    assert generation_of(system, body.value) > generation
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    assert behind(system.settings.database_url, LIVE_SCHEMA) == 0

    later = register_units(system, compound, 5, 5)
    consumer = offsets_consumer(system.settings.kafka_bootstrap, "test")
    before = high_watermarks(consumer, partitions_of(consumer, body.topic))
    run_relays(system.settings, threading.Event(), [body], until_caught_up=True)
    after = high_watermarks(consumer, partitions_of(consumer, body.topic))
    assert sum(after.values()) - sum(before.values()) > 0
    with psycopg.connect(system.settings.database_url) as conn:
        assert relay_module.recorded(conn, body).acknowledged == {tp.partition: end for tp, end in after.items() if end}
    unread = sum(after.values()) - sum(before.values())
    assert behind(system.settings.database_url, LIVE_SCHEMA) == unread
    assert sum(p.lag for r in status(system.settings.database_url).readers if r.name == "projector"
               for p in r.partitions) == unread

    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    system.wait_projected(compound, *later)
    assert behind(system.settings.database_url, LIVE_SCHEMA) == 0


def test_a_rebuild_reads_the_topics_only_for_what_the_stores_did_not_give_it(system, monkeypatch):
    """With every log published, the stores give a rebuild everything and it switches without
    reading the topics; events stored and not yet published it has the relays publish, and reads."""
    compound = register_compound(system)
    register_units(system, compound, 0, 3)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    read_topics = []
    catch_up = Projector.catch_up
    monkeypatch.setattr(Projector, "catch_up",
                        lambda self, *args, **kwargs: (read_topics.append(self.schema), catch_up(self, *args, **kwargs)))

    first = rebuild_live(system.settings)
    assert read_topics == []
    assert system.count(f"{first}.exclusive_units") == 3

    register_units(system, compound, 3, SWITCH_LAG + 1)  # stored, not yet published
    second = rebuild_live(system.settings)
    assert read_topics == [second]
    assert system.count(f"{second}.exclusive_units") == 3 + SWITCH_LAG + 1
    assert behind(system.settings.database_url, second) == 0
    assert_equals_a_rebuild(system)


def test_a_log_a_view_cannot_apply_from_its_store_is_read_from_its_topic(system, caplog):
    with acting("admin"):  # as test_an_event_a_view_cannot_apply_… stores it
        poison = Compound(name="北苑\x00小区", district="武侯区", street="晋阳街道", community="晋阳社区",
                          households=420, residents=1260)
        system.services.residents.record(poison, conflict="registered already")
    compound = register_compound(system, name="南苑小区")
    units = register_units(system, compound, 0, 3)
    run_relays(system.settings, threading.Event(), until_caught_up=True)

    Projector(system.settings, schema="rebuilt", views=[*all_views(), Mentions()]).rebuild()
    said = [m for m in caplog.messages if "the residents log is read from its topic" in m]
    assert len(said) == 1 and "NUL" in said[0], caplog.messages
    # The other bodies' logs from their stores; the residents' from its topic, where the event is
    # set aside for the one view that cannot apply it, as a projector reading the topics does.
    offsets = dict(((topic, partition), offset) for topic, partition, offset in
                   system.query("SELECT topic, partition, next_offset FROM rebuilt.projector_offsets"))
    assert sum(o for (topic, _), o in offsets.items() if topic == Body.OWNERS_COMMITTEE.topic) == 3 + 4
    assert system.query("SELECT event_type, view FROM rebuilt.dead_letters") == [
        ("residents.CompoundRegistered", "compounds")]
    assert sorted(n for (n,) in system.query("SELECT name FROM rebuilt.mentions")) == ["北苑␀小区", "南苑小区"]
    assert [n for (n,) in system.query("SELECT name FROM rebuilt.compounds")] == ["南苑小区"]
    assert system.count("rebuilt.exclusive_units") == 3
    assert all(v == r.version for r in units for (v,) in system.query(
        "SELECT version FROM rebuilt.projected_aggregates WHERE aggregate_id = %s", (r.aggregate_id,)))
