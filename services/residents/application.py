"""The residents' service: what the residents' group records."""

from __future__ import annotations

from uuid import UUID

from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.residents.compound import Compound


class ResidentsService(BodyApplication):
    body = Body.RESIDENTS
    aggregates = (Compound,)

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
