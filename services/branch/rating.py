"""The star rating of a branch (星级联创, Luohu): one to three stars by party-member participation,
resident participation and satisfaction over a period. The thresholds are declared here and
nowhere else; the rating is derived from the figures, and the figures from the events.

- member participation: members who took part in the branch's activities or took a case, over
  the members reported to the branch at some time in the period;
- resident participation: residents who raised or rated a case (each counted once), attendances
  at the branch's activities and joint meetings, and evaluation sheets, over the residents of the
  compounds the branch covers (at most 1);
- satisfaction: the average of every case rating and evaluation score in the period (1 to 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Thresholds:
    member_participation: Decimal
    resident_participation: Decimal
    satisfaction: Decimal


# Every threshold of a star must be met; a branch has the most stars whose thresholds it meets.
STARS: dict[int, Thresholds] = {
    3: Thresholds(Decimal("0.60"), Decimal("0.20"), Decimal("4.50")),
    2: Thresholds(Decimal("0.40"), Decimal("0.10"), Decimal("4.00")),
    1: Thresholds(Decimal("0.20"), Decimal("0.05"), Decimal("3.50")),
}


def ratio(numerator: int, denominator: int, places: str = "0.0001") -> Decimal | None:
    if denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places), ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    members: int
    participating_members: int
    residents: int
    resident_participations: int
    scores: int
    score_total: int

    @property
    def member_participation(self) -> Decimal | None:
        return ratio(self.participating_members, self.members)

    @property
    def resident_participation(self) -> Decimal | None:
        rate = ratio(self.resident_participations, self.residents)
        return None if rate is None else min(rate, Decimal(1))

    @property
    def satisfaction(self) -> Decimal | None:
        return ratio(self.score_total, self.scores, "0.01")


def stars(figures: Figures) -> int:
    """0 to 3. A figure that cannot be computed (no members, no residents, no scores) meets no
    threshold."""
    rates = (figures.member_participation, figures.resident_participation, figures.satisfaction)
    if any(rate is None for rate in rates):
        return 0
    member, resident, satisfaction = rates
    for count in sorted(STARS, reverse=True):
        needed = STARS[count]
        if (member >= needed.member_participation and resident >= needed.resident_participation
                and satisfaction >= needed.satisfaction):
            return count
    return 0
