"""The branch service: what the party branch records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

from services.branch.branch import Branch
from services.branch.case_file import CaseFile
from services.branch.claims import Claimable, Organisation
from services.branch.governance import Governance
from services.branch.street_agenda import StreetAgenda
from services.branch.powers import (
    OPEN, Activity, Evaluation, JointMeeting, Recommendation, Suggestion, SupervisionNotice,
)
from infra.settings import DEFAULT_DB_POOL
from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.context import current_context
from services.common.personal import Kind
from services.common.errors import NotFound, RuleViolated, require_text
from services.common.replies import NOTICE, SUGGESTION, Addressed

Item = TypeVar("Item", Suggestion, SupervisionNotice, Evaluation)


class BranchService(BodyApplication):
    body = Body.BRANCH
    aggregates = (Branch, Governance, CaseFile, Organisation, Claimable, JointMeeting, Activity, Suggestion,
                  SupervisionNotice, Recommendation, Evaluation, StreetAgenda)
    # No snapshots: a branch's state holds its members' names, and a snapshot would rest them in
    # clear beside the sealed events.
    personal_data = {
        "MemberReported": {"name": Kind.NAME},
        "CandidatesRecommended": {"candidates": Kind.NAME},
        "EvaluationScored": {"rater": Kind.NAME},
        "CaseDispatched": {"assignee": Kind.NAME},
    }

    def __init__(
        self, database_url: str | None = None, *, pool: int = DEFAULT_DB_POOL, compound_exists: Callable[[UUID], bool],
        committee_in_office: Callable[[UUID], bool], property_serving: Callable[[UUID], bool],
    ) -> None:
        super().__init__(database_url, pool=pool)
        self._compound_exists = compound_exists
        self._committee_in_office = committee_in_office
        self._property_serving = property_serving

    # -- the shape of a compound's governance ------------------------------------------------------

    def governance(self, compound_id: UUID) -> Governance:
        if not self._compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        return self.per_compound(Governance, compound_id)

    def present_bodies(self, compound_id: UUID) -> set[str]:
        """The bodies the compound has now: its residents' group always; a branch, an owners'
        committee and a property company if established and not dissolved."""
        present = {Body.RESIDENTS.value}
        if self.governance(compound_id).branch_id is not None:
            present.add(Body.BRANCH.value)
        if self._committee_in_office(compound_id):
            present.add(Body.OWNERS_COMMITTEE.value)
        if self._property_serving(compound_id):
            present.add(Body.PROPERTY.value)
        return present

    def establish_branch(self, *, compound_id: UUID, name: str, mode: str, affiliated_to: str | None = None,
                         joint_with: Sequence[UUID] = ()) -> Receipt:
        """Establishes the party branch of a compound (建立党支部); a joint branch (联合建) also
        covers the neighbouring compounds it is established with."""
        branch = Branch.establish(compound_id=compound_id, name=name, mode=mode, affiliated_to=affiliated_to)
        for neighbour in joint_with:
            branch.join(neighbour)
        led = [self.governance(c) for c in branch.compounds]
        for governance in led:
            governance.lead(branch.id, branch.name)
        return self.record(branch, *led, conflict="a branch was established there meanwhile; try again")

    def branch_of(self, compound_id: UUID) -> Branch:
        """The active branch that leads the compound."""
        governance = self.governance(compound_id)
        if governance.branch_id is None:
            raise RuleViolated(f"compound {compound_id} has no party branch", field="compoundId")
        return self.load(Branch, governance.branch_id, "party branch")

    def dissolve_branch(self, *, compound_id: UUID, dissolved_on: date, reason: str) -> Receipt:
        branch = self.branch_of(compound_id)
        branch.dissolve(dissolved_on, reason)
        released = [self.governance(c) for c in branch.compounds]
        for governance in released:
            governance.release(branch.id)
        return self.record(branch, *released, conflict="the branch changed meanwhile; try again")

    def attach_body(self, *, compound_id: UUID, kind: str, name: str) -> Receipt:
        """N-in-one: another body joins the compound's governance (a 监委会, a social organisation)."""
        governance = self.governance(compound_id)
        governance.attach(kind, name)
        return self.record(governance, conflict="the compound's governance changed meanwhile; try again")

    def detach_body(self, *, compound_id: UUID, kind: str, name: str) -> Receipt:
        governance = self.governance(compound_id)
        governance.detach(kind, name)
        return self.record(governance, conflict="the compound's governance changed meanwhile; try again")

    # -- members and their roles -------------------------------------------------------------------

    def _save_branch(self, branch: Branch) -> Receipt:
        return self.record(branch, conflict="the branch changed meanwhile; try again")

    def _member_branch(self, compound_id: UUID, member_id: UUID) -> Branch:
        """The branch of the compound, if that member of it lives there."""
        branch = self.branch_of(compound_id)
        if branch.member(member_id)["lives_in"] != compound_id:
            raise NotFound(f"no member {member_id} living in compound {compound_id}", field="memberId")
        return branch

    def report_member(self, *, compound_id: UUID, name: str, building: str, kind: str, reported_on: date,
                      organisation: str = "") -> tuple[Receipt, UUID]:
        """A member reports to the branch of the compound where they live (双报到), or transfers in
        as a floating member (流动党员); answers with the new member's id."""
        branch = self.branch_of(compound_id)
        member_id = uuid4()
        branch.report(member_id, name, compound_id, building, kind, organisation, reported_on)
        return self._save_branch(branch), member_id

    def release_member(self, *, compound_id: UUID, member_id: UUID, how: str, left_on: date, reason: str,
                       destination: str = "") -> Receipt:
        """A member leaves the branch, or transfers out (转出) to another organisation."""
        branch = self._member_branch(compound_id, member_id)
        branch.release(member_id, how, destination, left_on, reason)
        return self._save_branch(branch)

    def choose_branch_committee(self, *, compound_id: UUID, secretary: UUID, members: list[UUID],
                                chosen_on: date) -> Receipt:
        branch = self.branch_of(compound_id)
        branch.choose_committee(secretary, members, chosen_on)
        return self._save_branch(branch)

    def form_building_group(self, *, compound_id: UUID, building: str, leader: UUID) -> tuple[Receipt, UUID]:
        """A building party group (楼栋党小组), led by a member living in the compound."""
        branch = self.branch_of(compound_id)
        group_id = uuid4()
        branch.form_group(group_id, compound_id, building, leader)
        return self._save_branch(branch), group_id

    def assign_to_group(self, *, compound_id: UUID, group_id: UUID, member_id: UUID) -> Receipt:
        branch = self._member_branch(compound_id, member_id)
        branch.assign_to_group(group_id, member_id)
        return self._save_branch(branch)

    def designate_central_household(self, *, compound_id: UUID, member_id: UUID, households: int) -> Receipt:
        """A member's household becomes a central household (党员中心户) for those around it."""
        branch = self._member_branch(compound_id, member_id)
        branch.designate_central_household(member_id, households)
        return self._save_branch(branch)

    def record_cross_appointment(self, *, compound_id: UUID, member_id: UUID, body: str, seat: str,
                                 since: date) -> Receipt:
        """交叉任职: a member holds a seat on the owners' committee or the residents' council."""
        branch = self._member_branch(compound_id, member_id)
        if body == Body.OWNERS_COMMITTEE.value and not self._committee_in_office(compound_id):
            raise RuleViolated("the compound has no owners' committee in office", field="body")
        branch.record_seat(member_id, body, seat, since)
        return self._save_branch(branch)

    def end_cross_appointment(self, *, compound_id: UUID, member_id: UUID, body: str, ended_on: date) -> Receipt:
        branch = self._member_branch(compound_id, member_id)
        branch.end_seat(member_id, body, ended_on)
        return self._save_branch(branch)

    def record_activity(self, *, compound_id: UUID, held_on: date, title: str, participants: list[UUID],
                        residents_attending: int = 0) -> Receipt:
        """An activity of the branch (主题党日, volunteering), with the members who took part."""
        branch = self.branch_of(compound_id)
        activity = Activity.hold(compound_id=compound_id, branch_id=branch.id, held_on=held_on, title=title,
                                 participants=participants, residents_attending=residents_attending,
                                 members=branch.members)
        return self.record(activity, conflict="recorded already")

    # -- the five powers ---------------------------------------------------------------------------

    def hold_joint_meeting(self, *, compound_id: UUID, held_on: date, topic: str, bodies: list[str],
                           attendees: list[int], decisions: list[str]) -> Receipt:
        """议事: a joint meeting (联席会议) of the compound's bodies, convened by the branch."""
        branch = self.branch_of(compound_id)
        meeting = JointMeeting.hold(compound_id=compound_id, branch_id=branch.id, held_on=held_on, topic=topic,
                                    bodies=bodies, attendees=attendees, decisions=decisions,
                                    present=self.present_bodies(compound_id))
        return self.record(meeting, conflict="recorded already")

    def make_suggestion(self, *, compound_id: UUID, addressed_to: str, subject: str, text: str, made_on: date,
                        answer_by: date) -> Receipt:
        """建议: to the residents' group, the owners' committee or the property company."""
        branch = self.branch_of(compound_id)
        suggestion = Suggestion.make(compound_id=compound_id, branch_id=branch.id, addressed_to=addressed_to,
                                     subject=subject, text=text, made_on=made_on, answer_by=answer_by,
                                     present=self.present_bodies(compound_id))
        return self.record(suggestion, conflict="made already")

    def issue_supervision_notice(self, *, compound_id: UUID, addressed_to: str, matter: str, requirement: str,
                                 issued_on: date, rectify_by: date) -> Receipt:
        """监督: a notice to the owners' committee or the property company to rectify by a date."""
        branch = self.branch_of(compound_id)
        notice = SupervisionNotice.issue(compound_id=compound_id, branch_id=branch.id, addressed_to=addressed_to,
                                         matter=matter, requirement=requirement, issued_on=issued_on,
                                         rectify_by=rectify_by, present=self.present_bodies(compound_id))
        return self.record(notice, conflict="issued already")

    def _item(self, kind: type[Item], compound_id: UUID, item_id: UUID, what: str, field: str) -> Item:
        item = self.load(kind, item_id, what)
        if item.compound_id != compound_id:
            raise NotFound(f"no {what} with id {item_id} in compound {compound_id}", field=field)
        return item

    def note_rectification(self, *, notice_id: UUID, round_: int, report: str, reported_on: date) -> Receipt | None:
        """The addressed body reported its rectification; None if noted already."""
        notice = self.load(SupervisionNotice, notice_id, "supervision notice")
        if not notice.note_rectification(round_, report, reported_on):
            return None
        return self.record(notice, conflict="noted already")

    def close_supervision_notice(self, *, compound_id: UUID, notice_id: UUID, note: str) -> Receipt:
        notice = self._item(SupervisionNotice, compound_id, notice_id, "supervision notice", "noticeId")
        notice.close(note)
        return self.record(notice, conflict="the notice changed meanwhile; try again")

    def reopen_supervision_notice(self, *, compound_id: UUID, notice_id: UUID, reason: str,
                                  rectify_by: date) -> Receipt:
        notice = self._item(SupervisionNotice, compound_id, notice_id, "supervision notice", "noticeId")
        notice.reopen(reason, rectify_by)
        return self.record(notice, conflict="the notice changed meanwhile; try again")

    def recommend_candidates(self, *, compound_id: UUID, recommended_to: str, candidates: list[str],
                             note: str = "") -> Receipt:
        """人事: candidates for the owners' committee or the residents' council."""
        branch = self.branch_of(compound_id)
        recommendation = Recommendation.recommend(compound_id=compound_id, branch_id=branch.id,
                                                  recommended_to=recommended_to, candidates=candidates, note=note)
        return self.record(recommendation, conflict="recorded already")

    def open_evaluation(self, *, compound_id: UUID, evaluated: str, title: str, closes_on: date) -> Receipt:
        """评议: residents and members score the property company or the owners' committee."""
        branch = self.branch_of(compound_id)
        evaluation = Evaluation.open(compound_id=compound_id, branch_id=branch.id, evaluated=evaluated,
                                     title=title, closes_on=closes_on, present=self.present_bodies(compound_id))
        return self.record(evaluation, conflict="opened already")

    def score_evaluation(self, *, compound_id: UUID, evaluation_id: UUID, rater_kind: str, rater: str,
                         score: int) -> Receipt:
        evaluation = self._item(Evaluation, compound_id, evaluation_id, "evaluation", "evaluationId")
        evaluation.score(rater_kind, rater, score)
        return self.record(evaluation, conflict="the evaluation changed meanwhile; try again")

    def publish_evaluation(self, *, compound_id: UUID, evaluation_id: UUID) -> Receipt:
        evaluation = self._item(Evaluation, compound_id, evaluation_id, "evaluation", "evaluationId")
        evaluation.publish()
        return self.record(evaluation, conflict="the evaluation changed meanwhile; try again")

    def addressed(self, item_id: UUID) -> Addressed:
        """The branch's account of a suggestion or notice, for the body that replies to it."""
        suggestion = self.find(Suggestion, item_id)
        if suggestion is not None:
            return Addressed(SUGGESTION, suggestion.compound_id, suggestion.addressed_to, suggestion.made_on)
        notice = self.find(SupervisionNotice, item_id)
        if notice is not None:
            return Addressed(NOTICE, notice.compound_id, notice.addressed_to, notice.issued_on, notice.round,
                             awaiting=notice.state == OPEN)
        raise NotFound(f"the branch made no suggestion or notice with id {item_id}")

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

    # -- a street's agenda (每月一题), recorded by the street office ---------------------------------

    def street_agenda(self, street: str) -> StreetAgenda:
        name = require_text(street, "street", max_length=200)
        return self.find(StreetAgenda, StreetAgenda.create_id(name)) or StreetAgenda(street=name)

    def set_figure_weights(self, *, street: str, response: Decimal, resolution: Decimal, satisfaction: Decimal,
                           since: str) -> Receipt:
        """The street's weights of the 三率 in its composite score, from a period on."""
        agenda = self.street_agenda(street)
        agenda.set_weights(response, resolution, satisfaction, since)
        return self.record(agenda, conflict="the street's agenda changed meanwhile; try again")

    def choose_monthly_problem(self, *, street: str, period: str, category: str, area: str, title: str,
                               decision: str) -> Receipt:
        """每月一题: the problem the street takes up for a month, and what it decided."""
        agenda = self.street_agenda(street)
        agenda.choose_problem(period, category, area, title, decision)
        return self.record(agenda, conflict="the street's agenda changed meanwhile; try again")
