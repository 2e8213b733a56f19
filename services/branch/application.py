"""The branch service: what the party branch records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from services.branch.branch import Branch
from services.branch.case_file import CaseFile
from services.branch.claims import Claimable, Organisation
from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.context import current_context
from services.common.errors import NotFound


class BranchService(BodyApplication):
    body = Body.BRANCH
    aggregates = (Branch, CaseFile, Organisation, Claimable)

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

    # -- cases (小区派单) ---------------------------------------------------------------------------

    def case_file(self, case_id: UUID, compound_id: UUID | None = None) -> CaseFile:
        """The branch's file on a case; with ``compound_id``, only if it is that compound's."""
        case_file = self.load(CaseFile, CaseFile.create_id(case_id), "case received by the branch")
        if compound_id is not None and case_file.compound_id != compound_id:
            raise NotFound(f"no case with id {case_id} in compound {compound_id}", field="caseId")
        return case_file

    def receive_case(self, *, case_id: UUID, compound_id: UUID, category: str,
                     raised_at: datetime) -> Receipt | None:
        """Opens the branch's file on a case a resident raised; None if it is open already."""
        if self.exists(CaseFile, CaseFile.create_id(case_id)):
            return None
        case_file = CaseFile(compound_id=compound_id, case_id=case_id, category=category,
                             raised_at=raised_at)
        return self.record(case_file, conflict="the case is received already")

    def dispatch_case(self, *, compound_id: UUID, case_id: UUID, taker: str, assignee: str) -> Receipt:
        """派单: to the property company, a party member, a volunteer team, the mediation room,
        or up to the community or street when it exceeds the compound's authority."""
        case_file = self.case_file(case_id, compound_id)
        case_file.dispatch(taker, assignee)
        return self.record(case_file, conflict="the case changed meanwhile; try again")

    def escalate_overdue_case(self, *, case_id: UUID) -> Receipt | None:
        """分级负责: up one tier for each deadline passed unresolved, by the command's clock;
        None if it is not (or no longer) overdue."""
        case_file = self.case_file(case_id)
        if not case_file.escalate_overdue(current_context().clock()):
            return None
        return self.record(case_file, conflict="escalated already")

    def accept_case(self, *, compound_id: UUID, case_id: UUID) -> Receipt:
        case_file = self.case_file(case_id, compound_id)
        case_file.accept()
        return self.record(case_file, conflict="the case changed meanwhile; try again")

    def refuse_case(self, *, compound_id: UUID, case_id: UUID, reason: str) -> Receipt:
        case_file = self.case_file(case_id, compound_id)
        case_file.refuse(reason)
        return self.record(case_file, conflict="the case changed meanwhile; try again")

    def record_case_progress(self, *, compound_id: UUID, case_id: UUID, note: str) -> Receipt:
        case_file = self.case_file(case_id, compound_id)
        case_file.record_progress(note)
        return self.record(case_file, conflict="the case changed meanwhile; try again")

    def resolve_case(self, *, compound_id: UUID, case_id: UUID, summary: str) -> Receipt:
        case_file = self.case_file(case_id, compound_id)
        case_file.resolve(summary)
        return self.record(case_file, conflict="the case changed meanwhile; try again")

    def conclude_mediation(self, *, compound_id: UUID, case_id: UUID, outcome: str, note: str) -> Receipt:
        """The mediation room's outcome of a dispute, as the branch records it."""
        case_file = self.case_file(case_id, compound_id)
        case_file.conclude_mediation(outcome, note)
        return self.record(case_file, conflict="the case changed meanwhile; try again")

    # -- project claims (认领) ---------------------------------------------------------------------

    def register_organisation(self, *, compound_id: UUID, name: str, kind: str) -> Receipt:
        """Registers a social organisation or business that may claim in the compound."""
        if not self._compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        organisation = Organisation.register(compound_id=compound_id, name=name, kind=kind)
        return self.record(organisation, conflict=f"{organisation.name} is registered already")

    def publish_claimable(self, *, compound_id: UUID, title: str, description: str, kind: str) -> Receipt:
        if not self._compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        claimable = Claimable.publish(compound_id=compound_id, title=title, description=description, kind=kind)
        return self.record(claimable, conflict="published already")

    def claimable(self, compound_id: UUID, claimable_id: UUID) -> Claimable:
        claimable = self.load(Claimable, claimable_id, "claimable need or project")
        if claimable.compound_id != compound_id:
            raise NotFound(f"no claimable item {claimable_id} in compound {compound_id}", field="claimableId")
        return claimable

    def record_claim(self, *, compound_id: UUID, claimable_id: UUID, organisation_id: UUID) -> Receipt:
        claimable = self.claimable(compound_id, claimable_id)
        claimable.claim(self.load(Organisation, organisation_id, "registered organisation"))
        return self.record(claimable, conflict="it changed meanwhile; try again")

    def record_claim_solved(self, *, compound_id: UUID, claimable_id: UUID, report: str) -> Receipt:
        claimable = self.claimable(compound_id, claimable_id)
        claimable.report_solved(report)
        return self.record(claimable, conflict="it changed meanwhile; try again")

    def note_case_withdrawal(self, *, case_id: UUID) -> Receipt | None:
        case_file = self.case_file(case_id)
        return self.record(case_file, conflict="noted already") if case_file.note_withdrawal() else None

    def note_case_reopening(self, *, case_id: UUID) -> Receipt | None:
        case_file = self.case_file(case_id)
        return self.record(case_file, conflict="noted already") if case_file.note_reopening() else None

    def note_work_order(self, *, case_id: UUID, dispatch_no: int, outcome: str) -> Receipt | None:
        case_file = self.case_file(case_id)
        noted = case_file.note_work_order(dispatch_no, outcome)
        return self.record(case_file, conflict="noted already") if noted else None
