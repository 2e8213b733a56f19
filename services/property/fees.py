"""Property fees (物业费): the company bills each household per period and records what it pays.
A bill is one household's for one period; the collection rate of a compound and period follows
from the bills and payments (Hefei: from poor to above 90 %).

A company bills only for a period in which it serves the compound on a basis that sets its fee:
the registered service contract with the owners, or a preliminary or interim basis that declared
its fee when the service was taken up; the bill is the fee per m² a month times the unit's
exclusive area times the months of the period, rounded half up to the fen (``fee_for``)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import RuleViolated, require_amount, require_date, require_text
from services.common.periods import period_bounds, require_period


def months_of(period: str) -> int:
    start, end = period_bounds(period)
    return (end.year - start.year) * 12 + end.month - start.month + 1


def fee_for(fee_per_m2: Decimal, area: Decimal, period: str) -> Decimal:
    """What a unit of ``area`` m² owes for ``period`` at ``fee_per_m2`` yuan per m² a month."""
    return (fee_per_m2 * area * months_of(period)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class FeeBill(GovernanceAggregate):
    @staticmethod
    def create_id(compound_id: UUID, period: str, household: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:fee-bill:{compound_id}:{period}:{household}")

    @event("FeeBilled")
    def __init__(self, compound_id: UUID, period: str, household: str, amount: Decimal) -> None:
        self.period = period
        self.household = household
        self.amount = amount
        self.paid = Decimal(0)

    @classmethod
    def bill(cls, *, compound_id: UUID, period: str, household: str, amount: Decimal | str) -> FeeBill:
        return cls(compound_id=compound_id, period=require_period(period),
                   household=require_text(household, "household", max_length=80),
                   amount=require_amount(amount, "amount"))

    def pay(self, amount: Decimal | str, paid_on: date) -> None:
        amount = require_amount(amount, "amount")
        if amount > self.amount - self.paid:
            raise RuleViolated(f"only ¥{self.amount - self.paid} of ¥{self.amount} is owed", field="amount")
        self._paid(amount=amount, paid_on=require_date(paid_on, "paidOn", not_after=today()))

    @event("FeePaid")
    def _paid(self, amount: Decimal, paid_on: date) -> None:
        self.paid += amount
