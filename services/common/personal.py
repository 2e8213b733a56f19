"""Personal data sealed with a key per person, so that it can be erased (PIPL, 个人信息保护法 art. 47)
without touching the log.

A body declares, where its events are declared, which fields of which of its events hold a
person's data and of what kind (``personal_data`` on its application):

- ``Kind.NAME``: a person's name. The value is its person: one key per name in a compound, so
  the same name is the same token in every body's events, and joins still match.
- ``Kind.UNIT``: a unit of the compound (an owner's, the one a resident lives in). Like a name,
  it is its own person: the unit of the owners' register, of a vote's electorate and of the
  resident who lives there seal to one token, so that a resident is still the subject of their unit.
- ``Kind.TEXT``: what a resident wrote (a case's description, information, comment). It is
  sealed under the key of the resident who wrote it; written down by a body for the resident of a
  unit the event names (an owner's objection the committee records), under that unit's key; any
  other text written by a body stays as it is.

The envelope's actor names a resident as ``resident:<compound>:<token>``: the token seals the
resident's unit and carries their pseudonymous person id. Before an event is stored, each declared
value is *sealed*: encrypted with its person's key and written as a token
``pii:<person id>:<ciphertext>``. The store, the hash chain, the topics and the read models only
ever hold tokens; the hash chain is over ciphertext. The nonce is derived from the key and the
value (a synthetic IV), so a value seals to the same token every time and one key can seal many
values.

The service reading its own aggregates opens tokens back into values; the API opens them for the
principals the rights table entitles (``api.rights``) and records each showing
(``api.access_log``).

Erasure deletes the key and the value it was for. The tokens stay, unreadable: the person is
still one person in every count (one owner, one ballot), known only by an id; every hash still
verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent

PREFIX = "pii:"
ERASED = "[erased]"
KEY_BYTES = 32
NONCE_BYTES = 12
NOT_CACHED = object()
TOKEN = re.compile(r"pii:([0-9a-f]{32}):([A-Za-z0-9_-]+=*)")
RESIDENT = "resident:"

KEYS_DDL = """
CREATE SCHEMA IF NOT EXISTS personal;
CREATE TABLE IF NOT EXISTS personal.keys (
    person_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    subject text,          -- the name or unit the key is for; null once erased
    key bytea,             -- null once erased
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    UNIQUE (compound_id, subject)
);
ALTER TABLE personal.keys ADD COLUMN IF NOT EXISTS body text;  -- the body that first sealed it
"""


class Kind(str, Enum):
    NAME = "name"
    UNIT = "unit"
    TEXT = "text"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def person_of(token: str) -> UUID:
    return UUID(token[len(PREFIX):].split(":", 1)[0])


def _token(person_id: UUID, key: bytes, value: str) -> str:
    plain = value.encode()
    nonce = hmac.new(key, b"siwei:nonce:" + plain, hashlib.sha256).digest()[:NONCE_BYTES]
    sealed = nonce + AESGCM(key).encrypt(nonce, plain, person_id.bytes)
    return f"{PREFIX}{person_id.hex}:{base64.urlsafe_b64encode(sealed).decode()}"


def _opened(token: str, key: bytes) -> str:
    person_id = person_of(token)
    sealed = base64.urlsafe_b64decode(token.rsplit(":", 1)[1])
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], person_id.bytes).decode()


def resident_actor(compound_id: UUID, token: str) -> str:
    return f"{RESIDENT}{compound_id}:{token}"


def split_resident(actor: str) -> tuple[UUID, str] | None:
    """A resident actor's compound and unit (or the token sealing it); None for another actor."""
    if not actor.startswith(RESIDENT):
        return None
    compound, _, unit = actor[len(RESIDENT):].partition(":")
    try:
        return UUID(compound), unit
    except ValueError:
        return None


@dataclass
class Erasure:
    person_id: UUID
    compound_id: UUID
    body: str | None
    erased_at: datetime


