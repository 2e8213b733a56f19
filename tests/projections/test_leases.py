"""Projector processes sharing the partitions by leases: each partition read by one at a time, the
partitions of one that dies taken over by the others within seconds, and the read models equal to
a rebuild whatever partition arrived first."""

from __future__ import annotations

import threading

from infra.leases import LEASE_SECONDS
from tests.conftest import wait_until
from tests.projections.test_projector import register_compound, register_units

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

    writing, written = threading.Event(), []

    def write():
        first = 100
        while not writing.is_set():
            written.extend(register_units(system, compound, first, 10))
            first += 10

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_until(lambda: system.count("projections.exclusive_units") >= 150, "the projectors to be part-way")
        system.kill("projector a")
        # Its leases expire; b takes every partition and goes on from the offsets a committed.
        wait_until(lambda: list(holders(system).values()) == [PARTITIONS], "b to hold every partition",
                   timeout=LEASE_SECONDS + 30)
    finally:
        writing.set()
        writer.join()
    receipts += written + register_units(system, compound, 10_000, 10)
    system.wait_projected(compound, *receipts)
    assert system.count("projections.exclusive_units") == len(receipts)
    assert system.processes["projector b"].poll() is None

    system.stop_all()
    verified = system.siwei("projections", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "equal a rebuild" in verified.stdout
