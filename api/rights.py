"""Supervision rights: who may use which field, over which compounds. One declared table.

Every field of the schema has an entry in ``RIGHTS`` (or belongs to a type ``CARRIED`` along with
the answer its parent field gave). ``api.enforcement`` applies the table to every field as it
resolves: a refused query field is a ``NOT_ALLOWED`` error naming the right, a refused mutation
answers ``NotAllowed``, and a personal field the principal is not entitled to is masked.

A principal's *reach* is the compounds it acts in or supervises: a body's own compounds, a
resident's compound, every compound of an auditor's or integration's community or street, and
every compound for the administrator.

A field that some readers of its object may be refused is nullable, so that a refusal empties that
field only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from api.principals import Principal
from services.common.bodies import Body

MASK = "***"


class Everywhere:
    """The administrator's reach."""

    def __contains__(self, compound_id: object) -> bool:
        return True


EVERYWHERE = Everywhere()
Reach = frozenset[UUID] | Everywhere


@dataclass(frozen=True)
class Rule:
    """A named test of a principal against the compound a field concerns (and its object)."""

    name: str
    test: Callable[[Principal, UUID | None, Reach, Any], bool]

    def __or__(self, other: Rule) -> Rule:
        return Rule(f"{self.name} or {other.name}",
                    lambda p, c, r, o: self.test(p, c, r, o) or other.test(p, c, r, o))


anyone = Rule("any principal", lambda p, c, r, o: True)
administrator = Rule("the administrator", lambda p, c, r, o: p.kind == "admin")
public = Rule(
    "reach of the compound (its bodies and residents, auditors and integrations of its area)",
    lambda p, c, r, o: c is not None and c in r,
)
auditor = Rule("an auditor whose jurisdiction holds the compound",
               lambda p, c, r, o: p.kind == "auditor" and c in r)

# The branch supervises the owners' committee and the property company of its compounds (监督).
SUPERVISED_BY_BRANCH = {Body.OWNERS_COMMITTEE, Body.PROPERTY}


def own(body: Body) -> Rule:
    return Rule(f"the {body.value} of the compound",
                lambda p, c, r, o: p.is_body(body) and c in p.compound_ids)


def internal(body: Body) -> Rule:
    """What a body keeps for itself: itself, its supervisor, auditors."""
    rule = own(body) | auditor
    if body in SUPERVISED_BY_BRANCH:
        rule = rule | own(Body.BRANCH)
    return rule


# The resident an object is about (its private ``subject``: a resident principal's spec).
the_subject = Rule("the resident it is about",
                   lambda p, c, r, o: p.kind == "resident" and p.pseudonym is not None
                   and getattr(o, "subject", None) == p.pseudonym)
a_resident = Rule("a resident", lambda p, c, r, o: p.kind == "resident")
resident_of = Rule("a resident of the compound",
                   lambda p, c, r, o: p.kind == "resident" and c in p.compound_ids)


def resident_about_their_own(who: str) -> Rule:
    """A resident acting on what is theirs alone. A mutation has no object here, so the table
    tests the compound; the service knows whose it is, and refuses another resident as
    NotAllowed with this right."""
    return Rule(who, lambda p, c, r, o: p.kind == "resident" and c in p.compound_ids
                and (o is None or getattr(o, "subject", p.pseudonym) == p.pseudonym))


# A case is acted on afterwards by the resident who raised it alone.
the_raiser = resident_about_their_own("the resident of the compound who raised the case")
# An owner objects about their own ballot, named by their unit.
the_owner = resident_about_their_own("the owner of the unit, about their own ballot")


def personal(holder: Body) -> Rule:
    """Personal data: the body that holds it, auditors, and the person themself."""
    return own(holder) | auditor | the_subject


def public_while(role: str, lasts: Callable[[Any], bool]) -> Rule:
    """A role whose holders' names are publicised (公示) to the compound's reach while it lasts;
    the names stay sealed in the events, so that they can be erased later."""
    return Rule(f"reach of the compound, while {role}",
                lambda p, c, r, o: c is not None and c in r and o is not None and lasts(o))


