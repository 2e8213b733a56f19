"""Supervision rights, tried as a whole: every field of the schema against every kind of
principal, inside and outside its compounds, compared with the declared table."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID, uuid4

import psycopg
import pytest
from graphql import GraphQLNonNull

from api.rights import EVERYWHERE, MASK, RIGHTS, anyone, is_carried
from api.schema import schema
from audit import access_log
from infra.reactor import Reactor
from infra.relay import run_relays
from projections.projector import Projector
from services.common.bodies import Body
from services.common.context import acting, china_date, utc_now
from services.property.work_order import WorkOrder
from tests.conftest import graphql


def test_every_field_of_the_schema_has_a_declared_right_and_every_right_a_field():
    declared = set()
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or not hasattr(graphql_type, "fields") or is_carried(name):
            continue
        if type(graphql_type).__name__ != "GraphQLObjectType":
            continue
        for field in graphql_type.fields:
            key = f"{name}.{field}"
            assert key in RIGHTS, f"{key} has no declared right in api/rights.py"
            declared.add(key)
    assert set(RIGHTS) == declared, f"rights for fields that do not exist: {set(RIGHTS) - declared}"


@dataclass(frozen=True)
class Example:
    """How to touch one field: an operation, where its value lands, what must be allowed first."""

    operation: str
    path: tuple[str, ...]
    parents: tuple[str, ...] = ()


COMPOUND_FIELDS = "id name district street community households residents registeredAt"
EXAMPLES: dict[str, Example] = {
    "Query.viewer": Example("{ viewer { kind } }", ("viewer",)),
    "Query.compounds": Example("{ compounds { edges { node { id } } } }", ("compounds",)),
    "Query.compound": Example("query($a: UUID!) { compound(id: $a) { id } }", ("compound",)),
    "Query.propertyCompanies": Example("{ propertyCompanies { totalCount } }", ("propertyCompanies",)),
    "Mutation.registerCompound": Example(
        'mutation($name: String!) { registerCompound(input: {name: $name, district: "武侯区", '
        'street: "晋阳街道", community: "晋阳社区", households: 1, residents: 1}) { __typename } }',
        ("registerCompound",)),
    "Mutation.establishBranch": Example(
        'mutation($a: UUID!) { establishBranch(input: {compoundId: $a, name: "党支部", mode: "single"})'
        " { __typename } }", ("establishBranch",)),
    "Mutation.registerExclusiveUnit": Example(
        'mutation($a: UUID!, $name: String!) { registerExclusiveUnit(input: {compoundId: $a, '
        'building: "9栋", unit: $name, exclusiveArea: "50", owner: "测试"}) { __typename } }',
        ("registerExclusiveUnit",)),
    "Mutation.registerPropertyCompany": Example(
        'mutation($name: String!) { registerPropertyCompany(input: {name: $name, '
        'creditCode: "91510107MA6CY8QK2D"}) { __typename } }', ("registerPropertyCompany",)),
    **{f"Compound.{f}": Example(f"query($a: UUID!) {{ compound(id: $a) {{ {f} }} }}",
                                ("compound", f), ("Query.compound",)) for f in COMPOUND_FIELDS.split()},
    "Compound.branch": Example("query($a: UUID!) { compound(id: $a) { branch { id } } }",
                               ("compound", "branch"), ("Query.compound",)),
    "Compound.units": Example("query($a: UUID!) { compound(id: $a) { units { totalCount } } }",
                              ("compound", "units"), ("Query.compound",)),
    **{f"Branch.{f}": Example(f"query($a: UUID!) {{ compound(id: $a) {{ branch {{ {f} }} }} }}",
                              ("compound", "branch", f), ("Query.compound", "Compound.branch"))
       for f in "id name mode establishedAt".split()},
    **{f"ExclusiveUnit.{f}": Example(
        f"query($a: UUID!) {{ compound(id: $a) {{ units {{ edges {{ node {{ {f} }} }} }} }} }}",
        ("compound", "units", "edges", 0, "node", f), ("Query.compound", "Compound.units"))
       for f in "id building exclusiveArea registeredAt unit owner".split()},
    **{f"PropertyCompany.{f}": Example(f"{{ propertyCompanies {{ edges {{ node {{ {f} }} }} }} }}",
                                       ("propertyCompanies", "edges", 0, "node", f),
                                       ("Query.propertyCompanies",))
       for f in "id name creditCode registeredAt".split()},
    **{f"Viewer.{f}": Example(f"{{ viewer {{ {f} }} }}", ("viewer", f), ("Query.viewer",))
       for f in "principal kind".split()},
    "Query.cases": Example("query($a: UUID!) { cases(compoundId: $a) { totalCount } }", ("cases",)),
    "Query.case": Example("query($a: UUID!, $c: UUID!) { case(compoundId: $a, id: $c) { id } }", ("case",)),
    "Query.myCases": Example("{ myCases { totalCount } }", ("myCases",)),
    "Query.caseFigures": Example("query($a: UUID!) { caseFigures(compoundId: $a) { raised } }", ("caseFigures",)),
    **{f"CaseFigures.{f}": Example(f"query($a: UUID!) {{ caseFigures(compoundId: $a) {{ {f} }} }}",
                                   ("caseFigures", f), ("Query.caseFigures",))
       for f in ("raised withdrawn handled handledRate onTime onTimeRate medianHoursToResolve "
                 "satisfaction ratings openOverdue disputes mediationAgreements mediationPartial "
                 "mediationFailed claimsPublished claimsClaimed claimsSolved").split()},
    "Query.claims": Example("query($a: UUID!) { claims(compoundId: $a) { totalCount } }", ("claims",)),
    "Query.organisations": Example("query($a: UUID!) { organisations(compoundId: $a) { totalCount } }",
                                   ("organisations",)),
    **{f"Claim.{f}": Example(f"query($a: UUID!) {{ claims(compoundId: $a) {{ edges {{ node {{ {f} }} }} }} }}",
                             ("claims", "edges", 0, "node", f), ("Query.claims",))
       for f in ("compoundId id title description kind state publishedAt organisation organisationKind "
                 "claimedAt report solvedAt").split()},
    **{f"Organisation.{f}": Example(
        f"query($a: UUID!) {{ organisations(compoundId: $a) {{ edges {{ node {{ {f} }} }} }} }}",
        ("organisations", "edges", 0, "node", f), ("Query.organisations",))
       for f in "compoundId id name kind registeredAt".split()},
    "Mutation.registerOrganisation": Example(
        'mutation($a: UUID!, $name: String!) { registerOrganisation(input: {compoundId: $a, name: $name, '
        'kind: "business"}) { __typename } }', ("registerOrganisation",)),
    "Mutation.publishClaimable": Example(
        'mutation($a: UUID!) { publishClaimable(input: {compoundId: $a, title: "修花坛", description: "x", '
        'kind: "project"}) { __typename } }', ("publishClaimable",)),
    "Mutation.recordClaim": Example(
        "mutation($a: UUID!, $k: UUID!, $o: UUID!) { recordClaim(input: {compoundId: $a, claimableId: $k, "
        "organisationId: $o}) { __typename } }", ("recordClaim",)),
    "Mutation.recordClaimSolved": Example(
        'mutation($a: UUID!, $k: UUID!) { recordClaimSolved(input: {compoundId: $a, claimableId: $k, '
        'report: "修好了"}) { __typename } }', ("recordClaimSolved",)),
    **{f"Case.{f}": Example(f"query($a: UUID!, $c: UUID!) {{ case(compoundId: $a, id: $c) {{ {f} }} }}",
                            ("case", f), ("Query.case",))
       for f in ("id compoundId category description location photoRef raisedAt urgency respondBy firstAnsweredAt "
                 "dueAt state taker "
                 "dispatches acceptedAt resolvedAt reopened withdrawnAt workOrderId overdue raisedBy "
                 "score comment assignee escalatedTo mediationOutcome").split()},
    "Case.timeline": Example("query($a: UUID!, $c: UUID!) { case(compoundId: $a, id: $c) "
                             "{ timeline { totalCount } } }", ("case", "timeline"), ("Query.case",)),
    **{f"CaseStep.{f}": Example(
        f"query($a: UUID!, $c: UUID!) {{ case(compoundId: $a, id: $c) {{ timeline {{ edges {{ node {{ {f} }} }} }} }} }}",
        ("case", "timeline", "edges", 0, "node", f), ("Query.case", "Case.timeline"))
       for f in "at body step stateAfter detail actor hoursSincePrevious".split()},
    **{f"Mutation.{name}": Example(
        f"mutation($a: UUID!, $c: UUID!) {{ {name}(input: {{compoundId: $a, caseId: $c{extra}}}) {{ __typename }} }}",
        (name,))
       for name, extra in (("addCaseInformation", ', text: "补充"'), ("withdrawCase", ', text: "不用了"'),
                           ("rateCase", ", score: 4"), ("dispatchCase", ', taker: "party_member", assignee: "田景余"'),
                           ("acceptCase", ""), ("refuseCase", ', text: "忙"'), ("recordCaseProgress", ', text: "进行中"'),
                           ("resolveCase", ', text: "好了"'),
                           ("concludeMediation", ', outcome: "agreement", text: "达成协议"'))},
    "Mutation.raiseCase": Example(
        'mutation($a: UUID!) { raiseCase(input: {compoundId: $a, category: "repairs", '
        'description: "灯坏了", location: "2栋"}) { __typename } }', ("raiseCase",)),
    **{f"Mutation.{name}": Example(
        f"mutation($a: UUID!, $w: UUID!) {{ {name}(input: {{compoundId: $a, workOrderId: $w{extra}}}) {{ __typename }} }}",
        (name,))
       for name, extra in (("acceptWorkOrder", ""), ("refuseWorkOrder", ', text: "不归我们"'),
                           ("recordWorkOrderProgress", ', text: "进行中"'), ("resolveWorkOrder", ', text: "好了"'))},
    "Query.projects": Example("query($a: UUID!) { projects(compoundId: $a) { totalCount } }", ("projects",)),
    "Query.project": Example("query($a: UUID!, $p: UUID!) { project(compoundId: $a, id: $p) { id } }", ("project",)),
    **{f"Project.{f}": Example(f"query($a: UUID!, $p: UUID!) {{ project(compoundId: $a, id: $p) {{ {f} }} }}",
                               ("project", f), ("Query.project",))
       for f in ("compoundId id title description proposedBy proposedAt state plan budget funding "
                 "contributingHouseholds contributionPerHousehold noticePostedOn noticeEndsOn councilMembers "
                 "councilYes votedOn contractor contractAmount startedOn completedOn acceptedOn actual savings "
                 "settledOn").split()},
    "Project.timeline": Example("query($a: UUID!, $p: UUID!) { project(compoundId: $a, id: $p) "
                                "{ timeline { totalCount } } }", ("project", "timeline"), ("Query.project",)),
    **{f"ProjectStep.{f}": Example(
        f"query($a: UUID!, $p: UUID!) {{ project(compoundId: $a, id: $p) {{ timeline {{ edges {{ node {{ {f} }} }} }} }} }}",
        ("project", "timeline", "edges", 0, "node", f), ("Query.project", "Project.timeline"))
       for f in "at onDate step actor detail".split()},
    "Project.councilVotes": Example(
        "query($a: UUID!, $p: UUID!) { project(compoundId: $a, id: $p) { councilVotes { number } } }",
        ("project", "councilVotes"), ("Query.project",)),
    **{f"CouncilVote.{f}": Example(
        f"query($a: UUID!, $p: UUID!) {{ project(compoundId: $a, id: $p) {{ councilVotes {{ {f} }} }} }}",
        ("project", "councilVotes", 0, f), ("Query.project", "Project.councilVotes"))
       for f in "number subject openedOn seats budget reason votedOn yes no abstain absent passed".split()},
    "CouncilVote.members": Example(
        "query($a: UUID!, $p: UUID!) { project(compoundId: $a, id: $p) { councilVotes { members { vote } } } }",
        ("project", "councilVotes", 0, "members"), ("Query.project", "Project.councilVotes")),
    **{f"CouncilMemberVote.{f}": Example(
        f"query($a: UUID!, $p: UUID!) {{ project(compoundId: $a, id: $p) {{ councilVotes {{ members {{ {f} }} }} }} }}",
        ("project", "councilVotes", 0, "members", 0, f),
        ("Query.project", "Project.councilVotes", "CouncilVote.members"))
       for f in "position vote member".split()},
    **{f"Mutation.{name}": Example(
        f"mutation($a: UUID!, $p: UUID!) {{ {name}(input: {{compoundId: $a, projectId: $p, {args}}}) {{ __typename }} }}",
        (name,))
       for name, args in (("holdProjectMeeting", 'heldOn: "2026-01-02", attendees: ["王"], bodies: ["community"], '
                           'minutes: "议"'),
                          ("draftProjectPlan", 'content: "方案", budget: "100", funding: "crowdfunded"'),
                          ("publiciseProject", 'postedOn: "2026-01-03", days: 7'),
                          ("lodgeProjectObjection", 'lodgedOn: "2026-01-04", objection: "异议"'),
                          ("answerProjectObjection", 'number: 1, answer: "答复"'),
                          ("openCouncilVote", 'subject: "plan", openedOn: "2026-01-20"'),
                          ("recordCouncilMemberVote", 'member: "王", vote: "yes"'),
                          ("closeCouncilVote", 'votedOn: "2026-01-20"'),
                          ("receiveProjectBid", 'bidder: "施工队", amount: "90"'),
                          ("chooseProjectContractor", 'bid: 1, reason: "价低"'),
                          ("startProjectWorks", 'startedOn: "2026-01-21"'),
                          ("recordProjectInspection", 'inspectedOn: "2026-01-22", inspector: "监督队", finding: "好"'),
                          ("completeProjectWorks", 'completedOn: "2026-01-23"'),
                          ("acceptProject", 'acceptedOn: "2026-01-24", note: "合格"'),
                          ("settleProject", 'actual: "90", settledOn: "2026-01-25"'),
                          ("withdrawProject", 'reason: "撤回"'))},
    "Mutation.proposeProject": Example(
        'mutation($a: UUID!) { proposeProject(input: {compoundId: $a, title: "加装电梯", description: "x", '
        'proposedBy: "branch"}) { __typename } }', ("proposeProject",)),
    "Query.assemblyVotes": Example("query($a: UUID!) { assemblyVotes(compoundId: $a) { totalCount } }",
                                   ("assemblyVotes",)),
    "Query.assemblyVote": Example("query($a: UUID!, $v: UUID!) { assemblyVote(compoundId: $a, id: $v) { id } }",
                                  ("assemblyVote",)),
    **{f"AssemblyVote.{f}": Example(
        f"query($a: UUID!, $v: UUID!) {{ assemblyVote(compoundId: $a, id: $v) {{ {f} }} }}",
        ("assemblyVote", f), ("Query.assemblyVote",))
       for f in ("compoundId id matter majority title description closesOn amount companyId candidates stage "
                 "openedAt noticeEnds closedAt objectionsEnd finalisedAt totalArea totalOwners votedArea votedOwners "
                 "yesArea yesOwners noArea noOwners abstainArea abstainOwners valid passed reason countedAt "
                 "countOccasion corrections unreachedOwners").split()},
    "AssemblyVote.timeline": Example(
        "query($a: UUID!, $v: UUID!) { assemblyVote(compoundId: $a, id: $v) { timeline { totalCount } } }",
        ("assemblyVote", "timeline"), ("Query.assemblyVote",)),
    **{f"VoteStep.{f}": Example(
        f"query($a: UUID!, $v: UUID!) {{ assemblyVote(compoundId: $a, id: $v) {{ timeline {{ edges {{ node "
        f"{{ {f} }} }} }} }} }}", ("assemblyVote", "timeline", "edges", 0, "node", f),
        ("Query.assemblyVote", "AssemblyVote.timeline"))
       for f in "at step detail".split()},
    "AssemblyVote.objections": Example(
        "query($a: UUID!, $v: UUID!) { assemblyVote(compoundId: $a, id: $v) { objections { number } } }",
        ("assemblyVote", "objections"), ("Query.assemblyVote",)),
    **{f"VoteObjection.{f}": Example(
        f"query($a: UUID!, $v: UUID!) {{ assemblyVote(compoundId: $a, id: $v) {{ objections {{ {f} }} }} }}",
        ("assemblyVote", "objections", 0, f), ("Query.assemblyVote", "AssemblyVote.objections"))
       for f in "number lodgedOn upheld answer answeredAt owner objection".split()},
    "AssemblyVote.voteTable": Example(
        "query($a: UUID!, $v: UUID!) { assemblyVote(compoundId: $a, id: $v) { voteTable { totalCount } } }",
        ("assemblyVote", "voteTable"), ("Query.assemblyVote",)),
    **{f"VoteTableRow.{f}": Example(
        f"query($a: UUID!, $v: UUID!) {{ assemblyVote(compoundId: $a, id: $v) {{ voteTable {{ edges {{ node "
        f"{{ {f} }} }} }} }} }}", ("assemblyVote", "voteTable", "edges", 0, "node", f),
        ("Query.assemblyVote", "AssemblyVote.voteTable"))
       for f in "position area choice how channel deliveredBy deliveredOn owner units deliveredTo".split()},
    "Query.ballotReceipt": Example(
        "query($a: UUID!, $r: String!) { ballotReceipt(compoundId: $a, receipt: $r) { counted } }",
        ("ballotReceipt",)),
    **{f"BallotCheck.{f}": Example(
        f"query($a: UUID!, $r: String!) {{ ballotReceipt(compoundId: $a, receipt: $r) {{ {f} }} }}",
        ("ballotReceipt", f), ("Query.ballotReceipt",))
       for f in "voteId choice area kind at counted".split()},
    **{f"Mutation.{name}": Example(f"mutation($a: UUID!{extra[0]}) {{ {name}(input: {{compoundId: $a, {extra[1]}}}) "
                                   "{ __typename } }", (name,))
       for name, extra in (
           ("openVote", ("", 'matter: "management_statute", title: "管理规约", description: "修订", '
                         'closesOn: "2099-01-01"')),
           ("castBallot", (", $v: UUID!", 'voteId: $v, building: "1栋", unit: "101", choice: "yes", '
                           'channel: "online"')),
           ("deliverBallot", (", $v: UUID!", 'voteId: $v, building: "1栋", unit: "101", method: "post", '
                              'deliveredOn: "2026-01-01", recipient: "田景余"')),
           ("closeVote", (", $v: UUID!", "voteId: $v")),
           ("lodgeVoteObjection", (", $v: UUID!", 'voteId: $v, building: "1栋", unit: "101", objection: "异议"')),
           ("answerVoteObjection", (", $v: UUID!", 'voteId: $v, number: 1, upheld: false, reason: "驳回"')),
           ("finaliseVote", (", $v: UUID!", "voteId: $v")),
           ("correctBallot", (", $v: UUID!", 'voteId: $v, building: "1栋", unit: "101", choice: "no", '
                              'kind: "recount", reason: "复核"')),
           ("transferUnit", ("", 'building: "1栋", unit: "101", owner: "新业主"')),
           ("correctUnitArea", ("", 'building: "1栋", unit: "101", exclusiveArea: "81", reason: "测绘"')),
           ("registerServiceContract", (", $v: UUID!", 'resolutionId: $v, startsOn: "2026-01-01", '
                                        'endsOn: "2028-12-31", feePerM2: "1.8"')),
           ("dismissPropertyCompany", (", $v: UUID!", 'resolutionId: $v, endsOn: "2026-01-01", reason: "差"')),
           ("recordCommitteeElection", (", $v: UUID!", 'resolutionId: $v, termStarts: "2026-01-01", '
                                        'termEnds: "2030-12-31"')),
           ("authoriseFundUse", (", $v: UUID!", 'resolutionId: $v, purpose: "维修"')),
           ("disburseFund", (", $v: UUID!", 'resolutionId: $v, amount: "1", payee: "x", paidOn: "2026-01-01"')),
           ("billFee", ("", 'period: "2026-12", household: "9栋-101", amount: "100"')),
           ("recordFeePayment", ("", 'period: "2026-10", household: "1栋101", amount: "1", paidOn: "2026-10-02"')))},
    **{f"Query.{name}": Example(f"query($a: UUID!) {{ {name}(compoundId: $a) {{ __typename }} }}", (name,))
       for name in ("serviceContracts", "committeeTerms", "maintenanceFund", "feeCollection")},
    **{f"{type_}.{f}": Example(f"query($a: UUID!) {{ {query}(compoundId: $a) {{ {f} }} }}",
                               (query, *index, f), (f"Query.{query}",))
       for type_, query, index, names in (
           ("ServiceContract", "serviceContracts", (0,), "compoundId id resolutionId companyId companyName startsOn "
            "endsOn feePerM2 registeredAt terminatedOn dismissalResolutionId terminationReason active"),
           ("CommitteeTerm", "committeeTerms", (0,), "compoundId resolutionId members termStarts termEnds expired"),
           ("MaintenanceFund", "maintenanceFund", (), "compoundId authorised disbursed remaining"),
           ("FeeCollection", "feeCollection", (0,), "compoundId period householdsBilled householdsPaid billed paid "
            "collectionRate"))
       for f in names.split()},
    "MaintenanceFund.uses": Example("query($a: UUID!) { maintenanceFund(compoundId: $a) { uses { purpose } } }",
                                    ("maintenanceFund", "uses"), ("Query.maintenanceFund",)),
    **{f"FundUse.{f}": Example(f"query($a: UUID!) {{ maintenanceFund(compoundId: $a) {{ uses {{ {f} }} }} }}",
                               ("maintenanceFund", "uses", 0, f), ("Query.maintenanceFund", "MaintenanceFund.uses"))
       for f in "resolutionId purpose authorised disbursed remaining".split()},
    "FundUse.disbursements": Example(
        "query($a: UUID!) { maintenanceFund(compoundId: $a) { uses { disbursements { amount } } } }",
        ("maintenanceFund", "uses", 0, "disbursements"), ("Query.maintenanceFund", "MaintenanceFund.uses")),
    **{f"Disbursement.{f}": Example(
        f"query($a: UUID!) {{ maintenanceFund(compoundId: $a) {{ uses {{ disbursements {{ {f} }} }} }} }}",
        ("maintenanceFund", "uses", 0, "disbursements", 0, f),
        ("Query.maintenanceFund", "MaintenanceFund.uses", "FundUse.disbursements"))
       for f in "amount payee paidOn borneBy".split()},
    **{f"Disbursement.{f}": Example(
        f"query($a: UUID!) {{ maintenanceFund(compoundId: $a) {{ uses {{ disbursements {{ {f} {{ __typename }} }} }} }} }}",
        ("maintenanceFund", "uses", 0, "disbursements", 0, f),
        ("Query.maintenanceFund", "MaintenanceFund.uses", "FundUse.disbursements"))
       for f in "byBuilding shares".split()},
    **{f"{type_}.{f}": Example(
        f"query($a: UUID!) {{ maintenanceFund(compoundId: $a) {{ uses {{ disbursements {{ {list_} {{ {f} }} }} }} }} }}",
        ("maintenanceFund", "uses", 0, "disbursements", 0, list_, 0, f),
        ("Query.maintenanceFund", "MaintenanceFund.uses", "FundUse.disbursements", f"Disbursement.{list_}"))
       for type_, list_, names in (("BuildingShare", "byBuilding", "building units area share"),
                                   ("DisbursementShare", "shares", "building area share unit owner"))
       for f in names.split()},
    # The shape of governance and the five powers
    **{f"Compound.{f}": Example(f"query($a: UUID!) {{ compound(id: $a) {{ {f} {{ __typename }} }} }}",
                                ("compound", f), ("Query.compound",))
       for f in "bodies crossAppointments suggestions supervisionNotices jointMeetings recommendations evaluations "
                "latestEvaluation starRating".split()},
    **{f"Branch.{f}": Example(f"query($a: UUID!) {{ compound(id: $a) {{ branch {{ {f} }} }} }}",
                              ("compound", "branch", f), ("Query.compound", "Compound.branch"))
       for f in "affiliatedTo homeCompoundId memberCount".split()},
    **{f"Branch.{f}": Example(f"query($a: UUID!) {{ compound(id: $a) {{ branch {{ {f} {{ __typename }} }} }} }}",
                              ("compound", "branch", f), ("Query.compound", "Compound.branch"))
       for f in "groups members".split()},
    **{f"{type_}.{f}": Example(f"query($a: UUID!) {{ compound(id: $a) {{ {selection.format(f=f)} }} }}",
                               ("compound", *path, f), ("Query.compound", *parents))
       for type_, selection, path, parents, names in (
           ("CompoundBodies", "bodies {{ {f} }}", ("bodies",), ("Compound.bodies",),
            "branch residentsGroup ownersCommittee committeeTermEnds propertyCompany propertyCompanyName "
            "propertyBasis propertyFeePerM2 twoNone fourInOne"),
           ("AttachedBody", "bodies {{ attached {{ {f} }} }}", ("bodies", "attached", 0),
            ("Compound.bodies", "CompoundBodies.attached"), "kind name attachedAt"),
           ("BranchMember", "branch {{ members {{ edges {{ node {{ {f} }} }} }} }}",
            ("branch", "members", "edges", 0, "node"), ("Compound.branch", "Branch.members"),
            "id name building kind organisation reportedOn leftOn howLeft groupBuilding centralHouseholds "
            "onCommittee secretary"),
           ("BuildingGroup", "branch {{ groups {{ {f} }} }}", ("branch", "groups", 0),
            ("Compound.branch", "Branch.groups"), "id building leader members"),
           ("CrossAppointment", "crossAppointments {{ {f} }}", ("crossAppointments", 0),
            ("Compound.crossAppointments",), "member body seat since endedOn matched"),
           ("JointMeeting", "jointMeetings {{ edges {{ node {{ {f} }} }} }}", ("jointMeetings", "edges", 0, "node"),
            ("Compound.jointMeetings",), "compoundId id heldOn topic bodies attendees decisions"),
           ("Suggestion", "suggestions {{ edges {{ node {{ {f} }} }} }}", ("suggestions", "edges", 0, "node"),
            ("Compound.suggestions",), "compoundId id addressedTo subject text madeOn answerBy response reason "
            "answeredOn overdue"),
           ("SupervisionNotice", "supervisionNotices {{ edges {{ node {{ {f} }} }} }}",
            ("supervisionNotices", "edges", 0, "node"), ("Compound.supervisionNotices",),
            "compoundId id addressedTo matter requirement issuedOn rectifyBy round state report reportedOn note "
            "overdue"),
           ("Recommendation", "recommendations {{ {f} }}", ("recommendations", 0), ("Compound.recommendations",),
            "compoundId id recommendedTo candidates note recommendedAt"),
           ("Evaluation", "evaluations {{ {f} }}", ("evaluations", 0), ("Compound.evaluations",),
            "compoundId id evaluated title closesOn openedAt sheets average residentSheets memberSheets verdict "
            "publishedAt"),
           ("StarRating", "starRating {{ {f} }}", ("starRating",), ("Compound.starRating",),
            "branchId period startsOn endsOn stars members participatingMembers memberParticipation residents "
            "residentParticipations residentParticipation scores satisfaction"),
           ("StarThreshold", "starRating {{ thresholds {{ {f} }} }}", ("starRating", "thresholds", 0),
            ("Compound.starRating", "StarRating.thresholds"),
            "stars memberParticipation residentParticipation satisfaction"),
           ("RatingEvidence", "starRating {{ evidence {{ edges {{ node {{ {f} }} }} }} }}",
            ("starRating", "evidence", "edges", 0, "node"), ("Compound.starRating", "StarRating.evidence"),
            "eventId body kind onDate figure detail"))
       for f in names.split()},
    **{f"StarRating.{f}": Example(f"query($a: UUID!) {{ compound(id: $a) {{ starRating {{ {f} {{ __typename }} }} }} }}",
                                  ("compound", "starRating", f), ("Query.compound", "Compound.starRating"))
       for f in "thresholds evidence".split()},
    **{f"Query.{name}": Example(f"{{ {name} {{ __typename }} }}", (name,))
       for name in ("coverage", "ratingDistribution", "overdueItems", "satisfactionRanking")},
    **{f"{type_}.{f}": Example(f"{{ {selection.format(f=f)} }}", (*path, f), (f"Query.{path[0]}", *parents))
       for type_, selection, path, parents, names in (
           ("Coverage", "coverage {{ {f} }}", ("coverage",), (),
            "compounds withBranch withOwnersCommittee withPropertyCompany fourInOne twoNone withNone"),
           ("RatingDistribution", "ratingDistribution {{ {f} }}", ("ratingDistribution",), (), "period branches"),
           ("RatingBand", "ratingDistribution {{ bands {{ {f} }} }}", ("ratingDistribution", "bands", 0),
            ("RatingDistribution.bands",), "stars branches"),
           ("OverdueItem", "overdueItems {{ edges {{ node {{ {f} }} }} }}", ("overdueItems", "edges", 0, "node"), (),
            "compoundId compoundName kind id addressedTo subject deadline daysOverdue"),
           ("SatisfactionRank", "satisfactionRanking {{ edges {{ node {{ {f} }} }} }}",
            ("satisfactionRanking", "edges", 0, "node"), (), "compoundId compoundName rank satisfaction scores"))
       for f in names.split()},
    **{f"Query.{name}": Example(f"{{ {name} {{ __typename }} }}", (name,))
       for name in ("areaFigures", "problemCandidates", "companyGrades", "redBlackList")},
    "Query.monthlyProblems": Example('{ monthlyProblems(street: "晋阳街道") { period } }', ("monthlyProblems",)),
    "Query.companyGrade": Example("query($a: UUID!) { companyGrade(companyId: $a) { score } }", ("companyGrade",)),
    **{f"{type_}.{f}": Example(f"{{ {selection.format(f=f)} }}", (*path, f), (f"Query.{path[0]}", *parents))
       for type_, selection, path, parents, names in (
           ("AreaFigures", "areaFigures {{ edges {{ node {{ {f} }} }} }}", ("areaFigures", "edges", 0, "node"), (),
            "level name compoundId district street community period compounds households raised withdrawn reopened "
            "repeated escalated requestsPer100Households averageRating score previousScore rank classes"),
           ("Rate", "areaFigures {{ edges {{ node {{ response {{ {f} }} }} }} }}",
            ("areaFigures", "edges", 0, "node", "response"), ("AreaFigures.response",), "numerator denominator rate"),
           ("FigureWeights", "areaFigures {{ edges {{ node {{ weights {{ {f} }} }} }} }}",
            ("areaFigures", "edges", 0, "node", "weights"), ("AreaFigures.weights",),
            "response resolution satisfaction setByStreet"),
           ("FigureEvidence", 'areaFigures {{ edges {{ node {{ evidence(figure: "raised") {{ edges {{ node {{ {f} }} '
            '}} }} }} }} }}', ("areaFigures", "edges", 0, "node", "evidence", "edges", 0, "node"),
            ("AreaFigures.evidence",), "eventId body step at caseId compoundId counts"),
           ("ProblemCluster", "problemCandidates(compounds: 1) {{ edges {{ node {{ {f} }} }} }}",
            ("problemCandidates", "edges", 0, "node"), (), "rank category area cases compounds"),
           ("ClusterCase", "problemCandidates(compounds: 1) {{ edges {{ node {{ caseList {{ edges {{ node {{ {f} }} "
            "}} }} }} }} }}", ("problemCandidates", "edges", 0, "node", "caseList", "edges", 0, "node"),
            ("ProblemCluster.caseList",), "caseId compoundId compoundName building raisedAt state reopened"),
           ("RedBlackList", "redBlackList {{ {f} }}", ("redBlackList",), (), "period"),
       )
       for f in names.split()},
    **{f"AreaFigures.{f}": Example(f"{{ areaFigures {{ edges {{ node {{ {f} {{ __typename }} }} }} }} }}",
                                   ("areaFigures", "edges", 0, "node", f), ("Query.areaFigures",))
       for f in "response resolution satisfaction onTime weights".split()},
    "AreaFigures.evidence": Example('{ areaFigures { edges { node { evidence(figure: "raised") { totalCount } } } } }',
                                    ("areaFigures", "edges", 0, "node", "evidence"), ("Query.areaFigures",)),
    **{f"ProblemCluster.{f}": Example(
        f"{{ problemCandidates(compounds: 1) {{ edges {{ node {{ {f} {{ __typename }} }} }} }} }}",
        ("problemCandidates", "edges", 0, "node", f), ("Query.problemCandidates",))
       for f in "repeated dissatisfaction caseList".split()},
    **{f"RedBlackList.{f}": Example(f"{{ redBlackList {{ {f} {{ __typename }} }} }}", ("redBlackList", f),
                                    ("Query.redBlackList",)) for f in "red black".split()},
    **{f"MonthlyProblem.{f}": Example(f'{{ monthlyProblems(street: "晋阳街道") {{ {f} }} }}',
                                      ("monthlyProblems", 0, f), ("Query.monthlyProblems",))
       for f in "street period category area title decision chosenAt".split()},
    "MonthlyProblem.followUp": Example('{ monthlyProblems(street: "晋阳街道") { followUp { period } } }',
                                       ("monthlyProblems", 0, "followUp"), ("Query.monthlyProblems",)),
    **{f"ProblemMonth.{f}": Example(f'{{ monthlyProblems(street: "晋阳街道") {{ followUp {{ {f} }} }} }}',
                                    ("monthlyProblems", 0, "followUp", 0, f),
                                    ("Query.monthlyProblems", "MonthlyProblem.followUp"))
       for f in "period cases compounds repeated".split()},
    **{f"CompanyGrade.{f}": Example(f'{{ companyGrades {{ edges {{ node {{ {f} }} }} }} }}',
                                    ("companyGrades", "edges", 0, "node", f), ("Query.companyGrades",))
       for f in "companyId companyName period households score grade listed rank".split()},
    "CompanyGrade.compounds": Example("{ companyGrades { edges { node { compounds { score } } } } }",
                                      ("companyGrades", "edges", 0, "node", "compounds"), ("Query.companyGrades",)),
    **{f"GradedCompound.{f}": Example(f"{{ companyGrades {{ edges {{ node {{ compounds {{ {f} }} }} }} }} }}",
                                      ("companyGrades", "edges", 0, "node", "compounds", 0, f),
                                      ("Query.companyGrades", "CompanyGrade.compounds"))
       for f in "compoundId compoundName households servedFrom servedUntil score".split()},
    "GradedCompound.indicators": Example(
        "{ companyGrades { edges { node { compounds { indicators { name } } } } } }",
        ("companyGrades", "edges", 0, "node", "compounds", 0, "indicators"),
        ("Query.companyGrades", "CompanyGrade.compounds")),
    "GradedCompound.evidence": Example(
        '{ companyGrades { edges { node { compounds { evidence(indicator: "complaints") { totalCount } } } } } }',
        ("companyGrades", "edges", 0, "node", "compounds", 0, "evidence"),
        ("Query.companyGrades", "CompanyGrade.compounds")),
    **{f"Indicator.{f}": Example(
        f"{{ companyGrades {{ edges {{ node {{ compounds {{ indicators {{ {f} }} }} }} }} }} }}",
        ("companyGrades", "edges", 0, "node", "compounds", 0, "indicators", 0, f),
        ("Query.companyGrades", "CompanyGrade.compounds", "GradedCompound.indicators"))
       for f in "name weight numerator denominator rate".split()},
    **{f"GradeEvidence.{f}": Example(
        f'{{ companyGrades {{ edges {{ node {{ compounds {{ evidence(indicator: "complaints") {{ edges {{ node {{ {f} '
        f'}} }} }} }} }} }} }} }}',
        ("companyGrades", "edges", 0, "node", "compounds", 0, "evidence", "edges", 0, "node", f),
        ("Query.companyGrades", "CompanyGrade.compounds", "GradedCompound.evidence"))
       for f in "recordId kind what onDate counts".split()},
    **{f"Mutation.{name}": Example(f'mutation {{ {name}(input: {{street: "晋阳街道", {fields}}}) {{ __typename }} }}',
                                   (name,))
       for name, fields in (("setFigureWeights", 'response: "1", resolution: "1", satisfaction: "1", since: "2026-01"'),
                            ("chooseMonthlyProblem", 'period: "2026-01", category: "repairs", area: "电梯", '
                                                     'title: "电梯", decision: "维修"'))},
    "Query.history": Example("query($a: UUID!) { history(compoundId: $a) { totalCount } }", ("history",)),
    **{f"LedgerEvent.{f}": Example(f"query($a: UUID!) {{ history(compoundId: $a) {{ edges {{ node {{ {f} }} }} }} }}",
                                   ("history", "edges", 0, "node", f), ("Query.history",))
       for f in "body position sequence type eventId aggregateId version compoundId occurredAt actor correlationId "
                "causationId data".split()},
    "Query.personalDataAccess": Example("{ personalDataAccess { totalCount } }", ("personalDataAccess",)),
    **{f"PersonalDataShown.{f}": Example(f"{{ personalDataAccess {{ edges {{ node {{ {f} }} }} }} }}",
                                         ("personalDataAccess", "edges", 0, "node", f),
                                         ("Query.personalDataAccess",))
       for f in "seq at principal personId field compoundId requestId".split()},
    "RatingDistribution.bands": Example("{ ratingDistribution { bands { stars } } }", ("ratingDistribution", "bands"),
                                        ("Query.ratingDistribution",)),
    "CompoundBodies.attached": Example("query($a: UUID!) { compound(id: $a) { bodies { attached { kind } } } }",
                                       ("compound", "bodies", "attached"), ("Query.compound", "Compound.bodies")),
    "Mutation.dissolveBranch": Example('mutation($a: UUID!) { dissolveBranch(input: {compoundId: $a, '
                                       'dissolvedOn: "2026-01-01", reason: "调整"}) { __typename } }',
                                       ("dissolveBranch",)),
    **{f"Mutation.{name}": Example(f"mutation($a: UUID!) {{ {name}(input: {{compoundId: $a, {fields}}}) "
                                   "{ __typename } }", (name,))
       for name, fields in (
           ("attachBody", 'kind: "social_organisation", name: "新的社工站"'),
           ("detachBody", 'kind: "social_organisation", name: "没有这个"'),
           ("reportMember", 'name: "新党员", building: "3栋", kind: "resident", reportedOn: "2026-01-01"'),
           ("releaseMember", 'memberId: $a, how: "left", leftOn: "2026-01-01", reason: "搬离"'),
           ("chooseBranchCommittee", 'secretary: $a, members: [], chosenOn: "2026-01-01"'),
           ("formBuildingGroup", 'building: "5栋", leader: $a'),
           ("assignToGroup", "groupId: $a, memberId: $a"),
           ("designateCentralHousehold", "memberId: $a, households: 5"),
           ("recordCrossAppointment", 'memberId: $a, body: "residents", seat: "委员", since: "2026-01-01"'),
           ("endCrossAppointment", 'memberId: $a, body: "residents", endedOn: "2026-01-01"'),
           ("recordBranchActivity", 'heldOn: "2026-01-01", title: "主题党日", participants: [], residentsAttending: 3'),
           ("holdJointMeeting", 'heldOn: "2026-01-01", topic: "议题", bodies: ["branch", "residents"], '
                                'attendees: [1, 2], decisions: ["议定"]'),
           ("makeSuggestion", 'addressedTo: "residents", subject: "建议", text: "x", madeOn: "2026-01-01", '
                              'answerBy: "2026-02-01"'),
           ("issueSupervisionNotice", 'addressedTo: "property", matter: "m", requirement: "r", '
                                      'issuedOn: "2026-01-01", rectifyBy: "2026-02-01"'),
           ("closeSupervisionNotice", 'noticeId: $a, note: "合格"'),
           ("reopenSupervisionNotice", 'noticeId: $a, reason: "复查", rectifyBy: "2099-01-01"'),
           ("recommendCandidates", 'recommendedTo: "residents", candidates: ["候选人"]'),
           ("openEvaluation", 'evaluated: "property", title: "评议", closesOn: "2099-01-01"'),
           ("scoreEvaluation", 'evaluationId: $a, raterKind: "resident", rater: "9栋", score: 4'),
           ("publishEvaluation", "evaluationId: $a"),
           ("answerSuggestion", 'suggestionId: $a, response: "accepted", answeredOn: "2026-01-01"'),
           ("reportRectification", 'noticeId: $a, report: "已整改", reportedOn: "2026-01-01"'),
           ("takeUpService", 'companyId: $a, basis: "interim", since: "2026-01-01"'),
           ("declareServiceFee", 'feePerM2: "1.2", since: "2026-01-01"'),
           ("handOverService", 'until: "2026-01-01", reason: "撤出"'),
           ("dissolveOwnersCommittee", 'dissolvedOn: "2026-01-01", reason: "辞职"'),
           ("seatCouncilMember", 'name: "新委员", role: "委员", joinedOn: "2026-01-01"'),
           ("unseatCouncilMember", 'name: "没有这个人", leftOn: "2026-01-01", reason: "x"'))},
}


def test_a_root_field_that_may_be_refused_is_nullable_so_a_refusal_empties_it_alone():
    query = schema._schema.query_type
    refusable = [name for name, field in query.fields.items() if RIGHTS[f"Query.{name}"].rule is not anyone]
    assert refusable and [n for n in refusable if isinstance(query.fields[n].type, GraphQLNonNull)] == []


def test_every_declared_right_has_an_example_in_the_matrix():
    assert set(EXAMPLES) == set(RIGHTS), "add an example for each new field to EXAMPLES"


@pytest.fixture
def two_compounds(system):
    """北苑小区 in 晋阳街道, and 玉林小区 in another street; each with a branch and a unit."""
    made = {}
    with acting("admin"):
        for key, name, street, community in (("inside", "北苑小区", "晋阳街道", "晋阳社区"),
                                             ("outside", "玉林小区", "玉林街道", "玉林东路社区")):
            compound = system.services.residents.register_compound(
                name=name, district="武侯区", street=street, community=community,
                households=10, residents=30).aggregate_id
            system.services.branch.establish_branch(compound_id=compound, name=f"{name}党支部", mode="single")
            system.services.owners_committee.register_exclusive_unit(
                compound_id=compound, building="1栋", unit="101", exclusive_area="80", owner="田景余")
            made[key] = compound
        company = system.services.property.register_company(
            name="晋阳物业", credit_code="91510107MA6CY8QK2D").aggregate_id
    inside, resident, branch = made["inside"], f"resident:{made['inside']}:101", f"body:branch:{made['inside']}"

    def settle():  # let every body react, then project
        for _ in range(2):
            run_relays(system.settings, threading.Event(), until_caught_up=True)
            Reactor(system.settings, system.services).run(threading.Event(), until_caught_up=True)
        run_relays(system.settings, threading.Event(), until_caught_up=True)

    with acting(resident):
        rated = system.services.residents.raise_case(
            compound_id=inside, category="repairs", description="后大门坏了", location="后门").aggregate_id
        worked = system.services.residents.raise_case(
            compound_id=inside, category="safety", description="灭火器过期", location="1栋").aggregate_id
    settle()
    with acting(branch):
        system.services.branch.dispatch_case(compound_id=inside, case_id=rated, taker="party_member",
                                             assignee="田景余")
        system.services.branch.accept_case(compound_id=inside, case_id=rated)
        system.services.branch.resolve_case(compound_id=inside, case_id=rated, summary="修好了")
        system.services.branch.dispatch_case(compound_id=inside, case_id=worked, taker="property",
                                             assignee="晋阳物业")
    settle()
    with acting(resident):
        system.services.residents.rate_case(compound_id=inside, case_id=rated, score=4, comment="好")
    with acting(branch):
        made["organisation"] = system.services.branch.register_organisation(
            compound_id=inside, name="晋阳志愿者协会", kind="social_organisation").aggregate_id
        made["claim"] = system.services.branch.publish_claimable(
            compound_id=inside, title="楠杆堰河边种樱花", description="28户自筹2000元", kind="project").aggregate_id
    made.update(decisions(system, inside, company))
    governance(system, inside, made["outside"], company)
    settle()
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    with psycopg.connect(system.settings.database_url, autocommit=True) as conn:  # a showing in each
        conn.execute(access_log.DDL)
        access_log.append(conn, [access_log.Showing(f"body:owners_committee:{c}", uuid4(), "ExclusiveUnit.owner",
                                                    c, uuid4(), datetime.now(timezone.utc))
                                 for c in (inside, made["outside"])])
    made["case"] = rated
    made["work_order"] = WorkOrder.create_id(worked, 1)
    return made


def decisions(system, compound, company):
    """A project with a meeting; votes passed on hiring, the fund and an election, and what rests on
    them; a fee billed and paid."""
    s, day = system.services, china_date(utc_now()) - timedelta(days=30)
    with acting(f"body:residents:{compound}"):
        project = s.residents.propose_project(compound_id=compound, title="后门改造", description="x",
                                              proposed_by="residents_council").aggregate_id
        s.residents.hold_project_meeting(compound_id=compound, project_id=project, held_on=day,
                                         attendees=["王"], bodies=["community"], minutes="议定")
        s.residents.draft_project_plan(compound_id=compound, project_id=project, content="方案",
                                       budget=Decimal("100"), funding="crowdfunded")
        s.residents.publicise_project(compound_id=compound, project_id=project, posted_on=day, days=7)
        s.residents.seat_council_member(compound_id=compound, name="王", role="议事会成员", joined_on=day)
        s.residents.open_council_vote(compound_id=compound, project_id=project, subject="plan",
                                      opened_on=day + timedelta(days=8))
    made = {"project": project}
    committee, oc = f"body:owners_committee:{compound}", s.owners_committee
    for key, matter, extra in (("fund", "use_maintenance_fund", {"amount": Decimal("5000")}),
                               ("election", "elect_committee", {"candidates": ["田景余"]}),
                               ("vote", "hire_property_company", {"company_id": company})):
        with acting(committee, clock=noon(day - timedelta(days=10))):
            vote = oc.open_vote(compound_id=compound, matter=matter, title=matter, description="x",
                                closes_on=day - timedelta(days=10), **extra).aggregate_id
            oc.deliver_ballot(compound_id=compound, vote_id=vote, building="1栋", unit="101", method="post",
                              delivered_on=day - timedelta(days=10), recipient="田景余")
            _, made["receipt"] = oc.cast_ballot(compound_id=compound, vote_id=vote, building="1栋", unit="101",
                                                choice="yes", channel="online")
            oc.close_vote(compound_id=compound, vote_id=vote)
            oc.lodge_vote_objection(compound_id=compound, vote_id=vote, building="1栋", unit="101",
                                    objection="核对")
            oc.answer_vote_objection(compound_id=compound, vote_id=vote, number=1, upheld=False, reason="无误")
        with acting(committee, clock=noon(day)):
            oc.finalise_vote(compound_id=compound, vote_id=vote)
        made[key] = vote
    with acting(committee):
        oc.register_contract(compound_id=compound, resolution_id=made["vote"], starts_on=day,
                             ends_on=day + timedelta(days=700), fee_per_m2=Decimal("1.8"))
        oc.authorise_fund_use(compound_id=compound, resolution_id=made["fund"], purpose="电梯维修")
        oc.disburse_fund(compound_id=compound, resolution_id=made["fund"], amount=Decimal("3000"),
                         payee="电梯公司", paid_on=day, borne_by=["1栋"])
        oc.record_committee_election(compound_id=compound, resolution_id=made["election"], term_starts=day,
                                     term_ends=day + timedelta(days=1000))
    period = f"{day.year}-{day.month:02d}"
    with acting(f"body:property:{compound}"):
        s.property.take_up_service(compound_id=compound, company_id=company, basis="owners_contract", since=day)
        s.property.bill_fee(compound_id=compound, period=period, household="1栋-101", amount=Decimal("144"))
        s.property.record_fee_payment(compound_id=compound, period=period, household="1栋-101",
                                      amount=Decimal("100"), paid_on=day)
    return made


def noon(day):
    """A clock at noon in China on ``day``."""
    return lambda: datetime(day.year, day.month, day.day, 4, tzinfo=timezone.utc)


def governance(system, inside, outside, company):
    """The inside compound's branch with a member in every role, seated on the owners' committee
    田景余 was elected to; a meeting, a suggestion gone overdue (in both compounds), a notice, a
    recommendation, a published evaluation, an attached body, an activity; the street's problem of the month."""
    s, today = system.services, china_date(utc_now())
    with acting(f"body:branch:{inside}"):
        b = s.branch
        member = b.report_member(compound_id=inside, name="田景余", building="1栋", kind="in_service",
                                 organisation="武侯区税务局", reported_on=today)[1]
        b.choose_branch_committee(compound_id=inside, secretary=member, members=[], chosen_on=today)
        b.form_building_group(compound_id=inside, building="1栋", leader=member)
        b.designate_central_household(compound_id=inside, member_id=member, households=8)
        b.record_cross_appointment(compound_id=inside, member_id=member, body="owners_committee", seat="主任",
                                   since=today)
        b.attach_body(compound_id=inside, kind="supervisory_committee", name="北苑监委会")
        b.record_activity(compound_id=inside, held_on=today, title="主题党日", participants=[member],
                          residents_attending=5)
        b.hold_joint_meeting(compound_id=inside, held_on=today, topic="停车", bodies=["branch", "property"],
                             attendees=[2, 1], decisions=["划线"])
        b.recommend_candidates(compound_id=inside, recommended_to="owners_committee", candidates=["田景余"])
        b.issue_supervision_notice(compound_id=inside, addressed_to="property", matter="消防通道",
                                   requirement="清理", issued_on=today - timedelta(days=9),
                                   rectify_by=today - timedelta(days=2))
        evaluation = b.open_evaluation(compound_id=inside, evaluated="property", title="物业评议",
                                       closes_on=today).aggregate_id
        b.score_evaluation(compound_id=inside, evaluation_id=evaluation, rater_kind="resident", rater="1栋101",
                           score=4)
        b.publish_evaluation(compound_id=inside, evaluation_id=evaluation)
    with acting("office:street:晋阳街道"):
        s.branch.choose_monthly_problem(street="晋阳街道", period=f"{today:%Y-%m}", category="repairs", area="后门",
                                        title="后门失修", decision="街道协调修缮")
    for compound in (inside, outside):
        with acting(f"body:branch:{compound}"):
            s.branch.make_suggestion(
                compound_id=compound, addressed_to="residents", subject="楼道灯", text="更换楼道灯",
                made_on=today - timedelta(days=10), answer_by=today - timedelta(days=3))


