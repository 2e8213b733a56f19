"""Versioned read models, rebuilt beside the ones serving (Marten's blue/green projections).

Each view's version is a hash of its DDL and its module's code, so nobody has to remember to
bump it; the read side's version is a hash of every view's. A version is built in a schema of its
own, ``projections_<version>``. The API reads the schema ``projections``: views onto the tables of
the schema serving (``projections.serving`` names it). A projector that finds another version
serving builds its own from offset zero while the old one keeps answering, its views that did not
change kept current meanwhile (the others stay as they were); once the new one has
caught up, ``switch`` points ``projections`` at it in one transaction and the old schema is
dropped when no reader holds a lease in it any more. A version that served once and was replaced
is not built back by a projector of that older code still running, which waits instead; only
``siwei projections rebuild`` serves it again (a rollback). A fresh system serves its empty tables at
once; a data folder from before versions had its tables in ``projections`` itself, moved aside
(``projections_unversioned``) to keep serving until the first version is built.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from infra.database import connect, schema_changes
from infra.leases import LEASE_SECONDS
from projections.compounds.view import CHANGED_CHANNEL
from projections.view import View

LIVE_SCHEMA = "projections"  # what the API reads: views onto the schema serving
UNVERSIONED = "projections_unversioned"
SWITCHED_CHANNEL = "siwei_read_models_switched"
RETIRE_WAIT_SECONDS = 2 * LEASE_SECONDS
# A rebuild's schema (``rebuild_live``: named with the microsecond it began) in which no process
# was seen for this long was left by a rebuild that stopped (killed, its machine gone): nothing
# takes it up again, so the next projector to start, or the next rebuild, drops it.
ABANDONED_SECONDS = 300.0
REBUILD_SCHEMA = re.compile(rf"{LIVE_SCHEMA}_[0-9a-f]{{12}}_([0-9]{{1,18}})")

log = logging.getLogger(__name__)

SERVING_DDL = f"""
CREATE TABLE IF NOT EXISTS {LIVE_SCHEMA}.serving (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    schema text,
    version text,
    views jsonb NOT NULL DEFAULT '{{}}',
    since timestamptz
);
INSERT INTO {LIVE_SCHEMA}.serving (one) VALUES (true) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {LIVE_SCHEMA}.served (version text PRIMARY KEY, since timestamptz NOT NULL);
"""


def view_version(view: View) -> str:
    """A hash of the view's DDL and of its module's code."""
    code = Path(inspect.getsourcefile(type(view))).read_bytes()
    return hashlib.sha256(view.ddl().encode() + b"\0" + code).hexdigest()[:12]


def version_of(views: Sequence[View]) -> str:
    lines = sorted(f"{view.name}:{view_version(view)}" for view in views)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def schema_of(version: str) -> str:
    return f"{LIVE_SCHEMA}_{version}"


@dataclass(frozen=True)
class Serving:
    schema: str | None  # None: nothing yet
    version: str | None  # None: the tables from before versions
    views: dict[str, str] = field(default_factory=dict)  # each view's version


def serving(conn: psycopg.Connection) -> Serving:
    row = conn.execute(f"SELECT schema, version, views FROM {LIVE_SCHEMA}.serving").fetchone()
    return Serving(*row) if row else Serving(None, None)


def superseded(database_url: str, version: str) -> bool:
    """Whether ``version`` served once and another replaced it: a projector of an older code, left
    running, must not build it back over the newer one (only ``siwei projections rebuild`` does)."""
    with connect(database_url) as conn:
        current = serving(conn).version
        return current != version and conn.execute(
            f"SELECT EXISTS (SELECT FROM {LIVE_SCHEMA}.served WHERE version = %s)", (version,)).fetchone()[0]


def prepare(database_url: str) -> Serving:
    """Makes ``projections`` the schema of views the API reads (moving aside the tables of a data
    folder from before versions, which keep serving), and drops what rebuilds that stopped left
    (``abandoned``); answers what serves."""
    with schema_changes(database_url) as conn:
        versioned, unversioned = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL, EXISTS (SELECT FROM pg_tables WHERE schemaname = %s)",
            (f"{LIVE_SCHEMA}.serving", LIVE_SCHEMA)).fetchone()
        if unversioned and not versioned:  # the tables from before versions
            with conn.transaction():
                conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(LIVE_SCHEMA), sql.Identifier(UNVERSIONED)))
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(LIVE_SCHEMA)))
                conn.execute(SERVING_DDL)
                _point(conn, UNVERSIONED)
                conn.execute(f"UPDATE {LIVE_SCHEMA}.serving SET schema = %s, since = now()", (UNVERSIONED,))
            log.warning("the read models from before versions keep serving from %s until a version is built",
                        UNVERSIONED)
        else:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(LIVE_SCHEMA)))
            conn.execute(SERVING_DDL)
        now = serving(conn)
        for schema in abandoned(conn, now.schema):
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            log.warning("dropped %s, left unfinished by a rebuild that stopped", schema)
        return now


def at_work(conn: psycopg.Connection, schema: str, within: float = 0.0) -> bool:
    """Whether a reader process was seen in ``schema`` in the last ``within`` seconds (0: is seen now)."""
    if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.readers",)).fetchone()[0]:
        return False
    return conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {} WHERE seen_until > now() - make_interval(secs => %s))")
                        .format(sql.Identifier(schema, "readers")), (within,)).fetchone()[0]


def abandoned(conn: psycopg.Connection, serving_schema: str | None) -> list[str]:
    """The schemas of rebuilds begun more than ``ABANDONED_SECONDS`` ago, not serving, in which no
    process was seen for as long."""
    return [schema for (schema,) in conn.execute("SELECT nspname FROM pg_namespace ORDER BY 1").fetchall()
            if (begun := REBUILD_SCHEMA.fullmatch(schema)) and schema != serving_schema
            and time.time() - int(begun[1]) / 1e6 > ABANDONED_SECONDS and not at_work(conn, schema, ABANDONED_SECONDS)]


def _point(conn: psycopg.Connection, schema: str) -> None:
    """Makes every relation of ``projections`` a view onto the relation of that name in ``schema``."""
    for (name,) in conn.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                                " WHERE n.nspname = %s AND c.relkind = 'v'", (LIVE_SCHEMA,)).fetchall():
        conn.execute(sql.SQL("DROP VIEW {}").format(sql.Identifier(LIVE_SCHEMA, name)))
    for (name,) in conn.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                                " WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'p', 'm') ORDER BY 1",
                                (schema,)).fetchall():
        conn.execute(sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(
            sql.Identifier(LIVE_SCHEMA, name), sql.Identifier(schema, name)))


def switch(database_url: str, schema: str, version: str, views: dict[str, str], *,
           replacing: str | None) -> bool:
    """Points ``projections`` at ``schema`` in one transaction, if ``replacing`` still serves
    (another process may have switched first); answers whether it did."""
    with connect(database_url) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('siwei projections switch'))")
        if serving(conn).schema != replacing:
            return False
        _point(conn, schema)
        conn.execute(f"UPDATE {LIVE_SCHEMA}.serving SET schema = %s, version = %s, views = %s, since = now()",
                     (schema, version, psycopg.types.json.Jsonb(views)))
        conn.execute(f"INSERT INTO {LIVE_SCHEMA}.served VALUES (%s, now()) ON CONFLICT DO NOTHING", (version,))
        conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(CHANGED_CHANNEL)))
        conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(SWITCHED_CHANNEL)))
    log.warning("the read models now serve from %s (version %s)", schema, version)
    return True


def retire(database_url: str, schema: str, wait: float = RETIRE_WAIT_SECONDS) -> bool:
    """Drops a schema that no longer serves once no reader holds a lease in it (they move to the
    one serving within a second, or their leases expire); answers whether it did. A schema still
    read after ``wait`` (by processes of an older version) is left, and said so."""
    try:
        return _retire(database_url, schema, time.monotonic() + wait)
    except psycopg.Error as error:  # the database away: the schema stays, said so
        log.warning("%s no longer serves and was not dropped (%s): drop it later (DROP SCHEMA %s CASCADE)",
                    schema, error, schema)
        return False


def _retire(database_url: str, schema: str, deadline: float) -> bool:
    with connect(database_url, autocommit=True) as conn:
        while True:
            if serving(conn).schema == schema:
                return False
            table = conn.execute("SELECT to_regclass(%s)", (f"{schema}.leases",)).fetchone()[0]
            held = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE expires_at > now()").format(
                sql.Identifier(schema, "leases"))).fetchone()[0] if table else 0
            if not held:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
                log.info("dropped %s, which no longer serves", schema)
                return True
            if time.monotonic() > deadline:
                log.warning("%s no longer serves but is still read (%d partitions): drop it once its readers"
                            " stopped (DROP SCHEMA %s CASCADE)", schema, held, schema)
                return False
            time.sleep(0.5)
