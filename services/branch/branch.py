"""A party branch (党支部) and its people: established singly, jointly with neighbouring compounds,
or by affiliation to another organisation (单独建、联合建、挂靠建); its secretary and committee;
members who report to it where they live (双报到) or transfer in (流动党员), and leave or transfer
out; building party groups (楼栋党小组), central households (党员中心户), and members' seats on
the other bodies (交叉任职)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.bodies import Body
from services.common.context import today
from services.common.errors import InvalidInput, NotFound, RuleViolated, require_choice, require_date, require_text

MAX_CENTRAL_HOUSEHOLDS = 50  # a 党员中心户 looks after the households around it, a few dozen at most


class EstablishmentMode(str, Enum):
    SINGLE = "single"  # 单独建
    JOINT = "joint"  # 联合建: one branch for neighbouring compounds
    AFFILIATED = "affiliated"  # 挂靠建: attached to another organisation's party body


class MemberKind(str, Enum):
    RESIDENT = "resident"  # the member's organisation is the branch itself (e.g. retired)
    IN_SERVICE = "in_service"  # 在职党员 双报到: keeps the workplace organisation
    FLOATING = "floating"  # 流动党员: transferred in from an organisation elsewhere


class Departure(str, Enum):
    LEFT = "left"  # moved away, died, or left the party
    TRANSFERRED_OUT = "transferred_out"  # 转出 to another organisation


# The bodies a branch member can hold a seat on (交叉任职).
SEATED_BODIES = (Body.OWNERS_COMMITTEE, Body.RESIDENTS)


class Branch(GovernanceAggregate):
    @event("BranchEstablished")
    def __init__(self, compound_id: UUID, name: str, mode: str, affiliated_to: str | None = None) -> None:
        self.name = name
        self.mode = mode
        self.compounds = [compound_id]
        self.dissolved = False
        self.members: dict[UUID, dict] = {}  # active members
        self.secretary: UUID | None = None
        self.committee: list[UUID] = []
        self.groups: dict[UUID, dict] = {}
        self.central_households: set[UUID] = set()
        self.seats: set[tuple[UUID, str]] = set()  # (member, body) of active cross-appointments

    @classmethod
    def establish(cls, *, compound_id: UUID, name: str, mode: str, affiliated_to: str | None) -> Branch:
        mode = require_choice(EstablishmentMode, mode, "mode")
        if mode == EstablishmentMode.AFFILIATED:
            affiliated_to = require_text(affiliated_to or "", "affiliatedTo")
        elif affiliated_to:
            raise InvalidInput("affiliatedTo is only for a branch established by affiliation",
                               field="affiliatedTo")
        return cls(compound_id=compound_id, name=require_text(name, "name"), mode=mode,
                   affiliated_to=affiliated_to or None)

    def require_active(self) -> None:
        if self.dissolved:
            raise RuleViolated(f"the branch {self.name} is dissolved")

    def covers(self, compound_id: UUID) -> bool:
        return not self.dissolved and compound_id in self.compounds

    # -- the compounds it covers -------------------------------------------------------------------

    def join(self, compound_id: UUID) -> None:
        """联合建: a neighbouring compound joins this branch."""
        self.require_active()
        if self.mode != EstablishmentMode.JOINT:
            raise RuleViolated("only a jointly established branch (联合建) covers several compounds",
                               field="jointWith")
        if compound_id in self.compounds:
            raise RuleViolated("that compound is covered by this branch already", field="jointWith")
        self._joined(joined=compound_id)

    @event("CompoundJoinedBranch")
    def _joined(self, joined: UUID) -> None:
        self.compounds.append(joined)

    def dissolve(self, dissolved_on: date, reason: str) -> None:
        self.require_active()
        if self.members:
            raise RuleViolated(f"{len(self.members)} members still report to the branch: they leave "
                               "or transfer out first")
        self._dissolved(dissolved_on=require_date(dissolved_on, "dissolvedOn", not_after=today()),
                        reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("BranchDissolved")
    def _dissolved(self, dissolved_on: date, reason: str) -> None:
        self.dissolved = True

    # -- members (双报到, 流动党员) -------------------------------------------------------------------

    def member(self, member_id: UUID) -> dict:
        if member_id not in self.members:
            raise NotFound(f"no active member {member_id} in the branch {self.name}", field="memberId")
        return self.members[member_id]

    def report(self, member_id: UUID, name: str, lives_in: UUID, building: str, kind: str,
               organisation: str, reported_on: date) -> None:
        self.require_active()
        kind = require_choice(MemberKind, kind, "kind")
        if lives_in not in self.compounds:
            raise RuleViolated("members report to the branch of the compound where they live",
                               field="compoundId")
        name, building = require_text(name, "name", max_length=80), require_text(building, "building", max_length=40)
        if kind == MemberKind.RESIDENT:
            organisation = ""
        elif not (organisation or "").strip():
            what = ("workplace organisation the member keeps (双报到)" if kind == MemberKind.IN_SERVICE
                    else "organisation the member transferred from")
            raise InvalidInput(f"organisation must name the {what}", field="organisation")
        else:
            organisation = require_text(organisation, "organisation")
        for other in self.members.values():
            if (other["name"], other["lives_in"], other["building"]) == (name, lives_in, building):
                raise RuleViolated(f"a member of that name in building {building} reports to the branch already",
                                   field="name")
        self._reported(member_id=member_id, name=name, lives_in=lives_in, building=building, kind=kind,
                       organisation=organisation,
                       reported_on=require_date(reported_on, "reportedOn", not_after=today()))

    @event("MemberReported")
    def _reported(self, member_id: UUID, name: str, lives_in: UUID, building: str, kind: str,
                  organisation: str, reported_on: date) -> None:
        self.members[member_id] = {"name": name, "lives_in": lives_in, "building": building}

    def release(self, member_id: UUID, how: str, destination: str, left_on: date, reason: str) -> None:
        self.member(member_id)
        how = require_choice(Departure, how, "how")
        if member_id == self.secretary:
            raise RuleViolated("that member is the secretary: choose a new committee first",
                               field="memberId")
        if how == Departure.TRANSFERRED_OUT:
            destination = require_text(destination, "destination")
        self._left(member_id=member_id, how=how, destination=(destination or "").strip(),
                   left_on=require_date(left_on, "leftOn", not_after=today()),
                   reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("MemberLeft")
    def _left(self, member_id: UUID, how: str, destination: str, left_on: date, reason: str) -> None:
        # Leaving ends every role: committee seat, group, central household, seats elsewhere.
        del self.members[member_id]
        if member_id in self.committee:
            self.committee.remove(member_id)
        for group in self.groups.values():
            group["members"].discard(member_id)
        self.central_households.discard(member_id)
        self.seats = {seat for seat in self.seats if seat[0] != member_id}

    # -- secretary and committee ------------------------------------------------------------------

    def choose_committee(self, secretary: UUID, members: list[UUID], chosen_on: date) -> None:
        self.require_active()
        self.member(secretary)
        for member_id in members:
            self.member(member_id)
        committee = [secretary, *dict.fromkeys(m for m in members if m != secretary)]
        self._committee_chosen(secretary=secretary, members=committee,
                               chosen_on=require_date(chosen_on, "chosenOn", not_after=today()))

    @event("BranchCommitteeChosen")
    def _committee_chosen(self, secretary: UUID, members: list[UUID], chosen_on: date) -> None:
        self.secretary = secretary
        self.committee = list(members)

    # -- building party groups and central households ----------------------------------------------

    def form_group(self, group_id: UUID, compound_id: UUID, building: str, leader: UUID) -> None:
        self.require_active()
        building = require_text(building, "building", max_length=40)
        if self.member(leader)["lives_in"] != compound_id:
            raise RuleViolated("the group's leader lives in another compound", field="leader")
        for group in self.groups.values():
            if (group["compound_id"], group["building"]) == (compound_id, building):
                raise RuleViolated(f"building {building} has a party group already", field="building")
        self._group_formed(group_id=group_id, group_compound=compound_id, building=building, leader=leader)

    @event("BuildingGroupFormed")
    def _group_formed(self, group_id: UUID, group_compound: UUID, building: str, leader: UUID) -> None:
        self.groups[group_id] = {"compound_id": group_compound, "building": building, "members": set()}
        self._into_group(group_id, leader)

    def _into_group(self, group_id: UUID, member_id: UUID) -> None:
        for group in self.groups.values():
            group["members"].discard(member_id)
        self.groups[group_id]["members"].add(member_id)

    def assign_to_group(self, group_id: UUID, member_id: UUID) -> None:
        self.require_active()
        if group_id not in self.groups:
            raise NotFound(f"no building party group {group_id} in the branch", field="groupId")
        group = self.groups[group_id]
        if self.member(member_id)["lives_in"] != group["compound_id"]:
            raise RuleViolated("the member lives in another compound than the group", field="memberId")
        if member_id in group["members"]:
            raise RuleViolated("the member is in that group already", field="memberId")
        self._assigned(group_id=group_id, member_id=member_id)

    @event("MemberAssignedToGroup")
    def _assigned(self, group_id: UUID, member_id: UUID) -> None:
        self._into_group(group_id, member_id)

    def designate_central_household(self, member_id: UUID, households: int) -> None:
        self.require_active()
        self.member(member_id)
        if member_id in self.central_households:
            raise RuleViolated("that member's household is a central household already", field="memberId")
        if not isinstance(households, int) or not 1 <= households <= MAX_CENTRAL_HOUSEHOLDS:
            raise InvalidInput(f"households must be between 1 and {MAX_CENTRAL_HOUSEHOLDS}", field="households")
        self._designated(member_id=member_id, households=households)

    @event("CentralHouseholdDesignated")
    def _designated(self, member_id: UUID, households: int) -> None:
        self.central_households.add(member_id)

    # -- cross-appointments (交叉任职) --------------------------------------------------------------

    def record_seat(self, member_id: UUID, body: str, seat: str, since: date) -> None:
        self.require_active()
        self.member(member_id)
        body = require_seated_body(body)
        if (member_id, body) in self.seats:
            raise RuleViolated("the member holds a seat on that body already", field="memberId")
        self._seat_recorded(member_id=member_id, seated_body=body, seat=require_text(seat, "seat", max_length=40),
                            since=require_date(since, "since", not_after=today()))

    @event("CrossAppointmentRecorded")
    def _seat_recorded(self, member_id: UUID, seated_body: str, seat: str, since: date) -> None:
        self.seats.add((member_id, seated_body))

    def end_seat(self, member_id: UUID, body: str, ended_on: date) -> None:
        body = require_seated_body(body)
        if (member_id, body) not in self.seats:
            raise RuleViolated("the member holds no seat on that body", field="memberId")
        self._seat_ended(member_id=member_id, seated_body=body,
                         ended_on=require_date(ended_on, "endedOn", not_after=today()))

    @event("CrossAppointmentEnded")
    def _seat_ended(self, member_id: UUID, seated_body: str, ended_on: date) -> None:
        self.seats.discard((member_id, seated_body))


def require_seated_body(body: str) -> str:
    allowed = {b.value for b in SEATED_BODIES}
    if body not in allowed:
        raise InvalidInput(f"body must be one of {', '.join(sorted(allowed))}, not {body!r}", field="body")
    return body