@pytest.fixture
def api(system):
    """The API, with a rate no matrix reaches: these tests are about rights, not rates."""
    system.settings = replace(system.settings, rate_limit=10_000.0)
    return system.start_api()


def principals(inside: UUID, outside: UUID) -> dict[str, tuple[str, object]]:
    """Every kind of principal, with its reach, inside and outside the compound under test."""
    kinds = {"admin": ("admin", EVERYWHERE)}
    for body in Body:
        kinds[f"{body.value} inside"] = (f"body:{body.value}:{inside}", frozenset({inside}))
        kinds[f"{body.value} outside"] = (f"body:{body.value}:{outside}", frozenset({outside}))
    kinds["resident of the unit"] = (f"resident:{inside}:101", frozenset({inside}))
    kinds["resident of another unit"] = (f"resident:{inside}:202", frozenset({inside}))
    kinds["resident outside"] = (f"resident:{outside}:101", frozenset({outside}))
    kinds["street auditor inside"] = ("auditor:street:晋阳街道", frozenset({inside}))
    kinds["community auditor inside"] = ("auditor:community:晋阳社区", frozenset({inside}))
    kinds["street auditor outside"] = ("auditor:street:玉林街道", frozenset({outside}))
    kinds["integration inside"] = ("integration:street:晋阳街道:dashboard", frozenset({inside}))
    kinds["integration outside"] = ("integration:community:玉林东路社区:dashboard", frozenset({outside}))
    kinds["street office inside"] = ("office:street:晋阳街道", frozenset({inside}))
    kinds["street office outside"] = ("office:street:玉林街道", frozenset({outside}))
    return kinds


