"""The owners' assembly (业主大会) under Civil Code art. 278: the matters it decides, and the rule
by which a vote on one of them is valid and passes. Exact rational arithmetic throughout.

A vote is valid only if owners holding at least 2/3 of the total exclusive area AND at least 2/3
of all owners take part. Then raising maintenance funds, rebuilding and changing the use of common
parts pass with at least 3/4 of the participating area AND at least 3/4 of the participating
owners; every other matter passes with more than 1/2 of both. Abstaining is taking part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction


class Matter(str, Enum):
    RULES_OF_PROCEDURE = "rules_of_procedure"  # 制定和修改业主大会议事规则
    MANAGEMENT_STATUTE = "management_statute"  # 制定和修改管理规约
    ELECT_COMMITTEE = "elect_committee"  # 选举业主委员会或者更换业主委员会成员
    HIRE_PROPERTY_COMPANY = "hire_property_company"  # 选聘物业服务企业
    DISMISS_PROPERTY_COMPANY = "dismiss_property_company"  # 解聘物业服务企业
    USE_MAINTENANCE_FUND = "use_maintenance_fund"  # 使用建筑物及其附属设施的维修资金
    RAISE_MAINTENANCE_FUND = "raise_maintenance_fund"  # 筹集建筑物及其附属设施的维修资金
    REBUILD = "rebuild"  # 改建、重建建筑物及其附属设施
    CHANGE_COMMON_PARTS = "change_common_parts"  # 改变共有部分的用途或者利用共有部分从事经营活动
    OTHER_MAJOR = "other_major"  # 有关共有和共同管理权利的其他重大事项


class Majority(str, Enum):
    SPECIAL = "special"  # ≥ 3/4 of participating area and of participating owners
    ORDINARY = "ordinary"  # > 1/2 of both


SPECIAL_MATTERS = {Matter.RAISE_MAINTENANCE_FUND, Matter.REBUILD, Matter.CHANGE_COMMON_PARTS}
PARTICIPATION = Fraction(2, 3)


def majority_of(matter: Matter) -> Majority:
    return Majority.SPECIAL if matter in SPECIAL_MATTERS else Majority.ORDINARY


class Choice(str, Enum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


@dataclass(frozen=True)
class Count:
    """The outcome of a vote and every figure behind it."""

    majority: Majority
    total_area: Decimal
    total_owners: int
    voted_area: Decimal
    voted_owners: int
    yes_area: Decimal
    yes_owners: int
    no_area: Decimal
    no_owners: int
    abstain_area: Decimal
    abstain_owners: int
    valid: bool
    passed: bool
    reason: str

    def fields(self) -> dict:
        """As the fields of the event that publishes it."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {
            "majority": self.majority.value}


def _share(part: Decimal | int, whole: Decimal | int) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def _percent(share: Fraction) -> str:
    return f"{float(share * 100):.2f} %"


def count(matter: Matter | str, owners: Mapping[str, Decimal], ballots: Mapping[str, str]) -> Count:
    """The outcome of a vote on ``matter`` by the electorate ``owners`` (owner key → exclusive
    area, all units of one owner summed), given each voting owner's ``ballots`` choice."""
    majority = majority_of(Matter(matter))
    total_area, total_owners = sum(owners.values(), Decimal(0)), len(owners)
    by_choice: dict[Choice, tuple[Decimal, int]] = {}
    for choice in Choice:
        voters = [owner for owner, chosen in ballots.items() if chosen == choice.value]
        by_choice[choice] = (sum((owners[v] for v in voters), Decimal(0)), len(voters))
    voted_area = sum((area for area, _ in by_choice.values()), Decimal(0))
    voted_owners = sum(n for _, n in by_choice.values())
    yes_area, yes_owners = by_choice[Choice.YES]

    area_took_part = _share(voted_area, total_area)
    owners_took_part = _share(voted_owners, total_owners)
    participation = (f"owners with {_percent(area_took_part)} of the exclusive area "
                     f"({voted_area} of {total_area} m²) and {_percent(owners_took_part)} of the "
                     f"owners ({voted_owners} of {total_owners}) took part")
    valid = area_took_part >= PARTICIPATION and owners_took_part >= PARTICIPATION
    if not valid:
        passed = False
        reason = f"not valid: {participation}; at least 2/3 of both must take part (art. 278)"
    else:
        area_yes, owners_yes = _share(yes_area, voted_area), _share(yes_owners, voted_owners)
        if majority is Majority.SPECIAL:
            passed = area_yes >= Fraction(3, 4) and owners_yes >= Fraction(3, 4)
            needed = "at least 3/4 of the participating area and of the participating owners"
        else:
            passed = area_yes > Fraction(1, 2) and owners_yes > Fraction(1, 2)
            needed = "more than 1/2 of the participating area and of the participating owners"
        reason = (f"valid: {participation}. {'Passed' if passed else 'Failed'}: owners with "
                  f"{_percent(area_yes)} of the participating area ({yes_area} m²) and "
                  f"{_percent(owners_yes)} of the participating owners ({yes_owners}) voted yes; "
                  f"{matter.value if isinstance(matter, Matter) else matter} needs {needed} (art. 278)")
    return Count(
        majority=majority, total_area=total_area, total_owners=total_owners,
        voted_area=voted_area, voted_owners=voted_owners, yes_area=yes_area, yes_owners=yes_owners,
        no_area=by_choice[Choice.NO][0], no_owners=by_choice[Choice.NO][1],
        abstain_area=by_choice[Choice.ABSTAIN][0], abstain_owners=by_choice[Choice.ABSTAIN][1],
        valid=valid, passed=passed, reason=reason,
    )
