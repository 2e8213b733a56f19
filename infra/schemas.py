"""The Avro contract of every event type, and the rules by which it may change.

- ``schemas/<body>/<Event>.avsc`` is the current writer schema of an event type, generated from
  the event's class: the event's name is its record name, a contract never renamed or reused.
- ``schemas/published/<body>.<Event>.<fingerprint>.avsc`` keeps every version ever published,
  named by its fingerprint (CRC-64-AVRO of the parsing canonical form), never edited. Consumers
  find the writer schema of a message there by the fingerprint in its headers.
- A new version may be published only if it can read everything written with every earlier
  version (old writer resolved against new reader with fastavro).
"""

from __future__ import annotations

import dataclasses
import io
import json
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from uuid import UUID

import fastavro
from fastavro.schema import fingerprint as avro_fingerprint
from fastavro.schema import to_parsing_canonical_form

from services.common.aggregate import ENVELOPE_FIELDS, GovernanceAggregate
from services.common.bodies import Body

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
PUBLISHED_DIR = SCHEMA_DIR / "published"
LIBRARY_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")
DECIMAL_PRECISION, DECIMAL_SCALE = 18, 2

UUID_TYPE = {"type": "string", "logicalType": "uuid"}
TIMESTAMP_TYPE = {"type": "long", "logicalType": "timestamp-micros"}
ENVELOPE_SCHEMA = {
    "type": "record",
    "name": "Envelope",
    "namespace": "siwei",
    "doc": "What every Siwei event carries, whatever its body and type.",
    "fields": [
        {"name": "event_id", "type": UUID_TYPE},
        {"name": "body", "type": "string"},
        {"name": "compound_id", "type": ["null", UUID_TYPE], "default": None},
        {"name": "aggregate_id", "type": UUID_TYPE},
        {"name": "aggregate_version", "type": "long"},
        {"name": "actor", "type": "string"},
        {"name": "occurred_at", "type": TIMESTAMP_TYPE},
        {"name": "correlation_id", "type": UUID_TYPE},
        {"name": "causation_id", "type": UUID_TYPE},
    ],
}


class SchemaError(Exception):
    """An event type has no usable schema, or a schema change breaks the contract."""


@dataclasses.dataclass(frozen=True)
class EventType:
    body: Body
    name: str
    event_class: type

    @property
    def qualified_name(self) -> str:
        """``<body>.<Event>``, also the tail of the CloudEvents type ``siwei.<body>.<Event>``."""
        return f"{self.body.value}.{self.name}"

    @property
    def path(self) -> Path:
        return SCHEMA_DIR / self.body.value / f"{self.name}.avsc"

    def payload_fields(self) -> list[str]:
        skip = set(LIBRARY_FIELDS) | set(ENVELOPE_FIELDS)
        return [f.name for f in dataclasses.fields(self.event_class) if f.name not in skip]


def events_of(aggregate_class: type[GovernanceAggregate]) -> Iterator[type]:
    for name, value in vars(aggregate_class).items():
        if (
            isinstance(value, type)
            and issubclass(value, GovernanceAggregate.Event)
            and name not in ("Event", "Created")
        ):
            yield value


@cache
def catalogue() -> dict[str, EventType]:
    """Every event type of every body, by qualified name."""
    from services.bootstrap import application_classes

    types_: dict[str, EventType] = {}
    for body, application in application_classes().items():
        for aggregate in application.aggregates:
            for event_class in events_of(aggregate):
                event_type = EventType(body, event_class.__name__, event_class)
                if event_type.qualified_name in types_:
                    raise SchemaError(f"two events of {body.value} are named {event_class.__name__}")
                types_[event_type.qualified_name] = event_type
    return types_


def event_type_of(body: Body, event_class: type) -> EventType:
    return catalogue()[f"{body.value}.{event_class.__name__}"]


def _avro_type(hint: object, where: str) -> object:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) != 1:
            raise SchemaError(f"{where}: only `X | None` unions are supported")
        return ["null", _avro_type(members[0], where)]
    if origin in (list, tuple):
        (item, *_) = typing.get_args(hint)
        return {"type": "array", "items": _avro_type(item, where)}
    if isinstance(hint, type) and issubclass(hint, Enum):
        return "string"
    simple = {
        str: "string", int: "long", bool: "boolean", float: "double",
        UUID: UUID_TYPE, datetime: TIMESTAMP_TYPE,
        date: {"type": "int", "logicalType": "date"},
        Decimal: {"type": "bytes", "logicalType": "decimal",
                  "precision": DECIMAL_PRECISION, "scale": DECIMAL_SCALE},
    }
    if hint in simple:
        return simple[hint]
    raise SchemaError(f"{where}: no Avro type for {hint!r}")


def generate(event_type: EventType) -> dict:
    """The Avro schema of an event type, from its class."""
    hints = typing.get_type_hints(event_type.event_class)
    defaults = {
        f.name: f.default for f in dataclasses.fields(event_type.event_class)
        if f.default is not dataclasses.MISSING
    }
    fields: list[dict] = [{"name": "envelope", "type": ENVELOPE_SCHEMA}]
    for name in event_type.payload_fields():
        avro_type = _avro_type(hints[name], f"{event_type.qualified_name}.{name}")
        field: dict = {"name": name, "type": avro_type}
        if isinstance(avro_type, list):
            field["default"] = None
        elif name in defaults:
            field["default"] = defaults[name]
        fields.append(field)
    return {
        "type": "record",
        "name": event_type.name,
        "namespace": f"siwei.{event_type.body.value}",
        "fields": fields,
    }


