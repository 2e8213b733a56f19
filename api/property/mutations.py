"""Mutations of the property company."""

from __future__ import annotations

import strawberry

from api.commands import CommandResult, perform
from api.context import Info


@strawberry.input
class RegisterPropertyCompanyInput:
    name: str
    credit_code: str = strawberry.field(description="统一社会信用代码, 18 characters")


@strawberry.type
class PropertyMutations:
    @strawberry.mutation(description="Registers a property service company.")
    async def register_property_company(
        self, info: Info, input: RegisterPropertyCompanyInput  # noqa: A002
    ) -> CommandResult:
        return await perform(
            info, info.context.services.property.register_company,
            name=input.name, credit_code=input.credit_code,
        )
