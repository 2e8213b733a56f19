"""Cross-witnessing through the topics: each event is published with its chain link, the witness
reads the heads there, and each body records the others' heads in its own log, only when they
moved by more than witness records."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from audit.witness import HeadReader, heads_seen, watch, witness_round
from infra.relay import run_relays
from services.common.bodies import Body
from services.common.context import acting
from tests.conftest import BEIYUAN, wait_until


def publish_and_read(system) -> None:
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    HeadReader(system.settings).run(threading.Event(), until_caught_up=True)


def chain_head(system, body: Body) -> tuple[int, str]:
    sequence, link = system.query(f"SELECT sequence, link FROM {body.schema}.chain ORDER BY sequence DESC LIMIT 1")[0]
    return sequence, bytes(link).hex()


def witnessed(system, body: Body) -> list[dict]:
    """The heads ``body`` recorded, oldest first."""
    rows = system.query(f"SELECT convert_from(state, 'UTF8')::jsonb FROM {body.schema}.{body.value}_events"
                        " WHERE topic LIKE '%%HeadsWitnessed' ORDER BY notification_id")
    return [{b: (s, link) for b, s, link in zip(r[0]["bodies"], r[0]["sequences"], r[0]["links"], strict=True)}
            for r in rows]


def test_each_body_records_the_heads_it_saw_on_the_others_topics(system):
    with acting("admin"):
        compound = system.services.residents.register_compound(**BEIYUAN).aggregate_id
        system.services.owners_committee.register_exclusive_unit(
            compound_id=compound, building="1栋", unit="101", exclusive_area="80", owner="田景余")
        system.services.property.register_company(name="晋阳物业", credit_code="91510107MA6CY8QK2D")
    publish_and_read(system)
    seen = heads_seen(system.settings)
    for body in (Body.RESIDENTS, Body.OWNERS_COMMITTEE, Body.PROPERTY):
        assert (seen[body.value].sequence, seen[body.value].link) == chain_head(system, body)

    before = {b.value: chain_head(system, b) for b in (Body.RESIDENTS, Body.OWNERS_COMMITTEE, Body.PROPERTY)}
    assert set(witness_round(system.settings, system.services)) == set(Body)
    assert witnessed(system, Body.BRANCH)[-1] == before
    # The branch saw residents before residents recorded its own witness; it never sees itself.
    assert "branch" not in witnessed(system, Body.BRANCH)[-1]

    # The witness records themselves reach the topics; they are not news worth witnessing again.
    publish_and_read(system)
    assert witness_round(system.settings, system.services) == []
    assert len(witnessed(system, Body.RESIDENTS)) == 1

    # A body that records something new is witnessed again by the others, and only by them.
    with acting("admin"):
        system.services.owners_committee.register_exclusive_unit(
            compound_id=compound, building="1栋", unit="102", exclusive_area="90", owner="李华")
    publish_and_read(system)
    assert set(witness_round(system.settings, system.services)) == {Body.BRANCH, Body.RESIDENTS, Body.PROPERTY}
    assert witnessed(system, Body.PROPERTY)[-1]["owners_committee"] == chain_head(system, Body.OWNERS_COMMITTEE)


def test_the_witness_runs_beside_the_relay_until_stopped(system):
    """The long-running part, as `siwei up` starts it: a round every second."""
    with acting("admin"):
        system.services.residents.register_compound(**BEIYUAN)
    system.start_relay()
    system.start("witness", "witness", "--every", "1")
    wait_until(lambda: bool(witnessed(system, Body.OWNERS_COMMITTEE)), "the owners' committee to witness")
    sequence, link = witnessed(system, Body.OWNERS_COMMITTEE)[0]["residents"]
    chained = system.query("SELECT link FROM residents.chain WHERE sequence = %s", (sequence,))[0][0]
    assert bytes(chained).hex() == link


def test_a_witness_whose_reader_fails_fails_at_once_for_its_supervisor_to_restart(system, monkeypatch):
    def broken(self, stop):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(HeadReader, "run", broken)
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        watch(system.settings, system.services, threading.Event(), every=3600)
    assert time.monotonic() - started < 60  # at once, not at the next round, an hour away
