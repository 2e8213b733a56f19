"""Cross-witnessing (互相见证): each body records, in its own log, the latest heads of the other
bodies' hash chains as it saw them on their topics. A body that rewrote its history, even with a
recomputed chain, would contradict what the others recorded; see ``audit.verify``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate

WITNESSED_EVENT = "HeadsWitnessed"


@dataclass(frozen=True)
class Head:
    """A body's chain head as seen on its topic."""

    sequence: int
    link: str  # hex
    content: int  # the sequence of its latest event that is not itself a witness record


class ChainWitness(GovernanceAggregate):
    """One body's record of the other bodies' chain heads."""

    @staticmethod
    def create_id(witness: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:chain-witness:{witness}")

    @event("ChainWitnessOpened")
    def __init__(self, witness: str) -> None:
        self.witness = witness
        self.seen: dict[str, int] = {}  # body -> the sequence last witnessed

    def witness_heads(self, heads: Mapping[str, Head]) -> bool:
        """Records the other bodies' heads if any of them recorded more than witness records
        since this body last witnessed it (so that quiet bodies do not witness each other's
        witnessing for ever); answers whether it recorded."""
        heads = {body: head for body, head in sorted(heads.items()) if body != self.witness}
        if not any(head.content > self.seen.get(body, 0) for body, head in heads.items()):
            return False
        self._witnessed(bodies=list(heads), sequences=[h.sequence for h in heads.values()],
                        links=[h.link for h in heads.values()])
        return True

    @event(WITNESSED_EVENT)
    def _witnessed(self, bodies: list[str], sequences: list[int], links: list[str]) -> None:
        self.seen.update(zip(bodies, sequences, strict=True))
