"""Principals: who makes a request. Every request is made by one, named by its bearer token.

A principal is written as a short spec, used by ``siwei tokens issue --principal``:

- ``admin``                                             registers compounds, issues tokens
- ``body:<body>:<compound id>[,<compound id>…]``         one of the four bodies, in its compounds
  (a property company serving several compounds, or a joint branch, names them all)
- ``resident:<compound id>:<unit>``                     a resident of a compound, in their unit
- ``auditor:<community|street>:<area>``                 a community or street auditor; their
  jurisdiction is every compound of that community or street
- ``integration:<community|street>:<area>:<name>``      a system reading public information of
  an area (read only)
- ``office:street:<street>``                            a street office (街道办, its party working
  committee): reads its street as an integration does, and records the street's agenda (the
  weights of its figures, the problem of the month)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from services.common.bodies import Body
from services.common.personal import person_of

LEVELS = ("community", "street")
SPECS = ("admin, body:<body>:<compound id>[,<compound id>…], resident:<compound id>:<unit>, "
         "auditor:<community|street>:<area>, integration:<community|street>:<area>:<name>, office:street:<street>")


class InvalidPrincipal(ValueError):
    """A principal spec that does not parse."""


@dataclass(frozen=True)
class Principal:
    kind: str  # admin | body | resident | auditor | integration | office
    body: Body | None = None
    compound_ids: tuple[UUID, ...] = ()
    unit: str | None = None
    level: str | None = None  # community | street, for auditors, integrations and offices
    area: str | None = None
    name: str | None = None
    # A resident as their events name them: ``resident:<compound>:<token>``, the token sealing the
    # unit (``services.common.personal``). Set when the API authenticates the resident.
    pseudonym: str | None = field(default=None, compare=False)

    @property
    def spec(self) -> str:
        if self.kind == "admin":
            return "admin"
        if self.kind == "body":
            return f"body:{self.body.value}:{','.join(map(str, self.compound_ids))}"
        if self.kind == "resident":
            return f"resident:{self.compound_ids[0]}:{self.unit}"
        if self.kind in ("auditor", "office"):
            return f"{self.kind}:{self.level}:{self.area}"
        return f"integration:{self.level}:{self.area}:{self.name}"

    @property
    def actor(self) -> str:
        """How this principal is named as the actor of the events it causes."""
        return self.spec

    @property
    def logged(self) -> str:
        """How logs, refusals and the access log name the principal: a resident by their person
        id, never by their unit."""
        if self.kind != "resident":
            return self.spec
        sealed = (self.pseudonym or "").partition("pii:")[1:]
        person = person_of("".join(sealed)) if sealed[0] else "unknown"
        return f"resident:{self.compound_ids[0]}:person {person}"

    def is_body(self, body: Body) -> bool:
        return self.kind == "body" and self.body == body

    @classmethod
    def parse(cls, spec: str) -> Principal:
        kind, _, rest = (spec or "").strip().partition(":")
        parts = rest.split(":") if rest else []
        try:
            if kind == "admin" and not parts:
                return cls("admin")
            if kind == "body" and len(parts) == 2:
                ids = tuple(dict.fromkeys(UUID(p.strip()) for p in parts[1].split(",")))
                return cls("body", body=Body(parts[0]), compound_ids=ids)
            if kind == "resident" and len(parts) == 2 and parts[1].strip():
                return cls("resident", compound_ids=(UUID(parts[0]),), unit=parts[1].strip())
            if kind == "auditor" and len(parts) == 2 and parts[0] in LEVELS and parts[1].strip():
                return cls("auditor", level=parts[0], area=parts[1].strip())
            if kind == "office" and len(parts) == 2 and parts[0] == "street" and parts[1].strip():
                return cls("office", level="street", area=parts[1].strip())
            if (kind == "integration" and len(parts) == 3 and parts[0] in LEVELS
                    and parts[1].strip() and parts[2].strip()):
                return cls("integration", level=parts[0], area=parts[1].strip(), name=parts[2].strip())
        except ValueError:
            pass
        raise InvalidPrincipal(
            f"{spec!r} is not a principal; write one of: {SPECS} "
            f"(bodies: {', '.join(b.value for b in Body)})"
        )
