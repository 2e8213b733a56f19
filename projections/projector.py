"""The projector: all four topics into the read models, the version of its code built beside the
one serving when they differ (``projections.serving``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from infra.database import connect, riding_out
from infra.reader import Handler, TopicReader
from infra.relay import topics_current
from infra.settings import Settings
from infra.status import behind
from projections import serving
from projections.catalogue import all_views
from projections.serving import LIVE_SCHEMA, schema_of, version_of, view_version
from projections.view import View
from services.common.published import PublishedEvent

SERVING_CHECK_SECONDS = 1.0  # how soon a projector follows a rebuild switched in by another process
SUPERSEDED_CHECK_SECONDS = 2.0
# A version built beside the serving one switches in once within this many events of the bodies'
# logs (the projector reads the rest as it follows); till then it reads on, after a pause.
SWITCH_LAG = 10
CATCH_UP_PAUSE_SECONDS = 0.5

log = logging.getLogger(__name__)

__all__ = ["LIVE_SCHEMA", "Projector", "differences", "ensure_served", "rebuild_live"]


class Projector(TopicReader):
    """Without ``schema``: the live read models, built in the schema of this code's version and
    followed once it serves. With one: a plain reader into that schema (a scratch rebuild)."""

    role = "projector"

    def __init__(self, settings: Settings, *, schema: str | None = None,
                 views: list[View] | None = None) -> None:
        self.views = views if views is not None else all_views()
        self.version = version_of(self.views)
        self.live = schema is None
        super().__init__(settings, schema=schema or schema_of(self.version))
        self.by_type: dict[str, list[tuple[str, Handler]]] = {}
        self.types: dict[str, set[str]] = {}
        for view in self.views:
            self.types[view.name] = set(view.handlers())
            for event_type, handler in view.handlers().items():
                self.by_type.setdefault(event_type, []).append((view.name, handler))

    def ddl(self) -> list[str]:
        return [view.ddl() for view in self.views]

    def handlers(self, event_type: str) -> list[tuple[str, Handler]]:
        return self.by_type.get(event_type, [])

    def handle(self, cur: psycopg.Cursor, events: list[PublishedEvent]) -> None:
        """A batch's new events, view by view (no view reads another's tables), each view's in
        order: what a view handles together is applied so."""
        for view in self.views:
            handled = self.types[view.name]
            view.apply(cur, [event for event in events if event.type in handled])

    def view_versions(self) -> dict[str, str]:
        return {view.name: view_version(view) for view in self.views}

    def rebuild(self, *, progress: bool = False) -> None:
        """Drops these read models and builds them again from the bodies' logs (a scratch schema):
        from the stores as far as the relays published them, then from the topics."""
        assert not self.live, "the live read models are rebuilt beside the serving ones: rebuild_live"
        self.drop_tables()
        self.states = {}
        stop = threading.Event()
        self.from_stores(stop, progress=progress)
        self.run(stop, until_caught_up=True, progress=progress)

    def run(self, stop: threading.Event, *, until_caught_up: bool = False, progress: bool = False) -> None:
        if not self.live:
            return super().run(stop, until_caught_up=until_caught_up, progress=progress)
        return riding_out(self.role, stop, lambda: self._serve(stop, until_caught_up, progress))

    def _serve(self, stop: threading.Event, until_caught_up: bool, progress: bool) -> None:
        """Builds this version beside the one serving if it must, then follows the schema serving."""
        while not stop.is_set():
            now = ensure_served(self.settings, self)
            if now.version != self.version and serving.superseded(self.settings.database_url, self.version):
                self._wait_while_superseded(stop, now)
                continue
            if now.version != self.version:
                self._build_beside(stop, progress, now)
                continue
            self.schema, self.states = now.schema, {}
            moved = self._until_moved(stop, now.schema)
            try:
                super().run(moved, until_caught_up=until_caught_up, progress=progress)
            finally:
                done = not moved.is_set()
                moved.set()
            if until_caught_up and done:
                return
        return None

    def _build_beside(self, stop: threading.Event, progress: bool, now: serving.Serving) -> None:
        """Builds this version from offset zero in its own schema (with every projector process
        of this version, by leases) while the schema serving keeps answering, the views of it that
        this code did not change kept current; switches when caught up."""
        unchanged = [view for view in self.views if now.views.get(view.name) == view_version(view)]
        following, follower = threading.Event(), None
        if now.schema is not None and unchanged:
            keeper = Projector(self.settings, schema=now.schema, views=unchanged)
            follower = threading.Thread(target=keeper.run, args=(following,), name="following", daemon=True)
            follower.start()
        try:
            builder = Projector(self.settings, schema=schema_of(self.version), views=self.views)
            builder.catch_up(stop, progress=progress)
        finally:
            following.set()
            if follower is not None:
                follower.join()
        if stop.is_set():
            return
        if serving.switch(self.settings.database_url, builder.schema, self.version, self.view_versions(),
                          replacing=now.schema) and now.schema is not None:
            threading.Thread(target=serving.retire, args=(self.settings.database_url, now.schema),
                             name="retire", daemon=True).start()

    def catch_up(self, stop: threading.Event, publish: Callable[[], None] = lambda: None, *,
                 progress: bool = False) -> None:
        """Reads the topics until these read models are within ``SWITCH_LAG`` events of the bodies'
        logs: the topics' ends are not enough, since a broker that came back empty holds nothing
        until the relay has published again (``publish``, to have it done here when they are
        behind)."""
        while not stop.is_set():
            self.run(stop, until_caught_up=True, progress=progress)
            if behind(self.settings.database_url, self.schema) <= SWITCH_LAG:
                return
            publish()
            stop.wait(CATCH_UP_PAUSE_SECONDS)

    def _wait_while_superseded(self, stop: threading.Event, now: serving.Serving) -> None:
        log.warning("the read models serve version %s, which replaced this code's %s: this projector waits"
                    " (stop it, or run `siwei projections rebuild` with this code to serve its version again)",
                    now.version, self.version)
        while not stop.wait(SUPERSEDED_CHECK_SECONDS):
            with connect(self.settings.database_url) as conn:
                if serving.serving(conn).version != now.version:
                    return

    def _until_moved(self, stop: threading.Event, schema: str) -> threading.Event:
        """An event set when ``stop`` is, or when another schema serves (a rebuild switched)."""
        moved = threading.Event()

        def watch() -> None:
            while not moved.is_set() and not stop.wait(SERVING_CHECK_SECONDS):
                try:
                    with connect(self.settings.database_url) as conn:
                        if serving.serving(conn).schema != schema:
                            break
                except psycopg.Error:
                    continue  # the database away: the reader rides it out
            moved.set()

        threading.Thread(target=watch, name="serving", daemon=True).start()
        return moved


def ensure_served(settings: Settings, projector: Projector | None = None) -> serving.Serving:
    """What serves the live read models; on a fresh system, this version's empty tables, at once
    (partners get empty lists, not missing tables, while the projector fills them)."""
    now = serving.prepare(settings.database_url)
    if now.schema is None:
        projector = projector or Projector(settings)
        fresh = Projector(settings, schema=schema_of(projector.version), views=projector.views)
        fresh.create_tables()
        serving.switch(settings.database_url, fresh.schema, projector.version, projector.view_versions(),
                       replacing=None)
        with connect(settings.database_url) as conn:
            now = serving.serving(conn)
    return now


def rebuild_live(settings: Settings, *, progress: bool = False) -> str:
    """Builds the live read models again from the bodies' logs (as ``Projector.rebuild`` does)
    beside the serving ones, which keep answering (and running projectors keep following them)
    until the new ones have caught up; then switches, and drops the old once the projectors
    moved. Answers the new schema."""
    projector = Projector(settings)
    replacing = ensure_served(settings, projector).schema
    builder = Projector(settings, schema=f"{schema_of(projector.version)}_{time.time_ns() // 1000}",
                        views=projector.views)
    stop = threading.Event()
    builder.from_stores(stop, progress=progress)  # makes the tables
    # The topics, if the relays published since the stores were read, or a log was left to its
    # topic: the relays' records say where each partition's messages end. Otherwise a consumer's
    # set-up for nothing (0.05-0.08 s, about 3 % of a rebuild at 929 compounds).
    if behind(settings.database_url, builder.schema):
        builder.catch_up(stop, publish=lambda: topics_current(settings), progress=progress)
    if not serving.switch(settings.database_url, builder.schema, projector.version, projector.view_versions(),
                          replacing=replacing):
        builder.drop_tables()
        raise RuntimeError("another rebuild or version switched the read models meanwhile; nothing changed")
    if replacing is not None:
        serving.retire(settings.database_url, replacing)
    return builder.schema


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
