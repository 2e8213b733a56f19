"""What every resolver gets: who asks and what they reach, the services, the read models."""

from __future__ import annotations

import asyncio
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
from audit.access_log import AccessLog, Showing
from api.principals import Principal
from api.rights import EVERYWHERE, Reach
from services.common.personal import person_of, shown, tokens_in
from services.bootstrap import Services
from services.common.application import Receipt
from services.common.context import acting, utc_now


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
    access_log: AccessLog | None = None
    denials: list[Denial] = field(default_factory=list)
    showings: list[Showing] = field(default_factory=list)  # personal values shown, for the access log
    request_id: UUID = field(default_factory=uuid4)
    person_keys: DataLoader[UUID, bytes | None] = field(init=False)

    def __post_init__(self) -> None:
        self.person_keys = DataLoader(load_fn=self._load_keys)

    async def _load_keys(self, person_ids: list[UUID]) -> list[bytes | None]:
        async with self.read_models.connection() as conn:
            found = dict(await (await conn.execute(
                "SELECT person_id, key FROM personal.keys WHERE person_id = ANY(%s)", (person_ids,)
            )).fetchall())
        return [bytes(found[p]) if found.get(p) is not None else None for p in person_ids]

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
            where.append(sql.SQL("compound_id = ANY(%(reach)s)"))
            params["reach"] = list(self.reach)
        return where, params

    async def command(self, method: Callable[..., Receipt], **kwargs: Any) -> Receipt:
        """Runs a service command as this principal, off the event loop (the library is sync)."""

        def run() -> Receipt:
            with acting(self.principal.actor):
                return method(**kwargs)

        return await asyncio.to_thread(run)


Info = strawberry.Info[Context, None]