def writes(body: Body) -> Rule:
    """A body writes only its own steps, only in its compounds."""
    return own(body)


# A street's agenda is its office's to record.
street_office = Rule("the office of the street", lambda p, c, r, o: p.kind == "office" and c == p.area)

# Cases concern the residents' group, the branch and the property company of the compound.
case_readers = own(Body.RESIDENTS) | own(Body.BRANCH) | own(Body.PROPERTY) | auditor


def argument(*path: str) -> Callable[[dict, Any], UUID | None]:
    """The compound a root field concerns: one of its arguments."""
    def compound(arguments: dict, source: Any) -> UUID | None:
        value: Any = arguments
        for step in path:
            value = value.get(step) if isinstance(value, dict) else getattr(value, step, None)
        return value

    return compound


def of_object(arguments: dict, source: Any) -> UUID | None:
    """The compound an object field concerns: the one its object belongs to."""
    return getattr(source, "compound_id", None)


@dataclass(frozen=True)
class Right:
    rule: Rule
    compound: Callable[[dict, Any], UUID | None] = of_object
    masks: bool = False  # personal data: masked whole for a principal not entitled, not refused
    # Who sees the sealed personal values inside the field's text (a timeline's detail, an
    # event's data); for everyone else, and in every field without it, each reads ``***``.
    opens: Rule | None = None
    lists_reach: bool = False  # a list: only what lies in the principal's reach

    def allows(self, principal: Principal, reach: Reach, arguments: dict, source: Any) -> bool:
        return self.rule.test(principal, self.compound(arguments, source), reach, source)


def fields(rule: Rule, type_name: str, names: str) -> dict[str, Right]:
    return {f"{type_name}.{name}": Right(rule) for name in names.split()}


