"""A property service company. It may serve many compounds, so it belongs to none: its events
carry no compound id; what ties it to a compound is a service contract."""

from __future__ import annotations

import re

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import InvalidInput, require_text

# 统一社会信用代码: 18 characters of digits and capitals (not I, O, S, V, Z).
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class PropertyCompany(GovernanceAggregate):
    @event("PropertyCompanyRegistered")
    def __init__(self, name: str, credit_code: str) -> None:
        self.name = name
        self.credit_code = credit_code

    @classmethod
    def register(cls, *, name: str, credit_code: str) -> PropertyCompany:
        code = (credit_code or "").strip().upper()
        if not CREDIT_CODE.match(code):
            raise InvalidInput(
                "creditCode must be an 18-character unified social credit code",
                field="creditCode",
            )
        return cls(name=require_text(name, "name"), credit_code=code)
