"""The ASGI application: GraphQL (with GraphiQL) at ``/graphql``, every operation authenticated."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from api import tokens
from api.context import Context
from api.schema import schema
from infra.settings import Settings
from projections.projector import LIVE_SCHEMA, Projector
from services.bootstrap import bootstrap


class SiweiGraphQL(GraphQL):
    async def get_context(self, request: Request, response: Response) -> Context:
        return Context(
            # Absent only for the GraphiQL page, which runs no resolver.
            principal=request.scope.get("siwei.principal"),
            services=request.app.state.services,
            read_models=request.app.state.read_models,
        )


def _unauthenticated(message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return Response(json.dumps(body), status_code=401, media_type="application/json",
                    headers={"WWW-Authenticate": 'Bearer realm="siwei"'})


class Authentication:
    """Every GraphQL operation needs ``Authorization: Bearer <token>``; the GraphiQL page itself
    (a GET without a query) does not, so that a person can open it and set the header there."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        is_page = request.method == "GET" and "query" not in request.query_params
        if is_page:
            await self.app(scope, receive, send)
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _unauthenticated("a bearer token is required: Authorization: Bearer <token>")(
                scope, receive, send)
            return
        async with request.app.state.read_models.connection() as conn:
            principal = await tokens.principal_of(conn, token.strip())
        if principal is None:
            await _unauthenticated("the bearer token is not valid")(scope, receive, send)
            return
        scope["siwei.principal"] = principal
        await self.app(scope, receive, send)


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tokens.create_tables(settings.database_url)
        # A fresh system answers with empty lists, not missing tables.
        await asyncio.to_thread(Projector(settings).create_tables)
        app.state.services = await asyncio.to_thread(bootstrap, settings.database_url)
        app.state.read_models = AsyncConnectionPool(
            settings.database_url, min_size=1, max_size=10, open=False,
            kwargs={"autocommit": True, "options": f"-c search_path={LIVE_SCHEMA}"},
        )
        await app.state.read_models.open()
        try:
            yield
        finally:
            await app.state.read_models.close()
            app.state.services.close()

    graphql = Authentication(SiweiGraphQL(schema, graphql_ide="graphiql"))
    return Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"])], lifespan=lifespan)
