"""Streets' agendas: the weights each scores its figures by, and its problems of the month."""

from __future__ import annotations

from psycopg import Cursor

from projections.view import View, handles
from services.common.periods import period_bounds
from services.common.published import PublishedEvent


class StreetsView(View):
    name = "streets"
    tables = ("street_weights", "monthly_problems")

    @handles("branch.FigureWeightsSet")
    def weights_set(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO street_weights (event_id, street, since, since_day, response, resolution,"
                    " satisfaction, set_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.event_id, d["street"], d["since"], period_bounds(d["since"])[0], d["response"],
                     d["resolution"], d["satisfaction"], event.occurred_at))

    @handles("branch.MonthlyProblemChosen")
    def problem_chosen(self, cur: Cursor, event: PublishedEvent) -> None:
        d = event.data
        cur.execute("INSERT INTO monthly_problems (event_id, street, period, category, area, title, decision,"
                    " chosen_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (event.event_id, d["street"], d["period"], d["category"], d["area"], d["title"],
                     d["decision"], event.occurred_at))
