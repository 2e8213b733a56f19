"""The property service: what the property company records."""

from __future__ import annotations

from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.property.company import PropertyCompany


class PropertyService(BodyApplication):
    body = Body.PROPERTY
    aggregates = (PropertyCompany,)

    def register_company(self, *, name: str, credit_code: str) -> Receipt:
        """Registers a property service company."""
        company = PropertyCompany.register(name=name, credit_code=credit_code)
        return self.record(company, conflict=f"company {company.id} is already registered")
