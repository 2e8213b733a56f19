"""What the API remembers between requests (a token's principal, an area's compounds) never
outlives what it was read from."""

from __future__ import annotations

from api import tokens
from api.principals import Principal
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


def test_a_street_auditor_sees_a_compound_registered_after_the_street_was_remembered(system):
    system.start_relay()
    system.start_projector()
    url = system.start_api()
    first = register(system, "北苑小区")
    auditor = system.token("auditor:street:晋阳街道")
    for _ in range(3):  # the first answer is read and remembered, the next ones remembered
        assert graphql(url, auditor, COVERAGE).json()["data"]["coverage"]["compounds"] == 1
    second = register(system, "南苑小区")
    assert graphql(url, auditor, COVERAGE).json()["data"]["coverage"]["compounds"] == 2
    for compound, name in ((first, "北苑小区"), (second, "南苑小区")):
        assert graphql(url, auditor, PROFILE, {"id": str(compound)}).json()["data"]["compound"] == {"name": name}


def test_a_remembered_token_is_refused_once_its_revocation_is_heard(system):
    url = system.start_api()
    issued = tokens.issue(system.settings.database_url, Principal("admin"))
    for _ in range(3):
        assert graphql(url, issued.secret, "{ viewer { kind } }").status_code == 200
    tokens.revoke(system.settings.database_url, issued.token_id)
    # The API hears the revocation's NOTIFY a moment after its commit, not before revoke returns.
    wait_until(lambda: graphql(url, issued.secret, "{ viewer { kind } }").status_code == 401,
               "the revoked token to be refused", timeout=1.0)
