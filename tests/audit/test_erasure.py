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

    unit_101 = system.query("SELECT unit_id FROM projections.exclusive_units WHERE unit = '101'")[0][0]
    history = graphql(url, auditor, HISTORY, {"a": str(compound), "s": str(unit_101)}).json()["data"]["history"]
    events = {e["node"]["type"]: e["node"]["data"] for e in history["edges"]}
    assert list(events) == ["owners_committee.ExclusiveUnitRegistered", "owners_committee.UnitEnrolled"]
    assert events["owners_committee.ExclusiveUnitRegistered"]["owner"] == "[erased]"
    exported = system.siwei("audit", "history", str(compound), "--compound", str(compound))
    assert exported.returncode == 0, exported.stderr
    assert "田景余" not in exported.stdout and "李华" in exported.stdout
    assert '"type": "owners_committee.OwnerDataErased"' in exported.stdout
    assert "本人2026-11-20书面申请删除" in exported.stdout

    again = system.siwei("audit", "erase", "--compound", str(compound), "--owner", "田景余", "--reason", "再次")
    assert again.returncode == 1 and "erased already" in again.stderr

    # The unit lives on: it passes to a new owner, whose name is sealed under a key of their own.
    with acting(f"body:owners_committee:{compound}"):
        oc.transfer_unit(compound_id=compound, building="1栋", unit="101", owner="赵敏")
    settle(system)
    assert owners() == {**OWNERS, "101": "赵敏"}
