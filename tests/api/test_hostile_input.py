"""Hostile input: every mutation of the schema (found in the schema, not listed by hand) is sent
hostile values in each of its fields, as the principal allowed to run it. Every answer is a typed
problem, a GraphQL error or a refusal of the gate, never a 5xx nor ``Unexpected error``; a refused
command records nothing; a value that can never be stored is refused; and afterwards the read
side still moves."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta

import httpx
from graphql import (GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull,
                     GraphQLScalarType, get_named_type)
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from api.principals import Principal
from api.rights import RIGHTS
from api.schema import schema
from services.common.bodies import Body
from services.common.context import china_date, utc_now
from tests.conftest import BEIYUAN, graphql

PROBLEMS = {"InvalidInput", "NotFound", "RuleViolated", "NotAllowed"}
TODAY = china_date(utc_now())

# What can never be stored, by scalar: each must be refused wherever it is sent.
NEVER_STORED = {
    "String": ["门\u0000禁", "\ud800坏", "\udfff", "a\x1bb", "c1\x9b", "\u202e名字", "\u2066隔离\u2069",
               "长" * 9000],
    "Decimal": ["NaN", "Infinity", "-Infinity", "sNaN", "1e999999", "66.666", "9" * 60, "数字"],
    "Date": ["2026-13-45", "not-a-date", "2026-02-30", ""],
    "UUID": ["not-a-uuid", "", "{00000000-0000-0000-0000-00000000000}"],
    "Int": [2**31, -2**31 - 1, 10**20, "7"],
}
# Strange but valid, or refused by a rule: whatever the answer, it is typed and consistent.
ODD = {
    "String": ["", "   ", "🏠👍🏽", "e\u0301\u0301\u0301", "Ｚ", "\n", "北苑小区", "x" * 200, "'; DROP TABLE x;--"],
    "Decimal": ["-1", "0", "0.00", "10000000001", "80.50", 66.5],
    "Date": ["0001-01-01", "9999-12-31", TODAY.isoformat(), (TODAY - timedelta(days=3)).isoformat()],
    "UUID": ["00000000-0000-0000-0000-000000000000", str(uuid.UUID(int=1))],
    "Int": [-1, 0, 2**31 - 1, -2**31],
}


def mutations() -> dict[str, GraphQLInputObjectType]:
    found = {}
    for name, field in schema._schema.mutation_type.fields.items():
        (argument,) = field.args.values()
        found[name] = get_named_type(argument.type)
    return found


def leaves(input_type: GraphQLInputObjectType, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str, bool]]:
    """Each scalar field under ``input_type``: its path, its scalar's name, whether it is a list."""
    found = []
    for name, field in input_type.fields.items():
        of = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        named = get_named_type(of)
        if isinstance(named, GraphQLInputObjectType):
            found += leaves(named, (*prefix, name))
        elif isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
            found.append(((*prefix, name), named.name, isinstance(of, GraphQLList)))
    return found


def plausible(input_type: GraphQLInputObjectType, compound: str) -> dict:
    """A value for every field: what a careful caller might send."""
    value = {}
    for name, field in input_type.fields.items():
        of = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        named = get_named_type(of)
        if isinstance(named, GraphQLInputObjectType):
            one = plausible(named, compound)
        elif isinstance(named, GraphQLEnumType):
            one = next(iter(named.values))
        else:
            one = {"String": "北苑", "Int": 3, "Decimal": "80.00", "Date": TODAY.isoformat(), "Boolean": True,
                   "UUID": compound if name == "compoundId" else str(uuid.uuid4())}[named.name]
        value[name] = [one] if isinstance(of, GraphQLList) else one
    return value


def with_value(base: dict, path: tuple[str, ...], value: object, is_list: bool) -> dict:
    changed = dict(base)
    if len(path) == 1:
        changed[path[0]] = [value] if is_list else value
    else:
        changed[path[0]] = with_value(base[path[0]], path[1:], value, is_list)
    return changed


def principal_for(mutation: str, compound: uuid.UUID) -> str:
    """A principal the rights table lets run the mutation in the compound."""
    right = RIGHTS[f"Mutation.{mutation}"]
    candidates = ["admin", *(f"body:{body.value}:{compound}" for body in Body), f"resident:{compound}:1单元101",
                  "office:street:北苑"]  # a street office, of the street the plausible input names
    arguments = {"input": {"compoundId": compound, "street": "北苑"}}
    for spec in candidates:
        if right.allows(Principal.parse(spec), frozenset({compound}), arguments, None):
            return spec
    raise AssertionError(f"no principal may run {mutation}")


def send(url: str, token: str, document: str, variables: dict) -> httpx.Response:
    """As ``graphql``, with the JSON escaped to ASCII, so that a lone surrogate can be sent."""
    return httpx.post(url, content=json.dumps({"query": document, "variables": variables}),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                      timeout=30)


def events_stored(system) -> int:
    return sum(system.query(f"SELECT count(*) FROM {body.schema}.{body.value}_events")[0][0] for body in Body)


SCALARS = ("String", "Decimal", "Date", "UUID", "Int")
# Texts with a forbidden character somewhere among ordinary ones, beyond the fixed catalogue.
forbidden = st.sampled_from(["\x00", "\x07", "\x7f", "\x85", "\ud801", "\udc00", "\u202a", "\u2068"])
hostile_text = st.builds(lambda a, c, b: a + c + b, st.text(max_size=20), forbidden, st.text(max_size=20))


