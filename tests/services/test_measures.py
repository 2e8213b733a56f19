"""What a street office measures, declared once: places, periods, classes, grades, a street's agenda."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from services.branch.street_agenda import StreetAgenda
from services.common.context import acting
from services.common.errors import InvalidInput, RuleViolated
from services.common.measures import Weights, classes, complaints_rate, grade_of, weighted
from services.common.periods import period_bounds, previous_period
from services.common.places import place_of


@pytest.mark.parametrize("location, building, area", [
    ("3栋旁垃圾站", "3栋", "垃圾站"), ("3号楼 电梯", "3栋", "电梯"), ("３幢电梯", "3栋", "电梯"), ("车棚", "", "车棚"),
    ("2栋", "2栋", "楼栋"), ("1单元101", "", "户内"), ("2-201", "", "户内"), ("12栋3单元楼道", "12栋", "楼道"),
    ("中心广场附近", "", "中心广场"),
])
def test_a_place_reads_the_same_however_it_is_written(location, building, area):
    place = place_of(location)
    assert (place.building, place.area) == (building, area)


@given(st.text(max_size=200))
def test_any_location_has_a_place(location):
    place = place_of(location)
    assert place.area and "|" in place.key


@pytest.mark.parametrize("period, before", [("2026-01", "2025-12"), ("2026-07", "2026-06"), ("2026-Q1", "2025-Q4"),
                                            ("2026-Q3", "2026-Q2"), ("2026-H1", "2025-H2"), ("2026-H2", "2026-H1"),
                                            ("2026", "2025")])
def test_the_period_before(period, before):
    assert previous_period(period) == before
    assert period_bounds(before)[1].toordinal() + 1 == period_bounds(period)[0].toordinal()


@pytest.mark.parametrize("period", ["0000", "0000-01", "9999", "9999-12", "2026-13", "2026-Q5", "2026-H3", "26-01", ""])
def test_a_period_that_is_not_one_is_refused(period):
    with pytest.raises(InvalidInput):
        period_bounds(period)


def test_a_rate_with_nothing_counted_is_left_out_of_the_score():
    equal = {"response": Decimal(1), "resolution": Decimal(1), "satisfaction": Decimal(1)}
    assert weighted({"response": 0.5, "resolution": 1.0, "satisfaction": None}, equal) == pytest.approx(75.0)
    assert weighted({"response": None, "resolution": None, "satisfaction": None}, equal) is None
    double = {**equal, "response": Decimal(2)}
    assert weighted({"response": 1 / 3, "resolution": 2 / 3, "satisfaction": 2 / 3}, double) == pytest.approx(50.0)


@pytest.mark.parametrize("weights", [("-1", "1", "1"), ("0", "0", "0"), ("NaN", "1", "1"), ("x", "1", "1"),
                                     ("101", "1", "1"), ("Infinity", "1", "1")])
def test_weights_that_cannot_be_are_refused(weights):
    with pytest.raises(InvalidInput):
        Weights.of(*weights)


def test_the_classes_of_ten_ranked_compounds():
    # (score, previous score, requests per 100 households), ranked by score already
    ranked = [(95, 90, 1.0), (90, 40, 2.0), (80, 70, 9.0), (75, 74, 0.5), (70, None, 3.0),
              (60, 20, 8.0), (50, 60, 0.0), (40, 45, 1.0), (30, 10, 7.0), (None, None, 6.0)]
    found = classes(ranked, score=lambda r: r[0], previous=lambda r: r[1], requests=lambda r: r[2])
    # 9 scored: the top and bottom ceil(9/5) = 2 are 先进 and 整改; 7 compared in both periods, so the
    # 2 most improved of those neither 先进 nor 整改 are 进步 (60 from 20, then 80 from 70); 治理: the
    # ceil(10/5) = 2 with the most requests per 100 households.
    assert found == {0: ["先进"], 1: ["先进"], 2: ["进步", "治理"], 3: [], 4: [], 5: ["进步", "治理"], 6: [],
                     7: ["整改"], 8: ["整改"], 9: []}


def test_grades_by_band():
    assert [grade_of(s) for s in (100, 85, 84.99, 75, 60, 59.99, 0, None)] == ["A", "A", "B", "B", "C", "D", "D", None]
    assert complaints_rate(1, 200) == pytest.approx(0.95)
    assert complaints_rate(30, 10) == 0.0
    assert complaints_rate(0, 0) is None


def test_a_street_takes_up_one_problem_a_month():
    with acting("office:street:晋阳街道"):
        agenda = StreetAgenda(street="晋阳街道")
        agenda.choose_problem("2026-03", "repairs", "3栋电梯", "电梯", "协调维修")
        assert agenda.collect_events()[-1].area == "电梯"  # the area as the clusters name it
        with pytest.raises(RuleViolated, match="already"):
            agenda.choose_problem("2026-03", "repairs", "车棚", "车棚", "x")
        for period in ("2026", "2026-Q1", "2026-H1"):
            with pytest.raises(InvalidInput, match="a month"):
                agenda.choose_problem(period, "repairs", "车棚", "车棚", "x")
        with pytest.raises(InvalidInput):
            agenda.choose_problem("2026-04", "nonsense", "车棚", "车棚", "x")
