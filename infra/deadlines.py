"""The deadline watcher (限期办结, 分级负责): finds cases the view shows open past their deadline
and asks the branch to escalate them. The branch's case file decides, by the watcher's clock,
which tiers are due and records each once, so watching twice, or from two places, escalates
nothing twice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from infra.database import connect, database_away
from infra.settings import Settings
from projections.cases.view import OPEN_STATES
from services.bootstrap import Services
from services.common.context import acting, utc_now
from services.common.errors import DomainError

log = logging.getLogger(__name__)

ACTOR = "deadline-watcher"


def escalate_overdue(settings: Settings, services: Services, now: datetime) -> int:
    """One round; returns how many cases went up a tier."""
    with connect(settings.database_url) as conn:
        candidates = [row[0] for row in conn.execute(
            "SELECT case_id FROM projections.cases WHERE state = ANY(%s) AND due_at <= %s"
            " AND escalated_to IS DISTINCT FROM 'street'", (list(OPEN_STATES), now))]
    escalated = 0
    with acting(ACTOR, clock=lambda: now):
        for case_id in candidates:
            try:
                escalated += services.branch.escalate_overdue_case(case_id=case_id) is not None
            except DomainError as error:
                log.warning("could not escalate case %s: %s", case_id, error)
    return escalated


def watch(settings: Settings, services: Services, stop: threading.Event, every: float,
          clock: Callable[[], datetime] = utc_now) -> None:
    """A round every ``every`` seconds until ``stop``; a round the database's absence cut short is
    the next one's to do (each case's tiers are recorded once, whoever asks)."""
    while not stop.is_set():
        try:
            escalated = escalate_overdue(settings, services, clock())
        except Exception as error:
            if not database_away(error):
                raise
            log.warning("the database went away (%s); trying again in %.0fs", error, every)
            escalated = 0
        if escalated:
            log.info("escalated %d overdue cases", escalated)
        stop.wait(every)
