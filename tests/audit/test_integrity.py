"""The hash chains against tampering: rows edited, deleted and inserted directly with SQL in the
real PostgreSQL, and a log rewritten with its chain recomputed, caught by the other bodies'
witness records."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from audit.chain import HASH_VERSION, Indexed, event_hash, genesis, next_link
from audit.verify import claims, verify
from services.common.bodies import Body
from services.common.context import acting
from services.common.witness import Head
from tests.conftest import BEIYUAN

RESIDENTS = "residents.residents_events"
CHAIN = "residents.chain"


@pytest.fixture
def ledger(system):
    """A compound with three cases, units and a witness record by every body of the others."""
    s = system.services
    with acting("admin"):
        compound = s.residents.register_compound(**BEIYUAN).aggregate_id
        s.owners_committee.register_exclusive_unit(compound_id=compound, building="1栋", unit="101",
                                                   exclusive_area="80", owner="田景余")
    with acting(f"resident:{compound}:101"):
        for where in ("后门", "1栋", "车库"):
            s.residents.raise_case(compound_id=compound, category="repairs", description=f"{where}的灯坏了",
                                   location=where)
    return compound


def check(system, *bodies: Body):
    return {r.body: r for r in verify(system.settings.database_url, bodies or tuple(Body))}


def heads(system) -> dict[str, Head]:
    """Every body's chain head, as a witness on the topics would see it."""
    found = {}
    for body in Body:
        row = system.query(f"SELECT sequence, link FROM {body.schema}.chain ORDER BY sequence DESC LIMIT 1")
        if row:
            found[body.value] = Head(row[0][0], bytes(row[0][1]).hex(), row[0][0])
    return found


def witness_everything(system) -> None:
    for body in Body:
        with acting(f"witness:{body.value}"):
            system.services.of(body).witness(heads(system))


def event_id_at(system, position: int) -> str:
    return str(UUID(system.query(f"SELECT convert_from(state, 'UTF8')::jsonb #>> '{{event_id,_data_}}' FROM {RESIDENTS}"
                        " WHERE notification_id = %s", (position,))[0][0]))


def positions(system) -> list[int]:
    return [p for (p,) in system.query(f"SELECT notification_id FROM {RESIDENTS} ORDER BY notification_id")]


def test_an_untouched_ledger_verifies_and_every_event_is_chained(system, ledger):
    witness_everything(system)
    reports = check(system)
    assert all(r.broken is None for r in reports.values()), [str(r) for r in reports.values()]
    for body in Body:
        stored = system.query(f"SELECT count(*) FROM {body.schema}.{body.value}_events")[0][0]
        assert reports[body].events == stored > 0
        # Each body's chain was witnessed by the three others, at its head then.
    assert set(reports[Body.RESIDENTS].witnessed_by) == {Body.BRANCH, Body.OWNERS_COMMITTEE, Body.PROPERTY}
    sequences = [s for (s,) in system.query(f"SELECT sequence FROM {CHAIN} ORDER BY position")]
    assert sequences == list(range(1, len(sequences) + 1))


def test_writers_racing_on_one_body_leave_one_unbroken_chain(system, ledger):
    """Sixteen threads raising cases at once, each on its own connection: every insert reads the
    chain's head under the table lock it shares with the others."""
    barrier = threading.Barrier(16)

    def raise_cases(n: int) -> None:
        barrier.wait()
        with acting(f"resident:{ledger}:{n}01"):
            for k in range(5):
                system.services.residents.raise_case(compound_id=ledger, category="repairs",
                                                     description=f"第{k}盏灯", location=f"{n}栋")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(raise_cases, range(16)))
    report = check(system, Body.RESIDENTS)[Body.RESIDENTS]
    assert report.broken is None, str(report)
    chained = system.query(f"SELECT sequence, position FROM {CHAIN} ORDER BY sequence")
    assert [s for s, _ in chained] == list(range(1, len(chained) + 1))
    assert [p for _, p in chained] == positions(system) and len(chained) == report.events


