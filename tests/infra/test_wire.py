"""The wire format: Avro values and CloudEvents headers, and what a consumer refuses."""

import json
from uuid import UUID

import pytest

from infra import schemas, wire
from services.bootstrap import bootstrap
from services.common.bodies import Body
from services.common.context import acting
from tests.conftest import BEIYUAN, with_body

GENERATION = 1795300000000000


@pytest.fixture
def unit_event():
    services = bootstrap()
    with acting("body:owners_committee:x") as context:
        compound = services.residents.register_compound(
            **BEIYUAN)
        services.owners_committee.register_exclusive_unit(
            compound_id=compound.aggregate_id, building="1栋", unit="101",
            exclusive_area="89.5", owner="田景余")
    app = services.owners_committee
    return app.mapper.to_domain_event(app.recorder.select_notifications(1, 1)[0]), context


def test_an_event_round_trips_with_its_envelope_and_cloudevents_headers(unit_event):
    event, context = unit_event
    message = wire.encode(Body.OWNERS_COMMITTEE, event, GENERATION)
    headers = dict(message.headers)
    assert message.key == str(event.originator_id).encode()
    assert headers["ce_id"] == str(event.event_id).encode()
    assert headers["ce_type"] == b"siwei.owners_committee.ExclusiveUnitRegistered"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_subject"] == str(event.originator_id).encode()
    assert headers["ce_source"] == f"/siwei/owners_committee/compounds/{event.compound_id}".encode()
    assert headers["content-type"] == b"application/avro"
    assert headers["siwei_generation"] == str(GENERATION).encode()
    current = schemas.current("owners_committee.ExclusiveUnitRegistered")
    assert headers["siwei_schema"] == schemas.fingerprint(current).encode()

    decoded = wire.decode(message.headers, message.value)
    assert decoded.type == "owners_committee.ExclusiveUnitRegistered"
    assert decoded.event_id == event.event_id
    assert decoded.aggregate_id == event.originator_id
    assert decoded.aggregate_version == 1
    assert decoded.compound_id == event.compound_id
    assert decoded.actor == "body:owners_committee:x"
    assert decoded.correlation_id == context.correlation_id
    assert decoded.occurred_at == event.timestamp
    assert decoded.data == {"building": "1栋", "unit": "101", "exclusive_area": event.exclusive_area,
                            "owner": "田景余"}


def replace_header(headers, name, value):
    return [(k, value if k == name else v) for k, v in headers]


@pytest.mark.parametrize("mangle, reason", [
    (lambda m: with_body(m, "nobody"), "body 'nobody' is not that of owners_committee"),
    (lambda m: with_body(m, "branch"), "body 'branch' is not that of owners_committee"),
    (lambda m: with_body(m, ""), "body '' is not that of owners_committee"),
    (lambda m: (m.headers, b"\x00\x01garbage"), "not valid Avro"),
    (lambda m: (m.headers, m.value + b"\x00"), "left over"),
    (lambda m: (replace_header(m.headers, "siwei_schema", b"0123456789abcdef"), m.value),
     "unknown schema fingerprint"),
    (lambda m: (replace_header(m.headers, "ce_type", b"siwei.residents.CompoundVanished"), m.value),
     "unknown event type"),
    (lambda m: (replace_header(m.headers, "ce_type", b"siwei.residents.CompoundRegistered"), m.value),
     "belongs to owners_committee.ExclusiveUnitRegistered"),
    (lambda m: ([], m.value), "missing or foreign ce_type"),
    (lambda m: (m.headers, None), "no value"),
])
def test_a_message_that_is_not_a_readable_event_says_why(unit_event, mangle, reason):
    message = wire.encode(Body.OWNERS_COMMITTEE, unit_event[0], GENERATION)
    headers, value = mangle(message)
    with pytest.raises(wire.UndecodableMessage, match=reason):
        wire.decode(headers, value)


def test_data_written_with_an_older_published_version_is_read_with_the_current_one(monkeypatch, unit_event):
    """Simulates the day a field is added: messages already on the topic were written without it."""
    import io

    import fastavro

    name = "owners_committee.ExclusiveUnitRegistered"
    old = schemas.current(name)
    new = json.loads(json.dumps(old))
    new["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    old_print, new_print = schemas.fingerprint(old), schemas.fingerprint(new)
    published = dict(schemas.published())
    published[new_print] = (name, new)
    monkeypatch.setattr(schemas, "published", lambda: published)
    monkeypatch.setattr(schemas, "current", lambda qualified: new if qualified == name else old)
    wire._writer.cache_clear()
    try:
        message = wire.encode(Body.OWNERS_COMMITTEE, unit_event[0], GENERATION)
        assert dict(message.headers)["siwei_schema"] == new_print.encode()
        # A message as the old writer wrote it:
        buffer = io.BytesIO()
        record = wire.decode(message.headers, message.value)
        fastavro.schemaless_writer(buffer, fastavro.parse_schema(old), {
            "envelope": {"event_id": record.event_id, "body": "owners_committee",
                         "compound_id": record.compound_id, "aggregate_id": record.aggregate_id,
                         "aggregate_version": 1, "actor": record.actor, "occurred_at": record.occurred_at,
                         "correlation_id": record.correlation_id, "causation_id": record.causation_id},
            **{k: v for k, v in record.data.items() if k != "note"},
        })
        old_headers = replace_header(message.headers, "siwei_schema", old_print.encode())
        decoded = wire.decode(old_headers, buffer.getvalue())
        assert decoded.data["note"] is None
        assert decoded.data["owner"] == "田景余"
        assert isinstance(decoded.event_id, UUID)
    finally:
        wire._writer.cache_clear()
