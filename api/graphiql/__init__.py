"""GraphiQL served by Siwei itself, for networks without the internet (street offices, housing
bureaus): the page at ``GET /graphql`` and its scripts and styles at ``/graphql/static/<file>``,
from the ``graphene-django-graphiql-static`` package (GraphiQL with React, as files; nothing of
Django is imported). No request leaves for a CDN.

The page takes the query, variables and headers from its address (``?q=…&variables=…&headers=…``)
and keeps them there as they are edited, so that a query can be shared as a link (headers are
not put in the address: a token is a secret)."""

from __future__ import annotations

import mimetypes
from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

ASSETS_PACKAGE = "graphene_django_graphiql_static"
ASSETS = ("graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
PAGE = (Path(__file__).parent / "page.html").read_text()


def _asset(name: str) -> bytes:
    return files(ASSETS_PACKAGE).joinpath("static", ASSETS_PACKAGE, name).read_bytes()


def page() -> HTMLResponse:
    return HTMLResponse(PAGE)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(_asset(name), media_type=mimetypes.guess_type(name)[0],
                    headers={"Cache-Control": "public, max-age=86400"})
