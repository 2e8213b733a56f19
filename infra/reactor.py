"""The reactor: every body's policies, run on the other bodies' events as they arrive on the
topics. A reaction the rules refuse is recorded in ``reactions.refused_reactions`` with the
reason, and the reactor goes on."""

from __future__ import annotations

import logging

import psycopg

from infra.reader import UNHURRIED_FETCH_WAIT_MS, Handler, TopicReader
from infra.settings import Settings
from services.bootstrap import Services, policies
from services.common.policy import by_event_type, react
from services.common.published import PublishedEvent

log = logging.getLogger(__name__)

REACTIONS_SCHEMA = "reactions"
REFUSED_DDL = """
CREATE TABLE IF NOT EXISTS refused_reactions (
    event_id uuid NOT NULL,
    body text NOT NULL,
    event_type text NOT NULL,
    reason text NOT NULL,
    refused_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, body)
);
"""


class Reactor(TopicReader):
    role = "reactor"
    fetch_wait_ms = UNHURRIED_FETCH_WAIT_MS  # a reaction may come half a second later

    def __init__(self, settings: Settings, services: Services, *, schema: str = REACTIONS_SCHEMA) -> None:
        super().__init__(settings, schema=schema)
        self.reactions = by_event_type(policies(services))

    def ddl(self) -> list[str]:
        return [REFUSED_DDL]

    def handlers(self, event_type: str) -> list[tuple[str, Handler]]:
        return [("reactions", self.react)]

    def react(self, cur: psycopg.Cursor, event: PublishedEvent) -> None:
        for body, error in react(self.reactions, event):
            log.warning("the %s policy refused to react to %s %s: %s",
                        body.value, event.type, event.event_id, error)
            cur.execute(
                "INSERT INTO refused_reactions (event_id, body, event_type, reason)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (event.event_id, body.value, event.type, str(error)),
            )
