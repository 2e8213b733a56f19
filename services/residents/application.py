"""The residents' service: what the residents' group records."""

from __future__ import annotations

from uuid import UUID

from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.context import current_context
from services.common.errors import NotFound, RuleViolated
from services.residents.case import Case
from services.residents.compound import Compound


class ResidentsService(BodyApplication):
    body = Body.RESIDENTS
    aggregates = (Compound, Case)

    def register_compound(
        self,
        *,
        name: str,
        district: str,
        street: str,
        community: str,
        households: int,
        residents: int,
    ) -> Receipt:
        """Registers a compound (小区) and so the residents' group of it."""
        compound = Compound.register(
            name=name, district=district, street=street, community=community,
            households=households, residents=residents,
        )
        return self.record(
            compound,
            conflict=f"compound {compound.name} is already registered in {compound.community}",
        )

    def compound_exists(self, compound_id: UUID) -> bool:
        return self.exists(Compound, compound_id)

    # -- cases (居民点单 … 群众评单) ------------------------------------------------------------------

    def raise_case(self, *, compound_id: UUID, category: str, description: str, location: str,
                   photo_ref: str | None = None) -> Receipt:
        """A resident raises a need or complaint (点单, 随手拍)."""
        if not self.compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        case = Case.raise_(compound_id=compound_id, category=category, description=description,
                           location=location, photo_ref=photo_ref)
        return self.record(case, conflict="this case is already raised")

    def own_case(self, compound_id: UUID, case_id: UUID, action: str) -> Case:
        """The case, if it is in that compound and the acting resident raised it."""
        case = self.load(Case, case_id, "case")
        if case.compound_id != compound_id:
            raise NotFound(f"no case with id {case_id} in compound {compound_id}", field="caseId")
        if case.created_by != current_context().actor:
            raise RuleViolated(f"only the resident who raised the case may {action} it")
        return case

    def add_case_information(self, *, compound_id: UUID, case_id: UUID, text: str) -> Receipt:
        case = self.own_case(compound_id, case_id, "add to")
        case.add_information(text)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def withdraw_case(self, *, compound_id: UUID, case_id: UUID, reason: str) -> Receipt:
        case = self.own_case(compound_id, case_id, "withdraw")
        case.withdraw(reason)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def rate_case(self, *, compound_id: UUID, case_id: UUID, score: int, comment: str = "") -> Receipt:
        """群众评单: the resident who raised it rates the outcome; below 3 reopens it, once."""
        case = self.own_case(compound_id, case_id, "rate")
        case.rate(score, comment)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def note_case_taken(self, *, case_id: UUID, taker: str) -> Receipt | None:
        case = self.load(Case, case_id, "case")
        return self.record(case, conflict="noted already") if case.note_taken(taker) else None

    def note_case_resolved(self, *, case_id: UUID, summary: str) -> Receipt | None:
        case = self.load(Case, case_id, "case")
        return self.record(case, conflict="noted already") if case.note_resolved(summary) else None