class PersonalKeys:
    """The keys, in memory (unit tests); ``PostgresKeys`` keeps them in ``personal.keys``."""

    def __init__(self, body: str | None = None) -> None:
        self.body = body
        self._by_subject: dict[tuple[UUID, str], UUID] = {}
        self._keys: dict[UUID, bytes | None] = {}
        self._where: dict[UUID, UUID] = {}

    def close(self) -> None:
        """Nothing to release in memory."""

    def key_for(self, compound_id: UUID, subject: str) -> tuple[UUID, bytes]:
        person_id = self._by_subject.get((compound_id, subject))
        if person_id is None:
            person_id = self._by_subject[(compound_id, subject)] = uuid4()
            self._keys[person_id] = os.urandom(KEY_BYTES)
            self._where[person_id] = compound_id
        return person_id, self._keys[person_id]  # type: ignore[return-value]

    def person(self, compound_id: UUID, subject: str) -> UUID | None:
        """The id of the person a value is sealed for, if there is one and it is not erased."""
        return self._by_subject.get((compound_id, subject))

    def keys(self, person_ids: Iterable[UUID]) -> dict[UUID, bytes | None]:
        return {p: self._keys.get(p) for p in person_ids}

    def whose(self, person_id: UUID) -> tuple[UUID, str | None] | None:
        """The compound of a person not erased, and the body that first sealed their data."""
        return (self._where[person_id], self.body) if self._keys.get(person_id) is not None else None

    def erase(self, person_id: UUID) -> Erasure | None:
        """Deletes the person's key and value; None if there is no such person, or erased already."""
        if self._keys.get(person_id) is None:
            return None
        self._keys[person_id] = None
        self._by_subject = {k: p for k, p in self._by_subject.items() if p != person_id}
        return Erasure(person_id, self._where[person_id], self.body, datetime.now(timezone.utc))

    # -- sealing and opening ----------------------------------------------------------------------

    def seal(self, compound_id: UUID, value: Any) -> Any:
        """A name (or a list of names) as tokens; tokens stay as they are."""
        if isinstance(value, list):
            return [self.seal(compound_id, item) for item in value]
        if not isinstance(value, str) or is_sealed(value):
            return value
        person_id, key = self.key_for(compound_id, value)
        return _token(person_id, key, value)

    def seal_for(self, compound_id: UUID, subject: str, value: Any) -> Any:
        """A text sealed under the key of the person ``subject`` (a resident's unit)."""
        if not isinstance(value, str) or not value or is_sealed(value):
            return value
        person_id, key = self.key_for(compound_id, subject)
        return _token(person_id, key, value)

    def open(self, value: Any) -> Any:
        """Tokens (at any depth) opened into values; a token whose key is erased stays as it is
        (what the body's own service reads: the erased person stays one person)."""
        return shown(value, self.keys({person_of(t) for t in _tokens_in(value)}), keep_erased=True)

    def shown(self, value: Any) -> Any:
        """A value for a reader entitled to it, erased values as ``[erased]``."""
        return shown(value, self.keys({person_of(t) for t in _tokens_in(value)}))


def shown(value: Any, keys: Mapping[UUID, bytes | None], *, keep_erased: bool = False) -> Any:
    """Tokens (at any depth, also inside a text) opened with ``keys``; a token whose key is erased
    shown as ``[erased]``, or kept as it is."""
    return replaced(value, lambda token: _opened(token, key) if (key := keys.get(person_of(token)))
                    else token if keep_erased else ERASED)


def tokens_in(value: Any) -> list[str]:
    return list(_tokens_in(value))


def _tokens_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if PREFIX in value:
            yield from (m.group(0) for m in TOKEN.finditer(value))
    elif isinstance(value, list):
        for item in value:
            yield from _tokens_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tokens_in(item)


def replaced(value: Any, replace: Any) -> Any:
    """The value with each token in it (at any depth, also inside a text) replaced."""
    if isinstance(value, str):
        return TOKEN.sub(lambda m: replace(m.group(0)), value) if PREFIX in value else value
    if isinstance(value, list):
        return [replaced(item, replace) for item in value]
    if isinstance(value, dict):
        return {name: replaced(item, replace) for name, item in value.items()}
    return value


