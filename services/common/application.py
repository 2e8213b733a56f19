"""The base of each body's application: its own event store in its own PostgreSQL schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, PersistenceError, Transcoding
from eventsourcing.utils import resolve_topic
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from audit.chain import COMMANDS_TABLE, AlreadyRecorded, recorded_already
from infra.database import ensure_schema, eventsourcing_env, schema_changes
from infra.settings import DEFAULT_DB_POOL
from services.common.aggregate import GovernanceAggregate
from services.common.bodies import Body
from services.common.errors import NotFound, RuleViolated
from services.common.erasure import Erasures
from services.common.personal import Kind, PersonalKeys, PostgresKeys, SealingMapper
from services.common.witness import ChainWitness, Head

A = TypeVar("A", bound=GovernanceAggregate)
REMEMBERED_AGGREGATES = 100_000  # ids known to exist, per service (forgotten all at once when full)


@dataclass(frozen=True)
class Receipt:
    """What a command returns: the aggregate it changed and the version it left it at."""

    body: Body
    aggregate_id: UUID
    version: int


class DateAsISO(Transcoding):
    """Dates on paper (a meeting's, a notice's) as stored: ``2026-11-22``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class BodyApplication(Application):
    """One body's service. Without a database URL it keeps its events in memory (unit tests).

    On PostgreSQL every insert also extends the body's hash chain, in the same transaction
    (``audit.chain``; the recorder is named in ``infra.database.eventsourcing_env``)."""

    body: ClassVar[Body]
    aggregates: ClassVar[tuple[type[GovernanceAggregate], ...]]
    # Event name -> its fields holding a person's data and their kind, sealed per person
    # (services.common.personal): the one declaration behind sealing, masking and erasure.
    personal_data: ClassVar[dict[str, dict[str, Kind]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # The library names the events table after the application: <body>.<body>_events.
        cls.name = cls.body.value
        # Every body witnesses the others' hash chains in its own log, and records its erasures.
        cls.aggregates = (*cls.aggregates, ChainWitness, Erasures)

    def __init__(self, database_url: str | None = None, *, pool: int = DEFAULT_DB_POOL) -> None:
        """The body's service on ``database_url`` (in memory without one), its store using up
        to ``pool`` connections at once (``infra.settings``)."""
        self._existing: set[tuple[type[GovernanceAggregate], UUID]] = set()
        self.personal_keys = (PostgresKeys(database_url, self.body.value) if database_url
                              else PersonalKeys(self.body.value))
        if database_url is None:
            super().__init__({"PERSISTENCE_MODULE": "eventsourcing.popo"})
            return
        with schema_changes(database_url) as conn:  # the library creates its tables here
            ensure_schema(conn, self.body.schema)
            super().__init__(eventsourcing_env(database_url, self.body.schema, pool))

    def close(self) -> None:
        super().close()
        self.personal_keys.close()

    def construct_mapper(self) -> SealingMapper:
        return SealingMapper(super().construct_mapper(), self.personal_keys, self.personal_data)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def find(self, aggregate_class: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate, read once from the store; None if there is none of that class."""
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, aggregate_class) else None

    def load(self, aggregate_class: type[A], aggregate_id: UUID, what: str) -> A:
        aggregate = self.find(aggregate_class, aggregate_id)
        if aggregate is None:
            raise NotFound(f"no {what} with id {aggregate_id}")
        return aggregate

    def exists(self, aggregate_class: type[GovernanceAggregate], aggregate_id: UUID) -> bool:
        """Whether an aggregate of that class was created with that id: the class its first event
        names, read without replaying the aggregate. A log only grows, so what exists is
        remembered (the rule every other body asks of a compound, before most commands)."""
        if (aggregate_class, aggregate_id) in self._existing:
            return True
        first = self.recorder.select_events(aggregate_id, limit=1)
        created = json.loads(first[0].state).get("originator_topic") if first else None
        if created is None or not issubclass(resolve_topic(created), aggregate_class):
            return False
        if len(self._existing) >= REMEMBERED_AGGREGATES:
            self._existing.clear()
        self._existing.add((aggregate_class, aggregate_id))
        return True

    def per_compound(self, kind: type[A], compound_id: UUID, **init: object) -> A:
        """A compound's one aggregate of that kind (its id derived from the compound), opened on
        first use: the new aggregate is stored with the command's other events."""
        found = self.find(kind, kind.create_id(compound_id=compound_id, **init))  # type: ignore[attr-defined]
        return found if found is not None else kind(compound_id=compound_id, **init)

    def witness(self, heads: Mapping[str, Head]) -> Receipt | None:
        """Records the other bodies' chain heads as this body saw them on their topics, if they
        moved since it last did; None if they did not."""
        witness = self.find(ChainWitness, ChainWitness.create_id(self.body.value))
        if witness is None:
            witness = ChainWitness(witness=self.body.value)
            witness.witness_heads(heads)
        elif not witness.witness_heads(heads):
            return None
        return self.record(witness, conflict="another witness recorded meanwhile")

    def erase_person(self, compound_id: UUID, person_id: UUID, reason: str) -> Receipt:
        """Erases a person's personal data (PIPL art. 47): the erasure is recorded, with the actor
        and the reason, then the person's key is deleted, so that every value sealed with it is
        unreadable wherever the ledger holds it. Every count and every hash stays as it was."""
        erasures = self.per_compound(Erasures, compound_id)
        erasures.erase(person_id, reason)
        receipt = self.record(erasures, conflict="another erasure was recorded meanwhile; try again")
        self.personal_keys.erase(person_id)
        return receipt

    def recorded_once(self, once: tuple[str, str]) -> dict | None:
        """What a command sent with ``once`` (a principal and its idempotency key) recorded, and
        the answer it gave: ``aggregate_id``, ``version``, ``answer`` (None until it is kept)."""
        with self.recorder.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT aggregate_id, version, answer FROM {} WHERE principal = %s AND key = %s")
                         .format(Identifier(self.body.schema, COMMANDS_TABLE)), once)
            return curs.fetchone()

    def keep_answer(self, once: tuple[str, str], answer: dict) -> None:
        """Keeps the answer of the command recorded for ``once``, to give it again."""
        with self.recorder.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("UPDATE {} SET answer = %s WHERE principal = %s AND key = %s AND answer IS NULL")
                         .format(Identifier(self.body.schema, COMMANDS_TABLE)), (Jsonb(answer), *once))

    def record(self, aggregate: GovernanceAggregate, *others: GovernanceAggregate, conflict: str) -> Receipt:
        """Saves the new events of the aggregate (and of ``others``, in the same transaction);
        ``conflict`` explains a clash with what is stored."""
        try:
            self.save(aggregate, *others)
        except IntegrityError:
            raise RuleViolated(conflict) from None
        except PersistenceError as error:  # a retry's insert, rolled back whole
            if recorded_already(error):
                raise AlreadyRecorded(str(error)) from error
            raise
        return Receipt(self.body, aggregate.id, aggregate.version)
