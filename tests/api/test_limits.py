"""Abuse limits: expired and revoked tokens, cost, page size, request size, rate; introspection
stays open."""

from __future__ import annotations

from datetime import timedelta

from graphql import get_introspection_query

from api import tokens
from api.principals import Principal
from tests.conftest import graphql, wait_until


def test_an_expired_or_revoked_token_is_refused(system):
    url = system.start_api()
    expired = tokens.issue(system.settings.database_url, Principal("admin"), timedelta(seconds=-1))
    revoked = tokens.issue(system.settings.database_url, Principal("admin"))
    assert graphql(url, revoked.secret, "{ viewer { kind } }").status_code == 200
    tokens.revoke(system.settings.database_url, revoked.token_id)
    # The revocation reaches the API as an announcement (NOTIFY): at once, but not within the call.
    wait_until(lambda: graphql(url, revoked.secret, "{ viewer { kind } }").status_code == 401,
               "the API to hear of the revocation", timeout=5)
    for secret in (expired.secret, revoked.secret):
        response = graphql(url, secret, "{ viewer { kind } }")
        assert response.status_code == 401
        assert "expired or been revoked" in response.json()["errors"][0]["message"]


def test_a_costly_query_is_refused_before_it_runs(system):
    url = system.start_api()
    costly = "{ compounds(first: 100) { edges { node { units(first: 100) { edges { node { owner } } } } } } }"
    body = graphql(url, system.token("admin"), costly).json()
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "TOO_COSTLY"
    assert error["extensions"]["cost"] > error["extensions"]["limit"] == 5000
    modest = "{ compounds(first: 10) { edges { node { units(first: 10) { edges { node { owner } } } } } } }"
    assert "errors" not in graphql(url, system.token("admin"), modest).json()


def test_introspection_stays_open(system):
    url = system.start_api()
    body = graphql(url, system.token("integration:street:晋阳街道:dashboard"), get_introspection_query()).json()
    assert "errors" not in body
    assert any(t["name"] == "Compound" for t in body["data"]["__schema"]["types"])


def test_a_request_over_the_size_limit_is_refused(system):
    url = system.start_api()
    padding = "#" + "x" * (70 * 1024) + "\n"
    response = graphql(url, system.token("admin"), padding + "{ viewer { kind } }")
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"


def test_each_token_has_its_own_rate(system):
    system.settings = system.settings.__class__(**{**system.settings.__dict__, "rate_limit": 5.0})
    url = system.start_api()
    busy, quiet = system.token("admin"), system.token("admin")
    responses = [graphql(url, busy, "{ viewer { kind } }") for _ in range(30)]
    assert [r.status_code for r in responses[:10]] == [200] * 10  # a burst of twice the rate
    limited = [r for r in responses if r.status_code == 429]
    assert limited, "30 requests at once should exceed 5 a second"
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert graphql(url, quiet, "{ viewer { kind } }").status_code == 200
