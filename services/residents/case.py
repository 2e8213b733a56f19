"""A resident's need or complaint (居民点单), as the residents' group records it: raised, added
to, withdrawn, rated (群众评单). What other bodies did to it (taking it, resolving it) the group
notes from their events, so that its own rules (withdraw only before it is taken, rate only
after it is resolved) are its own to check."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.case_categories import Urgency, require_category, require_urgency
from services.common.errors import InvalidInput, RuleViolated, require_text

RAISED, TAKEN, RESOLVED, REOPENED, CLOSED, WITHDRAWN = (
    "raised", "taken", "resolved", "reopened", "closed", "withdrawn")
MAX_TEXT = 2000


class Case(GovernanceAggregate):
    @event("CaseRaised")
    def __init__(self, compound_id: UUID, category: str, description: str, location: str,
                 photo_ref: str | None, urgency: str | None = None) -> None:  # none: routine (raised before urgency was asked)
        self.category = category
        self.state = RAISED
        self.reopened = False

    @classmethod
    def raise_(cls, *, compound_id: UUID, category: str, description: str, location: str,
               photo_ref: str | None = None, urgency: str = Urgency.ROUTINE.value) -> Case:
        return cls(
            compound_id=compound_id,
            category=require_category(category).value,
            description=require_text(description, "description", max_length=MAX_TEXT, multiline=True),
            location=require_text(location, "location", max_length=200),
            photo_ref=require_text(photo_ref, "photoRef", max_length=500) if photo_ref else None,
            urgency=require_urgency(urgency).value,
        )

    def add_information(self, text: str) -> None:
        if self.state in (WITHDRAWN, CLOSED):
            raise RuleViolated(f"the case is {self.state}: nothing can be added to it")
        self._information_added(text=require_text(text, "text", max_length=MAX_TEXT, multiline=True))

    @event("CaseInformationAdded")
    def _information_added(self, text: str) -> None:
        pass

    def withdraw(self, reason: str) -> None:
        if self.state != RAISED:
            raise RuleViolated(f"the case is {self.state}: it can be withdrawn only before it is taken")
        self._withdrawn(reason=require_text(reason, "reason", max_length=MAX_TEXT, multiline=True))

    @event("CaseWithdrawn")
    def _withdrawn(self, reason: str) -> None:
        self.state = WITHDRAWN

    def note_taken(self, taker: str) -> bool:
        """Notes that a taker accepted it; False if there was nothing to note."""
        if self.state not in (RAISED, REOPENED):
            return False
        self._taken(taker=taker)
        return True

    @event("CaseTakenNoted")
    def _taken(self, taker: str) -> None:
        self.state = TAKEN

    def note_resolved(self, summary: str) -> bool:
        if self.state != TAKEN:
            return False
        self._resolved(summary=summary)
        return True

    @event("CaseResolutionNoted")
    def _resolved(self, summary: str) -> None:
        self.state = RESOLVED

    def rate(self, score: int, comment: str) -> None:
        """群众评单: 1 to 5, once per resolution; below 3 reopens the case, once."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidInput("score must be a whole number from 1 to 5", field="score")
        if self.state != RESOLVED:
            if self.state in (CLOSED, REOPENED):
                raise RuleViolated("this resolution has been rated already")
            raise RuleViolated(f"the case is {self.state}: it can be rated once it is resolved")
        self._rated(score=score, comment=(comment or "").strip()[:MAX_TEXT])
        if score < 3 and not self.reopened:
            self._reopened()

    @event("CaseRated")
    def _rated(self, score: int, comment: str) -> None:
        self.state = CLOSED

    @event("CaseReopened")
    def _reopened(self) -> None:
        self.state = REOPENED
        self.reopened = True
