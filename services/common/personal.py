"""Personal data sealed with a key per person, so that it can be erased (PIPL, 个人信息保护法 art. 47)
without touching the log.

A body declares which fields of which of its events hold a person's data (``personal_data`` on
its application). Before such an event is stored, each of those values is *sealed*: encrypted
with the key of that person in that compound, and written as a token
``pii:<person id>:<ciphertext>``. The store, the hash chain, the topics and the read models only
ever hold the token; the hash chain is over ciphertext.

A person's key encrypts exactly one value (their name in their compound), so the token is the
same every time: equal names stay equal, in the aggregates and in the read models' joins. The
service reading its own aggregates opens tokens back into names; the API opens them for the
principals entitled to the field.

Erasure deletes the key and the name it was for. The tokens stay, unreadable: the person is
still one person in every count (one owner, one ballot), known only by an id; every hash still
verifies.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent

PREFIX = "pii:"
ERASED = "[erased]"
KEY_BYTES = 32
NOT_CACHED = object()
NONCE = bytes(12)  # one key seals one value, so one nonce per key is safe

KEYS_DDL = """
CREATE SCHEMA IF NOT EXISTS personal;
CREATE TABLE IF NOT EXISTS personal.keys (
    person_id uuid PRIMARY KEY,
    compound_id uuid NOT NULL,
    subject text,          -- the value the key seals; null once erased
    key bytea,             -- null once erased
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    UNIQUE (compound_id, subject)
);
"""


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def person_of(token: str) -> UUID:
    return UUID(token[len(PREFIX):].split(":", 1)[0])


def _token(person_id: UUID, key: bytes, subject: str) -> str:
    sealed = AESGCM(key).encrypt(NONCE, subject.encode(), person_id.bytes)
    return f"{PREFIX}{person_id.hex}:{base64.urlsafe_b64encode(sealed).decode()}"


def _opened(token: str, key: bytes) -> str:
    person_id = person_of(token)
    sealed = base64.urlsafe_b64decode(token.rsplit(":", 1)[1])
    return AESGCM(key).decrypt(NONCE, sealed, person_id.bytes).decode()


@dataclass
class Erasure:
    person_id: UUID
    erased_at: datetime


class PersonalKeys:
    """The keys, in memory (unit tests); ``PostgresKeys`` keeps them in ``personal.keys``."""

    def __init__(self) -> None:
        self._by_subject: dict[tuple[UUID, str], UUID] = {}
        self._keys: dict[UUID, bytes | None] = {}

    def key_for(self, compound_id: UUID, subject: str) -> tuple[UUID, bytes]:
        person_id = self._by_subject.get((compound_id, subject))
        if person_id is None:
            person_id = self._by_subject[(compound_id, subject)] = uuid4()
            self._keys[person_id] = os.urandom(KEY_BYTES)
        return person_id, self._keys[person_id]  # type: ignore[return-value]

    def person(self, compound_id: UUID, subject: str) -> UUID | None:
        """The id of the person a value is sealed for, if there is one and it is not erased."""
        return self._by_subject.get((compound_id, subject))

    def keys(self, person_ids: Iterable[UUID]) -> dict[UUID, bytes | None]:
        return {p: self._keys.get(p) for p in person_ids}

    def erase(self, compound_id: UUID, subject: str) -> Erasure | None:
        person_id = self._by_subject.pop((compound_id, subject), None)
        if person_id is None:
            return None
        self._keys[person_id] = None
        return Erasure(person_id, datetime.now(timezone.utc))

    # -- sealing and opening ----------------------------------------------------------------------

    def seal(self, compound_id: UUID, value: Any) -> Any:
        """A name (or a list of names) as tokens; tokens stay as they are."""
        if isinstance(value, list):
            return [self.seal(compound_id, item) for item in value]
        if not isinstance(value, str) or is_sealed(value):
            return value
        person_id, key = self.key_for(compound_id, value)
        return _token(person_id, key, value)

    def open(self, value: Any) -> Any:
        """Tokens (at any depth) opened into names; a token whose key is erased stays as it is
        (what the body's own service reads: the erased person stays one person)."""
        return shown(value, self.keys({person_of(t) for t in _tokens_in(value)}), keep_erased=True)

    def shown(self, value: Any) -> Any:
        """A value for a reader entitled to it, erased names as ``[erased]``."""
        return shown(value, self.keys({person_of(t) for t in _tokens_in(value)}))


def shown(value: Any, keys: Mapping[UUID, bytes | None], *, keep_erased: bool = False) -> Any:
    """Tokens (at any depth) opened with ``keys``; a token whose key is erased shown as
    ``[erased]``, or kept as it is."""
    return _replaced(value, lambda token: _opened(token, key) if (key := keys.get(person_of(token)))
                     else token if keep_erased else ERASED)


def tokens_in(value: Any) -> list[str]:
    return list(_tokens_in(value))


def _tokens_in(value: Any) -> Iterable[str]:
    if is_sealed(value):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _tokens_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tokens_in(item)


def _replaced(value: Any, replace: Any) -> Any:
    if is_sealed(value):
        return replace(value)
    if isinstance(value, list):
        return [_replaced(item, replace) for item in value]
    if isinstance(value, dict):
        return {name: _replaced(item, replace) for name, item in value.items()}
    return value


class PostgresKeys(PersonalKeys):
    """The keys in ``personal.keys``. A key is created with the first value it seals; erasing
    deletes it and the value, keeping the person's id and when they were erased.

    A process remembers the keys it used for ``CACHE_SECONDS`` (loading a vote reads every
    ballot): an erasure reaches the other running processes within that time. A process that
    seals a value of an erased person before then seals it under the erased key: unreadable too."""

    CACHE_SECONDS = 30.0

    def __init__(self, database_url: str) -> None:
        from infra.database import connect, schema_changes

        self._connect = lambda: connect(database_url, autocommit=True)
        self._cache: dict[object, tuple[float, object]] = {}
        with schema_changes(database_url) as conn:
            conn.execute(KEYS_DDL)

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
                "INSERT INTO personal.keys (person_id, compound_id, subject, key) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (compound_id, subject) DO NOTHING",
                (uuid4(), compound_id, subject, os.urandom(KEY_BYTES)))
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

    def erase(self, compound_id: UUID, subject: str) -> Erasure | None:
        with self._connect() as conn:
            row = conn.execute(
                "UPDATE personal.keys SET subject = NULL, key = NULL, erased_at = now()"
                " WHERE compound_id = %s AND subject = %s RETURNING person_id, erased_at",
                (compound_id, subject)).fetchone()
        self._cache.clear()
        return Erasure(*row) if row else None


class SealingMapper(Mapper):
    """The library's mapper, sealing the declared personal fields before an event is stored and
    opening them when the body's own service reads its events back."""

    def __init__(self, base: Mapper, keys: PersonalKeys, fields: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__(transcoder=base.transcoder, compressor=base.compressor, cipher=base.cipher)
        self.keys = keys
        self.fields = fields

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        names = self.fields.get(type(domain_event).__name__, ())
        if names:
            domain_event = _with(domain_event, {
                name: self.keys.seal(domain_event.compound_id, getattr(domain_event, name)) for name in names})
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        names = self.fields.get(type(domain_event).__name__, ())
        if names:
            domain_event = _with(domain_event, {name: self.keys.open(getattr(domain_event, name))
                                                for name in names})
        return domain_event

    def sealed(self, stored_event: StoredEvent) -> Any:
        """The event as stored, personal data still sealed: what the relay publishes."""
        return super().to_domain_event(stored_event)


def _with(domain_event: Any, values: dict[str, Any]) -> Any:
    """A copy of a (frozen) event with other values in some fields."""
    copy = object.__new__(type(domain_event))
    copy.__dict__.update(vars(domain_event), **values)
    return copy
