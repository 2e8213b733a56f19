"""What an operator's tools ask the API, without a token: ``/healthz`` (the process answers),
``/readyz`` (PostgreSQL and the broker reachable, the projector running and within
``SIWEI_READY_LAG`` events of the topics) and ``/metrics`` (Prometheus). The figures of the parts
come from ``infra.status``, read from PostgreSQL at each scrape; the API's own (commands by outcome,
request latency) are counted in each worker and summed over the workers through
``PROMETHEUS_MULTIPROC_DIR``, which ``siwei api`` sets."""

from __future__ import annotations

import asyncio
import os
import socket
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infra.database import database_away
from infra.status import Status, status

PROBE_SECONDS = 2.0

COMMANDS = Counter("siwei_commands", "Commands the API ran, by mutation and outcome (recorded, or the refusal)",
                   ["mutation", "outcome"])
REQUESTS = Histogram("siwei_api_request_seconds", "GraphQL requests, from arrival to the last byte answered",
                     ["status"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    settings = request.app.state.settings
    checks: dict[str, str] = {}
    try:
        found = await asyncio.wait_for(asyncio.to_thread(status, settings.database_url), PROBE_SECONDS * 2)
        checks["postgresql"] = "ok"
    except Exception as error:
        found = None
        checks["postgresql"] = f"unreachable: {type(error).__name__}"
    checks["broker"] = "ok" if await asyncio.to_thread(_reachable, settings.kafka_bootstrap) else "unreachable"
    if found is not None:
        projector = next((r for r in found.readers if r.name == "projector"), None)
        # Behind the bodies' logs: not yet published, or published and not yet read.
        lag = None if projector is None else projector.lag + sum(relay.lag for relay in found.relays)
        if projector is None or not any(p.alive for p in projector.processes):
            checks["projector"] = "not running"
        elif lag > settings.ready_lag:
            checks["projector"] = f"{lag} events behind (SIWEI_READY_LAG {settings.ready_lag})"
        else:
            checks["projector"] = f"ok, {lag} events behind"
    ready = all(value.startswith("ok") for value in checks.values()) and found is not None
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def _reachable(bootstrap: str) -> bool:
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host or "localhost", int(port)), timeout=PROBE_SECONDS):
                return True
        except (OSError, ValueError):
            continue
    return False


async def metrics(request: Request) -> Response:
    """The parts' figures, if PostgreSQL answers (``siwei_database_reachable`` says whether it
    did), and the API's own: a scrape during an outage still answers."""
    try:
        found = await asyncio.wait_for(asyncio.to_thread(status, request.app.state.settings.database_url),
                                       PROBE_SECONDS * 2)
    except Exception as error:
        if not (database_away(error) or isinstance(error, TimeoutError)):
            raise
        found = None
    parts = CollectorRegistry()
    parts.register(_Parts(found))
    workers = CollectorRegistry()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.MultiProcessCollector(workers)
    else:
        workers.register(COMMANDS)
        workers.register(REQUESTS)
    return Response(generate_latest(parts) + generate_latest(workers),
                    media_type="text/plain; version=0.0.4; charset=utf-8")


class _Parts:
    """The parts' figures, as ``infra.status`` read them for this scrape."""

    def __init__(self, found: Status | None) -> None:
        self.found = found

    def collect(self):
        reachable = GaugeMetricFamily("siwei_database_reachable", "Whether PostgreSQL answered this scrape")
        reachable.add_metric([], 0 if self.found is None else 1)
        yield reachable
        if self.found is not None:
            yield from self._parts(self.found)

    def _parts(self, found: Status):
        published = GaugeMetricFamily("siwei_relay_published_events", "Events of a body's log published and"
                                      " acknowledged (the relay's position)", labels=["body"])
        relay_lag = GaugeMetricFamily("siwei_relay_lag_events", "Events of a body's log not yet published",
                                      labels=["body"])
        for relay in found.relays:
            published.add_metric([relay.body], relay.position)
            relay_lag.add_metric([relay.body], relay.lag)
        lag = GaugeMetricFamily("siwei_reader_lag_events", "Events on a partition not yet read by a reader",
                                labels=["reader", "topic", "partition"])
        processes = GaugeMetricFamily("siwei_reader_processes", "Live processes of a reader", labels=["reader"])
        letters = GaugeMetricFamily("siwei_dead_letters", "Events a reader set aside", labels=["reader"])
        for reader in found.readers:
            for p in reader.partitions:
                lag.add_metric([reader.name, p.topic, str(p.partition)], p.lag)
            processes.add_metric([reader.name], sum(1 for process in reader.processes if process.alive))
            letters.add_metric([reader.name], reader.dead_letters)
        serving = InfoMetricFamily("siwei_read_models_serving", "The schema and version the read models serve from")
        if found.serving_schema:
            serving.add_metric([], {"schema": found.serving_schema, "version": found.serving_version or ""})
        views = InfoMetricFamily("siwei_view_version", "Each view's version (its DDL and code) serving",
                                 labels=["view"])
        for view, version in sorted(found.views.items()):
            views.add_metric([view], {"version": version})
        builds = GaugeMetricFamily("siwei_read_models_build_progress", "Share of the topics read into read"
                                   " models being built beside the serving ones", labels=["schema"])
        for build in found.builds:
            builds.add_metric([build.schema], build.progress)
        yield from (published, relay_lag, lag, processes, letters, serving, views, builds)


def observe(status_code: int, started: float) -> None:
    REQUESTS.labels(str(status_code)).observe(time.perf_counter() - started)
