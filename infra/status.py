"""How far each part is, read from what the parts keep in PostgreSQL: the relays' positions and
where what the broker acknowledged ends on each partition, the readers' committed offsets, leases
and set-aside events, and the read models serving or being built. ``siwei status`` prints it; the
API's ``/metrics`` and ``/readyz`` answer from it. Nothing here asks the broker: a partition's end
is the offset after the last message the relay recorded the broker acknowledged there in the
current generation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from psycopg import sql

from infra.logs import one_line
from infra.stored import events_table
from projections.serving import ABANDONED_SECONDS, LIVE_SCHEMA, REBUILD_SCHEMA, at_work
from services.common.bodies import Body

READERS = {"projector": None, "reactor": "reactions", "witness": "witness"}  # None: the schema serving


@dataclass(frozen=True)
class RelayStatus:
    body: str
    position: int  # the last event of the body's log published and acknowledged
    head: int  # the last event of the body's log
    generation: int | None
    last_error: str | None = None
    last_error_at: datetime | None = None

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


@dataclass(frozen=True)
class PartitionStatus:
    topic: str
    partition: int
    offset: int  # the next the reader will read
    end: int  # after the last message the broker acknowledged there in the relay's generation

    @property
    def lag(self) -> int:
        return max(0, self.end - self.offset)


@dataclass(frozen=True)
class ProcessStatus:
    holder: str
    partitions: int
    alive: bool
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class ReaderStatus:
    name: str
    schema: str
    partitions: list[PartitionStatus]
    processes: list[ProcessStatus]
    dead_letters: int

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)


@dataclass(frozen=True)
class BuildStatus:
    schema: str
    read: int
    total: int
    at_work: bool  # a process of it is seen now

    @property
    def progress(self) -> float:
        return self.read / self.total if self.total else 1.0


@dataclass(frozen=True)
class Status:
    relays: list[RelayStatus]
    readers: list[ReaderStatus]
    serving_schema: str | None
    serving_version: str | None
    serving_since: datetime | None
    views: dict[str, str]
    builds: list[BuildStatus] = field(default_factory=list)


def _exists(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]


def _relays(conn: psycopg.Connection) -> tuple[list[RelayStatus], dict[str, tuple[int, dict[int, int]]]]:
    relays, ends = [], {}
    for body in Body:
        head = 0
        if _exists(conn, f"{body.schema}.{body.value}_events"):
            head = conn.execute(sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(
                events_table(body))).fetchone()[0]
        row = None
        if _exists(conn, f"{body.schema}.relay_state"):  # as a whole: a relay of an older version lacks columns
            row = conn.execute(sql.SQL("SELECT to_jsonb(r) FROM {} r WHERE topic = %s").format(
                sql.Identifier(body.schema, "relay_state")), (body.topic,)).fetchone()
        if row is None:
            relays.append(RelayStatus(body.value, 0, head, None))
            continue
        state = row[0]
        error_at = datetime.fromisoformat(state["last_error_at"]) if state.get("last_error_at") else None
        relays.append(RelayStatus(body.value, state["position"], head, state["generation"], state.get("last_error"),
                                  error_at))
        ends[body.topic] = (state["generation"], {int(p): n for p, n in state["acknowledged"].items()})
    return relays, ends


def _partitions(conn: psycopg.Connection, schema: str,
                ends: dict[str, tuple[int, dict[int, int]]]) -> list[PartitionStatus]:
    read = {(topic, partition): (offset, generation) for topic, partition, offset, generation in conn.execute(
        sql.SQL("SELECT topic, partition, next_offset, generation FROM {}").format(
            sql.Identifier(schema, "projector_offsets")))}
    found = []
    for topic, (generation, acknowledged) in sorted(ends.items()):
        for partition, end in sorted(acknowledged.items()):
            offset, read_in = read.get((topic, partition), (0, None))
            # Read in an older generation: the whole partition is to be read again.
            found.append(PartitionStatus(topic, partition, offset if read_in in (None, generation) else 0, end))
    return found


def _reader(conn: psycopg.Connection, name: str, schema: str,
            ends: dict[str, tuple[int, dict[int, int]]]) -> ReaderStatus | None:
    if not _exists(conn, f"{schema}.projector_offsets"):
        return None
    processes = []
    if _exists(conn, f"{schema}.readers"):
        processes = [ProcessStatus(*row) for row in conn.execute(sql.SQL(
            "SELECT r.holder, (SELECT count(*) FROM {} l WHERE l.holder = r.holder AND l.expires_at > now()),"
            " r.seen_until > now(), r.last_error, r.last_error_at FROM {} r"
            " WHERE r.seen_until > now() OR r.last_error_at > now() - interval '1 day' ORDER BY r.holder")
            .format(sql.Identifier(schema, "leases"), sql.Identifier(schema, "readers")))]
    letters = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier(schema, "dead_letters"))).fetchone()[0]
    return ReaderStatus(name, schema, _partitions(conn, schema, ends), processes, letters)


def behind(database_url: str, schema: str) -> int:
    """Events of the bodies' logs not yet in the read models of ``schema``: not yet published, or
    published (in the relays' current generations) and not yet read."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        relays, ends = _relays(conn)
        return sum(r.lag for r in relays) + sum(p.lag for p in _partitions(conn, schema, ends))


def status(database_url: str) -> Status:
    with psycopg.connect(database_url, autocommit=True) as conn:
        relays, ends = _relays(conn)
        serving = (None, None, None, {})
        if _exists(conn, f"{LIVE_SCHEMA}.serving"):
            serving = conn.execute(f"SELECT schema, version, since, views FROM {LIVE_SCHEMA}.serving").fetchone()
        readers = []
        for name, schema in READERS.items():
            found = _reader(conn, name, schema or serving[0], ends) if (schema or serving[0]) else None
            if found is not None:
                readers.append(found)
        builds = []
        for (schema,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY 1",
                                      (f"{LIVE_SCHEMA}\\_%",)).fetchall():
            if schema != serving[0] and _exists(conn, f"{schema}.projector_offsets"):
                partitions = _partitions(conn, schema, ends)
                builds.append(BuildStatus(schema, sum(min(p.offset, p.end) for p in partitions),
                                          sum(p.end for p in partitions), at_work(conn, schema)))
    return Status(relays, readers, serving[0], serving[1], serving[2], serving[3] or {}, builds)


def report(found: Status) -> str:
    """What ``siwei status`` prints."""
    lines = ["Relays (the bodies' logs to their topics):"]
    for relay in found.relays:
        lines.append(f"  {relay.body:<17} published {relay.position} of {relay.head}, {relay.lag} behind"
                     + _error(relay.last_error, relay.last_error_at))
    lines.append(f"Read models: serving {found.serving_schema or 'nothing yet'}"
                 + (f" (version {found.serving_version}, since {found.serving_since:%Y-%m-%d %H:%M:%S})"
                    if found.serving_since else ""))
    for build in found.builds:
        lines.append(f"  building {build.schema}: {build.read} of {build.total} ({build.progress:.0%})"
                     + ("" if build.at_work else _idle(build.schema)))
    for reader in found.readers:
        behind = [p for p in reader.partitions if p.lag]
        lines.append(f"{reader.name} ({reader.schema}): {reader.lag} behind"
                     + (f" on {len(behind)} of {len(reader.partitions)} partitions" if behind else "")
                     + f", {reader.dead_letters} set aside")
        for p in behind:
            lines.append(f"  {p.topic}/{p.partition}: at {p.offset} of {p.end}")
        for process in reader.processes:
            state = f"{process.partitions} partitions" if process.alive else "gone"
            lines.append(f"  process {process.holder}: {state}" + _error(process.last_error, process.last_error_at))
        if not any(p.alive for p in reader.processes):
            lines.append("  no process running")
    return "\n".join(lines)


def _idle(schema: str) -> str:
    if REBUILD_SCHEMA.fullmatch(schema):
        return (f"; no process at work on it: left by a rebuild that stopped, dropped once idle"
                f" {ABANDONED_SECONDS / 60:.0f} minutes, when a projector starts or a rebuild begins")
    return "; no process at work on it"


def _error(error: str | None, at: datetime | None) -> str:
    return f"; last error {at:%Y-%m-%d %H:%M:%S}: {one_line(error)}" if error and at else ""
