"""Fixtures for tests that cross a process boundary: a real PostgreSQL (one server per run, a
fresh database per test) and a real Tansu broker per test, both embedded; and the system's own
processes (relay, projector, API) started as subprocesses so they can be killed like real ones."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import fastavro
import hypothesis
import psycopg
import pytest

from api import tokens
from api.principals import Principal
from infra.database import drop_database, ensure_database
from infra import wire
from infra.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from infra.settings import Settings
from services.bootstrap import Services, bootstrap
from services.common.application import Receipt

WAIT_SECONDS = 60.0
LOG_LINES = 40  # of each process, shown when a test fails

# Every run draws the same examples, and keeps no database of failures between runs: a run is
# repeatable, on a developer's machine as in CI.
hypothesis.settings.register_profile("siwei", derandomize=True, database=None)
hypothesis.settings.load_profile("siwei")

# The compound most tests register: 北苑小区 of the seeds' Chengdu report.
BEIYUAN = dict(name="北苑小区", district="武侯区", street="晋阳街道", community="晋阳社区",
               households=420, residents=1260)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class NoUtf8(str):
    """A header key that kafka-python's producer writes as bytes that are no UTF-8: a message
    kafka-python's consumer cannot parse."""

    def encode(self, *args, **kwargs) -> bytes:
        return b"\xff\xfe"


def with_body(message: wire.Message, body: str) -> tuple[list[tuple[str, bytes]], bytes]:
    """A message's headers, and its value written again with its envelope naming ``body``: valid
    Avro, as a producer to the topics could forge it."""
    event = wire.decode(message.headers, message.value)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, wire._writer(event.type)[1], {
        "envelope": {"event_id": event.event_id, "body": body, "compound_id": event.compound_id,
                     "aggregate_id": event.aggregate_id, "aggregate_version": event.aggregate_version,
                     "actor": event.actor, "occurred_at": event.occurred_at,
                     "correlation_id": event.correlation_id, "causation_id": event.causation_id},
        **event.data,
    })
    return message.headers, buffer.getvalue()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server URL: SIWEI_DATABASE_URL's server if set, else an embedded one."""
    configured = os.environ.get("SIWEI_DATABASE_URL")
    if configured:
        yield configured
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def database_url(postgres_server: str) -> Iterator[str]:
    name = f"siwei_test_{uuid.uuid4().hex[:12]}"
    url = ensure_database(postgres_server, name)
    yield url
    drop_database(postgres_server, name)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@dataclass
class System:
    """The system under test: services in this process; relay, projector and API as processes."""

    settings: Settings
    services: Services
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    api_port: int | None = None

    def start(self, name: str, *args: str) -> subprocess.Popen:
        # Each process's log is kept beside the test's data, to read when a test fails.
        log = open(self.settings.data_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "--verbose", *args],
            env=self.settings.child_environment(), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes[name] = process
        return process

    def siwei(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Runs a ``siwei`` command on the test's servers, to its end."""
        return subprocess.run([sys.executable, "-m", "infra.cli", *args], env=self.settings.child_environment(),
                              capture_output=True, text=True, timeout=timeout)

    def start_relay(self) -> subprocess.Popen:
        return self.start("relay", "relay")

    def start_projector(self) -> subprocess.Popen:
        return self.start("projector", "project")

    def start_api(self, *args: str) -> str:
        self.api_port = free_port()
        self.start("api", "api", "--port", str(self.api_port), *args)
        url = f"http://127.0.0.1:{self.api_port}/graphql"

        def listening() -> bool:
            try:
                return httpx.get(url, headers={"accept": "text/html"}).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(listening, "the API to listen")
        return url

    def kill(self, name: str) -> None:
        """SIGKILL: no clean stop, no flush, no goodbye."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.settings.database_url) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def count(self, table: str) -> int:
        """Rows in a read-model table; 0 before the projector has created it."""
        try:
            return self.query(f"SELECT count(*) FROM {table}")[0][0]
        except psycopg.errors.UndefinedTable:
            return 0

    def projected_version(self, aggregate_id: uuid.UUID) -> int:
        try:
            rows = self.query(
                "SELECT version FROM projections.projected_aggregates WHERE aggregate_id = %s",
                (aggregate_id,))
        except psycopg.errors.UndefinedTable:
            return 0
        return rows[0][0] if rows else 0

    def wait_projected(self, *receipts: Receipt, timeout: float = WAIT_SECONDS) -> None:
        """Waits on the projector's recorded positions, not on the clock."""
        for receipt in receipts:
            wait_until(lambda r=receipt: self.projected_version(r.aggregate_id) >= r.version,
                       f"{receipt} to be projected", timeout)

    def wait_until_projected_ids(self, versions: dict[uuid.UUID, int]) -> None:
        for aggregate_id, version in versions.items():
            wait_until(lambda a=aggregate_id, v=version: self.projected_version(a) >= v,
                       f"{aggregate_id} v{version} to be projected")

    def token(self, principal: str) -> str:
        return tokens.issue(self.settings.database_url, Principal.parse(principal)).secret


@pytest.fixture
def system(database_url: str, broker: EmbeddedBroker, tmp_path: Path) -> Iterator[System]:
    settings = Settings(database_url, broker.bootstrap, tmp_path, topic_partitions=3)
    services = bootstrap(database_url)
    running = System(settings, services)
    yield running
    running.stop_all()
    services.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """A failed test that ran the system's processes shows what they logged last (their DEBUG
    lines left out): a CI run keeps no test's data to read afterwards."""
    report = yield
    system = getattr(item, "funcargs", {}).get("system")
    if report.failed and isinstance(system, System):
        for path in sorted(system.settings.data_dir.glob("*.log")):
            lines = [line for line in path.read_text(errors="replace").splitlines() if " DEBUG " not in line]
            report.sections.append((f"{path.name}, last {LOG_LINES} lines but DEBUG",
                                    "\n".join(lines[-LOG_LINES:])))
    return report


_http = httpx.Client(timeout=30)  # one client, kept-alive connections: a new one costs ~60 ms


def graphql(url: str, token: str | None, query: str, variables: dict | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _http.post(url, json={"query": query, "variables": variables or {}}, headers=headers)
