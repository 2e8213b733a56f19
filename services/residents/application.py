"""The residents' service: what the residents' group records."""

from __future__ import annotations

from uuid import UUID

from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.errors import NotFound
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

    def add_case_information(self, *, case_id: UUID, text: str) -> Receipt:
        case = self.load(Case, case_id, "case")
        case.add_information(text)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def withdraw_case(self, *, case_id: UUID, reason: str) -> Receipt:
        case = self.load(Case, case_id, "case")
        case.withdraw(reason)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def rate_case(self, *, case_id: UUID, score: int, comment: str = "") -> Receipt:
        """群众评单: the resident rates the outcome; below 3 reopens it, once."""
        case = self.load(Case, case_id, "case")
        case.rate(score, comment)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def note_case_taken(self, *, case_id: UUID, taker: str) -> Receipt | None:
        case = self.load(Case, case_id, "case")
        return self.record(case, conflict="noted already") if case.note_taken(taker) else None

    def note_case_resolved(self, *, case_id: UUID, summary: str) -> Receipt | None:
        case = self.load(Case, case_id, "case")
        return self.record(case, conflict="noted already") if case.note_resolved(summary) else None
