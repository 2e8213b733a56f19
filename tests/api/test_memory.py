"""What the API remembers between requests (a token's principal, an area's compounds, an area's
coverage) never outlives what it was read from."""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone
from uuid import UUID

import psycopg
from psycopg import sql

from api import tokens
from api.principals import Principal
from audit import asof
from infra.relay import run_relays
from projections.compounds.view import CHANGED_CHANNEL
from projections.projector import Projector
from services.common.context import acting
from tests.conftest import graphql, wait_until

COVERAGE = '{ coverage(street: "晋阳街道") { compounds } }'
PROFILE = "query($id: UUID!) { compound(id: $id) { name } }"


def register(system, name: str):
    with acting("admin"):
        receipt = system.services.residents.register_compound(
            name=name, district="武侯区", street="晋阳街道", community="晋阳社区", households=10, residents=30)
    system.wait_projected(receipt)
    return receipt.aggregate_id


def street_watched(system):
    """The relay, the projector and the API up, one compound of the street projected, and a
    token of the street's auditor: the API's URL, the compound and the token."""
    system.start_relay()
    system.start_projector()
    url = system.start_api()
    return url, register(system, "北苑小区"), system.token("auditor:street:晋阳街道")


def test_a_street_auditor_sees_a_compound_registered_after_the_street_was_remembered(system):
    url, first, auditor = street_watched(system)
    for _ in range(3):  # the first answer is read and remembered, the next ones remembered
        assert graphql(url, auditor, COVERAGE).json()["data"]["coverage"]["compounds"] == 1
    second = register(system, "南苑小区")
    assert graphql(url, auditor, COVERAGE).json()["data"]["coverage"]["compounds"] == 2
    for compound, name in ((first, "北苑小区"), (second, "南苑小区")):
        assert graphql(url, auditor, PROFILE, {"id": str(compound)}).json()["data"]["compound"] == {"name": name}


def test_a_street_s_remembered_coverage_follows_the_bodies_each_compound_has(system):
    url, compound, auditor = street_watched(system)
    asked = '{ coverage(street: "晋阳街道") { compounds withBranch withPropertyCompany fourInOne } }'

    def coverage() -> dict:
        return graphql(url, auditor, asked).json()["data"]["coverage"]

    for _ in range(3):  # the first answer is read and remembered, the next ones remembered
        assert coverage() == {"compounds": 1, "withBranch": 0, "withPropertyCompany": 0, "fourInOne": 0}
    with acting("admin"):
        branch = system.services.branch.establish_branch(compound_id=compound, name="北苑小区党支部", mode="single")
    system.wait_projected(branch)
    # Heard a moment after the projector commits, as a revocation is.
    wait_until(lambda: coverage()["withBranch"] == 1, "the branch to be counted", timeout=1.0)
    with acting("admin"):
        company = system.services.property.register_company(name="晋阳物业", credit_code="91510107MA6CY8QK2D")
        served = system.services.property.take_up_service(compound_id=compound, company_id=company.aggregate_id,
                                                          basis="preliminary", since=date(2025, 1, 1))
    system.wait_projected(served)
    wait_until(lambda: coverage()["withPropertyCompany"] == 1, "the company to be counted", timeout=1.0)
    assert coverage() == {"compounds": 1, "withBranch": 1, "withPropertyCompany": 1, "fourInOne": 0}
    # Another reach asking the same area is answered for its own reach, not from the street's answer.
    neighbour = system.token(f"body:residents:{register(system, '南苑小区')}")
    wait_until(lambda: coverage()["compounds"] == 2, "the second compound to be counted", timeout=1.0)
    assert graphql(url, neighbour, asked).json()["data"]["coverage"] == {
        "compounds": 1, "withBranch": 0, "withPropertyCompany": 0, "fourInOne": 0}


def test_a_remembered_token_is_refused_once_its_revocation_is_heard(system):
    url = system.start_api()
    issued = tokens.issue(system.settings.database_url, Principal("admin"))
    for _ in range(3):
        assert graphql(url, issued.secret, "{ viewer { kind } }").status_code == 200
    tokens.revoke(system.settings.database_url, issued.token_id)
    # The API hears the revocation's NOTIFY a moment after its commit, not before revoke returns.
    wait_until(lambda: graphql(url, issued.secret, "{ viewer { kind } }").status_code == 401,
               "the revoked token to be refused", timeout=1.0)


def test_only_the_compounds_the_api_reads_announce_their_changes(system):
    """A version built beside the one serving, or a compound replayed for asOf, writes compounds the
    API does not read: announcing them would make every API worker forget all it remembered, again
    and again while a rebuild runs and at every asOf question."""
    with psycopg.connect(system.settings.database_url, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANGED_CHANNEL)))

        def announced() -> int:
            return len(list(listener.notifies(timeout=0.5)))

        compound = register_and_project(system, "北苑小区")
        assert announced() >= 1  # the serving schema's compounds

        Projector(system.settings, schema="beside").rebuild()
        assert system.query("SELECT count(*) FROM beside.compounds")[0][0] == 1
        replays = asof.Replays(system.settings.database_url)
        replays.give_back(replays.build(compound, datetime.now(timezone.utc)))  # kept, emptied
        replays.give_back(replays.build(compound, datetime.now(timezone.utc)))  # used again
        assert announced() == 0

        register_and_project(system, "南苑小区")
        assert announced() >= 1


def register_and_project(system, name: str) -> UUID:
    with acting("admin"):
        receipt = system.services.residents.register_compound(
            name=name, district="武侯区", street="晋阳街道", community="晋阳社区", households=10, residents=30)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    return receipt.aggregate_id
