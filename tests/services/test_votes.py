"""Owners' assembly votes as the owners' committee records them, and what may rest on them: the
frozen electorate, ballots delivered, one ballot per owner with a receipt, a preliminary count with
objections and corrections, a final count, and the contract, the committee and fund spending that a
final, passed resolution alone allows; fund shares and fees under a contract."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.common.context import acting
from services.common.errors import InvalidInput, NotEntitled, NotFound, RuleViolated
from services.owners_committee.resolutions import FundUse, shares_of
from services.owners_committee.vote import receipt_of

COMMITTEE = "body:owners_committee:x"
TODAY = date(2026, 11, 20)
AFTER_OBJECTIONS = TODAY + timedelta(days=8)  # the default 7-day objection period is over
UNITS = ["1栋-101", "1栋-102", "1栋-201", "2栋-101", "2栋-102", "3栋-101", "3栋-102"]


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


def deliver(services, compound, vote, *places, method="in_person"):
    for place in places:
        building, unit = place.split("-")
        services.owners_committee.deliver_ballot(compound_id=compound, vote_id=vote, building=building, unit=unit,
                                                 method=method, delivered_on=TODAY, recipient="本人")


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
        deliver(services, compound, vote, *UNITS)
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
        deliver(services, compound, vote, *UNITS)
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
    """A vote every owner was given a ballot for, passed, publicised and final."""
    with on(TODAY):
        vote = open_vote(services, compound, matter, **extra)
        deliver(services, compound, vote, *UNITS)
        cast(services, compound, vote, ("1栋-101", "yes"), ("1栋-201", "yes"), ("2栋-101", "yes"),
             ("2栋-102", "yes"))
        services.owners_committee.close_vote(compound_id=compound, vote_id=vote)
    with on(AFTER_OBJECTIONS):
        services.owners_committee.finalise_vote(compound_id=compound, vote_id=vote)
    assert services.owners_committee.vote(compound, vote).passed
    return vote


def test_a_contract_only_on_a_passed_hiring_and_one_at_a_time(services, compound):
    compound, company = compound
    oc = services.owners_committee
    terms = {"starts_on": TODAY, "ends_on": TODAY + timedelta(days=3 * 365), "fee_per_m2": Decimal("1.80")}
    with on(TODAY):
        failed = open_vote(services, compound, "hire_property_company", company_id=company)
        deliver(services, compound, failed, *UNITS)
        cast(services, compound, failed, ("1栋-101", "no"), ("1栋-201", "no"), ("2栋-101", "no"),
             ("2栋-102", "no"))
        oc.close_vote(compound_id=compound, vote_id=failed)
    with on(AFTER_OBJECTIONS):
        oc.finalise_vote(compound_id=compound, vote_id=failed)
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


def test_a_vote_closes_before_its_notice_has_run_only_once_every_owner_was_reached(services, compound):
    compound, _ = compound
    oc = services.owners_committee
    with on(TODAY):
        vote = open_vote(services, compound)
        cast(services, compound, vote, ("1栋-101", "yes"), ("2栋-101", "yes"), ("1栋-201", "yes"))
        deliver(services, compound, vote, "2栋-102", method="post")
        with pytest.raises(RuleViolated, match="1 owners were not reached.*on 2026-12-05"):
            oc.close_vote(compound_id=compound, vote_id=vote)
        with pytest.raises(InvalidInput, match="method must be one of"):
            deliver(services, compound, vote, "3栋-101", method="pigeon")
        deliver(services, compound, vote, "3栋-101", method="electronic")  # the developer, for both units
        oc.close_vote(compound_id=compound, vote_id=vote)
        assert oc.vote(compound, vote).unreached() == 0
        late = open_vote(services, compound)
    with on(TODAY + timedelta(days=15)):  # the notice has run: the unreached are said, not waited for
        oc.close_vote(compound_id=compound, vote_id=late)
        assert oc.vote(compound, late).unreached() == 5
    closed = next(e for e in oc.events.get(late) if type(e).__name__ == "AssemblyVoteClosed")
    assert closed.unreached_owners == 5


def test_non_voters_are_not_counted_with_the_majority(services, compound):
    compound, _ = compound
    with on(TODAY):
        vote = open_vote(services, compound)
        cast(services, compound, vote, ("1栋-101", "yes"), ("2栋-101", "yes"), ("1栋-201", "no"),
             ("3栋-101", "no"))
        counted = services.owners_committee.vote(compound, vote).count()
    # 张三 150 m² and 王五 100 m² yes; 李四 80 m² and the developer 100 m² no; 赵六 (70 m²) did not vote.
    assert (counted.yes_owners, counted.yes_area, counted.voted_owners) == (2, Decimal("250.00"), 4)
    assert counted.valid and not counted.passed  # 2 of 4 owners is not more than half


def test_the_count_is_preliminary_until_objections_are_over_and_answered(services, compound):
    compound, company = compound
    oc = services.owners_committee
    with on(TODAY):
        vote = open_vote(services, compound, "hire_property_company", company_id=company)
        deliver(services, compound, vote, *UNITS)
        # 张三 and 王五 yes (250 m²), 李四 and 赵六 no (150 m²), the developer abstains (100 m²): 2 of the
        # 5 participating owners is not more than half.
        cast(services, compound, vote, ("1栋-101", "yes"), ("2栋-101", "yes"), ("1栋-201", "no"),
             ("2栋-102", "no"), ("3栋-101", "abstain"))
        with pytest.raises(RuleViolated, match="objection period runs 7 to 60 days"):
            oc.close_vote(compound_id=compound, vote_id=vote, objection_days=6)
        oc.close_vote(compound_id=compound, vote_id=vote, objection_days=10)
        assert not oc.vote(compound, vote).passed
    with acting(f"resident:{compound}:1栋201"):
        with pytest.raises(NotEntitled, match="their own ballot only"):
            oc.lodge_vote_objection(compound_id=compound, vote_id=vote, building="2栋", unit="102",
                                    objection="我投的是同意")
    with on(TODAY + timedelta(days=2)):
        # 李四 says their paper ballot said yes; 赵六 says the same, but the ballot says no.
        assert oc.vote(compound, vote).stage.value == "preliminary"
        oc.lodge_vote_objection(compound_id=compound, vote_id=vote, building="1栋", unit="201",
                                objection="纸质票勾选的是同意，统计为反对")
        oc.lodge_vote_objection(compound_id=compound, vote_id=vote, building="2栋", unit="102",
                                objection="我记得投的是同意")
    with on(TODAY + timedelta(days=5)):
        hire = {"compound_id": compound, "resolution_id": vote, "starts_on": TODAY,
                "ends_on": TODAY + timedelta(days=365), "fee_per_m2": Decimal("1.80")}
        with pytest.raises(RuleViolated, match="the result is preliminary"):
            oc.register_contract(**hire)
        with pytest.raises(InvalidInput, match="names the choice to count"):
            oc.answer_vote_objection(compound_id=compound, vote_id=vote, number=1, upheld=True, reason="复核")
        oc.answer_vote_objection(compound_id=compound, vote_id=vote, number=1, upheld=True, choice="yes",
                                 reason="复核原始纸质票，确为同意")
        assert oc.vote(compound, vote).passed  # 3 of 5 owners, 330 of 400 m²: the preliminary count follows
    with on(TODAY + timedelta(days=10)):
        with pytest.raises(RuleViolated, match="objections may be lodged until 2026-11-30"):
            oc.finalise_vote(compound_id=compound, vote_id=vote)
    with on(TODAY + timedelta(days=11)):
        with pytest.raises(RuleViolated, match="the objection period ended on 2026-11-30"):
            oc.lodge_vote_objection(compound_id=compound, vote_id=vote, building="3栋", unit="101",
                                    objection="迟到的异议")
        with pytest.raises(RuleViolated, match=r"objections \[2\] are not answered"):
            oc.finalise_vote(compound_id=compound, vote_id=vote)
        oc.answer_vote_objection(compound_id=compound, vote_id=vote, number=2, upheld=False,
                                 reason="原始选票勾选反对，已请业主现场核对")
        oc.finalise_vote(compound_id=compound, vote_id=vote)
        with pytest.raises(RuleViolated, match="only while the count is preliminary; the vote is final"):
            oc.correct_ballot(compound_id=compound, vote_id=vote, building="2栋", unit="102", choice="yes",
                              kind="recount", reason="再次复核")
        oc.register_contract(**hire)
    counts = [(e.occasion, e.yes_owners, e.passed) for e in oc.events.get(vote)
              if type(e).__name__ == "AssemblyVoteCounted"]
    assert counts == [("closing", 2, False), ("objection", 3, True), ("final", 3, True)]


def test_a_disbursement_is_shared_by_area_among_the_buildings_that_bear_it(services, compound):
    compound, _ = compound
    oc = services.owners_committee
    use = passed_vote(services, compound, "use_maintenance_fund", amount=Decimal("10000"))
    with on(AFTER_OBJECTIONS):
        oc.register_exclusive_unit(compound_id=compound, building="3栋", unit="201", exclusive_area=Decimal("33.33"),
                                   owner="孙七")
        oc.authorise_fund_use(compound_id=compound, resolution_id=use, purpose="屋面防水")
        with pytest.raises(InvalidInput, match="no unit of building 9栋 is registered"):
            oc.disburse_fund(compound_id=compound, resolution_id=use, amount=Decimal("1000"), payee="防水公司",
                             paid_on=AFTER_OBJECTIONS, borne_by=["1栋", "9栋"])
        oc.disburse_fund(compound_id=compound, resolution_id=use, amount=Decimal("1000"), payee="防水公司",
                         paid_on=AFTER_OBJECTIONS, borne_by=["1栋", "2栋", "3栋"])
        oc.disburse_fund(compound_id=compound, resolution_id=use, amount=Decimal("100"), payee="检测公司",
                         paid_on=AFTER_OBJECTIONS, borne_by=["3栋"])
    first, second = [e for e in oc.events.get(FundUse.create_id(use)) if type(e).__name__ == "FundDisbursed"]
    # 1栋 230 m², 2栋 170 m², 3栋 133.33 m²: 533.33 m² in all. In fen, the exact shares are
    # 16875.105…, 11250.070…, 15000.094…, 18750.117…, 13125.082…, 9375.059…, 9375.059…, 6249.414…:
    # rounded down they make 99,999 fen, and the fen left goes to the largest remainder, 3栋-201's.
    assert [f"{b}-{u}" for b, u in zip(first.buildings, first.units, strict=True)] == [
        "1栋-101", "1栋-102", "1栋-201", "2栋-101", "2栋-102", "3栋-101", "3栋-102", "3栋-201"]
    assert first.shares == [Decimal(x) for x in ("168.75", "112.50", "150.00", "187.50", "131.25", "93.75",
                                                  "93.75", "62.50")]
    assert sum(first.shares) == Decimal("1000.00")
    assert first.borne_by == ["1栋", "2栋", "3栋"]
    assert (second.buildings, second.units) == (["3栋"] * 3, ["101", "102", "201"])
    # 50 : 50 : 33.33 of ¥100: 37.5009…, 37.5009…, 24.9981… → 37.50, 37.50, 24.99 and the fen left to 3栋-201.
    assert second.shares == [Decimal("37.50"), Decimal("37.50"), Decimal("25.00")]


def test_shares_are_exact_fractions_rounded_to_add_up(services):
    assert shares_of(Decimal("100"), [Decimal(1)] * 3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    odd = [Decimal("89.57"), Decimal("76.23"), Decimal("102.81"), Decimal("33.33"), Decimal("120.61")]
    shares = shares_of(Decimal("12500.01"), odd)
    assert sum(shares) == Decimal("12500.01")
    for share, area in zip(shares, odd, strict=True):  # each within a fen of its exact share
        assert abs(share - Decimal("12500.01") * area / sum(odd)) < Decimal("0.01")


def test_fees_only_under_a_contract_at_its_fee_and_the_units_area(services, compound):
    compound, company = compound
    oc, p = services.owners_committee, services.property
    with acting("body:property:x"):
        with pytest.raises(RuleViolated, match="no property company serves the compound"):
            p.bill_fee(compound_id=compound, period="2026-11", household="1栋-101", amount=Decimal("162"))
        p.take_up_service(compound_id=compound, company_id=company, basis="owners_contract", since=TODAY)
        with pytest.raises(RuleViolated, match="the registered contract sets the fee"):
            p.declare_service_fee(compound_id=compound, fee_per_m2=Decimal("2"), since=TODAY)
        with pytest.raises(RuleViolated, match="no registered service contract with it is in force"):
            p.bill_fee(compound_id=compound, period="2026-11", household="1栋-101", amount=Decimal("162"))
    hired = passed_vote(services, compound, "hire_property_company", company_id=company)
    with on(AFTER_OBJECTIONS):
        oc.register_contract(compound_id=compound, resolution_id=hired, starts_on=TODAY,
                             ends_on=TODAY + timedelta(days=365), fee_per_m2=Decimal("1.80"))
    with acting("body:property:x", clock=lambda: datetime(2026, 12, 5, 4, tzinfo=timezone.utc)):
        # 1栋-101 is 90 m²: ¥162.00 a month at ¥1.80, ¥486.00 a quarter.
        with pytest.raises(RuleViolated, match=r"1栋-101 owes ¥162.00 for 2026-11: 90.00 m² at ¥1.80 per m² "
                                               r"a month for 1 months, not ¥160.00"):
            p.bill_fee(compound_id=compound, period="2026-11", household="1栋-101", amount=Decimal("160"))
        with pytest.raises(RuleViolated, match="does not cover the period"):
            p.bill_fee(compound_id=compound, period="2028-01", household="1栋-101", amount=Decimal("162"))
        with pytest.raises(RuleViolated, match="serves the compound since 2026-11-20, after the period"):
            p.bill_fee(compound_id=compound, period="2026-10", household="1栋-101", amount=Decimal("162"))
        with pytest.raises(NotFound, match="no unit 9栋-101"):
            p.bill_fee(compound_id=compound, period="2026-11", household="9栋-101", amount=Decimal("162"))
        p.bill_fee(compound_id=compound, period="2026-11", household="1栋-101", amount=Decimal("162"))
        p.bill_fee(compound_id=compound, period="2026-Q4", household="1栋102", amount=Decimal("324"))
        with pytest.raises(RuleViolated, match="billed for 2026-11 already"):
            p.bill_fee(compound_id=compound, period="2026-11", household="1栋-101", amount=Decimal("162"))
        with pytest.raises(InvalidInput, match="period must be"):
            p.bill_fee(compound_id=compound, period="October", household="1栋-101", amount=Decimal("1"))
        p.record_fee_payment(compound_id=compound, period="2026-11", household="1栋-101",
                             amount=Decimal("100"), paid_on=date(2026, 12, 5))
        with pytest.raises(RuleViolated, match="only ¥62.00 of ¥162.00 is owed"):
            p.record_fee_payment(compound_id=compound, period="2026-11", household="1栋-101",
                                 amount=Decimal("100"), paid_on=date(2026, 12, 5))
        with pytest.raises(NotFound, match="not billed"):
            p.record_fee_payment(compound_id=compound, period="2026-12", household="1栋-101",
                                 amount=Decimal("1"), paid_on=date(2026, 12, 5))
        # A preliminary basis bills nothing until its fee is declared; an interim one (应急托管) at the fee
        # it declared when taking up the service.
        p.hand_over_service(compound_id=compound, until=date(2026, 12, 5), reason="合同解除")
        p.take_up_service(compound_id=compound, company_id=company, basis="preliminary", since=date(2026, 12, 5))
        with pytest.raises(RuleViolated, match="preliminary basis that declared no fee"):
            p.bill_fee(compound_id=compound, period="2026-12", household="2栋-101", amount=Decimal("100"))
        p.declare_service_fee(compound_id=compound, fee_per_m2=Decimal("0.90"), since=date(2026, 12, 5))
        p.bill_fee(compound_id=compound, period="2026-12", household="2栋-101", amount=Decimal("90"))
        p.hand_over_service(compound_id=compound, until=date(2026, 12, 5), reason="移交")
        with pytest.raises(RuleViolated, match="no property company serves"):
            p.declare_service_fee(compound_id=compound, fee_per_m2=Decimal("1"), since=date(2026, 12, 5))
        p.take_up_service(compound_id=compound, company_id=company, basis="interim", since=date(2026, 12, 5),
                          fee_per_m2=Decimal("1.00"))
        with pytest.raises(RuleViolated, match="2栋-102 owes ¥70.00 for 2026-12"):
            p.bill_fee(compound_id=compound, period="2026-12", household="2栋-102", amount=Decimal("63"))
        p.bill_fee(compound_id=compound, period="2026-12", household="2栋-102", amount=Decimal("70"))