def stored(aggregate_id: UUID, version: int, *named: UUID, of_compound: bool = True) -> StoredEvent:
    """An event as the library stores it, naming a compound (unless not ``of_compound``) and
    ``named`` ids."""
    state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2026-12-03T10:00:00.123456+00:00"},
             "named": [{"_type_": "uuid_hex", "_data_": n.hex} for n in named],
             "description": 'the "lamp", {1,2} \\ NULL 楼道灯不亮'}  # what an array literal must escape
    if of_compound:
        state["compound_id"] = {"_type_": "uuid_hex", "_data_": uuid4().hex}
    return StoredEvent(aggregate_id, version, "tests:Event", json.dumps(state, ensure_ascii=False).encode())


def test_one_insert_of_several_events_is_linked_in_order_by_the_server(system, ledger):
    """Each event is stored as given (its state's quotes, backslashes and UTF-8 too, sent in array
    literals); links worked out by PostgreSQL in the insert's round trip are those ``next_link``
    gives, each event's index columns those ``Indexed.of`` reads."""
    first, second = uuid4(), uuid4()
    events = [stored(first, 1), stored(first, 2, uuid4(), uuid4()), stored(second, 1, uuid4()),
              stored(second, 2, of_compound=False)]
    before = system.query(f"SELECT sequence, link FROM {CHAIN} ORDER BY sequence DESC LIMIT 1")[0]
    ids = system.services.residents.recorder.insert_events(events)
    assert system.query(f"SELECT notification_id, originator_id, originator_version, topic, state FROM {RESIDENTS}"
                        " WHERE notification_id = ANY(%s) ORDER BY notification_id", (ids,)) == \
        [(n, e.originator_id, e.originator_version, e.topic, e.state) for n, e in zip(ids, events, strict=True)]
    rows = system.query(f"SELECT sequence, position, aggregate_id, compound_id, occurred_at, subjects, hash_version,"
                        f" event_hash, link FROM {CHAIN} WHERE sequence > %s ORDER BY sequence", (before[0],))
    assert [r[1] for r in rows] == ids and [r[0] for r in rows] == [before[0] + n for n in (1, 2, 3, 4)]
    link = bytes(before[1])
    for event, (sequence, _, aggregate, compound, at, subjects, version, hashed, stored_link) in zip(
            events, rows, strict=True):
        indexed = Indexed.of(event.originator_id, event.state)
        assert (aggregate, compound, at, subjects) == (event.originator_id, indexed.compound_id,
                                                       indexed.occurred_at, indexed.subjects)
        assert (version, bytes(hashed)) == (HASH_VERSION, event_hash(event.originator_id, event.originator_version,
                                                                     event.topic, event.state, indexed))
        link = next_link(link, sequence, bytes(hashed))
        assert bytes(stored_link) == link
    assert check(system, Body.RESIDENTS)[Body.RESIDENTS].broken is None


def test_the_chain_insert_is_planned_once_not_under_each_inserts_lock(system, ledger):
    """PostgreSQL's own choice planned the chain's insert anew each time (its arrays' custom plans
    look cheaper), while the insert held the table's lock; it keeps one plan instead."""
    recorder = system.services.residents.recorder
    for version in range(1, 4):
        recorder.insert_events([stored(uuid4(), version)])
    plans = []
    for _ in range(recorder.datastore.pool.max_size):  # each of the pool's connections in turn
        with recorder.datastore.get_connection() as conn:
            plans += conn.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                                  " WHERE statement LIKE '%%INSERT INTO \"residents\".\"chain\"%%'").fetchall()
    assert plans and sum(p["generic_plans"] for p in plans) >= 3, plans
    assert all(p["custom_plans"] == 0 for p in plans), plans