def fingerprint(schema: dict) -> str:
    canonical = to_parsing_canonical_form(fastavro.parse_schema(schema, _write_hint=False))
    return avro_fingerprint(canonical, "CRC-64-AVRO")


def _dump(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def published_path(event_type: EventType, print_: str) -> Path:
    return PUBLISHED_DIR / f"{event_type.qualified_name}.{print_}.avsc"


@cache
def current(qualified_name: str) -> dict:
    event_type = catalogue()[qualified_name]
    try:
        return json.loads(event_type.path.read_text())
    except FileNotFoundError:
        raise SchemaError(
            f"{event_type.qualified_name} has no schema at {event_type.path}: "
            "run `siwei schemas publish`"
        ) from None


@cache
def published() -> dict[str, tuple[str, dict]]:
    """Every published schema by fingerprint, with the event type it belongs to."""
    found: dict[str, tuple[str, dict]] = {}
    for path in sorted(PUBLISHED_DIR.glob("*.avsc")):
        qualified_name, print_ = path.name.removesuffix(".avsc").rsplit(".", 1)
        found[print_] = (qualified_name, json.loads(path.read_text()))
    return found


# -- compatibility ------------------------------------------------------------------------------

def _sample(avro_type: object, variant: int) -> object:
    """A value of the type; variant 0 and 1 differ in union branches and sizes."""
    if isinstance(avro_type, list):
        return None if variant == 0 else _sample(avro_type[1], variant)
    if isinstance(avro_type, dict):
        logical = avro_type.get("logicalType")
        if logical == "uuid":
            return UUID(int=variant + 1)
        if logical == "timestamp-micros":
            return datetime(2026, 1, 1, tzinfo=timezone.utc)
        if logical == "date":
            return date(2026, 1, 1)
        if logical == "decimal":
            return Decimal("12.34")
        if avro_type["type"] == "array":
            return [_sample(avro_type["items"], variant)] * variant
        if avro_type["type"] == "record":
            return {f["name"]: _sample(f["type"], variant) for f in avro_type["fields"]}
        return _sample(avro_type["type"], variant)
    return {"string": "x", "long": 7, "int": 7, "boolean": True, "double": 1.5,
            "bytes": b"x", "null": None}[avro_type]


def can_read(reader: dict, writer: dict) -> str | None:
    """None if data written with ``writer`` resolves against ``reader``; otherwise why not."""
    parsed_writer = fastavro.parse_schema(writer, _write_hint=False)
    parsed_reader = fastavro.parse_schema(reader, _write_hint=False)
    for variant in (0, 1):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed_writer, _sample(writer, variant))
        buffer.seek(0)
        try:
            fastavro.schemaless_reader(buffer, parsed_writer, parsed_reader)
        except Exception as error:  # fastavro raises several kinds for a failed resolution
            return f"{type(error).__name__}: {error}"
    return None


def problems() -> list[str]:
    """Everything wrong with the contract; empty when it is sound."""
    found: list[str] = []
    by_type: dict[str, list[tuple[str, dict]]] = {}
    for path in sorted(PUBLISHED_DIR.glob("*.avsc")):
        qualified_name, print_ = path.name.removesuffix(".avsc").rsplit(".", 1)
        schema = json.loads(path.read_text())
        if fingerprint(schema) != print_:
            found.append(f"{path.name} was edited after it was published (fingerprint differs)")
        by_type.setdefault(qualified_name, []).append((print_, schema))
    for qualified_name, event_type in sorted(catalogue().items()):
        expected = generate(event_type)
        on_disk = json.loads(event_type.path.read_text()) if event_type.path.exists() else None
        if on_disk != expected:
            found.append(f"{event_type.path.relative_to(SCHEMA_DIR)} does not match the event class: "
                         "run `siwei schemas publish`")
            continue
        versions = by_type.get(qualified_name, [])
        if fingerprint(expected) not in {p for p, _ in versions}:
            found.append(f"{qualified_name} {fingerprint(expected)} is not published: "
                         "run `siwei schemas publish`")
        for print_, old in versions:
            reason = can_read(expected, old)
            if reason:
                found.append(f"{qualified_name}: the current schema cannot read data written "
                             f"with published version {print_}: {reason}")
    for qualified_name in sorted(set(by_type) - set(catalogue())):
        found.append(f"{qualified_name} was published but no event class has that name any more: "
                     "a published event is never renamed or removed")
    return found


def publish() -> list[str]:
    """Writes each event type's current schema and archives new versions; refuses a version that
    cannot read what earlier ones wrote. Returns what it wrote."""
    written: list[str] = []
    for qualified_name, event_type in sorted(catalogue().items()):
        schema = generate(event_type)
        print_ = fingerprint(schema)
        for old_print, (old_name, old) in published().items():
            if old_name == qualified_name and old_print != print_:
                reason = can_read(schema, old)
                if reason:
                    raise SchemaError(
                        f"{qualified_name}: the new schema cannot read data written with "
                        f"published version {old_print}: {reason}. Keep the old field types, "
                        "give new fields defaults, or publish a new event type with an upcaster."
                    )
        event_type.path.parent.mkdir(parents=True, exist_ok=True)
        if not event_type.path.exists() or json.loads(event_type.path.read_text()) != schema:
            event_type.path.write_text(_dump(schema))
            written.append(str(event_type.path.relative_to(SCHEMA_DIR)))
        archive = published_path(event_type, print_)
        if not archive.exists():
            PUBLISHED_DIR.mkdir(parents=True, exist_ok=True)
            archive.write_text(_dump(schema))
            written.append(str(archive.relative_to(SCHEMA_DIR)))
    current.cache_clear()
    published.cache_clear()
    return written
