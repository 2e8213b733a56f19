"""The auditor's questions over GraphQL: a subject's history across the four bodies, state as of a
past time (the ``asOf`` argument of ``compound``, ``case``, ``project`` and ``assemblyVote``), and
who was shown whose personal data (``audit.access_log``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Annotated, Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON

from api.context import READING_AT, Info, reach_array
from api.pagination import Connection, equal, page
from api.rights import EVERYWHERE
from audit import asof
from audit.ledger import ORDER, SUBJECT, decoded, jsonable, ledger, subject_params
from projections.projector import LIVE_SCHEMA


AsOf = Annotated[datetime | None, strawberry.argument(
    description="Answer as the ledger stood at this time (with its time zone): rebuilt from the "
    "compound's events up to then. A request that asks asOf asks only this root field.")]


def invalid(message: str, field: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "INVALID_INPUT", "field": field})


@strawberry.type(description="One event of the ledger, as its body recorded it.")
class LedgerEvent:
    body: str = strawberry.field(description="The body whose log holds it")
    position: int = strawberry.field(description="Its place in that body's log")
    sequence: int = strawberry.field(description="Its link in that body's hash chain")
    type: str = strawberry.field(description="<body>.<Event>")
    event_id: UUID
    aggregate_id: UUID
    version: int
    compound_id: UUID | None
    occurred_at: datetime
    actor: str
    correlation_id: UUID
    causation_id: UUID
    data: JSON = strawberry.field(description="The event's own fields; personal data opened for "
                                  "auditors, [erased] where it was erased, *** for others")


@strawberry.type(description="One showing of a person's personal data, unmasked, to a principal.")
class PersonalDataShown:
    seq: int = strawberry.field(description="Its place in the access log's hash chain")
    at: datetime
    principal: str = strawberry.field(description="Who was shown it (a resident by their person id)")
    person_id: UUID = strawberry.field(description="Whose data it was")
    field: str = strawberry.field(description="Where it was shown: <Type>.<field>")
    compound_id: UUID | None
    request_id: UUID

    @staticmethod
    def from_row(row: dict) -> PersonalDataShown:
        return PersonalDataShown(seq=row["seq"], at=row["at"], principal=row["principal"],
                                 person_id=row["person_id"], field=row["field"], compound_id=row["compound_id"],
                                 request_id=row["request_id"])


class AsOfModels:
    """The read models as of a past time: the pool's connections, pointed at a replayed schema."""

    def __init__(self, pool: AsyncConnectionPool, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self.pool.connection() as conn:
            await conn.execute(sql.SQL("SET search_path TO {}").format(asof.search_path(self.schema)))
            try:
                yield conn
            finally:
                await conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(LIVE_SCHEMA)))


async def travel(info: Info, compound_id: UUID, at: datetime) -> None:
    """Points the rest of this request at the compound's read models as they were at ``at``."""
    if len(info.operation.selection_set.selections) != 1:
        raise invalid("a request that asks asOf may ask only that one root field", "asOf")
    if at.tzinfo is None:
        raise invalid("asOf needs a time zone, e.g. 2026-10-22T00:00:00+08:00", "asOf")
    if at > datetime.now(timezone.utc):
        raise invalid("asOf is in the future", "asOf")
    context = info.context
    schema = await asyncio.to_thread(context.replays.build, compound_id, at)
    context.read_models = AsOfModels(context.read_models, schema)
    READING_AT.set(at)  # for this root field's subtree


class GiveBackAsOf(SchemaExtension):
    """Gives the replayed schema back (``asof.Replays``) once the request that asked for it is
    answered: emptied while the answer goes out, not before."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        models = getattr(context, "read_models", None)
        if isinstance(models, AsOfModels):
            context.read_models = models.pool
            asyncio.get_running_loop().run_in_executor(None, context.replays.give_back, models.schema)


@strawberry.type
class AuditQueries:
    @strawberry.field(description="The history of a subject (a compound, case, project, vote, contract, "
                      "body…) across the four bodies, in the order it occurred: its own events and every "
                      "event naming it, of that compound or of none.")
    async def history(self, info: Info, compound_id: UUID, subject: UUID | None = None,
                      until: datetime | None = None, first: int | None = None,
                      after: str | None = None) -> Connection[LedgerEvent] | None:
        params = subject_params(subject or compound_id, compound_id, until)
        source = sql.SQL("({}) AS ledger").format(ledger(SUBJECT))
        return await page(info, table=source, where=[], params=params, key=ORDER, first=first,
                          after=after, node=lambda row: _ledger_event(decoded(row)))


def _ledger_event(entry: Any) -> LedgerEvent:
    e = entry.event
    return LedgerEvent(body=e.body.value, position=entry.position, sequence=entry.sequence, type=e.type,
                       event_id=e.event_id, aggregate_id=e.aggregate_id, version=e.aggregate_version,
                       compound_id=e.compound_id, occurred_at=e.occurred_at, actor=e.actor,
                       correlation_id=e.correlation_id, causation_id=e.causation_id, data=jsonable(e.data))


@strawberry.type
class AccessQueries:
    @strawberry.field(description="The access log: each time an answer showed a principal a person's "
                      "personal data unmasked, oldest first; for an auditor, what their jurisdiction holds.")
    async def personal_data_access(
        self, info: Info, person_id: UUID | None = None, principal: str | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None, to: datetime | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[PersonalDataShown] | None:
        where, params = equal(person_id=person_id, principal=principal)
        for moment, name, operator in ((from_, "from", ">="), (to, "to", "<")):
            if moment is not None:
                if moment.tzinfo is None:
                    raise invalid(f"{name} needs a time zone, e.g. 2026-10-22T00:00:00+08:00", name)
                where.append(sql.SQL(f"at {operator} %s"))
                params.append(moment)
        if info.context.reach is not EVERYWHERE:
            where.append(sql.SQL("compound_id = ANY(%s::uuid[])"))
            params.append(reach_array(info.context.reach))
        return await page(info, table=sql.SQL("personal.access_log"), where=where, params=params,
                          key=("seq",), first=first, after=after, node=PersonalDataShown.from_row)
