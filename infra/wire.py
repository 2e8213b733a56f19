"""The wire format of every event on Kafka.

Value: Avro (fastavro, schemaless) with the event type's current schema. Headers: the CloudEvents
Kafka binding in binary mode (``ce_id``, ``ce_source``, ``ce_type``, ``ce_specversion``,
``ce_time``, ``ce_subject``, ``content-type``), plus ``siwei_schema`` (the writer schema's
fingerprint), ``siwei_generation`` (the relay's topic generation, see ``infra.relay``) and
``siwei_chain``: ``<sequence>:<link in hex>``, the event's place in its body's hash chain (see
``audit.chain``), which the other bodies witness.
Key: the aggregate id, so each aggregate's events stay in order on one partition.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any

import fastavro

from infra import schemas
from services.common.bodies import Body
from services.common.published import PublishedEvent

CONTENT_TYPE = "application/avro"
SPEC_VERSION = "1.0"
SCHEMA_HEADER = "siwei_schema"
GENERATION_HEADER = "siwei_generation"
CHAIN_HEADER = "siwei_chain"
TYPE_PREFIX = "siwei."


class UndecodableMessage(Exception):
    """A message on a topic is not a Siwei event this code can read; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChainLink:
    sequence: int
    link: bytes

    def __str__(self) -> str:
        return f"{self.sequence}:{self.link.hex()}"

    @classmethod
    def parse(cls, text: str | None) -> ChainLink | None:
        sequence, _, link = (text or "").partition(":")
        try:
            return cls(int(sequence), bytes.fromhex(link)) if sequence and link else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Message:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def load() -> None:
    """Loads every event type and every published schema now. Loading the event types imports
    every body's domain (about half a second): done on demand, the first message a reader
    decoded waited for it, in that event's way to the read models."""
    schemas.catalogue()
    schemas.published()


# Parsed once, with fastavro's mark of a parsed schema: without it, every read and write would
# parse the schema again (most of the cost of a small event).
@cache
def _parsed(print_: str) -> Any:
    _, schema = schemas.published()[print_]
    return fastavro.parse_schema(schema)


@cache
def _writer(qualified_name: str) -> tuple[str, Any]:
    schema = schemas.current(qualified_name)
    print_ = schemas.fingerprint(schema)
    if print_ not in schemas.published():
        raise schemas.SchemaError(f"{qualified_name} {print_} is not published: run `siwei schemas publish`")
    return print_, fastavro.parse_schema(schema)


def encode(body: Body, domain_event: Any, generation: int, chain: ChainLink | None = None) -> Message:
    """Encodes a stored domain event of ``body`` for its topic."""
    event_type = schemas.event_type_of(body, type(domain_event))
    print_, writer = _writer(event_type.qualified_name)
    occurred_at: datetime = domain_event.timestamp
    record = {
        "envelope": {
            "event_id": domain_event.event_id,
            "body": body.value,
            "compound_id": domain_event.compound_id,
            "aggregate_id": domain_event.originator_id,
            "aggregate_version": domain_event.originator_version,
            "actor": domain_event.actor,
            "occurred_at": occurred_at,
            "correlation_id": domain_event.correlation_id,
            "causation_id": domain_event.causation_id,
        },
        **{name: getattr(domain_event, name) for name in event_type.payload_fields()},
    }
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, writer, record)
    source = f"/siwei/{body.value}"
    if domain_event.compound_id is not None:
        source += f"/compounds/{domain_event.compound_id}"
    headers = [
        ("ce_id", str(domain_event.event_id).encode()),
        ("ce_source", source.encode()),
        ("ce_type", (TYPE_PREFIX + event_type.qualified_name).encode()),
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_time", occurred_at.astimezone(timezone.utc).isoformat().encode()),
        ("ce_subject", str(domain_event.originator_id).encode()),
        ("content-type", CONTENT_TYPE.encode()),
        (SCHEMA_HEADER, print_.encode()),
        (GENERATION_HEADER, str(generation).encode()),
    ]
    if chain is not None:
        headers.append((CHAIN_HEADER, str(chain).encode()))
    return Message(str(domain_event.originator_id).encode(), buffer.getvalue(), headers)


def header(headers: list[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", errors="replace") if value is not None else None
    return None


def decode(headers: list[tuple[str, bytes]], value: bytes | None) -> PublishedEvent:
    """Decodes a message; raises ``UndecodableMessage`` with the reason if it cannot."""
    ce_type = header(headers, "ce_type")
    print_ = header(headers, SCHEMA_HEADER)
    if not ce_type or not ce_type.startswith(TYPE_PREFIX):
        raise UndecodableMessage(f"missing or foreign ce_type header: {ce_type!r}")
    qualified_name = ce_type.removeprefix(TYPE_PREFIX)
    if qualified_name not in schemas.catalogue():
        raise UndecodableMessage(f"unknown event type {qualified_name!r}")
    if not print_ or print_ not in schemas.published():
        raise UndecodableMessage(f"unknown schema fingerprint {print_!r} for {qualified_name}")
    writer_name, _ = schemas.published()[print_]
    if writer_name != qualified_name:
        raise UndecodableMessage(f"schema {print_} belongs to {writer_name}, not {qualified_name}")
    if value is None:
        raise UndecodableMessage("the message has no value")
    current_print, reader = _writer(qualified_name)
    buffer = io.BytesIO(value)
    try:
        if print_ == current_print:
            record = fastavro.schemaless_reader(buffer, reader, None)
        else:
            record = fastavro.schemaless_reader(buffer, _parsed(print_), reader)
    except Exception as error:  # fastavro raises many kinds on bad bytes
        raise UndecodableMessage(f"not valid Avro for {qualified_name} {print_}: {error!r}") from None
    if buffer.tell() != len(value):
        raise UndecodableMessage(
            f"not valid Avro for {qualified_name} {print_}: {len(value) - buffer.tell()} bytes left over"
        )
    envelope = record.pop("envelope")
    if envelope["body"] != qualified_name.partition(".")[0]:  # a body unknown, or another's
        raise UndecodableMessage(f"the envelope's body {envelope['body'][:100]!r} is not that of {qualified_name}")
    return PublishedEvent(
        event_id=envelope["event_id"],
        type=qualified_name,
        body=Body(envelope["body"]),
        compound_id=envelope["compound_id"],
        aggregate_id=envelope["aggregate_id"],
        aggregate_version=envelope["aggregate_version"],
        actor=envelope["actor"],
        occurred_at=envelope["occurred_at"],
        correlation_id=envelope["correlation_id"],
        causation_id=envelope["causation_id"],
        data=record,
        chain=ChainLink.parse(header(headers, CHAIN_HEADER)),
    )
