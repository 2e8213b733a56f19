"""Property service companies, whichever compounds they serve."""

from __future__ import annotations

from psycopg import Cursor

from services.common.published import PublishedEvent
from projections.view import View, handles


class PropertyCompaniesView(View):
    name = "property_companies"
    tables = ("property_companies",)

    @handles("property.PropertyCompanyRegistered")
    def company_registered(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute(
            "INSERT INTO property_companies (company_id, name, credit_code, registered_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (company_id) DO NOTHING",
            (event.aggregate_id, event.data["name"], event.data["credit_code"], event.occurred_at),
        )
