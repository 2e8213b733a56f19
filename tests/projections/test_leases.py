"""Projector processes sharing the partitions by leases: each partition read by one at a time, the
partitions of one that dies taken over by the others within seconds, and the read models equal to
a rebuild whatever partition arrived first."""

from __future__ import annotations

import threading

from infra.leases import LEASE_SECONDS
from infra.relay import run_relays
from projections.catalogue import all_views
from projections.projector import Projector
from projections.view import View, handles
from tests.conftest import wait_until
from tests.projections.test_projector import register_compound, register_units, registering_units

PARTITIONS = 4 * 3  # four topics, three partitions each (the test settings)


def holders(system) -> dict[str, int]:
    """Each live holder and how many partitions it holds."""
    try:
        return dict(system.query("SELECT holder, count(*) FROM projections.leases"
                                 " WHERE expires_at > now() GROUP BY holder"))
    except Exception:  # the tables are not made yet
        return {}


def test_two_projectors_share_the_partitions_and_one_takes_over_when_the_other_is_killed(system):
    compound = register_compound(system)
    receipts = register_units(system, compound, 0, 100)
    system.start_relay()
    system.start("projector a", "project")
    system.start("projector b", "project")
    wait_until(lambda: sorted(holders(system).values()) == [PARTITIONS // 2, PARTITIONS // 2],
               "the two projectors to hold half the partitions each")

    with registering_units(system, compound, 100, 10) as written:
        wait_until(lambda: system.count("projections.exclusive_units") >= 150, "the projectors to be part-way")
        system.kill("projector a")
        # Its leases expire; b takes every partition and goes on from the offsets a committed.
        wait_until(lambda: list(holders(system).values()) == [PARTITIONS], "b to hold every partition",
                   timeout=LEASE_SECONDS + 30)
    receipts += written + register_units(system, compound, 10_000, 10)
    system.wait_projected(compound, *receipts)
    assert system.count("projections.exclusive_units") == len(receipts)
    assert system.processes["projector b"].poll() is None

    system.stop_all()
    verified = system.siwei("projections", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "equal a rebuild" in verified.stdout


class Contended(View):
    """A view whose first write deadlocks, as a row two processes write at once can."""

    name = "contended"
    tables = ("contended",)
    calls = 0

    def ddl(self) -> str:
        return "CREATE TABLE IF NOT EXISTS contended (event_id uuid PRIMARY KEY)"

    @handles("residents.CompoundRegistered")
    def registered(self, cur, event) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            cur.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$")
        cur.execute("INSERT INTO contended VALUES (%s)", (event.event_id,))


def test_a_batch_that_deadlocks_is_applied_again_whole_not_set_aside(system):
    register_compound(system)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings, schema="contended", views=[*all_views(), Contended()]).run(
        threading.Event(), until_caught_up=True)
    assert Contended.calls == 2
    assert system.count("contended.contended") == 1 and system.count("contended.compounds") == 1
    assert system.count("contended.dead_letters") == 0
    # Not taken for the database going away: the reader went on, with no error to report.
    assert system.query("SELECT last_error FROM contended.readers") == [(None,)]
