"""What every resolver gets: who asks, the services to command, the read-model pool."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from psycopg_pool import AsyncConnectionPool

from api.principals import Principal
from services.bootstrap import Services
from services.common.application import Receipt
from services.common.context import acting


@dataclass
class Context:
    principal: Principal | None
    services: Services
    read_models: AsyncConnectionPool

    async def command(self, method: Callable[..., Receipt], **kwargs: Any) -> Receipt:
        """Runs a service command as this principal, off the event loop (the library is sync)."""

        def run() -> Receipt:
            with acting(self.principal.actor):
                return method(**kwargs)

        return await asyncio.to_thread(run)


Info = strawberry.Info[Context, None]
