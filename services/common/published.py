"""An event as every reader of the topics sees it: the envelope, the type, and its own data.
Policies react to these; projections are built from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from services.common.bodies import Body


class PublishedEvent(msgspec.Struct, frozen=True):
    """An event as every consumer sees it: the envelope, the type, and its own data. Immutable,
    and made in C: a frozen dataclass took 1.3 µs an event to make, a sixth of reading one from a
    store."""

    event_id: UUID
    type: str  # <body>.<Event>
    body: Body
    compound_id: UUID | None
    aggregate_id: UUID
    aggregate_version: int
    actor: str
    occurred_at: datetime
    correlation_id: UUID
    causation_id: UUID
    data: dict[str, Any]
    chain: Any = None  # its place in its body's hash chain (infra.wire.ChainLink), if published with it

    @property
    def name(self) -> str:
        return self.type.split(".", 1)[1]
