"""In-memory services, and a pump that carries their events to each other's policies the way
the reactor does (through the real wire format), without servers."""

from __future__ import annotations

import pytest

from infra import wire
from services.bootstrap import Services, bootstrap, policies
from services.common.bodies import Body
from services.common.policy import by_event_type, react


class Pump:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.reactions = by_event_type(policies(services))
        self.positions = {body: 0 for body in Body}
        self.refused: list = []

    def published(self, body: Body) -> list:
        app = self.services.of(body)
        notifications = app.recorder.select_notifications(
            self.positions[body], 1000, inclusive_of_start=False)
        if notifications:
            self.positions[body] = notifications[-1].id
        return [
            wire.decode(m.headers, m.value)
            for m in (wire.encode(body, app.mapper.sealed(n), 1) for n in notifications)
        ]

    def run(self) -> None:
        """Until no body has anything new to react to."""
        while True:
            events = [e for body in Body for e in self.published(body)]
            if not events:
                return
            for event in events:
                self.refused += react(self.reactions, event)


@pytest.fixture
def services() -> Services:
    return bootstrap()


@pytest.fixture
def pump(services: Services) -> Pump:
    return Pump(services)
