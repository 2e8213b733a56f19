"""Stored events read from a store's rows: each the very event a reader of the topic decodes."""

import json
import threading
from datetime import datetime, timezone

import msgspec
import psycopg
import pytest

from infra import schemas, wire
from infra import stored as stored_events
from infra.demo import seed
from infra.stored import UnreadableStoredEvent, log, log_ahead, published
from services.bootstrap import bootstrap
from services.common.bodies import Body
from services.common.context import acting
from tests.conftest import BEIYUAN


def as_published(body, application, stored):
    """The oracle: the event as the relay encodes it and a reader of the topic decodes it."""
    message = wire.encode(body, application.mapper.sealed(stored), generation=1)
    return wire.decode(message.headers, message.value)


def shown(event):
    """Every value of an event with its type: equal events can differ in a Decimal's places or a
    time's zone, which a view would write differently."""
    return {name: (type(value), repr(value)) for name, value in [*msgspec.structs.asdict(event).items(), *event.data.items()]}


def test_every_event_of_the_demo_reads_from_its_store_as_from_its_topic(system, monkeypatch):
    system.start_relay()
    system.start("reactor", "react")  # the demo waits for the bodies' policies
    seed(system.services)
    with acting("admin"):  # an amount of fewer places than the schema's
        compound = system.services.residents.register_compound(**{**BEIYUAN, "name": "时区小区"})
        system.services.owners_committee.register_exclusive_unit(
            compound_id=compound.aggregate_id, building="1栋", unit="101", exclusive_area="89.5", owner="田景余")
    types = set()
    with psycopg.connect(system.settings.database_url) as conn:
        for body in Body:
            application = system.services.of(body)
            notifications = application.recorder.select_notifications(1, 100_000)
            read = [event for events in log(conn, body, notifications[-1].id, 100) for event in events]
            with monkeypatch.context() as patched:  # as an event in another form than the library's is read
                patched.setattr(stored_events, "_whole", lambda body, topic: 1 / 0)
                by_field = [event for events in log(conn, body, notifications[-1].id, 100) for event in events]
            assert len(read) == len(by_field) == len(notifications)
            for event, event_by_field, stored in zip(read, by_field, notifications):
                expected = as_published(body, application, stored)
                assert event == event_by_field == expected
                assert shown(event) == shown(event_by_field) == shown(expected)
                types.add(event.type)
    assert len(types) >= len(schemas.catalogue()) // 2, sorted(types)  # most of the catalogue's


def test_a_log_read_ahead_is_the_log_and_what_stops_it_stops_its_reader(system, monkeypatch):
    with acting("admin"):
        compounds = [system.services.residents.register_compound(**{**BEIYUAN, "name": f"{n}号小区"}).aggregate_id
                     for n in range(5)]
    url, body = system.settings.database_url, Body.RESIDENTS

    def readers() -> list[str]:
        return [t.name for t in threading.enumerate() if "store ahead" in t.name]

    with psycopg.connect(url) as conn:
        batches = list(log(conn, body, 2**62, 2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert list(log_ahead(url, body, 2**62, 2)) == batches
    ahead = log_ahead(url, body, 2**62, 1, depth=1)  # the caller stops while its reader waits to hand over
    assert next(ahead) == batches[0][:1]
    ahead.close()
    assert readers() == []

    def unreadable(body, aggregate_id, *args):
        if aggregate_id == compounds[3]:
            raise UnreadableStoredEvent("cannot read it")
        return published(body, aggregate_id, *args)

    monkeypatch.setattr(stored_events, "published", unreadable)
    read = []
    with pytest.raises(UnreadableStoredEvent, match="cannot read it"):
        for events in log_ahead(url, body, 2**62, 2):
            read.append(events)
    assert read == batches[:1]  # raised where the batches stop, after those before it
    assert readers() == []


@pytest.mark.parametrize("change, says", [
    (lambda topic, state: ("services.nowhere:Gone.Event", state), "no event type of owners_committee"),
    (lambda topic, state: (topic, {k: v for k, v in state.items() if k != "owner"}), "lacks owner"),
    (lambda topic, state: (topic, {**state, "exclusive_area": {"_type_": "mystery", "_data_": "1"}}), "'mystery'"),
    (lambda topic, state: (topic, {**state, "event_id": {"_type_": "uuid_hex", "_data_": "not hex"}}),
     "ValueError"),
    (lambda topic, state: (topic, "{not json"), "JSONDecodeError"),
    (lambda topic, state: (topic, '{"a":' * 100_000 + "1" + "}" * 100_000), "RecursionError"),
])
def test_a_stored_event_this_code_cannot_read_says_so(change, says):
    services = bootstrap()
    with acting("admin"):
        compound = services.residents.register_compound(**BEIYUAN)
        services.owners_committee.register_exclusive_unit(
            compound_id=compound.aggregate_id, building="1栋", unit="101", exclusive_area="89.5", owner="田景余")
    (stored,) = services.owners_committee.recorder.select_notifications(1, 1)
    topic, state = change(stored.topic, json.loads(stored.state))
    state = state.encode() if isinstance(state, str) else json.dumps(state).encode()
    with pytest.raises(UnreadableStoredEvent, match=says):
        published(Body.OWNERS_COMMITTEE, stored.originator_id, 1, topic, state)


@pytest.mark.parametrize("moment", ["2026-03-01T20:30:00+08:00", "2026-03-01T12:30:00", "2026-03-01T12:30:00Z"])
def test_a_stored_time_in_another_zone_or_none_reads_in_utc(moment):
    services = bootstrap()
    with acting("admin"):
        services.residents.register_compound(**BEIYUAN)
    (stored,) = services.residents.recorder.select_notifications(1, 1)
    state = {**json.loads(stored.state), "timestamp": {"_type_": "datetime_iso", "_data_": moment}}
    event = published(Body.RESIDENTS, stored.originator_id, 1, stored.topic, json.dumps(state).encode())
    assert event.occurred_at == datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
    assert event.occurred_at.tzinfo is timezone.utc
