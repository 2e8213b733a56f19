"""The base of every aggregate: events that carry the common envelope.

Each event records, besides its own data and the library's ``originator_id`` (aggregate id),
``originator_version`` and ``timestamp`` (occurred at): its own ``event_id``, the ``compound_id``
it concerns (``None`` for what belongs to no single compound, such as a property company), the
``actor``, and the ``correlation_id`` and ``causation_id`` of the command it came from. The body
is the store the event lives in.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from services.common.context import current_context

ENVELOPE_FIELDS = ("event_id", "compound_id", "actor", "correlation_id", "causation_id")


def _envelope() -> dict[str, Any]:
    context = current_context()
    return {
        "event_id": uuid4(),
        "actor": context.actor,
        "correlation_id": context.correlation_id,
        "causation_id": context.causation_id,
    }


class GovernanceAggregate(Aggregate):
    """An aggregate of one body, belonging to one compound (or to none)."""

    class Event(Aggregate.Event):
        event_id: UUID = field(kw_only=True)
        compound_id: UUID | None = field(kw_only=True)
        actor: str = field(kw_only=True)
        correlation_id: UUID = field(kw_only=True)
        causation_id: UUID = field(kw_only=True)

        @staticmethod
        def create_timestamp() -> datetime:
            return current_context().clock()

    class Created(Event, Aggregate.Created):
        pass

    def __base_init__(
        self,
        originator_id: UUID,
        originator_version: int,
        timestamp: datetime,
        compound_id: UUID | None = None,
        actor: str = "",
    ) -> None:
        # The library picks these from the created event, on creation and on every replay.
        super().__base_init__(originator_id, originator_version, timestamp)
        self.compound_id = compound_id
        self.created_by = actor

    @classmethod
    def _create(cls, event_class: Any, *, id: UUID | None = None, **kwargs: Any) -> Any:  # noqa: A002
        kwargs.update(_envelope())
        kwargs.setdefault("compound_id", None)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.update(_envelope(), compound_id=self.compound_id)
        super().trigger_event(event_class, **kwargs)
