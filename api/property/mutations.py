"""Mutations of the property company."""

from __future__ import annotations

import strawberry

from api.commands import recording


@strawberry.input
class RegisterPropertyCompanyInput:
    name: str
    credit_code: str = strawberry.field(description="统一社会信用代码, 18 characters")


@strawberry.type
class PropertyMutations:
    register_property_company = recording("property", "register_company", RegisterPropertyCompanyInput,
                                          "Registers a property service company.")
