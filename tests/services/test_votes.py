"""Owners' assembly votes as the owners' committee records them, and what may rest on them: the
frozen electorate, one ballot per owner with a receipt, corrections after closing, and the
contract, the committee and fund spending that a passed resolution alone allows."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.common.context import acting
from services.common.errors import InvalidInput, NotFound, RuleViolated
from services.owners_committee.vote import receipt_of

COMMITTEE = "body:owners_committee:x"
TODAY = date(2026, 11, 20)


def on(day: date):
    return acting(COMMITTEE, clock=lambda: datetime(day.year, day.month, day.day, 4, tzinfo=timezone.utc))


@pytest.fixture
def compound(services):
    with acting("admin"):
        compound = services.residents.register_compound(
            name="北苑小区", district="武侯区", street="晋阳街道", community="晋阳社区",
            households=10, residents=30).aggregate_id
        company = services.property.register_company(name="晋阳物业", credit_code="91510107MA6CY8QK2D")
    units = [("1栋", "101", "90", "张三"), ("1栋", "102", "60", "张三"), ("1栋", "201", "80", "李四"),
             ("2栋", "101", "100", "王五"), ("2栋", "102", "70", "赵六"),
             ("3栋", "101", "50", "成都置业"), ("3栋", "102", "50", "成都置业")]
    with on(TODAY):
        for building, unit, area, owner in units:
            services.owners_committee.register_exclusive_unit(
                compound_id=compound, building=building, unit=unit, exclusive_area=Decimal(area), owner=owner)
    return compound, company.aggregate_id


def open_vote(services, compound, matter="other_major", **extra):
    return services.owners_committee.open_vote(
        compound_id=compound, matter=matter, title="表决", description="事项", closes_on=TODAY, **extra
    ).aggregate_id


def cast(services, compound, vote, *ballots):
    receipts = []
    for place, choice in ballots:
        building, unit = place.split("-")
        receipts.append(services.owners_committee.cast_ballot(
            compound_id=compound, vote_id=vote, building=building, unit=unit, choice=choice,
            channel="online")[1])
    return receipts


def test_headcount_groups_a_buyers_units_and_the_developers_unsold_ones(services, compound):
    compound, _ = compound
    with on(TODAY):
        vote = services.owners_committee.vote(compound, open_vote(services, compound))
    # 张三's two units count once, and so do the developer's two unsold units: 5 owners, 500 m².
    assert (vote.count().total_owners, vote.count().total_area) == (5, Decimal("500.00"))
    assert vote.areas["张三"] == Decimal("150.00")


def test_opening_freezes_the_electorate(services, compound):
    compound, _ = compound
    oc = services.owners_committee
    with on(TODAY):
        vote = open_vote(services, compound)
        oc.register_exclusive_unit(compound_id=compound, building="4栋", unit="101",
                                   exclusive_area=Decimal("500"), owner="新业主")
        oc.correct_unit_area(compound_id=compound, building="2栋", unit="101",
                             exclusive_area=Decimal("10"), reason="测绘更正")
        oc.transfer_unit(compound_id=compound, building="3栋", unit="101", owner="孙七")
        with pytest.raises(RuleViolated, match="not in this vote's electorate"):
            cast(services, compound, vote, ("4栋-101", "yes"))
        cast(services, compound, vote, ("2栋-101", "yes"), ("3栋-101", "yes"))
        counted = oc.vote(compound, vote).count()
    assert (counted.total_owners, counted.total_area) == (5, Decimal("500.00"))
    assert counted.yes_area == Decimal("200.00")  # 王五's 100 m² as frozen; the developer's 100 m²
    with on(TODAY):
        later = oc.vote(compound, open_vote(services, compound)).count()
    assert (later.total_owners, later.total_area) == (7, Decimal("910.00"))


def test_one_ballot_per_owner_with_a_receipt_and_none_after_closing(services, compound):
    compound, _ = compound
    oc = services.owners_committee
    with on(TODAY):
        vote = open_vote(services, compound)
        (receipt,) = cast(services, compound, vote, ("1栋-101", "yes"))
        with pytest.raises(RuleViolated, match="one ballot per owner"):
            cast(services, compound, vote, ("1栋-102", "no"))  # the same owner's other unit
        with pytest.raises(InvalidInput, match="choice must be one of"):
            cast(services, compound, vote, ("2栋-101", "maybe"))
        cast(services, compound, vote, ("2栋-101", "yes"), ("1栋-201", "no"), ("3栋-102", "abstain"))
        oc.close_vote(compound_id=compound, vote_id=vote)
        with pytest.raises(RuleViolated, match="the vote is closed"):
            cast(services, compound, vote, ("2栋-102", "yes"))
    ballot = next(e for e in oc.events.get(vote) if type(e).__name__ == "BallotCast")
    assert receipt == receipt_of(vote, ballot.ballot_id, "张三", "yes", Decimal("150.00"))


def test_late_paper_ballots_and_recounts_are_corrections_that_recount(services, compound):
    compound, _ = compound
    oc = services.owners_committee
    with on(TODAY):
        vote = open_vote(services, compound, "management_statute")
        cast(services, compound, vote, ("1栋-101", "yes"), ("2栋-101", "no"), ("1栋-201", "no"))
        with pytest.raises(RuleViolated, match="corrections come after closing"):
            oc.correct_ballot(compound_id=compound, vote_id=vote, building="2栋", unit="102",
                              choice="yes", kind="late_paper", reason="纸质票")
        oc.close_vote(compound_id=compound, vote_id=vote)
        assert not oc.vote(compound, vote).passed  # 3 of 5 owners but only 330 of 500 m²: not valid
        oc.correct_ballot(compound_id=compound, vote_id=vote, building="2栋", unit="102",
                          choice="yes", kind="late_paper", reason="截止前投递的纸质票，次日开箱")
        with pytest.raises(RuleViolated, match="a second reading is a recount"):
            oc.correct_ballot(compound_id=compound, vote_id=vote, building="2栋", unit="102",
                              choice="no", kind="late_paper", reason="重复")
        oc.correct_ballot(compound_id=compound, vote_id=vote, building="1栋", unit="201",
                          choice="yes", kind="recount", reason="复核：选票勾选同意")
    result = oc.vote(compound, vote)
    assert result.passed and result.count().yes_owners == 3
    counts = [e for e in oc.events.get(vote) if type(e).__name__ == "AssemblyVoteCounted"]
    assert [(c.occasion, c.valid, c.passed) for c in counts] == [
        ("closing", False, False), ("late_paper", True, False), ("recount", True, True)]


def passed_vote(services, compound, matter, **extra):
    with on(TODAY):
        vote = open_vote(services, compound, matter, **extra)
        cast(services, compound, vote, ("1栋-101", "yes"), ("1栋-201", "yes"), ("2栋-101", "yes"),
             ("2栋-102", "yes"))
        services.owners_committee.close_vote(compound_id=compound, vote_id=vote)
    assert services.owners_committee.vote(compound, vote).passed
    return vote


def test_a_contract_only_on_a_passed_hiring_and_one_at_a_time(services, compound):
    compound, company = compound
    oc = services.owners_committee
    terms = {"starts_on": TODAY, "ends_on": TODAY + timedelta(days=3 * 365), "fee_per_m2": Decimal("1.80")}
    with on(TODAY):
        failed = open_vote(services, compound, "hire_property_company", company_id=company)
        cast(services, compound, failed, ("1栋-101", "no"), ("1栋-201", "no"), ("2栋-101", "no"),
             ("2栋-102", "no"))
        oc.close_vote(compound_id=compound, vote_id=failed)
        with pytest.raises(RuleViolated, match="has not passed that resolution"):
            oc.register_contract(compound_id=compound, resolution_id=failed, **terms)
    statute = passed_vote(services, compound, "management_statute")
    hired = passed_vote(services, compound, "hire_property_company", company_id=company)
    with on(TODAY):
        with pytest.raises(RuleViolated, match="not a resolution to hire_property_company"):
            oc.register_contract(compound_id=compound, resolution_id=statute, **terms)
        oc.register_contract(compound_id=compound, resolution_id=hired, **terms)
        with pytest.raises(RuleViolated, match="a contract was registered on that resolution already"):
            oc.register_contract(compound_id=compound, resolution_id=hired, **terms)
    again = passed_vote(services, compound, "hire_property_company", company_id=company)
    with on(TODAY), pytest.raises(RuleViolated, match="has an active contract with 晋阳物业"):
        oc.register_contract(compound_id=compound, resolution_id=again, **terms)


def test_a_dismissal_only_on_a_passed_dismissal_of_that_company(services, compound):
    compound, company = compound
    oc = services.owners_committee
    hired = passed_vote(services, compound, "hire_property_company", company_id=company)
    with on(TODAY):
        oc.register_contract(compound_id=compound, resolution_id=hired, starts_on=TODAY,
                             ends_on=TODAY + timedelta(days=365), fee_per_m2=Decimal("1.5"))
        with pytest.raises(RuleViolated, match="not a resolution to dismiss_property_company"):
            oc.dismiss_company(compound_id=compound, resolution_id=hired, ends_on=TODAY, reason="服务差")
        with pytest.raises(NotFound):
            oc.dismiss_company(compound_id=compound, resolution_id=compound, ends_on=TODAY, reason="服务差")
    dismissed = passed_vote(services, compound, "dismiss_property_company", company_id=company)
    with on(TODAY):
        oc.dismiss_company(compound_id=compound, resolution_id=dismissed, ends_on=TODAY, reason="服务差")
        with pytest.raises(RuleViolated, match="no active property service contract"):
            oc.dismiss_company(compound_id=compound, resolution_id=dismissed, ends_on=TODAY, reason="再次")


def test_fund_spending_up_to_what_a_passed_resolution_names(services, compound):
    compound, _ = compound
    oc = services.owners_committee
    with on(TODAY), pytest.raises(InvalidInput, match="must name the amount"):
        open_vote(services, compound, "use_maintenance_fund")
    use = passed_vote(services, compound, "use_maintenance_fund", amount=Decimal("36000"))
    statute = passed_vote(services, compound, "management_statute")
    with on(TODAY):
        with pytest.raises(RuleViolated, match="not a resolution to use_maintenance_fund"):
            oc.authorise_fund_use(compound_id=compound, resolution_id=statute, purpose="电梯维修")
        with pytest.raises(NotFound, match="no fund spending is authorised"):
            oc.disburse_fund(compound_id=compound, resolution_id=use, amount=Decimal(1), payee="x",
                             paid_on=TODAY)
        oc.authorise_fund_use(compound_id=compound, resolution_id=use, purpose="电梯维修")
        oc.disburse_fund(compound_id=compound, resolution_id=use, amount=Decimal("30000"),
                         payee="电梯公司", paid_on=TODAY)
        with pytest.raises(RuleViolated, match="only ¥6000.00 of the ¥36000.00 authorised remains"):
            oc.disburse_fund(compound_id=compound, resolution_id=use, amount=Decimal("6000.01"),
                             payee="电梯公司", paid_on=TODAY)


def test_the_committee_is_elected_by_a_passed_election(services, compound):
    compound, _ = compound
    oc = services.owners_committee
    election = passed_vote(services, compound, "elect_committee", candidates=["张三", "李四", "王五"])
    with on(TODAY):
        with pytest.raises(RuleViolated, match="at most five years"):
            oc.record_committee_election(compound_id=compound, resolution_id=election, term_starts=TODAY,
                                         term_ends=TODAY + timedelta(days=6 * 365))
        oc.record_committee_election(compound_id=compound, resolution_id=election, term_starts=TODAY,
                                     term_ends=TODAY + timedelta(days=5 * 365))
        with pytest.raises(InvalidInput, match="an election names its candidates"):
            open_vote(services, compound, "elect_committee")


def test_fees_are_billed_once_per_household_and_period_and_paid_up_to_the_bill(services, compound):
    compound, _ = compound
    p = services.property
    with acting("body:property:x"):
        p.bill_fee(compound_id=compound, period="2026-10", household="1栋101", amount=Decimal("162"))
        with pytest.raises(RuleViolated, match="billed for 2026-10 already"):
            p.bill_fee(compound_id=compound, period="2026-10", household="1栋101", amount=Decimal("162"))
        with pytest.raises(InvalidInput, match="period must be"):
            p.bill_fee(compound_id=compound, period="October", household="1栋101", amount=Decimal("1"))
        p.record_fee_payment(compound_id=compound, period="2026-10", household="1栋101",
                             amount=Decimal("100"), paid_on=date(2026, 10, 5))
        with pytest.raises(RuleViolated, match="only ¥62.00 of ¥162.00 is owed"):
            p.record_fee_payment(compound_id=compound, period="2026-10", household="1栋101",
                                 amount=Decimal("100"), paid_on=date(2026, 10, 6))
        with pytest.raises(NotFound, match="not billed"):
            p.record_fee_payment(compound_id=compound, period="2026-11", household="1栋101",
                                 amount=Decimal("1"), paid_on=date(2026, 10, 6))
