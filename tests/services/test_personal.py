"""Personal data sealed per person: stored as tokens, read back by the body's own service, equal
for the same person, and unreadable (but still one person) once erased."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.context import acting
from services.common.errors import NotFound
from services.common.erasure import Erasures
from services.common.personal import ERASED, is_sealed, person_of, shown, split_resident, tokens_in
from services.owners_committee.exclusive_unit import ExclusiveUnit
from services.residents.case import Case
from tests.conftest import BEIYUAN


@pytest.fixture
def compound(services):
    with acting("admin"):
        compound = services.residents.register_compound(**BEIYUAN).aggregate_id
        for unit, owner in (("101", "王建国"), ("102", "王建国"), ("103", "李秀英")):
            services.owners_committee.register_exclusive_unit(
                compound_id=compound, building="2栋", unit=unit, exclusive_area="90", owner=owner)
    return compound


def stored_owners(services) -> list[str]:
    oc = services.owners_committee
    return [oc.mapper.sealed(n).owner for n in oc.recorder.select_notifications(0, 100)
            if n.topic.endswith("ExclusiveUnitRegistered")]


def test_names_are_stored_sealed_and_read_back_by_the_body(services, compound):
    tokens = stored_owners(services)
    assert all(is_sealed(t) for t in tokens) and not any("王" in t or "李" in t for t in tokens)
    assert tokens[0] == tokens[1] != tokens[2]  # one buyer's two units: one person, one token
    unit = services.owners_committee.unit(compound, "2栋", "101")
    assert unit.owner == "王建国"


def test_erasing_makes_a_name_unreadable_but_keeps_the_person_one_person(services, compound):
    oc = services.owners_committee
    with acting("admin"):
        services.erase_person(oc.owner_person(compound, "王建国"), "本人申请")
    tokens = stored_owners(services)
    keys = oc.personal_keys.keys({person_of(t) for t in tokens})
    assert [shown(t, keys) for t in tokens] == [ERASED, ERASED, "李秀英"]
    # The service reads the token back: still equal for both units, so the headcount holds.
    units = [oc.unit(compound, "2栋", u) for u in ("101", "102", "103")]
    assert units[0].owner == units[1].owner == tokens[0] and units[2].owner == "李秀英"
    erasures = oc.load(Erasures, Erasures.create_id(compound), "erasures")
    assert erasures.erased == {person_of(tokens[0])}

    with acting("admin"), pytest.raises(NotFound, match="erased already"):
        oc.owner_person(compound, "王建国")
    with acting("admin"), pytest.raises(NotFound, match="erased already"):
        services.erase_person(person_of(tokens[0]), "再次")
    # Registered again later, the same name is a new person with a new key.
    with acting("admin"):
        oc.transfer_unit(compound_id=compound, building="2栋", unit="103", owner="王建国")
    new = oc.find(ExclusiveUnit, ExclusiveUnit.create_id(compound, "2栋", "103"))
    assert new.owner == "王建国"
    assert person_of(stored_owners(services)[0]) != oc.personal_keys.person(compound, "王建国")


def stored(app, event_name: str):
    return [app.mapper.sealed(n) for n in app.recorder.select_notifications(0, 1000)
            if n.topic.endswith(f".{event_name}") or n.topic.endswith(f":{event_name}")]


def test_a_resident_is_named_by_a_pseudonym_and_what_they_write_is_sealed_under_their_key(services, compound):
    residents = services.residents
    with acting(f"resident:{compound}:2栋101"):
        case = residents.raise_case(compound_id=compound, category="repairs", description="楼道灯坏了，我家老人摔倒",
                                    location="2栋楼道").aggregate_id
        residents.add_case_information(compound_id=compound, case_id=case, text="我的电话 13800000000")
    raised, = stored(residents, "CaseRaised")
    added, = stored(residents, "CaseInformationAdded")
    _, unit = split_resident(raised.actor)
    assert is_sealed(unit) and "2栋101" not in raised.actor
    assert is_sealed(raised.description) and is_sealed(added.text) and raised.location == "2栋楼道"
    assert {person_of(t) for t in (unit, raised.description, added.text)} == {person_of(unit)}
    # The service reads its own events back in clear: the resident acts on their own case.
    assert residents.load(Case, case, "case").created_by == f"resident:{compound}:2栋101"

    with acting("admin"):
        services.erase_person(person_of(unit), "本人申请注销")
    keys = residents.personal_keys.keys({person_of(unit)})
    assert shown([raised.actor, raised.description, added.text], keys) == [
        f"resident:{compound}:{ERASED}", ERASED, ERASED]


def test_names_of_members_candidates_raters_and_assignees_are_sealed(services, compound):
    with acting("admin"):
        services.residents.seat_council_member(compound_id=compound, name="赵丽华", role="member",
                                               joined_on=date(2026, 1, 5))
    seated, = stored(services.residents, "CouncilMemberSeated")
    assert is_sealed(seated.name)
    assert not any("赵丽华" in t for t in tokens_in(seated.name))


def test_what_votes_name_is_sealed_and_an_objection_under_the_key_of_its_unit(services, compound):
    oc = services.owners_committee
    with acting(f"body:owners_committee:{compound}"):
        vote = oc.open_vote(compound_id=compound, matter="other_major", title="表决", description="事项",
                            closes_on=date(2099, 1, 1)).aggregate_id
        oc.deliver_ballot(compound_id=compound, vote_id=vote, building="2栋", unit="101", method="post",
                          delivered_on=date(2026, 1, 5), recipient="王建国的女儿")
        for unit in ("101", "103"):
            oc.cast_ballot(compound_id=compound, vote_id=vote, building="2栋", unit=unit, choice="no", channel="paper")
        oc.close_vote(compound_id=compound, vote_id=vote)
        # Written down by the committee for the owner who brought it in person.
        oc.lodge_vote_objection(compound_id=compound, vote_id=vote, building="2栋", unit="101",
                                objection="我的电话 13800000000，我投的是同意")
    delivered, = stored(oc, "BallotDelivered")
    lodged, = stored(oc, "VoteObjectionLodged")
    assert all(is_sealed(v) for v in (delivered.owner, delivered.unit, delivered.recipient, lodged.owner, lodged.unit,
                                      lodged.objection))
    assert person_of(lodged.objection) == person_of(lodged.unit) == oc.personal_keys.person(compound, "101")
    with acting("admin"):
        services.erase_person(person_of(lodged.unit), "本人申请注销")
    keys = oc.personal_keys.keys({person_of(lodged.unit)})
    assert shown([lodged.unit, lodged.objection], keys) == [ERASED, ERASED]
