"""The property service: what the property company records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from infra.settings import DEFAULT_DB_POOL
from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.errors import NotFound, RuleViolated
from services.common.periods import period_bounds, require_period
from services.common.personal import Kind
from services.common.replies import Addressed, Replies, RepliesToBranch
from services.property.company import PropertyCompany
from services.property.engagement import Engagement
from services.property.fees import FeeBill, fee_for, months_of
from services.property.work_order import WorkOrder


class PropertyService(RepliesToBranch, BodyApplication):
    body = Body.PROPERTY
    aggregates = (PropertyCompany, WorkOrder, FeeBill, Engagement, Replies)
    personal_data = {"FeeBilled": {"household": Kind.UNIT}}

    def __init__(
        self, database_url: str | None = None, *, pool: int = DEFAULT_DB_POOL, compound_exists: Callable[[UUID], bool],
        addressed: Callable[[UUID], Addressed], unit_area: Callable[[UUID, str], Decimal],
        contract_in_force: Callable[[UUID], dict | None],
    ) -> None:
        super().__init__(database_url, pool=pool)
        self._compound_exists = compound_exists
        self._addressed = addressed
        self._unit_area = unit_area
        self._contract_in_force = contract_in_force

    def register_company(self, *, name: str, credit_code: str) -> Receipt:
        """Registers a property service company."""
        company = PropertyCompany.register(name=name, credit_code=credit_code)
        return self.record(company, conflict=f"company {company.id} is already registered")

    def company_name(self, company_id: UUID) -> str:
        return self.load(PropertyCompany, company_id, "property company").name

    # -- serving a compound (进驻, 撤出) -------------------------------------------------------------

    def engagement(self, compound_id: UUID) -> Engagement:
        if not self._compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        return self.per_compound(Engagement, compound_id)

    def take_up_service(self, *, compound_id: UUID, company_id: UUID, basis: str, since: date,
                        fee_per_m2: Decimal | None = None) -> Receipt:
        """A company starts serving a compound (进驻): on the developer's preliminary contract, a
        contract with the owners, or an interim arrangement; the first and the last declare the fee."""
        engagement = self.engagement(compound_id)
        engagement.take_up(company_id, self.company_name(company_id), basis, since, fee_per_m2)
        return self.record(engagement, conflict="the compound's service changed meanwhile; try again")

    def declare_service_fee(self, *, compound_id: UUID, fee_per_m2: Decimal, since: date) -> Receipt:
        """Declares (or changes) the fee a preliminary or interim basis bills at, yuan per m² a month."""
        engagement = self.engagement(compound_id)
        engagement.declare_fee(fee_per_m2, since)
        return self.record(engagement, conflict="the compound's service changed meanwhile; try again")

    def hand_over_service(self, *, compound_id: UUID, until: date, reason: str) -> Receipt:
        """The serving company leaves the compound (撤出)."""
        engagement = self.engagement(compound_id)
        engagement.hand_over(until, reason)
        return self.record(engagement, conflict="the compound's service changed meanwhile; try again")

    def serving(self, compound_id: UUID) -> bool:
        """Whether a property company serves the compound."""
        engagement = self.find(Engagement, Engagement.create_id(compound_id))
        return engagement is not None and engagement.serving()

    # -- fees (物业费) ------------------------------------------------------------------------------

    def bill_fee(self, *, compound_id: UUID, period: str, household: str, amount: Decimal) -> Receipt:
        """Bills one household of a compound for one period, at the fee of the basis it is served on
        and the unit's exclusive area; a bill that disagrees is refused with the reason."""
        bill = FeeBill.bill(compound_id=compound_id, period=period, household=household, amount=amount)
        start, end = period_bounds(bill.period)
        fee = self.engagement(compound_id).fee_basis(start, end, self._contract_in_force(compound_id))
        area = self._unit_area(compound_id, bill.household)
        owed = fee_for(fee, area, bill.period)
        if bill.amount != owed:
            raise RuleViolated(f"{bill.household} owes ¥{owed} for {bill.period}: {area} m² at ¥{fee} per m² a month "
                               f"for {months_of(bill.period)} months, not ¥{bill.amount}", field="amount")
        return self.record(bill, conflict=f"{bill.household} is billed for {period} already")

    def record_fee_payment(self, *, compound_id: UUID, period: str, household: str, amount: Decimal,
                           paid_on: date) -> Receipt:
        bill = self.find(FeeBill, FeeBill.create_id(compound_id, require_period(period), household.strip()))
        if bill is None:
            raise NotFound(f"{household} is not billed for {period}", field="household")
        bill.pay(amount, paid_on)
        return self.record(bill, conflict="the bill changed meanwhile; try again")

    # -- work orders (物业接单) ---------------------------------------------------------------------

    def open_work_order(self, *, case_id: UUID, compound_id: UUID, dispatch_no: int, category: str,
                        due_at: datetime) -> Receipt | None:
        """Opens the work order of a dispatch to the property company; None if it is open already."""
        if self.exists(WorkOrder, WorkOrder.create_id(case_id, dispatch_no)):
            return None
        order = WorkOrder(compound_id=compound_id, case_id=case_id, dispatch_no=dispatch_no,
                          category=category, due_at=due_at)
        return self.record(order, conflict="the work order is open already")

    def work_order(self, compound_id: UUID, work_order_id: UUID) -> WorkOrder:
        order = self.load(WorkOrder, work_order_id, "work order")
        if order.compound_id != compound_id:
            raise NotFound(f"no work order with id {work_order_id} in compound {compound_id}",
                           field="workOrderId")
        return order

    def accept_work_order(self, *, compound_id: UUID, work_order_id: UUID) -> Receipt:
        order = self.work_order(compound_id, work_order_id)
        order.accept()
        return self.record(order, conflict="the work order changed meanwhile; try again")

    def refuse_work_order(self, *, compound_id: UUID, work_order_id: UUID, reason: str) -> Receipt:
        order = self.work_order(compound_id, work_order_id)
        order.refuse(reason)
        return self.record(order, conflict="the work order changed meanwhile; try again")

    def record_work_order_progress(self, *, compound_id: UUID, work_order_id: UUID, note: str) -> Receipt:
        order = self.work_order(compound_id, work_order_id)
        order.record_progress(note)
        return self.record(order, conflict="the work order changed meanwhile; try again")

    def resolve_work_order(self, *, compound_id: UUID, work_order_id: UUID, summary: str) -> Receipt:
        order = self.work_order(compound_id, work_order_id)
        order.resolve(summary)
        return self.record(order, conflict="the work order changed meanwhile; try again")
