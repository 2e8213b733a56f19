"""The benchmark on a tiny city, so that it cannot rot: generated through the real services, run
against the real servers, every figure measured. Its figures are not checked against targets
(timing is BENCHMARKS.md's business), only that each was measured and is a number."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from uuid import UUID

import psycopg
from psycopg import sql

from bench.city import SHAPES, plan
from services.common.bodies import Body


def siwei(system, *args: str) -> subprocess.CompletedProcess:
    done = system.siwei(*args, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_same_seed_gives_the_same_city():
    assert [plan(7, i) for i in range(50)] == [plan(7, i) for i in range(50)]
    assert [plan(7, i) for i in range(50)] != [plan(8, i) for i in range(50)]
    # A compound has the same shape and place whatever share of the city is active.
    quiet, lively = plan(7, 3, active_share=0.0001), plan(7, 3, active_share=1.0)
    assert (quiet.shape, quiet.street, quiet.company) == (lively.shape, lively.street, lively.company)
    assert not quiet.cases and not quiet.members
    assert {p.shape for p in (plan(7, i) for i in range(200))} == set(SHAPES)


def test_a_small_city_is_generated_and_every_figure_measured(system, tmp_path):
    generated = siwei(system, "bench", "generate", "--compounds", "8", "--seed", "3")
    assert "8 compounds (seed 3, 8 active)" in generated.stdout
    manifest = json.loads((system.settings.data_dir / "bench-city.json").read_text())
    ids = [c for street in manifest["streets"].values() for c in street]
    assert len(ids) == 8
    assert {system.services.residents.repository.get(UUID(c)).name for c in ids} == {plan(3, i).name for i in range(8)}
    assert manifest["cases"] == sum(len(plan(3, i).cases) for i in range(8))
    assert all(n > 0 for n in manifest["events"].values())

    again = subprocess.run([sys.executable, "-m", "infra.cli", "bench", "generate", "--compounds", "8"],
                           env=system.settings.child_environment(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "has a city already" in again.stderr

    out = tmp_path / "figures.json"
    system.services.close()  # `bench run` copies the city's database: nothing else may be using it
    # On the broker it starts itself (as `bench run` does by default), it measures a copy of the city.
    ran = subprocess.run([sys.executable, "-m", "infra.cli", "bench", "run", "--repeats", "1", "--seconds", "1",
                          "--out", str(out)], env={**system.settings.child_environment(), "SIWEI_KAFKA_BOOTSTRAP": ""},
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    with psycopg.connect(system.settings.database_url) as conn:  # the city as generated, the copy gone
        assert {body: conn.execute(sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(
            sql.Identifier(Body(body).schema, f"{body}_events"))).fetchone()[0] for body in manifest["events"]} \
            == manifest["events"]
        assert not conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%measured'").fetchall()
    figures = {f["name"]: f for f in json.loads(out.read_text())["figures"]}
    for name in ("relay", "projector: full rebuild", "projector: full rebuild, 2 processes", "projector: catch-up",
                 "commands, 1 client", "GraphQL compound profile during a rebuild: p99",
                 "commands, 16 clients", "freshness p99 at 100 commands/s", "GraphQL compound profile: p99",
                 "GraphQL first page of cases: p99", "GraphQL a street's coverage: requests/s",
                 "GraphQL a street's monthly figures: p99", "GraphQL the grades of a street's companies: p99",
                 "asOf compound six months ago: p50", "audit verify"):
        assert len(figures[name]["samples"]) == 1 and figures[name]["samples"][0] > 0, name
        assert figures[name]["baseline_samples"][0] > 0, name
    assert re.search(r"\| audit verify \| events/s \| [\d,.]+ / [\d,.]+ / [\d,.]+ \|", ran.stdout)
    assert "| api worker (live) |" in ran.stdout and "| relay |" in ran.stdout