def expected(key: str, spec: str, reach, inside: UUID) -> str:
    """What the declared table says: 'allowed', 'masked', or the right that refuses."""
    from api.principals import Principal

    principal = Principal.parse(spec)
    if principal.kind == "resident":  # as the API names them (the unit sealed, here left plain)
        principal = replace(principal, pseudonym=principal.spec)
    subject = SimpleNamespace(compound_id=inside, subject=f"resident:{inside}:101")
    arguments = {"id": inside, "compoundId": inside, "input": {"compoundId": inside, "street": "晋阳街道"}}
    for step in (*EXAMPLES[key].parents, key):
        right = RIGHTS[step]
        if not right.allows(principal, reach, arguments, subject):
            return "masked" if right.masks else step
    return "allowed"


def observed(key: str, response: dict) -> str:
    refused = [e["extensions"]["right"] for e in response.get("errors", [])
               if e.get("extensions", {}).get("code") == "NOT_ALLOWED"]
    if refused:
        return refused[0]
    if "data" not in response:
        return f"no data: {response}"
    value = response["data"]
    for step in EXAMPLES[key].path:
        if isinstance(value, list) and len(value) <= step and all(
                RIGHTS[k].rule is anyone for k in (*EXAMPLES[key].parents, key)):
            return "allowed"  # a list of what the principal reaches, empty for it: nothing was refused
        value = value[step]
    if isinstance(value, dict) and value.get("__typename") == "NotAllowed":
        return key
    if key == "Query.compounds":
        return "allowed"  # its reach is checked by what it lists
    # Masked text reads ***, a masked number null; the fixture gives every masked field a value.
    return "masked" if value == MASK or (RIGHTS[key].masks and value is None) else "allowed"


