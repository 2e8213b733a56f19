"""What the API remembers between requests: each token's principal, the compounds each principal
reaches, and answers read from the compounds and the bodies each has (an area's coverage). Looking
the first two up took two of a simple query's four round trips to PostgreSQL; a street's coverage
probes three tables for each of its compounds.

Nothing remembered can outlive what it was read from. A revocation (``api.tokens.revoke``) and
any change to the compounds, the bodies each has or the branches (the read models' triggers) are
announced with NOTIFY, and the API forgets everything when it hears either (a moment after the
change commits); a token's expiry is kept with its principal, and an answer that depends on the
day has the day in its key. The API remembers only while it is listening: when its listening
connection fails, it forgets and asks PostgreSQL every time until it listens again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timezone
from typing import TypeVar

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from api import tokens
from api.principals import Principal
from api.rights import EVERYWHERE, Reach
from infra.database import database_away
from projections.compounds.view import CHANGED_CHANNEL

log = logging.getLogger(__name__)

CHANNELS = (tokens.REVOKED_CHANNEL, CHANGED_CHANNEL)
MAX_REMEMBERED = 10_000  # of each kind (tokens, reaches, answers); past it, everything is forgotten and read again
RETRY_SECONDS = 1.0

T = TypeVar("T")


class Memory:
    def __init__(self, database_url: str, read_models: AsyncConnectionPool) -> None:
        self.database_url = database_url
        self.read_models = read_models
        self.listening = False
        self._principals: dict[str, tuple[Principal, datetime]] = {}
        self._reaches: dict[str, Reach] = {}
        self._answers: dict[Hashable, object] = {}
        self._forgotten = 0  # how many times everything was forgotten

    def forget(self) -> None:
        self._principals.clear()
        self._reaches.clear()
        self._answers.clear()
        self._forgotten += 1

    async def principal(self, secret: str) -> Principal | None:
        """The principal of a valid token; None for a token unknown, expired or revoked."""
        key = tokens.token_hash(secret)
        known = self._principals.get(key)
        if known is not None and known[1] > datetime.now(tz=timezone.utc):
            return known[0]
        found = await self._read(self._principals, key, lambda conn: tokens.principal_of(conn, secret))
        return found[0] if found else None

    async def reach(self, principal: Principal) -> Reach:
        """The compounds a principal acts in or supervises."""
        if principal.kind == "admin":
            return EVERYWHERE
        if principal.kind not in ("auditor", "integration", "office"):
            return frozenset(principal.compound_ids)
        known = self._reaches.get(principal.spec)
        if known is not None:
            return known
        column = sql.Identifier("street" if principal.level == "street" else "community")

        async def compounds_of_area(conn: psycopg.AsyncConnection) -> Reach:
            rows = await (await conn.execute(
                sql.SQL("SELECT compound_id FROM compounds WHERE {} = %s").format(column), (principal.area,)
            )).fetchall()
            return frozenset(row[0] for row in rows)

        return await self._read(self._reaches, principal.spec, compounds_of_area)

    async def answer(self, key: Hashable, read: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
        """What ``read`` answers from the compounds and their bodies, remembered under ``key``
        (which holds all else the answer depends on: the reach, the arguments, the day)."""
        known = self._answers.get(key)
        if known is not None:
            return known  # type: ignore[return-value]
        return await self._read(self._answers, key, read)  # type: ignore[arg-type]

    async def _read(self, remembered: dict[Hashable, T], key: Hashable,
                       read: Callable[[psycopg.AsyncConnection], Awaitable[T | None]]) -> T | None:
        """Reads from PostgreSQL, and remembers the answer unless something was announced while
        reading it (the answer may predate the announcement)."""
        forgotten = self._forgotten
        async with self.read_models.connection() as conn:
            found = await read(conn)
        if found is not None and self.listening and forgotten == self._forgotten:
            if len(remembered) >= MAX_REMEMBERED:
                self.forget()
            else:
                remembered[key] = found
        return found

    async def listen(self) -> None:
        """Forgets on every announcement; runs until cancelled."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.database_url, autocommit=True) as conn:
                    for channel in CHANNELS:
                        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.forget()  # what was read before listening may have missed an announcement
                    self.listening = True
                    async for _ in conn.notifies():
                        self.forget()
            except Exception as error:
                if not database_away(error):
                    raise
                log.warning("not listening for revocations and compound changes (%s); retrying", error)
            finally:
                self.listening = False
                self.forget()
            await asyncio.sleep(RETRY_SECONDS)
