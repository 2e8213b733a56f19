"""Personal data never reaches a principal not entitled to it, whatever the data, wherever it could
surface: every field of every root query (found from the schema), with its cursors, timelines,
history and errors."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import psycopg
import pytest

from graphql import GraphQLArgument, GraphQLNonNull, GraphQLObjectType, Undefined, get_named_type
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api.schema import schema
from audit.access_log import FLUSH_SECONDS, Showing, append
from infra.relay import run_relays
from projections.projector import Projector
from services.common.context import acting
from tests.conftest import BEIYUAN, graphql, wait_until

OTHER_STREET = "玉林街道"
# Characters of every public string the answers hold (names of places, bodies, companies, the
# fixture's texts): generated personal values use none of them, so none can be found by chance.
PUBLIC = "".join([*map(str, BEIYUAN.values()), OTHER_STREET, "北苑小区党支部", "小区东门", "党员", "报到"])


def letters(block: int):
    """Characters of one block of 2,000 CJK ideographs: each kind of value draws from its own, so
    that a value of one kind can never be found inside a value of another kind."""
    start = 0x4E00 + 2000 * block
    return st.characters(min_codepoint=start, max_codepoint=start + 1999).filter(lambda c: c not in PUBLIC)


def names(block: int):
    return st.text(letters(block), min_size=4, max_size=6)


owner_names, member_names, councillor_names, assignee_names = names(0), names(1), names(2), names(3)
texts = st.text(letters(4), min_size=8, max_size=20)
owned_units = st.builds(lambda b, r: f"{b}号楼{r}室", st.integers(1, 40), st.integers(101, 3299))
resident_units = st.builds(lambda b, r: f"{b}幢{r}号", st.integers(1, 40), st.integers(101, 3299))

# What each kind of personal value is, and who is entitled to see it (besides the street's auditor,
# entitled to all). Nothing here is a public role: no committee is elected, no secretary chosen.
ENTITLED = {
    "owner": {"owners_committee"},
    "owned unit": {"owners_committee"},
    "member": {"branch"},
    "council member": set(),
    "case text": {"residents", "branch", "property", "the resident"},
    "assignee": {"branch", "the resident"},
    "resident's unit": {"residents", "the resident"},
}


def required(argument: GraphQLArgument) -> bool:
    return isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined


def selection(type_, depth: int, seen: frozenset[str]) -> str | None:
    """Every field of an object type, to ``depth``, with no required argument (as the schema
    says), or None for a leaf."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return None
    if depth == 0 or named.name in seen:
        return "__typename"
    parts = []
    for name, field in named.fields.items():
        if any(required(arg) for arg in field.args.values()):
            continue
        inner = selection(field.type, depth - 1, seen | {named.name})
        paged = "(first: 5)" if "first" in field.args else ""  # small pages: within the cost limit
        parts.append(name if inner is None else f"{name}{paged} {{ {inner} }}")
    return " ".join(parts)


def everything(compound: str, case: str) -> dict[str, str]:
    """One query per root field, asking all it answers about the compound (and the case)."""
    known = {"compoundId": compound, "id": case, "personId": None}
    queries = {}
    for name, field in schema._schema.query_type.fields.items():
        needed = {a: v for a, v in field.args.items() if required(v)}
        if name == "compound":
            known_here = {"id": compound}
        else:
            known_here = {a: known.get(a) for a in needed}
        if any(value is None for value in known_here.values()):
            continue
        inner = selection(field.type, 6, frozenset())
        # A list of lists in small pages (within the cost limit); any other list whole.
        page = 5 if inner and "(first:" in inner else 50
        arguments = ", ".join([*(f'{a}: "{v}"' for a, v in known_here.items()),
                               *([f"first: {page}"] if "first" in field.args else [])])
        body = name + (f"({arguments})" if arguments else "") + (f" {{ {inner} }}" if inner else "")
        queries[name] = "{ " + body + " }"
    return queries