def test_an_insert_that_clashes_with_a_stored_version_leaves_neither_event_nor_link(system, ledger):
    aggregate = uuid4()
    recorder = system.services.residents.recorder
    recorder.insert_events([stored(aggregate, 1)])
    counts = system.query(f"SELECT (SELECT count(*) FROM {RESIDENTS}), (SELECT count(*) FROM {CHAIN})")
    with pytest.raises(IntegrityError):
        recorder.insert_events([stored(uuid4(), 1), stored(aggregate, 1)])  # the second clashes
    assert system.query(f"SELECT (SELECT count(*) FROM {RESIDENTS}), (SELECT count(*) FROM {CHAIN})") == counts
    # The connection went back to the pool usable: the next insert is linked after the head.
    recorder.insert_events([stored(aggregate, 2)])
    assert check(system, Body.RESIDENTS)[Body.RESIDENTS].broken is None


def test_an_event_edited_in_place_is_found_at_its_position(system, ledger):
    target = positions(system)[2]
    system.query(f"UPDATE {RESIDENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'repairs', 'safety'),"
                 " 'UTF8') WHERE notification_id = %s", (target,))
    broken = check(system)[Body.RESIDENTS].broken
    assert (broken.kind, broken.position, str(broken.event_id)) == ("edited", target, event_id_at(system, target))
    assert "the chain recorded" in broken.detail
    assert all(r.broken is None for b, r in check(system).items() if b is not Body.RESIDENTS)


def test_an_event_deleted_alone_or_with_its_link_is_found(system, ledger):
    first, second = positions(system)[1:3]
    sequence = system.query(f"SELECT sequence FROM {CHAIN} WHERE position = %s", (second,))[0][0]
    system.query(f"DELETE FROM {RESIDENTS} WHERE notification_id = %s", (second,))
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert (broken.kind, broken.position, broken.sequence) == ("deleted", second, sequence)

    system.query(f"DELETE FROM {CHAIN} WHERE position = %s", (second,))  # and its link
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert (broken.kind, broken.sequence) == ("deleted", sequence)
    assert f"links {sequence} to {sequence} are missing" in broken.detail
    assert first < second


def test_an_event_inserted_is_found(system, ledger):
    last = positions(system)[-1]
    system.query(f"INSERT INTO {RESIDENTS} (originator_id, originator_version, topic, state)"
                 f" SELECT originator_id, originator_version + 100, topic, state FROM {RESIDENTS}"
                 " WHERE notification_id = %s", (last,))
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert broken.kind == "inserted" and broken.position > last
    assert "never linked" in broken.detail


def test_a_chain_edited_to_hide_an_edit_breaks_at_the_next_link(system, ledger):
    target = positions(system)[2]
    system.query(f"UPDATE {RESIDENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'repairs', 'safety'),"
                 " 'UTF8') WHERE notification_id = %s", (target,))
    aggregate, version, topic, state = system.query(
        f"SELECT originator_id, originator_version, topic, state FROM {RESIDENTS} WHERE notification_id = %s",
        (target,))[0]
    system.query(f"UPDATE {CHAIN} SET event_hash = %s WHERE position = %s",
                 (event_hash(aggregate, version, topic, bytes(state), Indexed.of(aggregate, bytes(state))), target))
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert (broken.kind, broken.position) == ("relinked", target)


@pytest.mark.parametrize("hash_version", [1, 2])
def test_an_index_column_edited_is_found_as_misindexed(system, ledger, hash_version):
    """The chain's index columns are what a subject's history is looked up by: a case dropped
    from them, or a compound changed, would hide the event. Format 2 hashes them with the event;
    for a ledger written in format 1, verify compares them with the event."""
    recompute_chain_from(system, positions(system)[0], hash_version)
    assert check(system, Body.RESIDENTS)[Body.RESIDENTS].broken is None
    target = positions(system)[-1]
    case, = system.query(f"SELECT aggregate_id FROM {CHAIN} WHERE position = %s", (target,))[0]
    system.query(f"UPDATE {CHAIN} SET subjects = subjects[1:1] WHERE position = %s", (target,))
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert (broken.kind, broken.position) == ("misindexed", target)
    assert f"naming {case}" in broken.detail

    system.query(f"UPDATE {CHAIN} c SET subjects = i.subjects FROM (SELECT subjects FROM {CHAIN}"
                 " WHERE position = %s) i WHERE c.position = %s", (target - 1, target))
    earlier = positions(system)[2]
    system.query(f"UPDATE {CHAIN} SET compound_id = gen_random_uuid() WHERE position = %s", (earlier,))
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert (broken.kind, broken.position) == ("misindexed", earlier)  # the first of the two


