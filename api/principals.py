"""Principals: who makes a request. Every request is made by one, named by its bearer token.

A principal is written as a short spec, used by ``siwei tokens issue --principal``:

- ``admin``                                  registers compounds and issues tokens
- ``body:<body>:<compound id>``              one of the four bodies of a compound
- ``resident:<compound id>:<unit>``          a resident of a compound
- ``auditor:<community|street>:<name>``      a community or street auditor
- ``integration:<name>``                     a system reading the streams and views
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.common.bodies import Body

KINDS = ("admin", "body", "resident", "auditor", "integration")
JURISDICTION_LEVELS = ("community", "street")


class InvalidPrincipal(ValueError):
    """A principal spec that does not parse."""


@dataclass(frozen=True)
class Principal:
    kind: str
    body: Body | None = None
    compound_id: UUID | None = None
    unit: str | None = None
    jurisdiction_level: str | None = None
    name: str | None = None

    @property
    def spec(self) -> str:
        if self.kind == "admin":
            return "admin"
        if self.kind == "body":
            return f"body:{self.body.value}:{self.compound_id}"
        if self.kind == "resident":
            return f"resident:{self.compound_id}:{self.unit}"
        if self.kind == "auditor":
            return f"auditor:{self.jurisdiction_level}:{self.name}"
        return f"integration:{self.name}"

    @property
    def actor(self) -> str:
        """How this principal is named as the actor of the events it causes."""
        return self.spec

    @classmethod
    def parse(cls, spec: str) -> Principal:
        kind, _, rest = (spec or "").strip().partition(":")
        parts = rest.split(":") if rest else []
        try:
            if kind == "admin" and not parts:
                return cls("admin")
            if kind == "body" and len(parts) == 2:
                return cls("body", body=Body(parts[0]), compound_id=UUID(parts[1]))
            if kind == "resident" and len(parts) == 2 and parts[1]:
                return cls("resident", compound_id=UUID(parts[0]), unit=parts[1])
            if kind == "auditor" and len(parts) == 2 and parts[0] in JURISDICTION_LEVELS and parts[1]:
                return cls("auditor", jurisdiction_level=parts[0], name=parts[1])
            if kind == "integration" and len(parts) == 1 and parts[0]:
                return cls("integration", name=parts[0])
        except ValueError:
            pass
        raise InvalidPrincipal(
            f"{spec!r} is not a principal; write one of: admin, body:<body>:<compound id>,"
            " resident:<compound id>:<unit>, auditor:<community|street>:<name>,"
            " integration:<name> (bodies: " + ", ".join(b.value for b in Body) + ")"
        )