def test_the_matrix_of_principals_and_fields_follows_the_declared_table(system, two_compounds, api):
    url = api
    inside, outside = two_compounds["inside"], two_compounds["outside"]
    failures = []
    for who, (spec, reach) in principals(inside, outside).items():
        token = system.token(spec)
        for key, example in EXAMPLES.items():
            variables = {"name": f"{who} {uuid4().hex[:6]}"}
            for name, value in (("$a", inside), ("$c", two_compounds["case"]),
                                ("$w", two_compounds["work_order"]), ("$k", two_compounds["claim"]),
                                ("$o", two_compounds["organisation"]), ("$p", two_compounds["project"]),
                                ("$v", two_compounds["vote"]), ("$r", two_compounds["receipt"])):
                if name in example.operation:
                    variables[name[1:]] = str(value)
            if "$name" not in example.operation:
                variables.pop("name")
            response = graphql(url, token, example.operation, variables).json()
            want, got = expected(key, spec, reach, inside), observed(key, response)
            if want != got:
                failures.append(f"{who:26} {key:34} table: {want:24} API: {got}")
        listed = graphql(url, token, EXAMPLES["Query.compounds"].operation).json()
        ids = {UUID(e["node"]["id"]) for e in listed["data"]["compounds"]["edges"]}
        if (inside in ids) != (inside in reach) or (outside in ids) != (outside in reach):
            failures.append(f"{who:26} Query.compounds lists {ids}")
    assert not failures, "\n".join(failures)


