"""A residential compound (小区), registered with the residents' group that every compound has."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import require_count, require_text


class Compound(GovernanceAggregate):
    @staticmethod
    def create_id(name: str, district: str, street: str, community: str) -> UUID:
        # A compound's name is unique within its community: registering it twice is refused.
        return uuid5(NAMESPACE_URL, f"siwei:compound:{district}/{street}/{community}/{name}")

    @classmethod
    def _create(cls, event_class: Any, *, id: UUID | None = None, **kwargs: Any) -> Any:  # noqa: A002
        # A compound concerns itself: its compound id is its own id.
        id = id or cls.create_id(  # noqa: A001
            kwargs["name"], kwargs["district"], kwargs["street"], kwargs["community"]
        )
        return super()._create(event_class, id=id, compound_id=id, **kwargs)

    @event("CompoundRegistered")
    def __init__(
        self,
        name: str,
        district: str,
        street: str,
        community: str,
        households: int,
        residents: int,
    ) -> None:
        self.name = name
        self.district = district
        self.street = street
        self.community = community
        self.households = households
        self.residents = residents

    @classmethod
    def register(
        cls,
        *,
        name: str,
        district: str,
        street: str,
        community: str,
        households: int,
        residents: int,
    ) -> Compound:
        return cls(
            name=require_text(name, "name"),
            district=require_text(district, "district"),
            street=require_text(street, "street"),
            community=require_text(community, "community"),
            households=require_count(households, "households"),
            residents=require_count(residents, "residents"),
        )