def test_personal_values_never_reach_a_principal_not_entitled_to_them(system):
    # One token asks every query of the schema in a row: on a fast machine that outran the rate
    # limit, and the answers turned away hid what the auditor is entitled to see.
    system.settings = replace(system.settings, rate_limit=10_000.0)
    services, url = system.services, system.start_api()
    auditor = system.token("auditor:street:晋阳街道")
    examples = itertools.count(1)

    @settings(max_examples=3, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(owners=st.lists(st.tuples(owned_units, owner_names), min_size=1, max_size=3, unique_by=lambda t: t[0]),
           member=member_names, councillor=councillor_names, resident=resident_units, text=texts,
           assignee=assignee_names)
    def check(owners, member, councillor, resident, text, assignee):
        # Each example in a compound of its own, beside another compound of the same street.
        n, today = next(examples), date(2026, 11, 2)
        with acting("admin"):
            compound = services.residents.register_compound(**{**BEIYUAN, "name": f"北苑小区{n}"}).aggregate_id
            other = services.residents.register_compound(**{**BEIYUAN, "name": f"南苑小区{n}"}).aggregate_id
            services.branch.establish_branch(compound_id=compound, name="北苑小区党支部", mode="single")
        with acting(f"body:owners_committee:{compound}"):
            for unit, owner in owners:
                services.owners_committee.register_exclusive_unit(
                    compound_id=compound, building="A区", unit=unit, exclusive_area="88", owner=owner)
        with acting(f"body:branch:{compound}"):
            services.branch.report_member(compound_id=compound, name=member, building="A区", kind="resident",
                                          reported_on=today)
        with acting(f"body:residents:{compound}"):
            services.residents.seat_council_member(compound_id=compound, name=councillor, role="member",
                                                   joined_on=today)
        spec = f"resident:{compound}:{resident}"
        with acting(spec):
            case = services.residents.raise_case(compound_id=compound, category="repairs", description=text,
                                                 location="小区东门").aggregate_id
            services.residents.add_case_information(compound_id=compound, case_id=case, text=text[::-1])
        with acting(f"body:branch:{compound}"):
            services.branch.receive_case(case_id=case, compound_id=compound, category="repairs",
                                         raised_at=datetime.now(timezone.utc))
            services.branch.dispatch_case(compound_id=compound, case_id=case, taker="party_member",
                                          assignee=assignee)
        run_relays(system.settings, threading.Event(), until_caught_up=True)
        Projector(system.settings).run(threading.Event(), until_caught_up=True)

        drawn = [*(("owner", owner) for _, owner in owners), *(("owned unit", unit) for unit, _ in owners),
                 ("member", member), ("council member", councillor), ("case text", text),
                 ("case text", text[::-1]), ("assignee", assignee), ("resident's unit", resident)]
        principals = {
            "owners_committee": f"body:owners_committee:{compound}", "branch": f"body:branch:{compound}",
            "residents": f"body:residents:{compound}", "property": f"body:property:{compound}",
            "another compound's committee": f"body:owners_committee:{other}", "the resident": spec,
            "another resident": f"resident:{compound}:0幢0号", "integration": "integration:street:晋阳街道:dashboard",
            "another street's auditor": f"auditor:street:{OTHER_STREET}", "admin": "admin",
        }
        queries = everything(str(compound), str(case))
        answers = {who: answer_all(url, system.token(principal), queries) for who, principal in principals.items()}
        for who, answer in answers.items():
            leaked = [(kind, value) for kind, value in drawn if value in answer and who not in ENTITLED[kind]]
            assert not leaked, f"{who} was shown {leaked}"
        # Those entitled do see what they are entitled to, and the street's auditor sees it all.
        for who, value in (("branch", member), ("property", text), ("branch", assignee),
                           ("the resident", assignee), ("residents", resident),
                           *(("owners_committee", value) for pair in owners for value in pair)):
            assert value in answers[who], f"{who} was not shown {value}"
        audited = answer_all(url, auditor, queries)
        hidden = [(kind, value) for kind, value in drawn if value not in audited]
        assert not hidden, f"the street's auditor was not shown {hidden}"

    check()


def answer_all(url: str, token: str, queries: dict[str, str]) -> str:
    """Every answer (data, cursors and errors) as one text."""
    answers = "\n".join(json.dumps(graphql(url, token, query).json(), ensure_ascii=False)
                         for query in queries.values())
    assert "TOO_COSTLY" not in answers and "RATE_LIMITED" not in answers  # every query answered whole
    return answers


ACCESS = """query($p: UUID) { personalDataAccess(personId: $p) { totalCount
  edges { node { principal personId field compoundId } } } }"""


def test_each_showing_is_logged_in_a_chain_that_verify_checks_and_purging_keeps(system):
    oc = system.services.owners_committee
    with acting("admin"):
        compound = system.services.residents.register_compound(**BEIYUAN).aggregate_id
    with acting(f"body:owners_committee:{compound}"):
        oc.register_exclusive_unit(compound_id=compound, building="1栋", unit="101", exclusive_area="80", owner="田景余")
    person = oc.owner_person(compound, "田景余")
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    url = system.start_api()
    # Two showings from long ago, to be purged.
    long_ago = datetime.now(timezone.utc) - timedelta(days=200)
    with psycopg.connect(system.settings.database_url, autocommit=True) as conn:
        append(conn, [Showing("admin", person, "ExclusiveUnit.owner", compound, uuid4(), long_ago)] * 2)

    units = "query($a: UUID!) { compound(id: $a) { units { edges { node { owner } } } } }"
    masked = graphql(url, system.token(f"body:branch:{compound}"), units, {"a": str(compound)}).json()
    assert masked["data"]["compound"]["units"]["edges"] == [{"node": {"owner": "***"}}]
    shown = graphql(url, system.token(f"body:owners_committee:{compound}"), units, {"a": str(compound)}).json()
    assert shown["data"]["compound"]["units"]["edges"] == [{"node": {"owner": "田景余"}}]
    wait_until(lambda: system.count("personal.access_log") == 3, "the showing to be logged")
    time.sleep(FLUSH_SECONDS * 3)
    assert system.count("personal.access_log") == 3  # the masked answer logged nothing

    auditor = system.token("auditor:street:晋阳街道")
    logged = graphql(url, auditor, ACCESS, {"p": str(person)}).json()["data"]["personalDataAccess"]
    assert logged["edges"][-1] == {"node": {"principal": f"body:owners_committee:{compound}", "personId": str(person),
                                            "field": "ExclusiveUnit.owner", "compoundId": str(compound)}}
    elsewhere = graphql(url, system.token("auditor:street:玉林街道"), ACCESS, {"p": str(person)}).json()
    assert elsewhere["data"]["personalDataAccess"]["totalCount"] == 0
    refused = graphql(url, system.token(f"body:owners_committee:{compound}"), ACCESS, {"p": str(person)}).json()
    assert refused["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"

    purged = system.siwei("audit", "purge-access-log")
    assert purged.returncode == 0 and "Purged 2 showings older than 180 days" in purged.stdout, purged.stdout
    verified = system.siwei("audit", "verify")
    assert verified.returncode == 0 and "access log: 1 showings, chain intact" in verified.stdout, verified.stdout

    # The log refuses an update; one made around the refusal is found.
    with psycopg.connect(system.settings.database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE personal.access_log SET principal = 'admin'")
        conn.execute("ALTER TABLE personal.access_log DISABLE TRIGGER append_only")
        conn.execute("UPDATE personal.access_log SET principal = 'admin'")
    edited = system.siwei("audit", "verify")
    assert edited.returncode == 1 and "access log: BROKEN at row 3" in edited.stdout, edited.stdout