def test_what_the_policy_means_in_plain_words(system, two_compounds, api):
    """A few consequences of the table, stated independently of it."""
    url = api
    inside, outside = two_compounds["inside"], two_compounds["outside"]
    unit = EXAMPLES["Mutation.registerExclusiveUnit"].operation
    units = "query($a: UUID!) { compound(id: $a) { units { edges { node { unit owner } } } } }"

    def register_unit(spec, compound):
        token = system.token(spec)
        answer = graphql(url, token, unit, {"a": str(compound), "name": uuid4().hex[:6]}).json()
        return answer["data"]["registerExclusiveUnit"]["__typename"]

    assert register_unit(f"body:owners_committee:{inside}", inside) == "Recorded"
    assert register_unit(f"body:owners_committee:{outside}", inside) == "NotAllowed"
    assert register_unit(f"body:property:{inside}", inside) == "NotAllowed"
    assert register_unit("auditor:street:晋阳街道", inside) == "NotAllowed"
    assert register_unit("integration:street:晋阳街道:dashboard", inside) == "NotAllowed"

    def owners_seen_by(spec):
        answer = graphql(url, system.token(spec), units, {"a": str(inside)}).json()
        connection = answer["data"]["compound"] and answer["data"]["compound"]["units"]
        return None if connection is None else {e["node"]["owner"] for e in connection["edges"]}

    assert "田景余" in owners_seen_by(f"body:owners_committee:{inside}")
    assert "田景余" in owners_seen_by("auditor:street:晋阳街道")
    assert owners_seen_by(f"body:branch:{inside}") == {MASK}  # supervises, but no personal data
    assert owners_seen_by(f"resident:{inside}:101") is None  # residents do not read the electorate
    assert owners_seen_by("auditor:street:玉林街道") is None


def test_every_refusal_is_recorded_for_audit(system, two_compounds, api):
    url = api
    inside = two_compounds["inside"]
    spec = f"body:property:{two_compounds['outside']}"
    graphql(url, system.token(spec), EXAMPLES["Query.compound"].operation, {"a": str(inside)})
    graphql(url, system.token(spec), EXAMPLES["Mutation.registerCompound"].operation, {"name": "x"})
    rows = system.query("SELECT principal, field, compound_id, needed FROM api.denials ORDER BY id")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (spec, "Query.compound", inside),
        (spec, "Mutation.registerCompound", None),
    ]
    assert rows[1][3] == "the administrator"