RIGHTS: dict[str, Right] = {
    # Root queries
    "Query.viewer": Right(anyone),
    "Query.compounds": Right(anyone, lists_reach=True),
    "Query.compound": Right(public, argument("id")),
    "Query.propertyCompanies": Right(anyone),  # companies' registrations are public
    # Mutations: each body its own steps in its own compounds; registrations by the administrator
    "Mutation.registerCompound": Right(administrator),
    "Mutation.establishBranch": Right(administrator),
    "Mutation.registerExclusiveUnit": Right(writes(Body.OWNERS_COMMITTEE), argument("input", "compoundId")),
    "Mutation.registerPropertyCompany": Right(administrator),
    # Objects
    **fields(public, "Compound", "id name district street community households residents registeredAt branch "
             "bodies crossAppointments suggestions supervisionNotices jointMeetings recommendations evaluations "
             "latestEvaluation starRating"),
    "Compound.units": Right(internal(Body.OWNERS_COMMITTEE)),
    **fields(public, "Branch", "id name mode affiliatedTo establishedAt homeCompoundId memberCount groups"),
    **fields(internal(Body.OWNERS_COMMITTEE), "ExclusiveUnit", "id building exclusiveArea registeredAt"),
    "ExclusiveUnit.unit": Right(personal(Body.OWNERS_COMMITTEE), masks=True),
    "ExclusiveUnit.owner": Right(personal(Body.OWNERS_COMMITTEE), masks=True),
    **fields(anyone, "PropertyCompany", "id name creditCode registeredAt"),
    **fields(anyone, "Viewer", "principal kind"),
    # Cases: the bodies they concern and auditors; a resident, their own cases
    "Query.cases": Right(case_readers, argument("compoundId")),
    "Query.case": Right(case_readers, argument("compoundId")),
    "Query.myCases": Right(a_resident),
    "Query.caseFigures": Right(public, argument("compoundId")),  # aggregates: no personal data
    **fields(public, "CaseFigures", "raised withdrawn handled handledRate onTime onTimeRate "
             "medianHoursToResolve satisfaction ratings openOverdue disputes mediationAgreements "
             "mediationPartial mediationFailed claimsPublished claimsClaimed claimsSolved"),
    # Claims: published for anyone in reach to see; the branch records the steps
    "Query.claims": Right(public, argument("compoundId")),
    "Query.organisations": Right(public, argument("compoundId")),
    **fields(public, "Claim", "compoundId id title description kind state publishedAt organisation "
             "organisationKind claimedAt report solvedAt"),
    **fields(public, "Organisation", "compoundId id name kind registeredAt"),
    **{f"Mutation.{name}": Right(writes(Body.BRANCH), argument("input", "compoundId"))
       for name in ("registerOrganisation", "publishClaimable", "recordClaim", "recordClaimSolved")},
    **fields(case_readers | the_subject, "Case",
             "id compoundId category location photoRef raisedAt urgency respondBy firstAnsweredAt dueAt state taker "
             "dispatches acceptedAt resolvedAt reopened withdrawnAt workOrderId overdue timeline "
             "escalatedTo mediationOutcome"),
    # What a resident wrote is sealed under their key: opened for those the case concerns
    "Case.description": Right(case_readers | the_subject, opens=case_readers | the_subject),
    "Case.raisedBy": Right(personal(Body.RESIDENTS), masks=True),
    "Case.score": Right(personal(Body.RESIDENTS), masks=True),
    "Case.comment": Right(personal(Body.RESIDENTS), masks=True),
    "Case.assignee": Right(personal(Body.BRANCH), masks=True),
    **fields(case_readers | the_subject, "CaseStep", "at body step stateAfter hoursSincePrevious"),
    "CaseStep.detail": Right(case_readers | the_subject, opens=case_readers | the_subject),
    "CaseStep.actor": Right(case_readers | the_subject, opens=personal(Body.RESIDENTS)),
    "Mutation.raiseCase": Right(resident_of, argument("input", "compoundId")),
    **{f"Mutation.{name}": Right(the_raiser, argument("input", "compoundId"))
       for name in ("addCaseInformation", "withdrawCase", "rateCase")},
    **{f"Mutation.{name}": Right(writes(Body.BRANCH), argument("input", "compoundId"))
       for name in ("dispatchCase", "acceptCase", "refuseCase", "recordCaseProgress", "resolveCase",
                    "concludeMediation")},
    **{f"Mutation.{name}": Right(writes(Body.PROPERTY), argument("input", "compoundId"))
       for name in ("acceptWorkOrder", "refuseWorkOrder", "recordWorkOrderProgress", "resolveWorkOrder")},
    # Projects: the ledger is public to the compound's reach; the residents' council records each step
    "Query.projects": Right(public, argument("compoundId")),
    "Query.project": Right(public, argument("compoundId")),
    **fields(public, "Project", "compoundId id title description proposedBy proposedAt state plan budget "
             "funding contributingHouseholds contributionPerHousehold noticePostedOn noticeEndsOn "
             "councilMembers councilYes votedOn contractor contractAmount startedOn completedOn acceptedOn "
             "actual savings settledOn councilVotes timeline"),
    **fields(public, "ProjectStep", "at onDate step actor detail"),
    **fields(public, "CouncilVote", "number subject openedOn seats budget reason votedOn yes no abstain absent "
             "passed members"),
    **fields(public, "CouncilMemberVote", "position vote"),
    # Who sits on the council is the residents' group's, its branch's and auditors' to see by name
    "CouncilMemberVote.member": Right(own(Body.RESIDENTS) | own(Body.BRANCH) | auditor, masks=True),
    **{f"Mutation.{name}": Right(writes(Body.RESIDENTS), argument("input", "compoundId"))
       for name in ("proposeProject", "holdProjectMeeting", "draftProjectPlan", "publiciseProject",
                    "lodgeProjectObjection", "answerProjectObjection", "openCouncilVote",
                    "recordCouncilMemberVote", "closeCouncilVote", "receiveProjectBid",
                    "chooseProjectContractor", "startProjectWorks", "recordProjectInspection",
                    "completeProjectWorks", "acceptProject", "settleProject",
                    "withdrawProject")},
    # Owners' assembly: results are published to the compound's reach; who voted how is the
    # committee's (and auditors'); a receipt shows its holder their own ballot
    "Query.assemblyVotes": Right(public, argument("compoundId")),
    "Query.assemblyVote": Right(public, argument("compoundId")),
    "AssemblyVote.candidates": Right(public, opens=internal(Body.OWNERS_COMMITTEE) | public_while(
        "the election is open", lambda vote: vote.stage == "open")),
    **fields(public, "AssemblyVote", "compoundId id matter majority title description closesOn amount "
             "companyId stage openedAt noticeEnds closedAt objectionsEnd finalisedAt totalArea totalOwners "
             "votedArea votedOwners yesArea yesOwners noArea noOwners abstainArea abstainOwners valid passed "
             "reason countedAt countOccasion corrections unreachedOwners objections timeline"),
    **fields(public, "VoteStep", "at step"),
    "VoteStep.detail": Right(public, opens=internal(Body.OWNERS_COMMITTEE)),
    **fields(public, "VoteObjection", "number lodgedOn upheld answer answeredAt"),
    "VoteObjection.owner": Right(personal(Body.OWNERS_COMMITTEE), masks=True),
    "VoteObjection.objection": Right(personal(Body.OWNERS_COMMITTEE), masks=True),
    "AssemblyVote.voteTable": Right(internal(Body.OWNERS_COMMITTEE)),
    **fields(internal(Body.OWNERS_COMMITTEE), "VoteTableRow", "position area choice how channel deliveredBy "
             "deliveredOn"),
    "VoteTableRow.owner": Right(personal(Body.OWNERS_COMMITTEE), masks=True),
    "VoteTableRow.units": Right(personal(Body.OWNERS_COMMITTEE), masks=True),
    "VoteTableRow.deliveredTo": Right(personal(Body.OWNERS_COMMITTEE), masks=True),
    # An owner objects about their own ballot (the service holds a resident to their unit), or the
    # committee records the objection of an owner who brought it in person
    "Mutation.lodgeVoteObjection": Right(the_owner | writes(Body.OWNERS_COMMITTEE), argument("input", "compoundId")),
    "Query.ballotReceipt": Right(resident_of | internal(Body.OWNERS_COMMITTEE), argument("compoundId")),
    **fields(resident_of | internal(Body.OWNERS_COMMITTEE), "BallotCheck", "voteId choice area kind at counted"),
    **{f"Mutation.{name}": Right(writes(Body.OWNERS_COMMITTEE), argument("input", "compoundId"))
       for name in ("openVote", "deliverBallot", "castBallot", "closeVote", "correctBallot", "answerVoteObjection",
                    "finaliseVote", "transferUnit", "correctUnitArea",
                    "registerServiceContract", "dismissPropertyCompany", "recordCommitteeElection",
                    "authoriseFundUse", "disburseFund")},
    # Money and what it rests on: public to the compound's reach; fees recorded by the company
    "Query.serviceContracts": Right(public, argument("compoundId")),
    "Query.committeeTerms": Right(public, argument("compoundId")),
    "Query.maintenanceFund": Right(public, argument("compoundId")),
    "Query.feeCollection": Right(public, argument("compoundId")),
    **fields(public, "ServiceContract", "compoundId id resolutionId companyId companyName startsOn endsOn "
             "feePerM2 registeredAt terminatedOn dismissalResolutionId terminationReason active"),
    **fields(public, "CommitteeTerm", "compoundId resolutionId termStarts termEnds expired"),
    "CommitteeTerm.members": Right(public, opens=internal(Body.OWNERS_COMMITTEE) | public_while(
        "the term lasts", lambda term: not term.expired)),
    **fields(public, "MaintenanceFund", "compoundId authorised disbursed remaining uses"),
    **fields(public, "FundUse", "resolutionId purpose authorised disbursed remaining disbursements"),
    **fields(public, "Disbursement", "amount payee paidOn borneBy byBuilding"),
    **fields(public, "BuildingShare", "building units area share"),
    # Each owner's share: the committee and auditors see all; a resident, the shares of their unit
    "Disbursement.shares": Right(own(Body.OWNERS_COMMITTEE) | auditor | resident_of),
    **{f"DisbursementShare.{name}": Right(personal(Body.OWNERS_COMMITTEE), masks=True)
       for name in ("building", "unit", "owner", "area", "share")},
    **fields(public, "FeeCollection", "compoundId period householdsBilled householdsPaid billed paid "
             "collectionRate"),
    **{f"Mutation.{name}": Right(writes(Body.PROPERTY), argument("input", "compoundId"))
       for name in ("billFee", "recordFeePayment")},
    # The shape of governance and the five powers: public to the compound's reach; who the members
    # are is the branch's (and auditors'): their names are masked for others
    **fields(public, "CompoundBodies", "branch residentsGroup ownersCommittee committeeTermEnds propertyCompany "
             "propertyCompanyName propertyBasis propertyFeePerM2 twoNone fourInOne attached"),
    **fields(public, "AttachedBody", "kind name attachedAt"),
    "Branch.members": Right(internal(Body.BRANCH)),
    **fields(internal(Body.BRANCH), "BranchMember", "id building kind organisation reportedOn leftOn howLeft "
             "groupBuilding centralHouseholds onCommittee secretary"),
    "BranchMember.name": Right(internal(Body.BRANCH) | public_while(
        "they are the branch's secretary", lambda member: member.secretary and member.left_on is None), masks=True),
    **fields(public, "BuildingGroup", "id building members"),
    "BuildingGroup.leader": Right(internal(Body.BRANCH), masks=True),
    **fields(public, "CrossAppointment", "body seat since endedOn matched"),
    "CrossAppointment.member": Right(internal(Body.BRANCH), masks=True),
    **fields(public, "JointMeeting", "compoundId id heldOn topic bodies attendees decisions"),
    **fields(public, "Suggestion", "compoundId id addressedTo subject text madeOn answerBy response reason "
             "answeredOn overdue"),
    **fields(public, "SupervisionNotice", "compoundId id addressedTo matter requirement issuedOn rectifyBy round "
             "state report reportedOn note overdue"),
    **fields(public, "Recommendation", "compoundId id recommendedTo note recommendedAt"),
    "Recommendation.candidates": Right(public, opens=internal(Body.BRANCH) | own(Body.OWNERS_COMMITTEE)
                                       | own(Body.RESIDENTS)),
    **fields(public, "Evaluation", "compoundId id evaluated title closesOn openedAt sheets average residentSheets "
             "memberSheets verdict publishedAt"),
    **fields(public, "StarRating", "branchId period startsOn endsOn stars members participatingMembers "
             "memberParticipation residents residentParticipations residentParticipation scores satisfaction "
             "thresholds evidence"),
    **fields(anyone, "StarThreshold", "stars memberParticipation residentParticipation satisfaction"),
    **fields(public, "RatingEvidence", "eventId body kind onDate figure detail"),
    # Across a jurisdiction: each answer counts only the compounds the principal reaches
    "Query.coverage": Right(anyone, lists_reach=True),
    "Query.ratingDistribution": Right(anyone, lists_reach=True),
    "Query.overdueItems": Right(anyone, lists_reach=True),
    "Query.satisfactionRanking": Right(anyone, lists_reach=True),
    **fields(anyone, "Coverage", "compounds withBranch withOwnersCommittee withPropertyCompany fourInOne twoNone "
             "withNone"),
    **fields(anyone, "RatingDistribution", "period branches bands"),
    **fields(anyone, "RatingBand", "stars branches"),
    **fields(anyone, "OverdueItem", "compoundId compoundName kind id addressedTo subject deadline daysOverdue"),
    **fields(anyone, "SatisfactionRank", "compoundId compoundName rank satisfaction scores"),
    # What a street office measures: aggregates, counted over the compounds the principal reaches
    **{f"Query.{name}": Right(anyone, lists_reach=True)
       for name in ("areaFigures", "problemCandidates", "monthlyProblems", "companyGrades", "companyGrade",
                    "redBlackList")},
    **fields(anyone, "AreaFigures", "level name compoundId district street community period compounds households "
             "raised withdrawn reopened repeated escalated requestsPer100Households response resolution "
             "satisfaction onTime averageRating weights score previousScore rank classes evidence"),
    **fields(anyone, "Rate", "numerator denominator rate"),
    **fields(anyone, "FigureWeights", "response resolution satisfaction setByStreet"),
    **fields(anyone, "FigureEvidence", "eventId body step at caseId compoundId counts"),
    **fields(anyone, "ProblemCluster", "rank category area cases compounds repeated dissatisfaction caseList"),
    **fields(anyone, "ClusterCase", "caseId compoundId compoundName building raisedAt state reopened"),
    **fields(anyone, "MonthlyProblem", "street period category area title decision chosenAt followUp"),
    **fields(anyone, "ProblemMonth", "period cases compounds repeated"),
    **fields(anyone, "CompanyGrade", "companyId companyName period households score grade listed rank compounds"),
    **fields(anyone, "GradedCompound", "compoundId compoundName households servedFrom servedUntil score indicators "
             "evidence"),
    **fields(anyone, "Indicator", "name weight numerator denominator rate"),
    **fields(anyone, "GradeEvidence", "recordId kind what onDate counts"),
    **fields(anyone, "RedBlackList", "period red black"),
    **{f"Mutation.{name}": Right(street_office, argument("input", "street"))
       for name in ("setFigureWeights", "chooseMonthlyProblem")},
    "Mutation.dissolveBranch": Right(administrator),
    **{f"Mutation.{name}": Right(writes(Body.BRANCH), argument("input", "compoundId"))
       for name in ("attachBody", "detachBody", "reportMember", "releaseMember", "chooseBranchCommittee",
                    "formBuildingGroup", "assignToGroup", "designateCentralHousehold", "recordCrossAppointment",
                    "endCrossAppointment", "recordBranchActivity", "holdJointMeeting", "makeSuggestion",
                    "issueSupervisionNotice", "closeSupervisionNotice", "reopenSupervisionNotice",
                    "recommendCandidates", "openEvaluation", "scoreEvaluation", "publishEvaluation")},
    # A reply is recorded by the body of the principal; the service refuses a body not addressed
    **{f"Mutation.{name}": Right(writes(Body.RESIDENTS) | writes(Body.OWNERS_COMMITTEE) | writes(Body.PROPERTY),
                                 argument("input", "compoundId"))
       for name in ("answerSuggestion", "reportRectification")},
    **{f"Mutation.{name}": Right(writes(Body.PROPERTY), argument("input", "compoundId"))
       for name in ("takeUpService", "declareServiceFee", "handOverService")},
    "Mutation.dissolveOwnersCommittee": Right(writes(Body.OWNERS_COMMITTEE), argument("input", "compoundId")),
    **{f"Mutation.{name}": Right(writes(Body.RESIDENTS), argument("input", "compoundId"))
       for name in ("seatCouncilMember", "unseatCouncilMember")},
    # Audit: the whole history, personal data opened, is for auditors of the compound's area
    "Query.history": Right(auditor | administrator, argument("compoundId")),
    # Who was shown whose personal data: auditors, for the compounds of their jurisdiction
    "Query.personalDataAccess": Right(Rule("an auditor", lambda p, c, r, o: p.kind == "auditor"), lists_reach=True),
    **fields(anyone, "PersonalDataShown", "seq at principal personId field compoundId requestId"),
    # The administrator registers; personal data in the history is the auditors' alone
    **fields(anyone, "LedgerEvent", "body position sequence type eventId aggregateId version compoundId "
             "occurredAt correlationId causationId"),
    **{f"LedgerEvent.{name}": Right(anyone, opens=auditor) for name in ("actor", "data")},
}

# Types whose fields come with the answer of the field that returned them: paging wrappers, and
# the outcome of a mutation the principal was allowed to make.
CARRIED = {"PageInfo", "Recorded", "BallotRecorded", "Created", "InvalidInput", "NotFound", "RuleViolated", "NotAllowed",
           "Unavailable"}
CARRIED_SUFFIXES = ("Connection", "Edge")


def is_carried(type_name: str) -> bool:
    return type_name in CARRIED or type_name.endswith(CARRIED_SUFFIXES)
