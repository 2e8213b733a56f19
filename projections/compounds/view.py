"""Compounds: what each compound is, and the owners of its exclusive units."""

from __future__ import annotations

from psycopg import Cursor

from services.common.published import PublishedEvent
from projections.view import View, handles

CHANGED_CHANNEL = "siwei_compounds_changed"  # NOTIFY'd by schema.sql's trigger when compounds change


class CompoundsView(View):
    name = "compounds"
    tables = ("compounds", "exclusive_units")

    @handles("residents.CompoundRegistered")
    def compound_registered(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO compounds (compound_id, name, district, street, community, households,"
            " residents, registered_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (compound_id) DO UPDATE SET name = EXCLUDED.name,"
            " district = EXCLUDED.district, street = EXCLUDED.street,"
            " community = EXCLUDED.community, households = EXCLUDED.households,"
            " residents = EXCLUDED.residents, registered_at = EXCLUDED.registered_at",
            (event.compound_id, d["name"], d["district"], d["street"], d["community"],
             d["households"], d["residents"], event.occurred_at),
        )

    @handles("owners_committee.ExclusiveUnitRegistered")
    def exclusive_unit_registered(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute(
            "INSERT INTO exclusive_units (unit_id, compound_id, building, unit, exclusive_area,"
            " owner, registered_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (unit_id) DO NOTHING",
            (event.aggregate_id, event.compound_id, d["building"], d["unit"], d["exclusive_area"],
             d["owner"], event.occurred_at),
        )

    @handles("owners_committee.UnitOwnershipTransferred")
    def unit_transferred(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE exclusive_units SET owner = %s WHERE unit_id = %s",
                    (event.data["owner"], event.aggregate_id))

    @handles("owners_committee.ExclusiveAreaCorrected")
    def area_corrected(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE exclusive_units SET exclusive_area = %s WHERE unit_id = %s",
                    (event.data["exclusive_area"], event.aggregate_id))
