"""Who the caller is."""

from __future__ import annotations

import strawberry

from api.context import Info


@strawberry.type(description="The principal making the request.")
class Viewer:
    principal: str
    kind: str


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The principal this request's token names.")
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        return Viewer(principal=principal.spec, kind=principal.kind)
