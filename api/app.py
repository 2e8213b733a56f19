"""The ASGI application: GraphQL (with GraphiQL) at ``/graphql``, every operation authenticated."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from api import graphiql, probes, read_models, tokens
from api.context import Context
from audit import access_log, asof
from api.enforcement import DENIALS_DDL
from api.limits import MAX_BODY_BYTES, RateLimiter
from api.memory import Memory
from api.outage import MESSAGE, RETRY_SECONDS
from api.pagination import use_shared_cursor_key
from api.schema import schema
from infra.database import database_away, schema_changes
from infra.settings import Settings
from projections.projector import ensure_served
from services.bootstrap import bootstrap
from services.common.personal import resident_actor

log = logging.getLogger("siwei.api")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")
YOUNG_OBJECTS = 10_000  # new objects, less those freed, before the garbage collector's youngest walk


class SiweiGraphQL(GraphQL):
    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql.page()  # served from Siwei itself, not a CDN

    async def get_context(self, request: Request, response: Response) -> Context | None:
        principal = request.scope.get("siwei.principal")
        if principal is None:  # the GraphiQL page, which runs no resolver
            return None
        if principal.kind == "resident":  # named by their pseudonym, as their events name them
            compound_id = principal.compound_ids[0]
            keys = request.app.state.services.residents.personal_keys
            sealed = await asyncio.to_thread(keys.seal, compound_id, principal.unit)
            principal = dataclasses.replace(principal, pseudonym=resident_actor(compound_id, sealed))
        return Context(
            principal=principal,
            reach=await request.app.state.memory.reach(principal),
            services=request.app.state.services,
            read_models=request.app.state.read_models,
            memory=request.app.state.memory,
            replays=request.app.state.replays,
            access_log=request.app.state.access_log,
            idempotency_key=request.headers.get("idempotency-key"),
        )


def _refusal(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(json.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


class Gate:
    """Before any GraphQL runs: the request's size, its bearer token, and the token's rate.

    The GraphiQL page itself (a GET without a query) needs no token, so that a person can open
    it and set the header there."""

    def __init__(self, app: ASGIApp, rate_limit: float) -> None:
        self.app = app
        self.limiter = RateLimiter(rate_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status, arrived = False, 500, time.perf_counter()

        async def sending(message: dict) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
            await send(message)

        try:
            await self._admit(scope, receive, sending)
        except Exception as error:  # the database away before the answer began (the token, the context)
            if started or not database_away(error):
                raise
            log.warning("a request could not reach the database: %s", error)
            await _refusal(503, "UNAVAILABLE", MESSAGE, {"Retry-After": str(RETRY_SECONDS)})(scope, receive, sending)
        finally:
            probes.observe(status, arrived)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        if request.method == "GET" and "query" not in request.query_params:
            await self.app(scope, receive, send)
            return
        refusal = await self._check(request)
        if refusal is None:
            body = await _body_within_limit(receive)
            if body is None:
                refusal = _too_large()
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)

    async def _check(self, request: Request) -> Response | None:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return _too_large()
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _refusal(401, "UNAUTHENTICATED",
                            "a bearer token is required: Authorization: Bearer <token>",
                            {"WWW-Authenticate": 'Bearer realm="siwei"'})
        principal = await request.app.state.memory.principal(token)
        if principal is None:
            return _refusal(401, "UNAUTHENTICATED", "the bearer token is not valid, or has expired or been revoked",
                            {"WWW-Authenticate": 'Bearer realm="siwei", error="invalid_token"'})
        key = request.headers.get("idempotency-key")
        if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
            return _refusal(400, "INVALID_INPUT", "Idempotency-Key must be 1 to 100 visible ASCII characters")
        wait = self.limiter.admit(tokens.token_hash(token))
        if wait:
            return _refusal(429, "RATE_LIMITED", f"too many requests for this token; retry in {wait:.1f}s",
                            {"Retry-After": str(max(1, round(wait)))})
        request.scope["siwei.principal"] = principal
        return None


def _too_large() -> Response:
    return _refusal(413, "TOO_LARGE", f"a request may carry at most {MAX_BODY_BYTES} bytes")


async def _body_within_limit(receive: Receive) -> bytes | None:
    """The whole body, whatever its transfer encoding (a length, or chunks), if it is within
    the limit; None as soon as it is not."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """Gives the application the body already read, then whatever the client sends next (its
    disconnect)."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tokens.create_tables(settings.database_url)
        with schema_changes(settings.database_url) as conn:
            conn.execute(DENIALS_DDL)
            conn.execute(access_log.DDL)
            use_shared_cursor_key(conn)
        # A fresh system answers with empty lists, not missing tables.
        await asyncio.to_thread(ensure_served, settings)
        app.state.services = await asyncio.to_thread(bootstrap, settings.database_url, pool=settings.db_pool)
        app.state.read_models = read_models.pool(settings.database_url, 2 * settings.db_pool)
        await app.state.read_models.open()
        app.state.memory = Memory(settings.database_url, app.state.read_models)
        app.state.replays = asof.Replays(settings.database_url)
        await asyncio.to_thread(asof.sweep, settings.database_url)  # what a process that died left
        listening = asyncio.create_task(app.state.memory.listen())
        app.state.access_log = access_log.AccessLog(settings.database_url)
        logging_access = asyncio.create_task(app.state.access_log.run())
        # What startup made (the schema, the services) lives as long as the process: kept out
        # of the collector's scans, which would otherwise walk them again while requests wait.
        gc.collect()
        gc.freeze()
        # An answer leaves no reference cycle (api.schema.Execution), so all the collector would
        # find is the requests in flight, alive: at its default threshold (700 objects) it walked
        # them hundreds of times a second, and moved them into its oldest generation, whose walks
        # were pauses of up to 28 ms with every answer in flight waiting.
        gc.set_threshold(YOUNG_OBJECTS)
        try:
            yield
        finally:
            listening.cancel()
            logging_access.cancel()
            await asyncio.gather(logging_access, return_exceptions=True)  # what is left is written
            await app.state.read_models.close()
            app.state.services.close()
            await asyncio.to_thread(app.state.replays.close)

    graphql = Gate(SiweiGraphQL(schema, graphql_ide="graphiql"), settings.rate_limit)
    app = Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"]),
                            Route("/graphql/static/{name}", graphiql.asset, methods=["GET"]),
                            Route("/healthz", probes.healthz, methods=["GET"]),
                            Route("/readyz", probes.readyz, methods=["GET"]),
                            Route("/metrics", probes.metrics, methods=["GET"])],
                    lifespan=lifespan)
    app.state.settings = settings
    return app


def from_environment() -> Starlette:
    """The application of each ``siwei api`` worker, on the servers ``siwei api`` put in its
    environment."""
    return create_app(Settings.from_env())
