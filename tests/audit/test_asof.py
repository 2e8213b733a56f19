"""State as of a past time: what the API answered then, live, is what it answers now ``asOf`` then,
for a compound's profile, a case, a project, a vote and the compound's figures."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from uuid import uuid4

from audit.asof import KEPT, ORPHAN_SECONDS, Replays
from infra.reactor import Reactor
from infra.relay import run_relays
from projections.projector import Projector
from services.common.context import acting, china_date
from tests.conftest import BEIYUAN, graphql, wait_until

NOW = datetime.now(timezone.utc)
LONG_AGO = NOW - timedelta(days=10)

PROFILE = """query($a: UUID!, $t: DateTime) { compound(id: $a, asOf: $t) {
  name households branch { name memberCount } bodies { branch ownersCommittee }
  units { totalCount edges { node { unit owner exclusiveArea } } } } }"""
CASE = """query($a: UUID!, $c: UUID!, $t: DateTime) { case(compoundId: $a, id: $c, asOf: $t) {
  state description withdrawnAt timeline { totalCount edges { node { step } } } } }"""
OVERDUE = """query($a: UUID!, $c: UUID!, $t: DateTime) { case(compoundId: $a, id: $c, asOf: $t) { overdue } }"""
PROJECT = """query($a: UUID!, $p: UUID!, $t: DateTime) { project(compoundId: $a, id: $p, asOf: $t) {
  title state timeline { totalCount } } }"""
VOTE = """query($a: UUID!, $v: UUID!, $t: DateTime) { assemblyVote(compoundId: $a, id: $v, asOf: $t) {
  stage totalOwners voteTable { edges { node { owner choice deliveredBy } } } } }"""
FIGURES = """query($a: UUID!, $t: DateTime) { caseFigures(compoundId: $a, asOf: $t) { raised withdrawn openOverdue } }"""


def settle(system) -> None:
    for _ in range(2):
        run_relays(system.settings, threading.Event(), until_caught_up=True)
        Reactor(system.settings, system.services).run(threading.Event(), until_caught_up=True)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)


def test_as_of_answers_what_the_api_answered_then(system):
    """Each step at the time it is recorded (the reactor's too), so that "then" is one moment."""
    s = system.services
    with acting("admin"):
        compound = s.residents.register_compound(**BEIYUAN).aggregate_id
    committee, residents = f"body:owners_committee:{compound}", f"body:residents:{compound}"
    with acting(committee):
        for unit, owner in (("101", "田景余"), ("102", "李华")):
            s.owners_committee.register_exclusive_unit(compound_id=compound, building="1栋", unit=unit,
                                                       exclusive_area="80", owner=owner)
        vote = s.owners_committee.open_vote(compound_id=compound, matter="other_major", title="加装电梯",
                                            description="1栋", closes_on=china_date(NOW)).aggregate_id
    with acting(f"resident:{compound}:101"):
        case = s.residents.raise_case(compound_id=compound, category="repairs", description="后门坏了",
                                      location="后门").aggregate_id
    with acting(f"resident:{compound}:102", clock=lambda: LONG_AGO):
        old = s.residents.raise_case(compound_id=compound, category="repairs", description="路灯不亮",
                                     location="北门").aggregate_id
    with acting(residents):
        project = s.residents.propose_project(compound_id=compound, title="楼道照明改造", description="换灯",
                                              proposed_by="residents_council").aggregate_id
    settle(system)
    url = system.start_api()
    token = system.token("auditor:street:晋阳街道")
    asked = {"a": str(compound), "c": str(case), "p": str(project), "v": str(vote)}

    def answers(at: datetime | None) -> list[dict]:
        t = {"t": at.isoformat() if at else None}
        return [graphql(url, token, q, {**asked, **t}).json() for q in (PROFILE, CASE, PROJECT, VOTE, FIGURES)]

    then = answers(None)  # what the API answered live, at the time
    assert all("errors" not in a for a in then), then
    midway = datetime.now(timezone.utc)

    with acting("admin"):
        s.branch.establish_branch(compound_id=compound, name="北苑小区党支部", mode="single")
    with acting(committee):
        s.owners_committee.register_exclusive_unit(compound_id=compound, building="2栋", unit="201",
                                                   exclusive_area="95", owner="王芳")
        s.owners_committee.cast_ballot(compound_id=compound, vote_id=vote, building="1栋", unit="101",
                                       choice="yes", channel="paper")
        s.owners_committee.deliver_ballot(compound_id=compound, vote_id=vote, building="1栋", unit="102",
                                          method="post", delivered_on=china_date(NOW), recipient="李华")
    with acting(f"resident:{compound}:101"):
        s.residents.add_case_information(compound_id=compound, case_id=case, text="门锁也坏了")
        s.residents.withdraw_case(compound_id=compound, case_id=case, reason="自己修好了")
    with acting(residents):
        s.residents.hold_project_meeting(compound_id=compound, project_id=project, held_on=china_date(NOW),
                                         attendees=["张三"], bodies=["resident"], minutes="同意")
    settle(system)

    now = answers(None)
    assert now != then  # every answer moved on
    assert [n == t for n, t in zip(now, then, strict=True)] == [False] * 5
    assert answers(midway) == then  # as of a time between: what it answered then
    assert answers(datetime.now(timezone.utc)) == now  # as of now: what it answers now

    # Computed against the asked time: the old case is overdue now, and was not an hour after it was raised.
    def overdue(at: datetime | None) -> dict:
        variables = {**asked, "c": str(old), "t": at.isoformat() if at else None}
        return graphql(url, token, OVERDUE, variables).json()["data"]["case"]

    assert (overdue(None), overdue(LONG_AGO + timedelta(hours=1))) == ({"overdue": True}, {"overdue": False})
    # The schemas answered from are kept for later questions, emptied once each answer is out.
    kept = replay_schemas(system)
    assert 1 <= len(kept) <= KEPT
    wait_until(lambda: all(not rows for rows in rows_in(system, kept).values()), "the kept schemas emptied")
    system.stop_all()  # SIGTERM: the API drops what it kept as it stops
    assert replay_schemas(system) == []


def replay_schemas(system) -> list[str]:
    return [name for (name,) in system.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'asof\\_%%'")]


def rows_in(system, schemas: list[str]) -> dict[str, int]:
    tables = system.query("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s)", (schemas,))
    assert len(tables) >= 30 * len(schemas)  # every view's tables
    return {f"{schema}.{table}": system.query(f'SELECT count(*) FROM "{schema}"."{table}"')[0][0]
            for schema, table in tables}


def test_the_schemas_of_a_process_that_died_are_dropped_when_an_api_starts_and_no_others(system):
    made_long_ago = int((time.time() - ORPHAN_SECONDS - 60) * 1_000_000)
    orphans = [f"asof_{made_long_ago}_0badf00d", f"asof_{uuid4().hex}"]  # the second, as older code named them
    alive = f"asof_{time.time_ns() // 1000}_5ca1ab1e"  # another process's, answering now
    for schema in (*orphans, alive):
        system.query(f'CREATE SCHEMA "{schema}"')
    system.start_api()
    assert replay_schemas(system) == [alive]


def test_as_of_refuses_what_it_cannot_answer(system):
    with acting("admin"):
        compound = system.services.residents.register_compound(**BEIYUAN).aggregate_id
    url = system.start_api()
    token = system.token("admin")

    def error(query: str, at: str) -> dict:
        return graphql(url, token, query, {"a": str(compound), "t": at}).json()["errors"][0]

    naive = error(FIGURES, "2026-01-01T00:00:00")
    assert naive["extensions"]["code"] == "INVALID_INPUT" and "time zone" in naive["message"]
    future = error(FIGURES, (NOW + timedelta(days=1)).isoformat())
    assert future["extensions"]["code"] == "INVALID_INPUT" and "future" in future["message"]
    both = error("query($a: UUID!, $t: DateTime) { caseFigures(compoundId: $a, asOf: $t) { raised } "
                 "compound(id: $a) { name } }", NOW.isoformat())
    assert both["extensions"]["code"] == "INVALID_INPUT" and "only that one root field" in both["message"]


def test_a_kept_schema_answers_the_next_question_with_its_own_events_and_clock(system):
    with acting("admin"):
        compound = system.services.residents.register_compound(**BEIYUAN).aggregate_id
    with acting(f"resident:{compound}:101", clock=lambda: LONG_AGO):
        system.services.residents.raise_case(compound_id=compound, category="repairs", description="路灯不亮",
                                             location="北门")
    replays = Replays(system.settings.database_url)

    def replayed(at: datetime) -> tuple[str, tuple]:
        schema = replays.build(compound, at)
        seen = system.query(f'SELECT "{schema}".now(), (SELECT count(*) FROM "{schema}".cases),'
                            f' (SELECT count(*) FROM "{schema}".compounds)')[0]
        replays.give_back(schema)
        return schema, seen

    registered, earlier = datetime.now(timezone.utc), LONG_AGO - timedelta(hours=1)
    first, at_first = replayed(registered)
    second, at_second = replayed(earlier)
    third, at_third = replayed(registered)
    assert first == second == third  # one schema, emptied and used again
    assert (at_first, at_second, at_third) == ((registered, 1, 1), (earlier, 0, 0), (registered, 1, 1))

    # A kept schema gone or changed under the process (a database restored from before it, a
    # table dropped by hand): the question is answered from a new schema, and that one is kept.
    for damage in ('DROP SCHEMA "{}" CASCADE', 'DROP TABLE "{}".cases CASCADE'):
        system.query(damage.format(third))
        fourth, at_fourth = replayed(registered)
        assert fourth != third and at_fourth == (registered, 1, 1)
        third = fourth
    assert replayed(registered)[0] == third
