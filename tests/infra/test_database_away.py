"""The parts ride out the database going away: the relay, the projector, the reactor and the
witness connect again by themselves and go on where they were, none exiting; nothing is lost or
applied twice."""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from infra import database
from services.common.context import acting
from tests.conftest import BEIYUAN, wait_until


def test_the_parts_connect_again_by_themselves_after_the_database_was_away(system, postgres_server):
    parts = {"relay": ("relay",), "projector": ("project",), "reactor": ("react",), "witness": ("witness", "--every", "1")}
    for name, args in parts.items():
        system.start(name, *args)
    with acting("admin"):
        first = system.services.residents.register_compound(**BEIYUAN)
    system.wait_projected(first)
    database = conninfo_to_dict(system.settings.database_url)["dbname"]

    with psycopg.connect(postgres_server, autocommit=True) as conn:  # as a server restarting
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(database)))
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        time.sleep(4)
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(database)))

    witnessed = lambda: system.query("SELECT count(*) FROM owners_committee.owners_committee_events"  # noqa: E731
                                     " WHERE topic LIKE %s", ("%HeadsWitnessed",))[0][0]
    before = witnessed()
    with acting("admin"):
        second = system.services.residents.register_compound(**{**BEIYUAN, "name": "南苑小区"})
    system.wait_projected(second, timeout=90)
    assert system.count("projections.compounds") == 2
    # The witness records again: the residents' head moved with the second compound.
    wait_until(lambda: witnessed() > before, "the witness to record again", timeout=60)
    exited = {name: process.returncode for name, process in system.processes.items() if process.poll() is not None}
    assert not exited, exited


class Pauses(threading.Event):
    """A stop event that is never set and records each pause asked of it, without waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.taken: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.taken.append(timeout)
        return False


def test_the_pause_grows_while_the_database_stays_away_and_starts_again_after_a_healthy_run(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(database.time, "monotonic", lambda: clock[0])
    # How long each run lasts before the database goes away; None: the run ends.
    lasting = [0, 0, 0, 0, 0, database.HEALTHY_SECONDS, 0, None]

    def run() -> None:
        lasted = lasting.pop(0)
        if lasted is None:
            return
        clock[0] += lasted
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    stop = Pauses()
    database.riding_out("the test", stop, run)
    assert stop.taken == [1.0, 2.0, 5.0, 10.0, 10.0, 1.0, 2.0]
