"""One command through the whole system, on the real embedded PostgreSQL and Tansu:
GraphQL mutation → body's store → relay → topic → projector → GraphQL query."""

from tests.conftest import graphql

REGISTER = """
mutation ($input: RegisterCompoundInput!) {
  registerCompound(input: $input) {
    __typename
    ... on Recorded { body aggregateId version }
    ... on Problem { message }
  }
}"""
REGISTER_UNIT = """
mutation ($input: RegisterExclusiveUnitInput!) {
  registerExclusiveUnit(input: $input) { __typename ... on Recorded { aggregateId version } }
}"""
COMPOUND = """
query ($id: UUID!) {
  compound(id: $id) {
    name district street community households residents
    units { totalCount edges { node { building unit exclusiveArea owner } } }
  }
}"""


def test_a_command_reaches_a_query_through_store_relay_topic_and_projector(system):
    system.start_relay()
    system.start_projector()
    url = system.start_api()
    admin = system.token("admin")

    answer = graphql(url, admin, REGISTER, {"input": {
        "name": "北苑小区", "district": "武侯区", "street": "晋阳街道", "community": "晋阳社区",
        "households": 420, "residents": 1260}}).json()["data"]["registerCompound"]
    assert answer["__typename"] == "Recorded", answer
    assert (answer["body"], answer["version"]) == ("residents", 1)
    compound_id = answer["aggregateId"]

    # The body's own store has it at once...
    stored = system.query("SELECT count(*) FROM residents.residents_events WHERE originator_id = %s",
                          (compound_id,))
    assert stored == [(1,)]

    # ...and the owners' committee of that compound records a unit in its own store.
    committee = system.token(f"body:owners_committee:{compound_id}")
    unit = graphql(url, committee, REGISTER_UNIT, {"input": {
        "compoundId": compound_id, "building": "1栋", "unit": "1单元101",
        "exclusiveArea": "89.50", "owner": "田景余"}}).json()["data"]["registerExclusiveUnit"]
    assert unit["__typename"] == "Recorded"

    from uuid import UUID
    system.wait_until_projected_ids({UUID(compound_id): 1, UUID(unit["aggregateId"]): 1})

    reader = system.token("auditor:street:晋阳街道")
    answer = graphql(url, reader, COMPOUND, {"id": compound_id}).json()
    compound = answer["data"]["compound"]
    assert "errors" not in answer, answer
    assert compound == {
        "name": "北苑小区", "district": "武侯区", "street": "晋阳街道", "community": "晋阳社区",
        "households": 420, "residents": 1260,
        "units": {"totalCount": 1, "edges": [{"node": {
            "building": "1栋", "unit": "1单元101", "exclusiveArea": "89.50", "owner": "田景余"}}]},
    }
