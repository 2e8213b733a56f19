"""The outcome rule of Civil Code art. 278, table-driven, at its edges. Exact arithmetic: every
boundary below is met exactly, where a float would round."""

from decimal import Decimal

import pytest

from services.owners_committee.assembly import count


def owners(*areas: str | int) -> dict[str, Decimal]:
    return {f"owner {i}": Decimal(str(a)) for i, a in enumerate(areas)}


def ballots(choices: str) -> dict[str, str]:
    """'yyn a-' → owner 0 yes, 1 yes, 2 no, 3 abstain, 4 did not vote."""
    code = {"y": "yes", "n": "no", "a": "abstain"}
    return {f"owner {i}": code[c] for i, c in enumerate(choices.replace(" ", "")) if c != "-"}


CASES = [
    # (what, matter, electorate, ballots, valid, passed)
    ("exactly 2/3 of area and of owners take part: valid",
     "other_major", owners(*[100] * 9), ballots("yyyyyy---"), True, True),
    ("one owner short of 2/3: not valid, whatever the yeses",
     "other_major", owners(*[100] * 9), ballots("yyyyy----"), False, False),
    ("area met (3/4) but headcount not (1/2): not valid",
     "other_major", owners(700, 100, 100, 100, 100, 100), ballots("yyy---"), False, False),
    ("headcount met (5/6) but area not (1/2): not valid",
     "other_major", owners(500, 100, 100, 100, 100, 100), ballots("-yyyyy"), False, False),
    ("exactly 3/4 of participating area and owners on a major matter: passes",
     "raise_maintenance_fund", owners(*[100] * 8), ballots("yyyyyynn"), True, True),
    ("just under 3/4 of the area on a major matter: fails",
     "rebuild", owners(*[100] * 7, 101), ballots("yyyyyynn"), True, False),
    ("exactly 1/2 on an ordinary matter: fails (more than half is needed)",
     "management_statute", owners(*[100] * 8), ballots("yyyynnnn"), True, False),
    ("abstentions count as taking part: 4 yes + 2 abstain of 9 is valid, and passes",
     "rules_of_procedure", owners(*[100] * 9), ballots("yyyyaa---"), True, True),
    ("abstentions are not yeses: 3 yes, 1 no, 2 abstain of 6 participating fails an ordinary matter",
     "rules_of_procedure", owners(*[100] * 9), ballots("yyynaa---"), True, False),
    ("using maintenance funds passes by simple majority at 7 yes / 3 no ...",
     "use_maintenance_fund", owners(*[100] * 10), ballots("yyyyyyynnn"), True, True),
    ("... while raising them at the same tally fails",
     "raise_maintenance_fund", owners(*[100] * 10), ballots("yyyyyyynnn"), True, False),
    ("changing the use of common parts is a major matter too",
     "change_common_parts", owners(*[100] * 10), ballots("yyyyyyynnn"), True, False),
    ("a majority by headcount but not by area fails",
     "hire_property_company", owners(400, 100, 100, 100, 100), ballots("nyyyy"), True, False),
    ("areas with fractions of a square metre, exactly 2/3 taking part",
     "elect_committee", owners("33.33", "33.33", "33.33"), ballots("yy-"), True, True),
]


@pytest.mark.parametrize(("what", "matter", "electorate", "cast", "valid", "passed"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_outcome_rule(what, matter, electorate, cast, valid, passed):
    result = count(matter, electorate, cast)
    assert (result.valid, result.passed) == (valid, passed), result.reason
    assert result.voted_owners == len(cast)
    assert result.voted_area == sum((electorate[o] for o in cast), Decimal(0))
    assert result.yes_owners + result.no_owners + result.abstain_owners == result.voted_owners
    assert ("Passed" in result.reason) == passed
    assert ("not valid" in result.reason) == (not valid)


def test_the_reason_names_the_figures_and_the_rule():
    result = count("raise_maintenance_fund", owners(*[100] * 10), ballots("yyyyyyynnn"))
    assert result.majority.value == "special"
    assert "70.00 % of the participating area (700 m²)" in result.reason
    assert "at least 3/4" in result.reason and "art. 278" in result.reason
