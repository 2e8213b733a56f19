"""Property service companies as partners see them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry


@strawberry.type(description="A property service company (物业服务企业).")
class PropertyCompany:
    id: UUID
    name: str
    credit_code: str = strawberry.field(description="统一社会信用代码")
    registered_at: datetime

    @staticmethod
    def from_row(row: dict) -> PropertyCompany:
        return PropertyCompany(id=row["company_id"], name=row["name"],
                               credit_code=row["credit_code"], registered_at=row["registered_at"])