def test_an_unreadable_event_of_format_1_with_its_chain_recomputed_is_reported_not_fatal(system, ledger):
    """Bytes that are not JSON at all, hashed and linked in format 1 as if recorded: PostgreSQL
    cannot read them for the index, and verify still names the row. (Format 2 hashed the index
    with the event: a chain recomputed over such bytes is a rewrite, which the witnesses find.)"""
    target = positions(system)[1]
    system.query(f"UPDATE {RESIDENTS} SET state = '\\xff00'::bytea WHERE notification_id = %s", (target,))
    recompute_chain_from(system, positions(system)[0], hash_version=1)
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert (broken.kind, broken.position) == ("misindexed", target)
    assert "cannot be read" in broken.detail


def rewrite_from(system, position: int) -> None:
    """What a body rewriting its own history would do: edit an event, then recompute the chain
    from there so that the chain alone verifies."""
    system.query(f"UPDATE {RESIDENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'repairs', 'safety'),"
                 " 'UTF8') WHERE notification_id = %s", (position,))
    recompute_chain_from(system, position)


def recompute_chain_from(system, position: int, hash_version: int | None = None) -> None:
    """The chain recomputed from ``position`` on, each row in its own format or in ``hash_version``."""
    rows = system.query(f"SELECT c.sequence, c.position, e.originator_id, e.originator_version, e.topic, e.state,"
                        f" c.compound_id, c.occurred_at, c.subjects, c.hash_version"
                        f" FROM {CHAIN} c JOIN {RESIDENTS} e ON e.notification_id = c.position ORDER BY c.sequence")
    link = genesis("residents")
    for sequence, at, aggregate, version, topic, state, compound, occurred_at, subjects, kept in rows:
        written = hash_version if hash_version is not None and at >= position else kept
        hashed = event_hash(aggregate, version, topic, bytes(state), Indexed(compound, occurred_at, subjects), written)
        link = next_link(link, sequence, hashed)
        if at >= position:
            system.query(f"UPDATE {CHAIN} SET hash_version = %s, event_hash = %s, link = %s WHERE sequence = %s",
                         (written, hashed, link, sequence))


