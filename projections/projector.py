"""The projector: all four topics into the read models (schema ``projections``)."""

from __future__ import annotations

import threading

from psycopg import sql

from infra.database import connect
from infra.reader import Handler, TopicReader
from infra.settings import Settings
from projections.catalogue import all_views
from projections.view import View

LIVE_SCHEMA = "projections"


class Projector(TopicReader):
    role = "projector"

    def __init__(self, settings: Settings, *, schema: str = LIVE_SCHEMA,
                 views: list[View] | None = None) -> None:
        super().__init__(settings, schema=schema)
        self.views = views if views is not None else all_views()
        self.by_type: dict[str, list[tuple[str, Handler]]] = {}
        for view in self.views:
            for event_type, handler in view.handlers().items():
                self.by_type.setdefault(event_type, []).append((view.name, handler))

    def ddl(self) -> list[str]:
        return [view.ddl() for view in self.views]

    def handlers(self, event_type: str) -> list[tuple[str, Handler]]:
        return self.by_type.get(event_type, [])

    def rebuild(self, *, progress: bool = False) -> None:
        """Drops these read models and builds them again from offset zero."""
        self.drop_tables()
        self.states = {}
        self.run(threading.Event(), until_caught_up=True, progress=progress)


def differences(settings: Settings, schema_a: str, schema_b: str) -> dict[str, tuple[int, int]]:
    """Per view table, rows only in ``schema_a`` and rows only in ``schema_b``; empty if equal."""
    found: dict[str, tuple[int, int]] = {}
    with connect(settings.database_url) as conn:
        for view in all_views():
            for table in view.tables:
                a, b = sql.Identifier(schema_a, table), sql.Identifier(schema_b, table)
                only = [
                    conn.execute(sql.SQL(
                        "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {}) d"
                    ).format(x, y)).fetchone()[0]
                    for x, y in ((a, b), (b, a))
                ]
                if any(only):
                    found[table] = (only[0], only[1])
    return found
