"""PostgreSQL connections: one URL, turned into what psycopg and the eventsourcing library want."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing import persistence, postgres
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo


log = logging.getLogger(__name__)

# How long a request waits for a pooled connection before it answers UNAVAILABLE. The library
# asks its store's pool ten times (0.2 s apart) before it gives up: one second each there.
POOL_WAIT_SECONDS = 5
STORE_WAIT_SECONDS = 1
# The database away (restarting, a connection lost or refused, every pooled one busy too long):
# psycopg's errors (psycopg_pool.PoolTimeout is an OperationalError), and the eventsourcing
# library's, which it raises from them.
DATABASE_AWAY = (psycopg.OperationalError, psycopg.InterfaceError, persistence.OperationalError,
                 persistence.InterfaceError)
RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0)  # a part's pauses before it connects again, growing
HEALTHY_SECONDS = 60.0
# Over TCP, what every connection of Siwei's is given, unless the URL says otherwise: an attempt
# to connect gives up after 10 s, and a server gone without a word (its host down, the network
# cut) is noticed within about a minute, by the kernel's keepalive probes on a connection waiting
# for an answer, or by data unacknowledged for 60 s. Without them (the kernel's defaults: two
# hours idle before the first probe), a part waiting for an answer waits for hours. libpq ignores
# them on a Unix socket.
TCP_SETTINGS = {"connect_timeout": "10", "keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10",
                "keepalives_count": "3", "tcp_user_timeout": "60000"}


def database_away(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, is the database being away."""
    for _ in range(10):
        if error is None:
            return False
        if isinstance(error, DATABASE_AWAY):
            return True
        error = error.__cause__ or error.__context__
    return False


# The values whose JSON is also their text in an array literal: ids, times and dates (ISO 8601),
# amounts and numbers, text (quoted, its quotes and backslashes escaped the same way), None (null).
AS_JSON = frozenset({UUID, datetime, date, Decimal, int, str, type(None)})
_json = msgspec.json.Encoder().encode
# JSON's other escapes (\n, \t, \u0001…), which an array literal would read as the letter alone.
_ESCAPED_OTHERWISE = re.compile(rb'\\[^"\\]')


def array_literal(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal, cast where it is used (``%s::uuid[]``): each value's text
    quoted, its quotes and backslashes escaped, None as NULL. Sent as one text, where psycopg
    dumps a list element by element, with a new dumper for each list (several times slower).
    Values of the types in ``AS_JSON`` are written by msgspec, in C, as a JSON array (a tenth of
    the cost, most of a rebuild's arrays), unless a text needs an escape JSON writes otherwise
    (a control character, a lone surrogate); any other value through its ``str``."""
    values = values if type(values) is list else list(values)
    if AS_JSON.issuperset(map(type, values)):
        with suppress(UnicodeEncodeError):
            text = _json(values)
            if b"\\" not in text or not _ESCAPED_OTHERWISE.search(text):
                return "{" + text[1:-1].decode() + "}"
    return "{" + ",".join("NULL" if v is None else f'"{_escaped(str(v))}"' for v in values) + "}"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"') if "\\" in text or '"' in text else text


def connect(database_url: str, *, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(database_url, autocommit=autocommit)


def with_tcp_settings(database_url: str) -> str:
    """The URL as a connection string with ``TCP_SETTINGS`` added where it gives none."""
    return make_conninfo(**{**TCP_SETTINGS, **conninfo_to_dict(database_url)})


class PostgresFactory(postgres.PostgresFactory):
    """The library's PostgreSQL factory (``PERSISTENCE_MODULE``), whose connections get what the
    URL says of TCP (``POSTGRES_TCP``): the library makes them from the host, port and
    credentials alone."""

    def __init__(self, env: persistence.Environment) -> None:
        super().__init__(env)
        self.datastore.pool.kwargs.update(conninfo_to_dict(self.env.get("POSTGRES_TCP") or ""))


def eventsourcing_env(database_url: str, schema: str, pool: int) -> dict[str, str]:
    """The eventsourcing library's PostgreSQL settings for one body's store in its own schema:
    one connection kept, up to ``pool`` at once, and a command waits for one (about ten times
    ``STORE_WAIT_SECONDS``, the library retrying) rather than fail when all are busy."""
    params = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": f"{__name__}:PostgresFactory",
        "POSTGRES_TCP": make_conninfo(**{k: v for k, v in params.items() if k in TCP_SETTINGS}),
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "localhost")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_SCHEMA": schema,
        "APPLICATION_RECORDER_TOPIC": "audit.chain:ChainedRecorder",  # each insert extends the hash chain
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": str(pool - 1),
        "POSTGRES_CONNECT_TIMEOUT": str(STORE_WAIT_SECONDS),
    }


@contextmanager
def schema_changes(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection holding the lock under which every process changes the schema. Each part of
    Siwei creates its own tables at start, and parts start together; PostgreSQL refuses
    concurrent ``CREATE … IF NOT EXISTS`` of the same object ("tuple concurrently updated")."""
    with connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('siwei schema changes'))")
        yield conn  # the lock goes with the session


def ensure_schema(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def ensure_database(server_url: str, name: str) -> str:
    """Creates database ``name`` on the server if it is missing; returns its URL."""
    with connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def with_database(url: str, name: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = name
    return make_conninfo(**params)


def riding_out(what: str, stop: threading.Event, run: Callable[[], None]) -> None:
    """Runs ``run`` to its end or until ``stop``; each time the database goes away, says so in one
    line and runs it again after a pause that grows while it keeps failing (and starts from the
    shortest again after a run that lasted ``HEALTHY_SECONDS``)."""
    attempt = 0
    while True:
        began = time.monotonic()
        try:
            return run()
        except Exception as error:
            if not database_away(error) or stop.is_set():
                raise
            if time.monotonic() - began >= HEALTHY_SECONDS:
                attempt = 0
            pause = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
            attempt += 1
            log.warning("%s: the database went away (%s); connecting again in %.0fs", what, error, pause)
            if stop.wait(pause):
                return
