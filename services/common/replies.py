"""A body's replies to the branch: answers to its suggestions and reports of rectification on its
supervision notices. Each body records its replies in its own store; the branch's item says who
was addressed, and only that body may reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.application import Receipt
from services.common.context import today
from services.common.errors import NotEntitled, NotFound, RuleViolated, require_choice, require_date, require_text

SUGGESTION, NOTICE = "suggestion", "supervision notice"


class Response(str, Enum):
    ACCEPTED = "accepted"  # 采纳
    PARTLY = "partly"  # 部分采纳, with why not all
    DECLINED = "declined"  # 不采纳, with why


@dataclass(frozen=True)
class Addressed:
    """What a body needs to know of a branch's item to reply to it."""

    kind: str  # SUGGESTION or NOTICE
    compound_id: UUID
    body: str
    since: date  # the day it was made or issued
    round: int = 1  # a notice's round: re-opening starts a new one
    awaiting: bool = True  # whether a reply is due now


class Replies(GovernanceAggregate):
    """One body's replies to the branch in one compound."""

    @staticmethod
    def create_id(compound_id: UUID, replier: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:replies:{replier}:{compound_id}")

    @event("RepliesOpened")
    def __init__(self, compound_id: UUID, replier: str) -> None:
        self.answered: set[UUID] = set()
        self.reported: set[tuple[UUID, int]] = set()

    def answer(self, suggestion_id: UUID, item: Addressed, response: str, reason: str,
               answered_on: date) -> None:
        if item.kind != SUGGESTION:
            raise NotFound(f"no suggestion with id {suggestion_id}", field="suggestionId")
        if suggestion_id in self.answered:
            raise RuleViolated("the suggestion is answered already", field="suggestionId")
        response = require_choice(Response, response, "response")
        reason = (reason or "").strip()
        if response != Response.ACCEPTED:
            reason = require_text(reason, "reason", max_length=2000, multiline=True)  # declining, even partly, says why
        self._answered(suggestion_id=suggestion_id, response=response, reason=reason,
                       answered_on=require_date(answered_on, "answeredOn", not_after=today(),
                                                not_before=item.since))

    @event("SuggestionAnswered")
    def _answered(self, suggestion_id: UUID, response: str, reason: str, answered_on: date) -> None:
        self.answered.add(suggestion_id)

    def report(self, notice_id: UUID, item: Addressed, report: str, reported_on: date) -> None:
        if item.kind != NOTICE:
            raise NotFound(f"no supervision notice with id {notice_id}", field="noticeId")
        if (notice_id, item.round) in self.reported or not item.awaiting:
            raise RuleViolated("the rectification of this round is reported already; the branch "
                               "closes the notice or re-opens it", field="noticeId")
        self._reported(notice_id=notice_id, round=item.round, report=require_text(report, "report", max_length=2000, multiline=True),
                       reported_on=require_date(reported_on, "reportedOn", not_after=today(),
                                                not_before=item.since))

    @event("RectificationReported")
    def _reported(self, notice_id: UUID, round: int, report: str, reported_on: date) -> None:  # noqa: A002
        self.reported.add((notice_id, round))


class RepliesToBranch:
    """The commands by which a body replies to the branch; mixed into the body's service, which
    is given ``addressed``, the branch's account of an item."""

    _addressed: Callable[[UUID], Addressed]

    def _replies(self, compound_id: UUID, item_id: UUID, field: str) -> tuple[Replies, Addressed]:
        item = self._addressed(item_id)
        if item.compound_id != compound_id:
            raise NotFound(f"no {item.kind} {item_id} in compound {compound_id}", field=field)
        if item.body != self.body.value:  # type: ignore[attr-defined]
            raise NotEntitled(f"that {item.kind} is addressed to the {item.body}, who replies to it",
                              field=field)
        return self.per_compound(Replies, compound_id, replier=item.body), item  # type: ignore[attr-defined]

    def answer_suggestion(self, *, compound_id: UUID, suggestion_id: UUID, response: str, reason: str = "",
                          answered_on: date) -> Receipt:
        """Answers a suggestion of the branch: accepted, partly (with why not all) or declined (why)."""
        replies, item = self._replies(compound_id, suggestion_id, "suggestionId")
        replies.answer(suggestion_id, item, response, reason, answered_on)
        return self.record(replies, conflict="the replies changed meanwhile; try again")  # type: ignore[attr-defined]

    def report_rectification(self, *, compound_id: UUID, notice_id: UUID, report: str,
                             reported_on: date) -> Receipt:
        """Reports what was done on a supervision notice of the branch (整改情况)."""
        replies, item = self._replies(compound_id, notice_id, "noticeId")
        replies.report(notice_id, item, report, reported_on)
        return self.record(replies, conflict="the replies changed meanwhile; try again")  # type: ignore[attr-defined]
