"""The database away: no request answers 500, a command answers ``Unavailable`` (or HTTP 503 with
``Retry-After``) and is recorded whole or not at all, and once the database is back the API
answers again with no one restarting it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from services.common.context import acting
from tests.conftest import BEIYUAN, graphql, wait_until

RAISE = ('mutation($a: UUID!) { raiseCase(input: {compoundId: $a, category: "repairs", description: "楼道灯坏了",'
         ' location: "1栋"}) { __typename ... on Unavailable { code retryAfter } } }')
CASES = "query($a: UUID!) { cases(compoundId: $a) { totalCount } }"


def test_while_the_database_is_away_nothing_answers_500_and_afterwards_all_works_again(system, postgres_server):
    with acting("admin"):
        compound = str(system.services.residents.register_compound(**BEIYUAN).aggregate_id)
    url = system.start_api()
    resident, branch = system.token(f"resident:{compound}:1栋101"), system.token(f"body:branch:{compound}")
    variables = {"a": compound}
    assert graphql(url, resident, RAISE, variables).json()["data"]["raiseCase"]["__typename"] == "Recorded"
    database = conninfo_to_dict(system.settings.database_url)["dbname"]

    def away(allowed: bool) -> None:
        """As a server restarting: no connection admitted, and every open one cut."""
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database), sql.SQL("true" if allowed else "false")))
            if not allowed:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))

    away(False)
    try:
        def ask(n: int):
            token, query = ((resident, RAISE), (branch, CASES))[n % 2]
            return graphql(url, token, query, variables)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(8)))
        # An operator's probes: the process answers, is not ready, and its metrics say why.
        base = url.removesuffix("/graphql")
        assert httpx.get(f"{base}/healthz").status_code == 200
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["postgresql"].startswith("unreachable")
        metrics = httpx.get(f"{base}/metrics", timeout=30)
        assert metrics.status_code == 200 and "siwei_database_reachable 0.0" in metrics.text
        assert "siwei_api_request_seconds_bucket" in metrics.text
    finally:
        away(True)

    recorded = 0
    for answer in answers:
        assert answer.status_code in (200, 503), (answer.status_code, answer.text)
        body = answer.json()
        if answer.status_code == 503:
            assert answer.headers["retry-after"] == "5" and body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        elif "raiseCase" in json.dumps(body.get("data") or {}):
            outcome = body["data"]["raiseCase"]
            assert outcome["__typename"] in ("Recorded", "Unavailable"), body
            recorded += outcome["__typename"] == "Recorded"
            if outcome["__typename"] == "Unavailable":
                assert (outcome["code"], outcome["retryAfter"]) == ("UNAVAILABLE", 5)
        else:
            assert [e["extensions"]["code"] for e in body.get("errors", [])] in ([], ["UNAVAILABLE"]), body
    assert recorded == 0  # the database was away for all of them

    # Back: the same API answers commands and queries again, and the store holds the case raised
    # before and the one raised after, nothing of those refused.
    def recorded_again() -> bool:
        answer = graphql(url, resident, RAISE, variables).json()
        return (answer.get("data") or {}).get("raiseCase", {}).get("__typename") == "Recorded"

    wait_until(recorded_again, "a command to be recorded again")
    wait_until(lambda: "errors" not in graphql(url, branch, CASES, variables).json(), "a query to be answered again")
    raised = system.query("SELECT count(*) FROM residents.residents_events WHERE topic LIKE %s", ("%CaseRaised%",))
    assert raised[0][0] == 2
