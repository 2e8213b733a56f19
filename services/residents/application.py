"""The residents' service: what the residents' group records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from uuid import UUID

from infra.settings import DEFAULT_DB_POOL
from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.context import current_context
from services.common.personal import Kind
from services.common.errors import NotEntitled, NotFound
from services.common.replies import Addressed, Replies, RepliesToBranch
from services.residents.case import Case
from services.residents.compound import Compound
from services.residents.council import Council
from services.residents.project import Project


class ResidentsService(RepliesToBranch, BodyApplication):
    body = Body.RESIDENTS
    aggregates = (Compound, Case, Project, Council, Replies)
    personal_data = {
        "CaseRaised": {"description": Kind.TEXT},
        "CaseInformationAdded": {"text": Kind.TEXT},
        "CaseWithdrawn": {"reason": Kind.TEXT},
        "CaseRated": {"comment": Kind.TEXT},
        "CouncilMemberSeated": {"name": Kind.NAME},
        "CouncilMemberLeft": {"name": Kind.NAME},
        "ProjectCouncilVoteOpened": {"seats": Kind.NAME},
        "ProjectCouncilMemberVoted": {"member": Kind.NAME},
    }

    def __init__(self, database_url: str | None = None, *, pool: int = DEFAULT_DB_POOL, addressed: Callable[[UUID], Addressed]) -> None:
        super().__init__(database_url, pool=pool)
        self._addressed = addressed

    def register_compound(
        self,
        *,
        name: str,
        district: str,
        street: str,
        community: str,
        households: int,
        residents: int,
    ) -> Receipt:
        """Registers a compound (小区) and so the residents' group of it."""
        compound = Compound.register(
            name=name, district=district, street=street, community=community,
            households=households, residents=residents,
        )
        return self.record(
            compound,
            conflict=f"compound {compound.name} is already registered in {compound.community}",
        )

    def compound_exists(self, compound_id: UUID) -> bool:
        return self.exists(Compound, compound_id)

    # -- the residents' council (居民议事会) ----------------------------------------------------------

    def council(self, compound_id: UUID) -> Council:
        if not self.compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        return self.per_compound(Council, compound_id)

    def seat_council_member(self, *, compound_id: UUID, name: str, role: str, joined_on: date) -> Receipt:
        council = self.council(compound_id)
        council.seat(name, role, joined_on)
        return self.record(council, conflict="the council changed meanwhile; try again")

    def unseat_council_member(self, *, compound_id: UUID, name: str, left_on: date, reason: str) -> Receipt:
        council = self.council(compound_id)
        council.unseat(name, left_on, reason)
        return self.record(council, conflict="the council changed meanwhile; try again")

    # -- cases (居民点单 … 群众评单) ------------------------------------------------------------------

    def raise_case(self, *, compound_id: UUID, category: str, description: str, location: str,
                   photo_ref: str | None = None, urgency: str = "routine") -> Receipt:
        """A resident raises a need or complaint (点单, 随手拍), routine or an emergency."""
        if not self.compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        case = Case.raise_(compound_id=compound_id, category=category, description=description,
                           location=location, photo_ref=photo_ref, urgency=urgency)
        return self.record(case, conflict="this case is already raised")

    def own_case(self, compound_id: UUID, case_id: UUID, action: str) -> Case:
        """The case, if it is in that compound and the acting resident raised it."""
        case = self.load(Case, case_id, "case")
        if case.compound_id != compound_id:
            raise NotFound(f"no case with id {case_id} in compound {compound_id}", field="caseId")
        if case.created_by != current_context().actor:
            raise NotEntitled(f"only the resident who raised the case may {action} it")
        return case

    def add_case_information(self, *, compound_id: UUID, case_id: UUID, text: str) -> Receipt:
        case = self.own_case(compound_id, case_id, "add to")
        case.add_information(text)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def withdraw_case(self, *, compound_id: UUID, case_id: UUID, reason: str) -> Receipt:
        case = self.own_case(compound_id, case_id, "withdraw")
        case.withdraw(reason)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def rate_case(self, *, compound_id: UUID, case_id: UUID, score: int, comment: str = "") -> Receipt:
        """群众评单: the resident who raised it rates the outcome; below 3 reopens it, once."""
        case = self.own_case(compound_id, case_id, "rate")
        case.rate(score, comment)
        return self.record(case, conflict="the case changed meanwhile; try again")

    def note_case_taken(self, *, case_id: UUID, taker: str) -> Receipt | None:
        case = self.load(Case, case_id, "case")
        return self.record(case, conflict="noted already") if case.note_taken(taker) else None

    def note_case_resolved(self, *, case_id: UUID, summary: str) -> Receipt | None:
        case = self.load(Case, case_id, "case")
        return self.record(case, conflict="noted already") if case.note_resolved(summary) else None

    # -- projects of the residents' council (议事 … 决算) ---------------------------------------------

    def propose_project(self, *, compound_id: UUID, title: str, description: str, proposed_by: str) -> Receipt:
        """A project proposed by the residents' council or the branch, as the council records it."""
        if not self.compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        project = Project.propose(compound_id=compound_id, title=title, description=description,
                                  proposed_by=proposed_by)
        return self.record(project, conflict="this project is proposed already")

    def project(self, compound_id: UUID, project_id: UUID) -> Project:
        project = self.load(Project, project_id, "project")
        if project.compound_id != compound_id:
            raise NotFound(f"no project with id {project_id} in compound {compound_id}", field="projectId")
        return project

    def _step(self, compound_id: UUID, project_id: UUID, step: Callable[[Project], object]) -> Receipt:
        project = self.project(compound_id, project_id)
        step(project)
        return self.record(project, conflict="the project changed meanwhile; try again")

    def hold_project_meeting(self, *, compound_id: UUID, project_id: UUID, held_on: date,
                             attendees: list[str], bodies: list[str], minutes: str) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.hold_meeting(held_on, attendees, bodies, minutes))

    def draft_project_plan(self, *, compound_id: UUID, project_id: UUID, content: str, budget: Decimal,
                           funding: str, contributing_households: int = 0,
                           contribution_per_household: Decimal = Decimal(0)) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.draft_plan(
            content, budget, funding, contributing_households, contribution_per_household))

    def publicise_project(self, *, compound_id: UUID, project_id: UUID, posted_on: date, days: int) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.publicise(posted_on, days))

    def lodge_project_objection(self, *, compound_id: UUID, project_id: UUID, lodged_on: date,
                                objection: str) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.lodge_objection(lodged_on, objection))

    def answer_project_objection(self, *, compound_id: UUID, project_id: UUID, number: int,
                                 answer: str) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.answer_objection(number, answer))

    def open_council_vote(self, *, compound_id: UUID, project_id: UUID, subject: str, opened_on: date,
                          budget: Decimal | None = None, reason: str = "") -> Receipt:
        """Opens the council's vote on the plan or on a budget amendment; its seats are the council
        as seated now."""
        seats = list(self.council(compound_id).members)
        return self._step(compound_id, project_id,
                          lambda p: p.open_council_vote(subject, opened_on, seats, budget, reason))

    def record_council_member_vote(self, *, compound_id: UUID, project_id: UUID, member: str,
                                   vote: str) -> Receipt:
        """The council's secretary records how one seated member voted."""
        return self._step(compound_id, project_id, lambda p: p.record_member_vote(member, vote))

    def close_council_vote(self, *, compound_id: UUID, project_id: UUID, voted_on: date) -> Receipt:
        """Counts the council's vote: it passes with 2/3 of all the seats frozen at its opening."""
        return self._step(compound_id, project_id, lambda p: p.close_council_vote(voted_on))

    def receive_project_bid(self, *, compound_id: UUID, project_id: UUID, bidder: str, amount: Decimal,
                            note: str = "") -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.receive_bid(bidder, amount, note))

    def choose_project_contractor(self, *, compound_id: UUID, project_id: UUID, bid: int, reason: str) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.choose_contractor(bid, reason))

    def start_project_works(self, *, compound_id: UUID, project_id: UUID, started_on: date) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.start_works(started_on))

    def record_project_inspection(self, *, compound_id: UUID, project_id: UUID, inspected_on: date,
                                  inspector: str, finding: str) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.record_inspection(inspected_on, inspector, finding))

    def complete_project_works(self, *, compound_id: UUID, project_id: UUID, completed_on: date) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.complete_works(completed_on))

    def accept_project(self, *, compound_id: UUID, project_id: UUID, accepted_on: date, note: str) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.accept(accepted_on, note))

    def settle_project(self, *, compound_id: UUID, project_id: UUID, actual: Decimal,
                       settled_on: date) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.settle(actual, settled_on))

    def withdraw_project(self, *, compound_id: UUID, project_id: UUID, reason: str) -> Receipt:
        return self._step(compound_id, project_id, lambda p: p.withdraw(reason))
