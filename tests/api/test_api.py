"""The GraphQL API over HTTP: who may ask, how refusals look, how lists page."""

from __future__ import annotations

import base64
import json
import threading
from decimal import Decimal

import pytest

from infra.relay import run_relays
from projections.projector import Projector
from services.common.context import acting
from tests.conftest import BEIYUAN, graphql

VIEWER = "{ viewer { principal kind } }"
REGISTER = """
mutation ($input: RegisterCompoundInput!) {
  registerCompound(input: $input) {
    __typename
    ... on Problem { code message }
    ... on InvalidInput { field }
    ... on NotAllowed { right }
  }
}"""
PAGE = """
query ($after: String) {
  compounds(first: 2, after: $after, community: "晋阳社区") {
    totalCount pageInfo { hasNextPage endCursor } edges { node { name } }
  }
}"""
COMPOUND = dict(**BEIYUAN)


@pytest.fixture
def api(system):
    return system.start_api()


def test_a_request_without_a_valid_token_gets_401_and_no_data(system, api):
    for token in (None, "sw_not-a-token"):
        response = graphql(api, token, VIEWER)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_token_names_its_principal(system, api):
    token = system.token("auditor:street:晋阳街道")
    assert graphql(api, token, VIEWER).json()["data"]["viewer"] == {
        "principal": "auditor:street:晋阳街道", "kind": "auditor"}


def test_a_mutation_without_the_right_is_refused_by_name_and_records_nothing(system, api):
    token = system.token("integration:street:晋阳街道:city-dashboard")
    answer = graphql(api, token, REGISTER, {"input": COMPOUND}).json()["data"]["registerCompound"]
    assert answer["__typename"] == "NotAllowed"
    assert answer["right"] == "Mutation.registerCompound"
    assert "integration:street:晋阳街道:city-dashboard may not use Mutation.registerCompound" in answer["message"]
    assert system.services.residents.recorder.max_notification_id() is None


def test_bad_input_is_answered_with_the_field_and_records_nothing(system, api):
    admin = system.token("admin")
    answer = graphql(api, admin, REGISTER, {"input": {**COMPOUND, "households": -5}}).json()
    assert answer["data"]["registerCompound"] == {
        "__typename": "InvalidInput", "code": "INVALID_INPUT",
        "message": "households must be a whole number of zero or more", "field": "households"}
    assert system.services.residents.recorder.max_notification_id() is None


def test_a_repeated_registration_is_a_rule_violation_and_the_first_stays(system, api):
    admin = system.token("admin")
    first = graphql(api, admin, REGISTER, {"input": COMPOUND}).json()["data"]["registerCompound"]
    again = graphql(api, admin, REGISTER, {"input": {**COMPOUND, "households": 1}}).json()
    assert first["__typename"] == "Recorded"
    assert again["data"]["registerCompound"]["code"] == "RULE_VIOLATED"
    assert system.services.residents.recorder.max_notification_id() == 1


