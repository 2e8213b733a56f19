"""A party branch (党支部), established singly, jointly with neighbouring compounds, or by
affiliation to another organisation (单独建、联合建、挂靠建)."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import InvalidInput, require_text


class EstablishmentMode(str, Enum):
    SINGLE = "single"  # 单独建
    JOINT = "joint"  # 联合建
    AFFILIATED = "affiliated"  # 挂靠建


class Branch(GovernanceAggregate):
    @event("BranchEstablished")
    def __init__(self, compound_id: UUID, name: str, mode: str) -> None:
        self.name = name
        self.mode = mode

    @classmethod
    def establish(cls, *, compound_id: UUID, name: str, mode: str) -> Branch:
        if mode not in {m.value for m in EstablishmentMode}:
            allowed = ", ".join(m.value for m in EstablishmentMode)
            raise InvalidInput(f"mode must be one of {allowed}, not {mode!r}", field="mode")
        return cls(compound_id=compound_id, name=require_text(name, "name"), mode=mode)
