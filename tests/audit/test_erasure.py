"""PIPL erasure: an owner's name is sealed with their own key wherever the ledger holds it; erasing
deletes the key, the ledger still verifies, and the history shows the name as erased while every
count stays as it was."""

from __future__ import annotations

import json
import threading

from audit.verify import verify
from infra.relay import run_relays
from projections.projector import Projector
from services.common.context import acting, china_date, utc_now
from services.owners_committee.exclusive_unit import ExclusiveUnit
from tests.conftest import BEIYUAN, graphql

OWNERS = {"101": "田景余", "102": "李华", "103": "王芳"}

UNITS = """query($a: UUID!) { compound(id: $a) { units { edges { node { unit owner } } } } }"""
TABLE = """query($a: UUID!, $v: UUID!) { assemblyVote(compoundId: $a, id: $v) {
  totalOwners totalArea voteTable { edges { node { owner units choice } } } } }"""
HISTORY = """query($a: UUID!, $s: UUID!) { history(compoundId: $a, subject: $s) {
  totalCount edges { node { type data } } } }"""


def settle(system) -> None:
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)


def test_an_erased_owner_is_unreadable_everywhere_and_the_ledger_still_verifies(system):
    oc = system.services.owners_committee
    with acting("admin"):
        compound = system.services.residents.register_compound(**BEIYUAN).aggregate_id
    with acting(f"body:owners_committee:{compound}"):
        for unit, owner in OWNERS.items():
            oc.register_exclusive_unit(compound_id=compound, building="1栋", unit=unit, exclusive_area="80",
                                       owner=owner)
        vote = oc.open_vote(compound_id=compound, matter="other_major", title="加装电梯", description="1栋",
                            closes_on=china_date(utc_now())).aggregate_id
        for unit in ("101", "102"):
            oc.cast_ballot(compound_id=compound, vote_id=vote, building="1栋", unit=unit, choice="yes",
                           channel="paper")
    settle(system)

    # Sealed at rest, on the way and in the read models: no name in any stored byte.
    for name in OWNERS.values():
        for pattern in (name, json.dumps(name)[1:-1]):
            assert system.query("SELECT count(*) FROM owners_committee.owners_committee_events"
                                " WHERE position(convert_to(%s, 'UTF8') in state) > 0", (pattern,)) == [(0,)]
    assert all(owner.startswith("pii:") for (owner,) in system.query("SELECT owner FROM projections.exclusive_units"))

    url = system.start_api()
    committee, auditor = system.token(f"body:owners_committee:{compound}"), system.token("auditor:street:晋阳街道")
    variables = {"a": str(compound), "v": str(vote)}

    def owners() -> dict[str, str]:
        edges = graphql(url, committee, UNITS, variables).json()["data"]["compound"]["units"]["edges"]
        return {e["node"]["unit"]: e["node"]["owner"] for e in edges}

    assert owners() == OWNERS  # opened for those entitled
    before = graphql(url, committee, TABLE, variables).json()["data"]["assemblyVote"]

    erased = system.siwei("audit", "erase", "--compound", str(compound), "--owner", "田景余",
                   "--reason", "本人2026-11-20书面申请删除")
    assert erased.returncode == 0, erased.stderr
    assert [r.broken for r in verify(system.settings.database_url)] == [None] * 4
    settle(system)

    assert owners() == {**OWNERS, "101": "[erased]"}
    after = graphql(url, committee, TABLE, variables).json()["data"]["assemblyVote"]
    assert (after["totalOwners"], after["totalArea"]) == (before["totalOwners"], before["totalArea"]) == (3, "240.00")
    assert [(e["node"]["owner"], e["node"]["choice"]) for e in after["voteTable"]["edges"]] == [
        ("[erased]", "yes"), ("李华", "yes"), ("王芳", None)]

    unit_101 = ExclusiveUnit.create_id(compound, "1栋", "101")
    history = graphql(url, auditor, HISTORY, {"a": str(compound), "s": str(unit_101)}).json()["data"]["history"]
    events = {e["node"]["type"]: e["node"]["data"] for e in history["edges"]}
    assert list(events) == ["owners_committee.ExclusiveUnitRegistered", "owners_committee.UnitEnrolled"]
    assert events["owners_committee.ExclusiveUnitRegistered"]["owner"] == "[erased]"
    exported = system.siwei("audit", "history", str(compound), "--compound", str(compound))
    assert exported.returncode == 0, exported.stderr
    assert "田景余" not in exported.stdout and "李华" in exported.stdout
    assert '"type": "owners_committee.PersonalDataErased"' in exported.stdout
    assert "本人2026-11-20书面申请删除" in exported.stdout

    again = system.siwei("audit", "erase", "--compound", str(compound), "--owner", "田景余", "--reason", "再次")
    assert again.returncode == 1 and "erased already" in again.stderr

    # The unit lives on: it passes to a new owner, whose name is sealed under a key of their own.
    with acting(f"body:owners_committee:{compound}"):
        oc.transfer_unit(compound_id=compound, building="1栋", unit="101", owner="赵敏")
    settle(system)
    assert owners() == {**OWNERS, "101": "赵敏"}