def test_compounds_page_by_cursor_until_the_end(system, api):
    names = ["北苑小区", "红运花园", "五大花园一区", "五大花园二区", "玉林东路小区"]
    with acting("admin"):
        for name in names:
            system.services.residents.register_compound(**{**COMPOUND, "name": name})
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)

    token = system.token("integration:street:晋阳街道:city-dashboard")
    seen, after = [], None
    while True:
        page = graphql(api, token, PAGE, {"after": after}).json()["data"]["compounds"]
        assert page["totalCount"] == 5
        assert len(page["edges"]) <= 2
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(names)
    beyond = graphql(api, token, PAGE, {"after": page["pageInfo"]["endCursor"]}).json()["data"]["compounds"]
    assert (beyond["totalCount"], beyond["edges"], beyond["pageInfo"]["hasNextPage"]) == (5, [], False)
    nowhere = graphql(api, token, '{ compounds(community: "无此社区", first: 2) { totalCount edges { node { name } }'
                                  ' pageInfo { hasNextPage endCursor } } }').json()["data"]["compounds"]
    assert nowhere == {"totalCount": 0, "edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}

    # A page reads only what is asked of it, however it is asked: aliases and fragments included.
    answer = graphql(api, token, """
        fragment Counted on CompoundConnection { total: totalCount }
        query { counted: compounds(community: "晋阳社区") { ...Counted }
                listed: compounds(community: "晋阳社区", first: 1) { ... on CompoundConnection {
                  edges { cursor node { name } } } pageInfo { endCursor } }
                both: compounds(community: "晋阳社区", first: 4) { totalCount ...on CompoundConnection {
                  pageInfo { hasNextPage } } } }""").json()
    assert "errors" not in answer, answer
    data = answer["data"]
    assert data["counted"] == {"total": 5}
    assert [e["node"]["name"] for e in data["listed"]["edges"]] == sorted(names)[:1]
    assert data["listed"]["pageInfo"]["endCursor"] is not None
    after_cursor = graphql(api, token, PAGE, {"after": data["listed"]["edges"][0]["cursor"]}).json()
    assert [e["node"]["name"] for e in after_cursor["data"]["compounds"]["edges"]] == sorted(names)[1:3]
    assert data["both"] == {"totalCount": 5, "pageInfo": {"hasNextPage": True}}


def test_a_compound_s_units_count_the_same_however_they_are_asked(system, api):
    """The count read with the compound (``units { totalCount }`` asked of one compound) is the
    one a page counts itself: alone, beside a page, under aliases, through fragments, and in a
    list of compounds."""
    with acting("admin"):
        counted = {system.services.residents.register_compound(**{**COMPOUND, "name": name}).aggregate_id: n
                   for name, n in (("北苑小区", 3), ("红运花园", 0))}
    for compound, n in counted.items():
        with acting(f"body:owners_committee:{compound}"):
            for i in range(n):
                system.services.owners_committee.register_exclusive_unit(
                    compound_id=compound, building="1栋", unit=f"1单元{101 + i}", exclusive_area=Decimal("80.5"),
                    owner="田景余")
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    token = system.token("auditor:street:晋阳街道")
    for compound, n in counted.items():
        answer = graphql(api, token, """
            fragment Count on ExclusiveUnitConnection { totalCount }
            query ($id: UUID!) { compound(id: $id) { name
              alone: units { totalCount }
              paged: units(first: 2) { totalCount edges { node { unit } } pageInfo { hasNextPage } }
              viaFragment: units { ...Count }
              inline: units { ... on ExclusiveUnitConnection { totalCount } } } }""", {"id": str(compound)}).json()
        assert "errors" not in answer, answer
        units = answer["data"]["compound"]
        assert [units[name]["totalCount"] for name in ("alone", "paged", "viaFragment", "inline")] == [n] * 4
        paged = [e["node"]["unit"] for e in units["paged"]["edges"]]
        assert len(paged) == min(n, 2) and set(paged) <= {f"1单元{101 + i}" for i in range(n)}
        assert units["paged"]["pageInfo"]["hasNextPage"] is (n > 2)
        ends = graphql(api, token, "query ($id: UUID!) { compound(id: $id) { units(first: 100) { edges { cursor } } } }",
                       {"id": str(compound)}).json()["data"]["compound"]["units"]["edges"]
        if ends:
            beyond = graphql(api, token, "query ($id: UUID!, $after: String) { compound(id: $id) {"
                             " units(first: 2, after: $after) { totalCount edges { node { unit } } } } }",
                             {"id": str(compound), "after": ends[-1]["cursor"]}).json()["data"]["compound"]["units"]
            assert beyond == {"totalCount": n, "edges": []}
        without = graphql(api, token, "query ($id: UUID!) { compound(id: $id) { units { edges { node { unit } } } } }",
                          {"id": str(compound)}).json()
        assert len(without["data"]["compound"]["units"]["edges"]) == n
    listed = graphql(api, token, '{ compounds(community: "晋阳社区") { edges { node { id units { totalCount } } } } }').json()
    assert {e["node"]["id"]: e["node"]["units"]["totalCount"] for e in listed["data"]["compounds"]["edges"]} == {
        str(compound): n for compound, n in counted.items()}


def test_an_invalid_cursor_or_page_size_is_a_clear_error(system, api):
    token = system.token("admin")
    for query in ('{ compounds(after: "bm9wZQ") { totalCount } }', "{ compounds(first: 500) { totalCount } }"):
        body = graphql(api, token, query).json()
        assert body["data"] is None
        assert ("not a cursor this API gave out" in body["errors"][0]["message"]
                or "first must be between 0 and 100" in body["errors"][0]["message"])


def test_a_cursor_says_nothing_and_only_opens_the_list_that_gave_it(system, api):
    with acting("admin"):
        for name in ("北苑小区", "红运花园", "五大花园一区"):
            system.services.residents.register_compound(**{**COMPOUND, "name": name})
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    token = system.token("admin")
    cursor = graphql(api, token, PAGE, {"after": None}).json()["data"]["compounds"]["pageInfo"]["endCursor"]
    opened = base64.urlsafe_b64decode(cursor + "==")
    assert "五大花园".encode() not in opened and b"\xe5\x8c\x97" not in opened  # neither 五大花园 nor 北

    forged = base64.urlsafe_b64encode(json.dumps(["not-a-time", "not-a-uuid"]).encode()).decode()
    for field, after in (("compounds", forged), ("propertyCompanies", cursor)):
        query = f"query($after: String) {{ {field}(after: $after) {{ totalCount }} }}"
        body = graphql(api, token, query, {"after": after}).json()
        assert body["data"] is None
        assert body["errors"][0].get("extensions") == {"code": "INVALID_INPUT", "field": "after"}, body


def test_a_refused_root_field_empties_itself_and_the_rest_of_the_answer_stands(system, api):
    with acting("admin"):
        compound = system.services.residents.register_compound(**COMPOUND).aggregate_id
    body = graphql(api, system.token("admin"), """query($a: UUID!) {
        cases(compoundId: $a) { totalCount } viewer { kind } }""", {"a": str(compound)}).json()
    assert body["data"] == {"cases": None, "viewer": {"kind": "admin"}}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_ALLOWED"]