class PostgresKeys(PersonalKeys):
    """The keys in ``personal.keys``. A key is created with the first value it seals; erasing
    deletes it and the value, keeping the person's id and when they were erased.

    A process remembers the keys it used for ``CACHE_SECONDS`` (loading a vote reads every
    ballot): an erasure reaches the other running processes within that time. A process that
    seals a value of an erased person before then seals it under the erased key: unreadable too."""

    CACHE_SECONDS = 30.0

    # Keys are looked up once a process and then remembered: a connection kept, a second at most.
    POOL = 2

    def __init__(self, database_url: str, body: str | None = None) -> None:
        from psycopg_pool import ConnectionPool

        from infra.database import POOL_WAIT_SECONDS, schema_changes

        self.body = body
        self._pool = ConnectionPool(database_url, min_size=0, max_size=self.POOL, kwargs={"autocommit": True},
                                    timeout=POOL_WAIT_SECONDS, open=True, name=f"personal keys ({body})")
        self._cache: dict[object, tuple[float, object]] = {}
        with schema_changes(database_url) as conn:
            conn.execute(KEYS_DDL)

    def _connect(self):
        return self._pool.connection()

    def close(self) -> None:
        self._pool.close()

    def _cached(self, key: object) -> object:
        """What was remembered under ``key`` (None for an erased key), or ``NOT_CACHED``."""
        found = self._cache.get(key)
        return found[1] if found and time.monotonic() - found[0] < self.CACHE_SECONDS else NOT_CACHED

    def _remember(self, key: object, value: object) -> None:
        self._cache[key] = (time.monotonic(), value)

    def key_for(self, compound_id: UUID, subject: str) -> tuple[UUID, bytes]:
        found = self._cached((compound_id, subject))
        if found is not NOT_CACHED:
            return found  # type: ignore[return-value]
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO personal.keys (person_id, compound_id, subject, key, body)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (compound_id, subject) DO NOTHING",
                (uuid4(), compound_id, subject, os.urandom(KEY_BYTES), self.body))
            person_id, key = conn.execute(
                "SELECT person_id, key FROM personal.keys WHERE compound_id = %s AND subject = %s",
                (compound_id, subject)).fetchone()
        self._remember((compound_id, subject), (person_id, bytes(key)))
        return person_id, bytes(key)

    def person(self, compound_id: UUID, subject: str) -> UUID | None:
        with self._connect() as conn:
            row = conn.execute("SELECT person_id FROM personal.keys WHERE compound_id = %s AND subject = %s",
                               (compound_id, subject)).fetchone()
        return row[0] if row else None

    def keys(self, person_ids: Iterable[UUID]) -> dict[UUID, bytes | None]:
        wanted = set(person_ids)
        found: dict[UUID, bytes | None] = {}
        for person_id in wanted:
            if (key := self._cached(person_id)) is not NOT_CACHED:
                found[person_id] = key  # type: ignore[assignment]
        missing = wanted - found.keys()
        if missing:
            with self._connect() as conn:
                rows = dict(conn.execute("SELECT person_id, key FROM personal.keys WHERE person_id = ANY(%s)",
                                         (list(missing),)).fetchall())
            for person_id in missing:
                key = rows.get(person_id)
                found[person_id] = bytes(key) if key is not None else None
                self._remember(person_id, found[person_id])
        return found

    def whose(self, person_id: UUID) -> tuple[UUID, str | None] | None:
        with self._connect() as conn:
            row = conn.execute("SELECT compound_id, body FROM personal.keys WHERE person_id = %s"
                               " AND key IS NOT NULL", (person_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def erase(self, person_id: UUID) -> Erasure | None:
        with self._connect() as conn:
            row = conn.execute(
                "UPDATE personal.keys SET subject = NULL, key = NULL, erased_at = now()"
                " WHERE person_id = %s AND key IS NOT NULL RETURNING person_id, compound_id, body, erased_at",
                (person_id,)).fetchone()
        self._cache.clear()
        return Erasure(*row) if row else None


Declared = Mapping[str, Mapping[str, Kind]]


class SealingMapper(Mapper):
    """The library's mapper, sealing a resident actor and the declared personal fields before an
    event is stored, and opening them when the body's own service reads its events back."""

    def __init__(self, base: Mapper, keys: PersonalKeys, fields: Declared) -> None:
        super().__init__(transcoder=base.transcoder, compressor=base.compressor, cipher=base.cipher)
        self.keys = keys
        self.fields = fields

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        compound_id = getattr(domain_event, "compound_id", None)
        actor = getattr(domain_event, "actor", "")
        resident = split_resident(actor) if actor else None
        values: dict[str, Any] = {}
        if resident is not None and not is_sealed(resident[1]):
            values["actor"] = resident_actor(resident[0], self.keys.seal(resident[0], resident[1]))
        declared = self.fields.get(type(domain_event).__name__, {})
        if resident is None and compound_id is not None:  # a body writing for the resident of a unit
            resident = next(((compound_id, getattr(domain_event, name)) for name, kind in declared.items()
                             if kind is Kind.UNIT and isinstance(getattr(domain_event, name), str)), None)
        for name, kind in declared.items():
            value = getattr(domain_event, name)
            if kind in (Kind.NAME, Kind.UNIT) and compound_id is not None:
                values[name] = self.keys.seal(compound_id, value)
            elif kind is Kind.TEXT and resident is not None:
                values[name] = self.keys.seal_for(resident[0], resident[1], value)
        if values:
            domain_event = _with(domain_event, values)
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        names = [*self.fields.get(type(domain_event).__name__, {}), "actor"]
        values = {name: getattr(domain_event, name) for name in names if hasattr(domain_event, name)}
        if tokens_in(list(values.values())):
            domain_event = _with(domain_event, self.keys.open(values))
        return domain_event

    def sealed(self, stored_event: StoredEvent) -> Any:
        """The event as stored, personal data still sealed: what the relay publishes."""
        return super().to_domain_event(stored_event)


def _with(domain_event: Any, values: dict[str, Any]) -> Any:
    """A copy of a (frozen) event with other values in some fields."""
    copy = object.__new__(type(domain_event))
    copy.__dict__.update(vars(domain_event), **values)
    return copy