def test_a_ledger_written_in_format_1_and_then_2_verifies_and_an_edit_in_either_is_found(system, ledger):
    """Links written before format 2 keep their format: the chain changes format mid-log."""
    middle = positions(system)[len(positions(system)) // 2]
    system.query(f"UPDATE {CHAIN} SET hash_version = 1 WHERE position < %s", (middle,))
    recompute_chain_from(system, positions(system)[0])
    assert {v for (v,) in system.query(f"SELECT DISTINCT hash_version FROM {CHAIN}")} == {1, HASH_VERSION}
    assert check(system, Body.RESIDENTS)[Body.RESIDENTS].broken is None
    for target in (positions(system)[1], positions(system)[-1]):  # one of each format
        system.query(f"UPDATE {RESIDENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'repairs',"
                     " 'safety'), 'UTF8') WHERE notification_id = %s", (target,))
        broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
        assert (broken.kind, broken.position) == ("edited", target)
        system.query(f"UPDATE {RESIDENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'safety',"
                     " 'repairs'), 'UTF8') WHERE notification_id = %s", (target,))
    system.query(f"UPDATE {CHAIN} SET hash_version = 3 WHERE position = %s", (middle,))
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert (broken.kind, broken.position) == ("relinked", middle) and "format 3" in broken.detail


def test_a_log_rewritten_with_its_chain_recomputed_contradicts_the_witnesses(system, ledger):
    witness_everything(system)
    target = positions(system)[2]
    rewrite_from(system, target)
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    # The chain links up again; what betrays it is what the other bodies recorded of it.
    assert broken.kind == "rewritten"
    rewritten_at = system.query(f"SELECT sequence FROM {CHAIN} WHERE position = %s", (target,))[0][0]
    with psycopg.connect(system.settings.database_url) as conn:
        witnessed = {c.sequence for c in claims(conn)[Body.RESIDENTS]}
    assert broken.sequence == min(s for s in witnessed if s >= rewritten_at)  # the first witnessed since
    assert "witnessed link" in broken.detail and "rewritten at or before" in broken.detail


def test_a_rewritten_log_without_witnesses_is_not_detectable_by_its_chain_alone(system, ledger):
    """The reason for witnesses: the chain by itself cannot tell a recomputed history."""
    rewrite_from(system, positions(system)[2])
    assert check(system, Body.RESIDENTS)[Body.RESIDENTS].broken is None


@pytest.mark.parametrize("state", [b"\xff\x00", json.dumps({"bodies": 5}).encode(),
                                   json.dumps({"bodies": ["nobody"], "sequences": [1], "links": ["00"]}).encode(),
                                   json.dumps({"bodies": ["residents"], "sequences": ["1"], "links": [0]}).encode()],
                         ids=["not JSON", "fields of the wrong kind", "a body that does not exist", "a head of the wrong kind"])
def test_a_witness_record_made_unreadable_is_reported_where_it_is_not_fatal(system, ledger, state):
    """A witness record is read for what it claims before any log is checked; one edited into
    something that cannot be read is the witness's own edited event, and every other log is judged."""
    witness_everything(system)
    branch = "branch.branch_events"
    target = system.query(f"SELECT max(notification_id) FROM {branch} WHERE topic LIKE '%%HeadsWitnessed'")[0][0]
    system.query(f"UPDATE {branch} SET state = %s WHERE notification_id = %s", (state, target))
    reports = check(system)
    assert (reports[Body.BRANCH].broken.kind, reports[Body.BRANCH].broken.position) == ("edited", target)
    assert all(r.broken is None for b, r in reports.items() if b is not Body.BRANCH)
    assert reports[Body.RESIDENTS].witnessed_by.keys() == {Body.OWNERS_COMMITTEE, Body.PROPERTY}


def test_a_log_cut_short_contradicts_the_witnesses(system, ledger):
    witness_everything(system)
    last = positions(system)[-1]
    system.query(f"DELETE FROM {CHAIN} WHERE position = %s", (last,))
    system.query(f"DELETE FROM {RESIDENTS} WHERE notification_id = %s", (last,))
    broken = check(system, Body.RESIDENTS)[Body.RESIDENTS].broken
    assert broken.kind == "truncated"
    assert "removed from its end" in broken.detail


def test_the_verify_command_reports_the_broken_link_and_exits_1(system, ledger):
    witness_everything(system)
    target = positions(system)[2]
    env = system.settings.child_environment()
    run = [sys.executable, "-m", "infra.cli", "audit", "verify"]
    intact = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert intact.returncode == 0, intact.stderr
    assert "The ledger verifies" in intact.stdout
    system.query(f"UPDATE {RESIDENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), 'repairs', 'safety'),"
                 " 'UTF8') WHERE notification_id = %s", (target,))
    tampered = subprocess.run([*run, "--body", "residents"], env=env, capture_output=True, text=True, timeout=120)
    assert tampered.returncode == 1
    assert f"residents: BROKEN, edited at position {target}" in tampered.stdout
    assert event_id_at(system, target) in tampered.stdout
