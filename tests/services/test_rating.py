"""The star rating's thresholds (星级联创), at and just below each edge, one figure at a time."""

from decimal import Decimal

import pytest

from services.branch.rating import STARS, Figures, stars


def figures(member: str, resident: str, satisfaction: str) -> Figures:
    """Figures whose rates are exactly the given ones: 10,000 members and residents, 100 scores."""
    return Figures(members=10_000, participating_members=int(Decimal(member) * 10_000), residents=10_000,
                   resident_participations=int(Decimal(resident) * 10_000), scores=100,
                   score_total=int(Decimal(satisfaction) * 100))


@pytest.mark.parametrize(("member", "resident", "satisfaction", "expected"), [
    ("0.60", "0.20", "4.50", 3),  # every three-star threshold met exactly
    ("0.5999", "0.20", "4.50", 2),  # members just short of three stars
    ("0.60", "0.1999", "4.50", 2),  # residents just short
    ("0.60", "0.20", "4.49", 2),  # satisfaction just short
    ("0.40", "0.10", "4.00", 2),
    ("1.00", "1.00", "3.99", 1),  # excellent participation does not make up for satisfaction
    ("0.3999", "0.50", "5.00", 1),
    ("0.20", "0.05", "3.50", 1),
    ("0.1999", "0.05", "3.50", 0),
    ("0.20", "0.0499", "3.50", 0),
    ("0.20", "0.05", "3.49", 0),
])
def test_a_branch_has_the_most_stars_whose_every_threshold_it_meets(member, resident, satisfaction, expected):
    assert stars(figures(member, resident, satisfaction)) == expected


def test_the_thresholds_rise_with_the_stars():
    for lower, higher in ((1, 2), (2, 3)):
        assert all(getattr(STARS[lower], f) < getattr(STARS[higher], f)
                   for f in ("member_participation", "resident_participation", "satisfaction"))


@pytest.mark.parametrize("empty", [
    dict(members=0, participating_members=0), dict(residents=0, resident_participations=0),
    dict(scores=0, score_total=0),
])
def test_a_figure_that_cannot_be_computed_meets_no_threshold(empty):
    full = dict(members=10, participating_members=10, residents=10, resident_participations=10, scores=10,
                score_total=50)
    assert stars(Figures(**{**full, **empty})) == 0


def test_resident_participation_is_capped_at_everyone():
    # Attendances count each time: a busy year can exceed the residents; the rate stops at 1.
    assert Figures(1, 1, 100, 250, 1, 5).resident_participation == Decimal(1)
