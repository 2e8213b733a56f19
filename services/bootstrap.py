"""Wires the four bodies' services for one process."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from infra.settings import DEFAULT_DB_POOL
from services.branch.application import BranchService
from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.errors import NotFound
from services.common.policy import Reaction
from services.common.replies import Addressed
from services.owners_committee.application import OwnersCommitteeService
from services.property.application import PropertyService
from services.residents.application import ResidentsService


@dataclass(frozen=True)
class Services:
    branch: BranchService
    residents: ResidentsService
    owners_committee: OwnersCommitteeService
    property: PropertyService

    def of(self, body: Body) -> BodyApplication:
        return getattr(self, body.value)

    def erase_person(self, person_id: UUID, reason: str) -> Receipt:
        """Erases a person's personal data; the body that holds it records the erasure."""
        for body in Body:
            found = self.of(body).personal_keys.whose(person_id)
            if found is not None:
                compound_id, holder = found
                return self.of(Body(holder) if holder else body).erase_person(compound_id, person_id, reason)
        raise NotFound(f"no person {person_id} whose personal data is kept (or erased already)", field="person")

    def close(self) -> None:
        for body in Body:
            self.of(body).close()


def bootstrap(database_url: str | None = None, *, pool: int = DEFAULT_DB_POOL) -> Services:
    """The four services on one database (each in its own schema, its store using up to
    ``pool`` connections at once), or in memory without one.

    Each service asks the others only what its rules need of them: whether a compound is
    registered, a company's name, which bodies a compound has, what the branch addressed."""
    services: Services

    def addressed(item_id: UUID) -> Addressed:
        return services.branch.addressed(item_id)

    residents = ResidentsService(database_url, pool=pool, addressed=addressed)
    property_ = PropertyService(
        database_url, pool=pool, compound_exists=residents.compound_exists, addressed=addressed,
        unit_area=lambda compound_id, household: services.owners_committee.unit_of_household(
            compound_id, household).exclusive_area,
        contract_in_force=lambda compound_id: services.owners_committee.contract_in_force(compound_id))
    owners_committee = OwnersCommitteeService(
        database_url, pool=pool, compound_exists=residents.compound_exists, company_name=property_.company_name,
        addressed=addressed,
    )
    services = Services(
        branch=BranchService(database_url, pool=pool, compound_exists=residents.compound_exists,
                             committee_in_office=owners_committee.in_office,
                             property_serving=property_.serving),
        residents=residents,
        owners_committee=owners_committee,
        property=property_,
    )
    return services


def policies(services: Services) -> dict[Body, dict[str, Reaction]]:
    """Each body's reactions to the other bodies' events."""
    from services.branch import policies as branch
    from services.property import policies as property_
    from services.residents import policies as residents

    return {
        Body.BRANCH: branch.reactions(services.branch),
        Body.RESIDENTS: residents.reactions(services.residents),
        Body.PROPERTY: property_.reactions(services.property),
    }


def application_classes() -> dict[Body, type[BodyApplication]]:
    return {
        Body.BRANCH: BranchService,
        Body.RESIDENTS: ResidentsService,
        Body.OWNERS_COMMITTEE: OwnersCommitteeService,
        Body.PROPERTY: PropertyService,
    }
