"""What a policy is: a body's reactions to other bodies' events, one per event type.

A reaction runs as ``policy:<body>``, correlated with the event and caused by it, and must be
idempotent: the topics deliver at least once, so it may see an event again."""

from __future__ import annotations

from collections.abc import Callable

from services.common.application import Receipt
from services.common.bodies import Body
from services.common.context import acting
from services.common.errors import DomainError
from services.common.published import PublishedEvent

Reaction = Callable[[PublishedEvent], Receipt | None]
Reactions = dict[str, list[tuple[Body, Reaction]]]  # by event type


def by_event_type(policies: dict[Body, dict[str, Reaction]]) -> Reactions:
    found: Reactions = {}
    for body, table in policies.items():
        for event_type, reaction in table.items():
            found.setdefault(event_type, []).append((body, reaction))
    return found


def react(reactions: Reactions, event: PublishedEvent) -> list[tuple[Body, DomainError]]:
    """Runs every reaction to the event; returns those the rules refused, with why."""
    refused = []
    for body, reaction in reactions.get(event.type, ()):
        with acting(f"policy:{body.value}", correlation_id=event.correlation_id,
                    causation_id=event.event_id):
            try:
                reaction(event)
            except DomainError as error:
                refused.append((body, error))
    return refused
