"""The branch service: what the party branch records."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.branch.branch import Branch
from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.errors import NotFound


class BranchService(BodyApplication):
    body = Body.BRANCH
    aggregates = (Branch,)

    def __init__(
        self, database_url: str | None = None, *, compound_exists: Callable[[UUID], bool]
    ) -> None:
        super().__init__(database_url)
        self._compound_exists = compound_exists

    def establish_branch(self, *, compound_id: UUID, name: str, mode: str) -> Receipt:
        """Establishes the party branch of a compound (建立党支部)."""
        if not self._compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        branch = Branch.establish(compound_id=compound_id, name=name, mode=mode)
        return self.record(branch, conflict="this branch is already established")