PEOPLE = """query($a: UUID!, $c: UUID!) {
  compound(id: $a) { branch { memberCount members { edges { node { name } } } } }
  case(compoundId: $a, id: $c) { raisedBy description timeline { edges { node { actor detail } } } }
  caseFigures(compoundId: $a) { raised }
  history(compoundId: $a, first: 100) { edges { node { type actor data } } } }"""


def test_any_person_can_be_erased_and_every_figure_and_chain_stands(system):
    services = system.services
    with acting("admin"):
        compound = services.residents.register_compound(**BEIYUAN).aggregate_id
        services.branch.establish_branch(compound_id=compound, name="北苑小区党支部", mode="single")
    with acting(f"body:branch:{compound}"):
        services.branch.report_member(compound_id=compound, name="郑卫国", building="3栋", kind="resident",
                                      reported_on=china_date(utc_now()))
    with acting(f"body:residents:{compound}"):
        services.residents.seat_council_member(compound_id=compound, name="孙秀梅", role="member",
                                               joined_on=china_date(utc_now()))
    with acting(f"resident:{compound}:3栋502"):
        case = services.residents.raise_case(compound_id=compound, category="repairs",
                                             description="3栋502楼上漏水到我家卧室", location="3栋").aggregate_id
    settle(system)
    url = system.start_api()
    auditor = system.token("auditor:street:晋阳街道")
    variables = {"a": str(compound), "c": str(case)}
    before = graphql(url, auditor, PEOPLE, variables).json()["data"]
    seen = json.dumps(before, ensure_ascii=False)
    unseen = [v for v in ("郑卫国", "孙秀梅", "3栋502楼上漏水到我家卧室", f"resident:{compound}:3栋502") if v not in seen]
    assert not unseen, seen

    keys = services.residents.personal_keys
    people = {"branch": keys.person(compound, "郑卫国"), "residents": keys.person(compound, "孙秀梅")}
    resident = keys.person(compound, "3栋502")
    for person in (*people.values(), resident):
        erased = system.siwei("audit", "erase", "--person", str(person), "--reason", "本人申请")
        assert erased.returncode == 0, erased.stderr
    settle(system)

    after = graphql(url, auditor, PEOPLE, variables).json()["data"]
    shown = json.dumps(after, ensure_ascii=False)
    assert not any(value in shown for value in ("郑卫国", "孙秀梅", "漏水", "3栋502")), shown
    assert after["compound"]["branch"]["members"]["edges"] == [{"node": {"name": "[erased]"}}]
    assert after["case"]["raisedBy"] == f"resident:{compound}:[erased]"
    assert after["case"]["description"] == "[erased]"
    assert after["compound"]["branch"]["memberCount"] == before["compound"]["branch"]["memberCount"] == 1
    assert after["caseFigures"] == before["caseFigures"] == {"raised": 1}
    erasures = [e["node"] for e in after["history"]["edges"] if e["node"]["type"].endswith("PersonalDataErased")]
    assert sorted((e["type"], e["data"]["person_id"]) for e in erasures) == sorted(
        [("branch.PersonalDataErased", str(people["branch"])), ("residents.PersonalDataErased", str(people["residents"])),
         ("residents.PersonalDataErased", str(resident))])
    assert {e["actor"] for e in erasures} == {"admin"}
    assert [r.broken for r in verify(system.settings.database_url)] == [None] * 4
    again = system.siwei("audit", "erase", "--person", str(resident), "--reason", "再次")
    assert again.returncode == 1 and "erased already" in again.stderr
