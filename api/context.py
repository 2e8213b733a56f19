"""What every resolver gets: who asks and what they reach, the services, the read models."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import strawberry
from strawberry.dataloader import DataLoader
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from api.enforcement import Denial
from api.memory import Memory
from api import probes
from api.outage import MESSAGE
from audit.access_log import AccessLog, Showing
from audit.asof import Replays
from audit.chain import AlreadyRecorded
from api.principals import Principal
from api.rights import EVERYWHERE, Reach
from infra.database import array_literal, database_away
from services.common.personal import person_of, shown, tokens_in
from services.bootstrap import Services
from services.common.application import Receipt
from services.common.bodies import Body
from services.common.context import acting, utc_now
from services.common.errors import Unavailable

log = logging.getLogger("siwei.api")

# The time the request reads at: now, or the asOf time a root field asked for (set for its subtree).
READING_AT: ContextVar[datetime | None] = ContextVar("reading_at", default=None)


def reading_now() -> datetime:
    """Now, for what the answer computes against the present (overdue, expired): the asOf time
    when the request asks as of a past time."""
    return READING_AT.get() or utc_now()


@dataclass
class Context:
    principal: Principal
    reach: Reach
    services: Services
    read_models: AsyncConnectionPool
    memory: Memory  # what the API remembers between requests
    replays: Replays
    access_log: AccessLog | None = None
    denials: list[Denial] = field(default_factory=list)
    showings: list[Showing] = field(default_factory=list)  # personal values shown, for the access log
    request_id: UUID = field(default_factory=uuid4)
    idempotency_key: str | None = None  # the request's Idempotency-Key header
    person_keys: DataLoader[UUID, bytes | None] = field(init=False)

    def __post_init__(self) -> None:
        # Not a method of the context: that would be a reference cycle a request (api.schema.Execution).
        self.person_keys = DataLoader(load_fn=functools.partial(_load_keys, self.read_models))

    async def shown(self, value: Any, field: str, compound_id: UUID | None) -> Any:
        """A value with its sealed personal data opened (``[erased]`` where erased), for a
        principal entitled to it; each person shown is noted for the access log."""
        tokens = tokens_in(value)
        if not tokens:
            return value
        ids = list({person_of(t) for t in tokens})
        keys = dict(zip(ids, await self.person_keys.load_many(ids), strict=True))
        at = utc_now()
        self.showings.extend(Showing(self.principal.logged, person, field, compound_id, self.request_id, at)
                             for person in ids if keys[person] is not None)
        return shown(value, keys)

    async def rows(self, query: str | sql.Composable, params: Sequence[Any] | dict = ()) -> list[dict]:
        """The rows a read-model query answers, as dicts."""
        async with self.read_models.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return await (await cur.execute(query, params)).fetchall()

    async def row(self, query: str | sql.Composable, params: Sequence[Any] | dict = ()) -> dict | None:
        found = await self.rows(query, params)
        return found[0] if found else None

    def within(self, *, district: str | None, street: str | None,
               community: str | None) -> tuple[list[sql.Composable], dict[str, Any]]:
        """Conditions on ``compound_shapes`` rows, with named parameters: in the area asked for,
        and in the principal's reach."""
        params: dict[str, Any] = {f"area_{column}": value for column, value in
                                  (("district", district), ("street", street), ("community", community))
                                  if value is not None}
        where: list[sql.Composable] = [
            sql.SQL("{} = {}").format(sql.Identifier(name.removeprefix("area_")), sql.Placeholder(name))
            for name in params]
        if self.reach is not EVERYWHERE:
            where.append(sql.SQL("compound_id = ANY(%(reach)s::uuid[])"))
            params["reach"] = reach_array(self.reach)
        return where, params

    async def command(self, field_name: str, method: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Runs a service command as this principal, off the event loop (the library is sync).
        With an idempotency key, the command of the request's field ``field_name`` is recorded
        once: sent again (by a retry, to any worker, after a restart) it answers what it answered
        the first time and records nothing."""
        application = method.__self__
        once = None if self.idempotency_key is None else (
            hashlib.sha256(self.principal.spec.encode()).hexdigest(), f"{self.idempotency_key}:{field_name}")

        def run() -> Any:
            if once is not None and (done := application.recorded_once(once)) is not None:
                return answered(application.body, done)
            try:
                with acting(self.principal.actor, once=once):
                    result = method(**kwargs)
            except AlreadyRecorded:  # the same command, sent at once to another worker, committed first
                return answered(application.body, application.recorded_once(once))
            if once is not None:
                application.keep_answer(once, answer_of(result))
            return result

        try:
            result = await asyncio.to_thread(run)
        except Exception as error:
            if database_away(error):
                log.warning("a command could not reach the database: %s", error)
                probes.COMMANDS.labels(field_name, "Unavailable").inc()
                raise Unavailable(MESSAGE) from error
            probes.COMMANDS.labels(field_name, type(error).__name__).inc()
            raise
        probes.COMMANDS.labels(field_name, "Recorded").inc()
        return result


Info = strawberry.Info[Context, None]


async def _load_keys(read_models: AsyncConnectionPool, person_ids: list[UUID]) -> list[bytes | None]:
    async with read_models.connection() as conn:
        found = dict(await (await conn.execute(
            "SELECT person_id, key FROM personal.keys WHERE person_id = ANY(%s)", (person_ids,)
        )).fetchall())
    return [bytes(found[p]) if found.get(p) is not None else None for p in person_ids]


_ARRAYS: dict[int, tuple[Reach, str]] = {}  # id(reach) -> (reach, its array), for the reaches the API remembers
MAX_ARRAYS = 1_024


def reach_array(reach: frozenset[UUID]) -> str:
    """A reach as PostgreSQL's text for a ``uuid[]``: a street's hundred compounds are written
    once, not dumped one by one in every request that filters by them. Kept by the reach itself
    (``api.memory`` answers the same one until it forgets), not by its value: an equal reach read
    again would be compared with the one kept, id by id, at every request."""
    kept = _ARRAYS.get(id(reach))
    if kept is None or kept[0] is not reach:
        if len(_ARRAYS) >= MAX_ARRAYS:
            _ARRAYS.clear()
        kept = _ARRAYS[id(reach)] = (reach, array_literal(reach))
    return kept[1]


def answer_of(result: Receipt | tuple[Receipt, Any]) -> dict:
    """A command's answer as kept for a repeat: its receipt, and what it created (an id, a ballot's
    receipt) if it answers a pair."""
    receipt, extra = result if isinstance(result, tuple) else (result, None)
    return {"aggregate_id": str(receipt.aggregate_id), "version": receipt.version, "pair": isinstance(result, tuple),
            "extra": None if extra is None else [type(extra).__name__, str(extra)]}


def answered(body: Body, done: dict) -> Receipt | tuple[Receipt, Any]:
    """The answer kept for a command recorded before (only its receipt, if it was lost between
    the commit and keeping it)."""
    receipt = Receipt(body, done["aggregate_id"], done["version"])
    answer = done["answer"]
    if answer is None or not answer["pair"]:
        return receipt
    kind, value = answer["extra"]
    return receipt, UUID(value) if kind == "UUID" else value
