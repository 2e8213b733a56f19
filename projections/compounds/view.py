"""Compounds: what each compound is, and the owners of its exclusive units."""

from __future__ import annotations

from psycopg import Cursor

from services.common.published import PublishedEvent
from projections.view import View, by_name, execute_rows, handles, handles_together

CHANGED_CHANNEL = "siwei_compounds_changed"  # NOTIFY'd by triggers when compounds, or the bodies each has, change


class CompoundsView(View):
    name = "compounds"
    tables = ("compounds", "exclusive_units")

    @handles_together("residents.CompoundRegistered", "owners_committee.ExclusiveUnitRegistered")
    def registered(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Compounds and their exclusive units registered: a statement each over the batch. A
        compound registered again takes its last registration; a unit keeps its first."""
        of = by_name(events)
        compounds = {e.compound_id: (e.compound_id, e.data["name"], e.data["district"], e.data["street"],
                                     e.data["community"], e.data["households"], e.data["residents"], e.occurred_at)
                     for e in of["CompoundRegistered"]}
        execute_rows(cur, "INSERT INTO compounds (compound_id, name, district, street, community, households,"
                          " residents, registered_at) SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[],"
                          " %s::text[], %s::text[], %s::integer[], %s::integer[], %s::timestamptz[])"
                          " ON CONFLICT (compound_id) DO UPDATE SET name = EXCLUDED.name,"
                          " district = EXCLUDED.district, street = EXCLUDED.street,"
                          " community = EXCLUDED.community, households = EXCLUDED.households,"
                          " residents = EXCLUDED.residents, registered_at = EXCLUDED.registered_at",
                     list(compounds.values()))
        execute_rows(cur, "INSERT INTO exclusive_units (unit_id, compound_id, building, unit, exclusive_area,"
                          " owner, registered_at) SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[],"
                          " %s::numeric[], %s::text[], %s::timestamptz[]) ON CONFLICT (unit_id) DO NOTHING",
                     [(e.aggregate_id, e.compound_id, e.data["building"], e.data["unit"], e.data["exclusive_area"],
                       e.data["owner"], e.occurred_at) for e in of["ExclusiveUnitRegistered"]])

    @handles("owners_committee.UnitOwnershipTransferred")
    def unit_transferred(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE exclusive_units SET owner = %s WHERE unit_id = %s",
                    (event.data["owner"], event.aggregate_id))

    @handles("owners_committee.ExclusiveAreaCorrected")
    def area_corrected(self, cur: Cursor, event: PublishedEvent) -> None:
        cur.execute("UPDATE exclusive_units SET exclusive_area = %s WHERE unit_id = %s",
                    (event.data["exclusive_area"], event.aggregate_id))
