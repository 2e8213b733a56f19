"""The parts ride out the database going away: the relay, the projector, the reactor and the
witness connect again by themselves and go on where they were, none exiting; nothing is lost or
applied twice."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api import read_models
from infra import database
from infra.settings import ConfigurationError, Settings
from services.bootstrap import bootstrap
from services.common.context import acting
from tests.conftest import BEIYUAN, wait_until


def test_the_parts_connect_again_by_themselves_after_the_database_was_away(system, postgres_server):
    parts = {"relay": ("relay",), "projector": ("project",), "reactor": ("react",), "witness": ("witness", "--every", "1")}
    for name, args in parts.items():
        system.start(name, *args)
    with acting("admin"):
        first = system.services.residents.register_compound(**BEIYUAN)
    system.wait_projected(first)
    database = conninfo_to_dict(system.settings.database_url)["dbname"]

    with psycopg.connect(postgres_server, autocommit=True) as conn:  # as a server restarting
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(database)))
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        time.sleep(4)
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(database)))

    witnessed = lambda: system.query("SELECT count(*) FROM owners_committee.owners_committee_events"  # noqa: E731
                                     " WHERE topic LIKE %s", ("%HeadsWitnessed",))[0][0]
    before = witnessed()
    with acting("admin"):
        second = system.services.residents.register_compound(**{**BEIYUAN, "name": "南苑小区"})
    system.wait_projected(second, timeout=90)
    assert system.count("projections.compounds") == 2
    # The witness records again: the residents' head moved with the second compound.
    wait_until(lambda: witnessed() > before, "the witness to record again", timeout=60)
    exited = {name: process.returncode for name, process in system.processes.items() if process.poll() is not None}
    assert not exited, exited


class Pauses(threading.Event):
    """A stop event that is never set and records each pause asked of it, without waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.taken: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.taken.append(timeout)
        return False


def test_the_pause_grows_while_the_database_stays_away_and_starts_again_after_a_healthy_run(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(database.time, "monotonic", lambda: clock[0])
    # How long each run lasts before the database goes away; None: the run ends.
    lasting = [0, 0, 0, 0, 0, database.HEALTHY_SECONDS, 0, None]

    def run() -> None:
        lasted = lasting.pop(0)
        if lasted is None:
            return
        clock[0] += lasted
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    stop = Pauses()
    database.riding_out("the test", stop, run)
    assert stop.taken == [1.0, 2.0, 5.0, 10.0, 10.0, 1.0, 2.0]


@contextmanager
def _over_tcp(database_url: str) -> Iterator[str]:
    """The database's URL over TCP: the embedded server listens on a Unix socket only, so a port
    forwarding to it stands for a server over the network."""
    params = conninfo_to_dict(database_url)
    if not str(params.get("host", "")).startswith("/"):
        yield database_url
        return
    path = f"{params['host']}/.s.PGSQL.{params.get('port', 5432)}"
    listener = socket.create_server(("127.0.0.1", 0))

    def pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def forward() -> None:
        with suppress(OSError):
            while True:
                client, _ = listener.accept()
                server = socket.socket(socket.AF_UNIX)
                server.connect(path)
                for ends in ((client, server), (server, client)):
                    threading.Thread(target=pump, args=ends, daemon=True).start()

    threading.Thread(target=forward, daemon=True).start()
    try:
        yield make_conninfo(**{**params, "host": "127.0.0.1", "port": str(listener.getsockname()[1])})
    finally:
        listener.close()


def _guards(fd: int) -> tuple[int, int, int]:
    """What the kernel does for a TCP connection: keepalive probes, after how long idle, and how
    long data may go unacknowledged (ms)."""
    with socket.socket(fileno=os.dup(fd)) as held:
        return (held.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                held.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                held.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT))


def test_every_connection_over_tcp_notices_a_server_gone_without_a_word(database_url):
    # A server whose host went down sends nothing: a part waiting for its answer would wait for
    # hours (the kernel's defaults). Every connection Siwei makes probes a silent server within a
    # minute and gives up on data left unacknowledged.
    guarded = (1, int(database.TCP_SETTINGS["keepalives_idle"]), int(database.TCP_SETTINGS["tcp_user_timeout"]))
    with _over_tcp(database_url) as url:
        settings = Settings.from_env({"SIWEI_DATABASE_URL": url})
        with database.connect(settings.database_url) as conn:  # the parts' own connections
            assert _guards(conn.fileno()) == guarded
        services = bootstrap(settings.database_url, pool=1)  # the eventsourcing library's pools
        try:
            for body in (services.branch, services.residents, services.owners_committee, services.property):
                with body.recorder.datastore.get_connection() as conn:
                    assert _guards(conn.fileno()) == guarded
        finally:
            services.close()

        async def api() -> tuple[int, int, int]:  # the API's pool of the read models
            async with read_models.pool(settings.database_url, 1) as pool, pool.connection() as conn:
                return _guards(conn.fileno())

        assert asyncio.run(api()) == guarded

        # What the URL says wins.
        own = Settings.from_env({"SIWEI_DATABASE_URL": f"{url} keepalives_idle=5"})
        with database.connect(own.database_url) as conn:
            assert _guards(conn.fileno()) == (1, 5, guarded[2])


def test_a_database_url_that_does_not_parse_is_a_configuration_error_that_does_not_quote_it():
    for url in ("garbage password=secret", "host=/x password=secret dbname=\udcff", "secret" * 20_000):
        with pytest.raises(ConfigurationError) as refused:
            Settings.from_env({"SIWEI_DATABASE_URL": url})
        assert "secret" not in str(refused.value)
