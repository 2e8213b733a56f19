"""``siwei up`` supervises what it started, its embedded servers included: after ``kill -9`` of the
broker, then of PostgreSQL, a command issued afterwards becomes visible in the views and the
witness records it, with no hand on the keyboard and no request answered 500."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from tests.infra.test_shutdown import Up, processes_marked

REGISTER = ('mutation($n: String!) { registerCompound(input: {name: $n, district: "武侯区", street: "晋阳街道",'
            ' community: "晋阳社区", households: 10, residents: 20}) { __typename } }')
COUNT = "{ compounds { totalCount } }"


def witnessed_by_the_branch(database_url: str, sequence: int) -> bool:
    """Whether the branch recorded the residents' hash chain at ``sequence`` or beyond."""
    try:
        with psycopg.connect(database_url, connect_timeout=2) as conn:
            records = [state for (state,) in conn.execute(
                "SELECT convert_from(state, 'UTF8')::jsonb FROM branch.branch_events"
                " WHERE topic LIKE '%HeadsWitnessed'")]
    except psycopg.OperationalError:
        return False
    return any(dict(zip(r["bodies"], r["sequences"], strict=True)).get("residents", 0) >= sequence for r in records)


def test_siwei_up_restarts_a_killed_broker_and_a_killed_database_and_the_views_follow(tmp_path):
    mark = f"siwei-supervision-{uuid.uuid4().hex}"
    environment = {k: v for k, v in os.environ.items() if k not in ("SIWEI_DATABASE_URL", "SIWEI_KAFKA_BOOTSTRAP")}
    environment.update(SIWEI_DATA_DIR=str(tmp_path / "siwei"), SIWEI_SUPERVISION_TEST=mark)
    up = Up(environment, tmp_path / "up.log", "--no-demo", "--workers", "1", "--witness-every", "1")
    answers: list[int] = []

    def ask(query: str, variables: dict | None = None) -> dict:
        try:
            answer = httpx.post(f"http://127.0.0.1:{up.port}/graphql", json={"query": query, "variables": variables},
                                headers={"Authorization": f"Bearer {admin}"}, timeout=30)
        except httpx.TransportError:
            return {}
        answers.append(answer.status_code)
        return answer.json()

    def until(condition, what: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert up.process.poll() is None, f"siwei up exited; see {tmp_path / 'up.log'}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}; see {tmp_path / 'up.log'}"
            time.sleep(0.5)

    try:
        until(lambda: up.said("Siwei is up."), "siwei up")
        admin = json.loads((tmp_path / "siwei" / "tokens.json").read_text())["admin"]
        database_url = json.loads((tmp_path / "siwei" / "servers.json").read_text())["database_url"]
        for n, (victim, said) in enumerate((("tansu", "the embedded Tansu broker exited"),
                                            ("postgres -D", "the embedded PostgreSQL exited")), start=1):
            pid = (int(Path(tmp_path / "siwei" / "postgres" / "postmaster.pid").read_text().split()[0])
                   if victim.startswith("postgres") else
                   next(int(line.split()[0]) for line in processes_marked(mark) if victim in line))
            os.kill(pid, signal.SIGKILL)
            until(lambda s=said: up.said(s), said)
            name = f"重启后小区{n}"
            until(lambda nm=name: (ask(REGISTER, {"n": nm}).get("data") or {}).get("registerCompound", {})
                  .get("__typename") in ("Recorded", "RuleViolated"), f"{name} to be recorded")
            until(lambda k=n: (ask(COUNT).get("data") or {}).get("compounds", {}).get("totalCount") == k,
                  f"{name} to be visible")
            with psycopg.connect(database_url) as conn:
                # The registration's place in the chain; not the chain's end, which may be a
                # witness record: the others witness a body's records, not its witnessing.
                registered = conn.execute(
                    "SELECT max(c.sequence) FROM residents.chain c JOIN residents.residents_events e"
                    " ON e.notification_id = c.position WHERE e.topic LIKE '%CompoundRegistered'").fetchone()[0]
            until(lambda s=registered: witnessed_by_the_branch(database_url, s), f"the witness to record {name}")
        assert 500 not in answers and set(answers) <= {200, 503}, answers
    finally:
        up.process.send_signal(signal.SIGTERM)
        up.process.wait(60)