def test_no_hostile_value_reaches_a_500_is_half_recorded_or_stops_the_views(system):
    system.settings = replace(system.settings, rate_limit=100_000.0)
    url = system.start_api()
    system.start_relay()
    system.start_projector()
    registered = graphql(url, system.token("admin"), """mutation($i: RegisterCompoundInput!) {
        registerCompound(input: $i) { ... on Recorded { aggregateId } } }""", {"i": BEIYUAN}).json()
    compound = uuid.UUID(registered["data"]["registerCompound"]["aggregateId"])
    tokens: dict[str, str] = {}

    @settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.generate))  # no shrinking: each try is 79 requests
    @given(data=st.data())
    def every_mutation_once(data: st.DataObject) -> None:
        for mutation, input_type in mutations().items():
            spec = principal_for(mutation, compound)
            if spec not in tokens:
                tokens[spec] = system.token(spec)
            token = tokens[spec]
            path, scalar, is_list = data.draw(st.sampled_from(leaves(input_type)), label=f"{mutation} field")
            if scalar not in SCALARS:
                continue
            never = NEVER_STORED[scalar] + ([data.draw(hostile_text)] if scalar == "String" else [])
            value = data.draw(st.sampled_from(never + ODD[scalar]), label=f"{mutation}.{'.'.join(path)}")
            variables = {"i": with_value(plausible(input_type, str(compound)), path, value, is_list)}
            document = (f"mutation($i: {input_type.name}!) {{ {mutation}(input: $i) {{ __typename"
                        " ... on Problem { code message } } }")
            before = events_stored(system)
            response = send(url, token, document, variables)
            after = events_stored(system)
            where = (mutation, path, value)

            assert response.status_code < 500, (*where, response.text)
            if response.status_code == 413:
                assert response.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"
                assert after == before, where
                continue
            body = response.json()
            assert "Unexpected error." not in response.text, (*where, body)
            answer = (body.get("data") or {}).get(mutation)
            if answer is None:  # a GraphQL error naming where the value was: nothing ran
                assert body["errors"] and after == before, (*where, body)
                if scalar != "Int":  # GraphQL's own Int, whose errors carry no code
                    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", (*where, body)
                continue
            assert answer["__typename"] in PROBLEMS | {"Recorded"}, (*where, answer)
            if answer["__typename"] in PROBLEMS:
                assert after == before, (*where, answer)
            assert not (value in never and answer["__typename"] == "Recorded"), (*where, answer)

    every_mutation_once()

    # The read side still moves: a case raised now reaches the cases view.
    raised = graphql(url, system.token(f"resident:{compound}:2单元202"), """mutation($i: RaiseCaseInput!) {
        raiseCase(input: $i) { ... on Recorded { aggregateId version } } }""",
        {"i": {"compoundId": str(compound), "category": "repairs", "description": "门禁坏了",
               "location": "2单元"}}).json()["data"]["raiseCase"]
    system.wait_until_projected_ids({uuid.UUID(raised["aggregateId"]): raised["version"]})

    # Refusals are a line each in the API's log (who, which right, which compound); a traceback
    # would be a fault.
    refused = graphql(url, system.token(f"resident:{compound}:2单元202"),
                      "query($a: UUID!) { history(compoundId: $a) { totalCount } }", {"a": str(compound)}).json()
    assert refused["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    log = (system.settings.data_dir / "api.log").read_text()
    person = system.services.residents.personal_keys.person(compound, "2单元202")
    assert f"refused: resident:{compound}:person {person} may not use Query.history for compound {compound}" in log
    assert "2单元202" not in log  # a resident is logged by their person id, not their unit
    assert "Traceback" not in log

    # What a client sent reaches the log with its line breaks escaped: no line of it passes
    # for one of the API's own.
    forged = "北苑街道\n2026-01-01 00:00:00,000 ERROR siwei.api: a line the client wrote\r"
    refused = graphql(url, system.token(f"resident:{compound}:2单元202"),
                      "mutation($i: MonthlyProblemInput!) { chooseMonthlyProblem(input: $i) { __typename } }",
                      {"i": {"street": forged, "period": "2026-11", "category": "repairs", "area": "1单元",
                             "title": "楼道灯", "decision": "修"}}).json()
    assert refused["data"]["chooseMonthlyProblem"]["__typename"] == "NotAllowed"
    log = (system.settings.data_dir / "api.log").read_text()
    assert "may not use Mutation.chooseMonthlyProblem for 北苑街道\\n2026-01-01 00:00:00,000 ERROR" in log
    assert not any(line.startswith("2026-01-01") for line in log.splitlines())


def test_a_body_sent_in_chunks_is_held_to_the_same_limit(system):
    url = system.start_api()
    padding = "#" + "x" * (70 * 1024) + "\n"
    body = ('{"query": "' + padding.replace("\n", "\\n") + '{ viewer { kind } }"}').encode()

    def chunks():
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    headers = {"Authorization": f"Bearer {system.token('admin')}", "Content-Type": "application/json"}
    response = httpx.post(url, content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers  # sent chunked
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"
    small = b'{"query": "{ viewer { kind } }"}'
    assert httpx.post(url, content=iter([small[:10], small[10:]]), headers=headers).json() == {
        "data": {"viewer": {"kind": "admin"}}}
