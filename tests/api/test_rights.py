"""Supervision rights, tried as a whole: every field of the schema against every kind of
principal, inside and outside its compounds, compared with the declared table."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest

from api.rights import EVERYWHERE, MASK, RIGHTS, is_carried
from api.schema import schema
from infra.reactor import Reactor
from infra.relay import run_relays
from projections.projector import Projector
from services.common.bodies import Body
from services.common.context import acting
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
       for f in ("id compoundId category description location photoRef raisedAt dueAt state taker "
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
}


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
        system.services.property.register_company(name="晋阳物业", credit_code="91510107MA6CY8QK2D")
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
    settle()
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    made["case"] = rated
    made["work_order"] = WorkOrder.create_id(worked, 1)
    return made


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
    return kinds


def expected(key: str, spec: str, reach, inside: UUID) -> str:
    """What the declared table says: 'allowed', 'masked', or the right that refuses."""
    from api.principals import Principal

    principal = Principal.parse(spec)
    subject = SimpleNamespace(compound_id=inside, subject=f"resident:{inside}:101")
    arguments = {"id": inside, "compoundId": inside, "input": {"compoundId": inside}}
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
                                ("$o", two_compounds["organisation"])):
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
