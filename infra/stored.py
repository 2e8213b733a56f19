"""A body's stored events as every consumer of its topic sees them (``PublishedEvent``), read from
the rows of its store: what a rebuild reads before the topics, and what the ledger answers with.

A row's state is the library's JSON of the event (its ``JSONTranscoder``: ids, times, dates and
amounts as ``{"_type_": …, "_data_": …}``) as stored, personal data sealed: what the relay
publishes. The values are those Avro gives a reader of the topic (``infra.wire``): times in UTC,
amounts at the schema's scale, a field an older event lacks at its default. Without the library's
mapper and the wire's round trip an event costs about a fifth as much; tests/infra/test_stored.py
holds every event type of the demo to the wire's answer.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from infra import schemas
from services.common.bodies import Body
from services.common.published import PublishedEvent

CENTS = Decimal(1).scaleb(-schemas.DECIMAL_SCALE)
MISSING = dataclasses.MISSING


class UnreadableStoredEvent(Exception):
    """A stored event this code cannot read as its topic's readers would: the relay could not
    publish it either."""


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


TRANSCODINGS = {
    "uuid_hex": UUID,
    "datetime_iso": _utc,
    "date_iso": date.fromisoformat,
    "decimal_str": lambda text: Decimal(text).quantize(CENTS),
}


def _value(obj: dict) -> Any:
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        decode = TRANSCODINGS.get(obj["_type_"])
        if decode is None:
            raise UnreadableStoredEvent(f"a value transcoded as {obj['_type_']!r}")
        return decode(obj["_data_"])
    return obj


@cache
def _event_types(body: Body) -> dict[str, tuple[str, tuple[tuple[str, Any], ...]]]:
    """The body's event types by the library's topic of their class: the qualified name, and the
    payload's fields with their defaults."""
    found = {}
    for event_type in schemas.catalogue().values():
        if event_type.body is body:
            defaults = {f.name: f.default for f in dataclasses.fields(event_type.event_class)}
            found[get_topic(event_type.event_class)] = (
                event_type.qualified_name, tuple((name, defaults[name]) for name in event_type.payload_fields()))
    return found


def published(body: Body, aggregate_id: UUID, version: int, topic: str, state: bytes) -> PublishedEvent:
    """A stored event (a row of the body's store) as its topic's readers see it."""
    try:
        qualified_name, fields = _event_types(body)[topic]
    except KeyError:
        raise UnreadableStoredEvent(f"{topic!r} is no event type of {body.value}") from None
    try:
        values = json.loads(state, object_hook=_value)
        data = {name: values[name] if name in values else default for name, default in fields}
        if any(value is MISSING for value in data.values()):
            missing = [name for name, value in data.items() if value is MISSING]
            raise UnreadableStoredEvent(f"{qualified_name} {aggregate_id} v{version} lacks {', '.join(missing)}")
        return PublishedEvent(
            event_id=values["event_id"], type=qualified_name, body=body, compound_id=values.get("compound_id"),
            aggregate_id=aggregate_id, aggregate_version=version, actor=values["actor"],
            occurred_at=values["timestamp"], correlation_id=values["correlation_id"],
            causation_id=values["causation_id"], data=data,
        )
    except (ValueError, TypeError, KeyError) as error:
        raise UnreadableStoredEvent(f"{qualified_name} {aggregate_id} v{version}: {type(error).__name__}: {error}") \
            from None


def log(conn: psycopg.Connection, body: Body, until: int, batch: int) -> Iterator[list[PublishedEvent]]:
    """The body's log up to notification ``until``, in order, ``batch`` events at a time."""
    query = sql.SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
                    " WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
                    ).format(sql.Identifier(body.schema, f"{body.value}_events"))
    after = 0
    while rows := conn.execute(query, (after, until, batch), binary=True).fetchall():
        yield [published(body, aggregate_id, version, topic, state) for _, aggregate_id, version, topic, state in rows]
        after = rows[-1][0]


def count(conn: psycopg.Connection, body: Body, until: int) -> int:
    """How many events the body's log holds up to notification ``until``."""
    return conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE notification_id <= %s")
                        .format(sql.Identifier(body.schema, f"{body.value}_events")), (until,)).fetchone()[0]
