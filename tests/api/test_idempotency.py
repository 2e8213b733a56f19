"""Safe retries: a command sent with an ``Idempotency-Key`` is recorded once, however often, to
whichever worker and whenever it is sent again (a crash and a restart between), and answers what
it answered the first time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from services.common.context import acting
from tests.conftest import BEIYUAN

RAISE = ('mutation($a: UUID!) { raiseCase(input: {compoundId: $a, category: "repairs", description: "楼道灯坏了",'
         ' location: "1栋"}) { __typename ... on Recorded { aggregateId version } } }')
REPORT = ('mutation($a: UUID!) { reportMember(input: {compoundId: $a, name: "郑卫国", building: "3栋",'
          ' kind: "resident", reportedOn: "2026-11-02"}) { __typename ... on Created { id aggregateId version } } }')


def send(url: str, token: str, query: str, variables: dict, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    return httpx.post(url, json={"query": query, "variables": variables}, headers=headers, timeout=60)


def raised(system) -> int:
    return system.query("SELECT count(*) FROM residents.residents_events WHERE topic LIKE %s", ("%CaseRaised",))[0][0]


def test_a_command_sent_again_with_its_key_is_recorded_once_and_answers_the_same(system):
    with acting("admin"):
        compound = system.services.residents.register_compound(**BEIYUAN).aggregate_id
        system.services.branch.establish_branch(compound_id=compound, name="北苑小区党支部", mode="single")
    url = system.start_api()
    resident, neighbour = system.token(f"resident:{compound}:1栋101"), system.token(f"resident:{compound}:1栋102")
    variables = {"a": str(compound)}

    first = send(url, resident, RAISE, variables, "raise-1").json()["data"]["raiseCase"]
    again = send(url, resident, RAISE, variables, "raise-1").json()["data"]["raiseCase"]
    assert first["__typename"] == "Recorded" and again == first
    assert raised(system) == 1
    # The same key from another principal is another command; no key, no memory.
    assert send(url, neighbour, RAISE, variables, "raise-1").json()["data"]["raiseCase"] != first
    assert send(url, resident, RAISE, variables, None).json()["data"]["raiseCase"] != first
    assert raised(system) == 3

    # Sent eight times at once: one case, one answer.
    with ThreadPoolExecutor(8) as pool:
        answers = [r.json()["data"]["raiseCase"]
                   for r in pool.map(lambda _: send(url, resident, RAISE, variables, "raise-2"), range(8))]
    assert all(a == answers[0] for a in answers) and answers[0]["__typename"] == "Recorded", [a for a in answers if a != answers[0]]
    assert raised(system) == 4

    # What a command created is answered again too.
    branch = system.token(f"body:branch:{compound}")
    created = send(url, branch, REPORT, variables, "report-1").json()["data"]["reportMember"]
    assert created["__typename"] == "Created"
    assert send(url, branch, REPORT, variables, "report-1").json()["data"]["reportMember"] == created

    # A malformed key is refused before anything runs.
    refused = send(url, resident, RAISE, variables, "x" * 101)
    assert refused.status_code == 400 and refused.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_commands_cut_off_by_a_killed_api_and_retried_with_their_keys_are_each_recorded_once(system):
    with acting("admin"):
        compound = str(system.services.residents.register_compound(**BEIYUAN).aggregate_id)
    url = system.start_api()
    tokens = [system.token(f"resident:{compound}:2栋{n}") for n in range(20)]
    variables = {"a": compound}

    def attempt(n: int) -> dict | None:
        try:
            return send(url, tokens[n], RAISE, variables, f"case-{n}").json()["data"]["raiseCase"]
        except (httpx.TransportError, KeyError, ValueError):
            return None  # cut off: recorded or not, the client cannot tell

    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(attempt, n) for n in range(20)]
        time.sleep(0.3)
        system.kill("api")
        first = [f.result() for f in futures]
    url = system.start_api()
    retried = [attempt(n) for n in range(20)]
    assert all(r is not None and r["__typename"] == "Recorded" for r in retried), retried
    assert [r for r in first if r is not None] == [retried[n] for n, r in enumerate(first) if r is not None]
    assert raised(system) == 20
