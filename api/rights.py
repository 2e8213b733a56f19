"""Who may use which field: one declared table.

Each entry names the principals allowed, as predicates over the principal and the compound the
request concerns (``None`` where it concerns no single compound).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from api.errors import NotAllowed
from api.principals import Principal
from services.common.bodies import Body

Rule = Callable[[Principal, UUID | None], bool]


def anyone(principal: Principal, compound_id: UUID | None) -> bool:
    return True


def admin(principal: Principal, compound_id: UUID | None) -> bool:
    return principal.kind == "admin"


def body_of_compound(body: Body) -> Rule:
    def rule(principal: Principal, compound_id: UUID | None) -> bool:
        return (principal.kind == "body" and principal.body == body
                and compound_id is not None and principal.compound_id == compound_id)

    rule.__name__ = f"{body.value}_of_the_compound"
    return rule


RIGHTS: dict[str, tuple[Rule, ...]] = {
    "Query.viewer": (anyone,),
    "Query.compounds": (anyone,),
    "Query.compound": (anyone,),
    "Query.propertyCompanies": (anyone,),
    "Mutation.registerCompound": (admin,),
    "Mutation.establishBranch": (admin,),
    "Mutation.registerExclusiveUnit": (admin, body_of_compound(Body.OWNERS_COMMITTEE)),
    "Mutation.registerPropertyCompany": (admin,),
}


class PermissionDenied(Exception):
    """A query the principal may not make; it reaches the client as a GraphQL error."""


def require(principal: Principal, field: str, compound_id: UUID | None = None) -> None:
    denied = refusal(field, principal, compound_id)
    if denied is not None:
        raise PermissionDenied(denied.message)


def refusal(field: str, principal: Principal, compound_id: UUID | None = None) -> NotAllowed | None:
    """None if the principal may use the field; otherwise the typed refusal."""
    rules = RIGHTS[field]
    if any(rule(principal, compound_id) for rule in rules):
        return None
    needed = " or ".join(rule.__name__ for rule in rules)
    return NotAllowed(
        code="NOT_ALLOWED",
        message=f"{principal.spec} may not use {field}: it needs {needed}",
        right=field,
    )
