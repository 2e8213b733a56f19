"""``siwei audit verify``: checks each body's log against its hash chain, and each chain against
what the other bodies witnessed of it; reports the first broken link of each body exactly.

What each finding means:

- ``inserted``: an event in the log that the chain never linked;
- ``deleted``: a link whose event is gone, or links missing from the sequence;
- ``edited``: an event whose stored bytes no longer hash to what the chain recorded;
- ``relinked``: a link that does not follow from the one before (the chain itself was edited);
- ``misindexed``: a link whose index columns (compound, time, the ids it names) do not say what its
  event says, so that a subject's history would miss the event or show it where it does not belong;
- ``rewritten``: a chain that is whole again but differs from what another body witnessed at
  that link: the log was rewritten at or before it, and its chain recomputed;
- ``truncated``: the log ends before a link another body witnessed.

PostgreSQL does the checking: the logs are cut into stretches of positions, and each stretch is
hashed and compared in one query, by several connections at once that share one snapshot of the
ledger. A stretch's first flagged position is then judged here, row by row as the chain was
written, which names what broke and how. Rows of format 1, whose hash does not cover their index
columns, are also read as JSON to check the index; a stretch with such a row that PostgreSQL cannot
read as JSON (possible only if the chain was recomputed over it) is halved until the row is found.
"""

from __future__ import annotations

import json
import queue
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql
from tqdm import tqdm

from audit.chain import (CHAIN_TABLE, EVENT_HASH_SQL, HASH_PREFIXES, INDEX_MATCHES_SQL, NAMED_IDS_SQL, Indexed,
                         event_hash, genesis, next_link, next_link_sql)
from infra.stored import events_table
from services.common.bodies import Body
from services.common.witness import ChainWitness

STRETCH = 10_000  # positions of a log that one query checks
CONNECTIONS = 4  # checking stretches at once; the server's cores do the hashing
PROGRESS_FROM = 10_000  # events: a bar only for a long check


@dataclass(frozen=True)
class Claim:
    """One body's record of another's chain head."""

    witness: Body
    position: int  # of the witness record in the witness's log
    event_id: UUID
    at: datetime
    sequence: int
    link: str  # hex


@dataclass(frozen=True)
class Break:
    body: Body
    kind: str
    position: int | None
    sequence: int | None
    event_id: UUID | None
    detail: str

    def __str__(self) -> str:
        where = [f"position {self.position}" if self.position is not None else None,
                 f"link {self.sequence}" if self.sequence is not None else None,
                 f"event {self.event_id}" if self.event_id is not None else None]
        return f"{self.kind} at {', '.join(w for w in where if w)}: {self.detail}"


@dataclass
class Report:
    body: Body
    events: int = 0
    head: tuple[int, str] | None = None  # sequence, link in hex
    broken: Break | None = None
    witnessed_by: dict[Body, int] = field(default_factory=dict)  # witness -> highest link it saw

    def __str__(self) -> str:
        if self.broken is not None:
            return f"{self.body.value}: BROKEN, {self.broken}"
        head = f"head link {self.head[0]} {self.head[1][:16]}…" if self.head else "empty"
        seen = ", ".join(f"{w.value} (to link {s})" for w, s in sorted(self.witnessed_by.items()))
        return (f"{self.body.value}: {self.events} events, chain intact, {head}; "
                + (f"matches what {seen} witnessed" if seen else "not witnessed yet"))


def claims(conn: psycopg.Connection) -> dict[Body, list[Claim]]:
    """Every witness record in every body's log, by the body witnessed. A record that cannot be
    read claims nothing: it is an edited event of its witness's log, which that log's check finds."""
    topic = get_topic(ChainWitness.HeadsWitnessed)  # type: ignore[attr-defined]
    found: dict[Body, list[Claim]] = defaultdict(list)
    for witness in Body:
        rows = conn.execute(sql.SQL("SELECT notification_id, state FROM {} WHERE originator_id = %s AND topic = %s")
                            .format(events_table(witness)), (ChainWitness.create_id(witness.value), topic))
        for position, state in rows:
            try:
                found_here = _claims_in(witness, position, bytes(state))
            except (ValueError, KeyError, TypeError):
                continue
            for body, claim in found_here:
                found[body].append(claim)
    return found


def _claims_in(witness: Body, position: int, state: bytes) -> list[tuple[Body, Claim]]:
    data = json.loads(state)
    event_id, at = UUID(data["event_id"]["_data_"]), datetime.fromisoformat(data["timestamp"]["_data_"])
    heads = list(zip(data["bodies"], data["sequences"], data["links"], strict=True))
    if not all(type(sequence) is int and isinstance(link, str) for _, sequence, link in heads):
        raise TypeError("a head that is not a sequence and a link")
    return [(Body(body), Claim(witness, position, event_id, at, sequence, link)) for body, sequence, link in heads]


def _event_id(state: bytes | None) -> UUID | None:
    try:
        return UUID(json.loads(bytes(state))["event_id"]["_data_"]) if state is not None else None
    except (ValueError, KeyError, TypeError):
        return None


def _chain_table(body: Body) -> sql.Identifier:
    return sql.Identifier(body.schema, CHAIN_TABLE)


@dataclass(frozen=True)
class Stretch:
    """Positions ``first`` to ``last`` of one body's log, as one query checks them."""

    body: Body
    first: int
    last: int


@dataclass(frozen=True)
class Checked:
    stretch: Stretch
    links: int  # chain rows in the stretch
    flagged: int | None  # the first position where something is wrong


def stretches(conn: psycopg.Connection, body: Body) -> list[Stretch]:
    low, high = conn.execute(sql.SQL(
        "SELECT least(min(position), (SELECT min(notification_id) FROM {events})),"
        " greatest(max(position), (SELECT max(notification_id) FROM {events})) FROM {chain}").format(
            events=events_table(body), chain=_chain_table(body))).fetchone()
    if low is None:
        return []
    return [Stretch(body, first, min(first + STRETCH - 1, high)) for first in range(low, high + 1, STRETCH)]


def _link_before(conn: psycopg.Connection, body: Body, position: int) -> tuple[int, bytes]:
    """The sequence and link of the last link before ``position`` (0 and the genesis if none)."""
    row = conn.execute(sql.SQL("SELECT sequence, link FROM {} WHERE position < %s ORDER BY position DESC LIMIT 1")
                       .format(_chain_table(body)), (position,)).fetchone()
    return (row[0], bytes(row[1])) if row else (0, genesis(body.value))


def _check(conn: psycopg.Connection, stretch: Stretch) -> Checked:
    """The stretch's links and first flagged position: an event the chain never linked, a link
    without its event, out of sequence, not hashing to its event (with its index, since format 2),
    not following the link before, or (format 1) indexed otherwise than its event says."""
    sequence, link = _link_before(conn, stretch.body, stretch.first)
    query = sql.SQL("""
        SELECT count(*), least(min(position) FILTER (WHERE NOT sound), (
            SELECT min(e.notification_id) FROM {events} e WHERE e.notification_id BETWEEN %(first)s AND %(last)s
            AND NOT EXISTS (SELECT FROM {chain} c WHERE c.position = e.notification_id
                            AND c.position BETWEEN %(first)s AND %(last)s)))
        FROM (
            SELECT position, CASE WHEN NOT linked THEN false WHEN hash_version >= 2 THEN true
                ELSE coalesce((SELECT {index_matches} FROM (SELECT convert_from(c.state, 'UTF8')::jsonb AS doc
                                                            OFFSET 0) state, LATERAL ({named_ids}) named), false)
                END AS sound
            FROM (
                SELECT c.*, e.state, coalesce(e.notification_id IS NOT NULL
                    AND c.sequence = coalesce(lag(c.sequence) OVER w, %(sequence)s) + 1
                    AND c.aggregate_id = e.originator_id AND c.event_hash = {event_hash}
                    AND c.link = {next_link}, false) AS linked
                FROM {chain} c LEFT JOIN {events} e
                    ON e.notification_id = c.position AND e.notification_id BETWEEN %(first)s AND %(last)s
                WHERE c.position BETWEEN %(first)s AND %(last)s
                WINDOW w AS (ORDER BY c.position)
            ) c
        ) checked""").format(
        events=events_table(stretch.body), chain=_chain_table(stretch.body), event_hash=EVENT_HASH_SQL,
        next_link=next_link_sql(sql.SQL("coalesce(lag(c.link) OVER w, %(link)s)")),
        index_matches=INDEX_MATCHES_SQL, named_ids=NAMED_IDS_SQL)
    arguments = {"first": stretch.first, "last": stretch.last, "sequence": sequence, "link": link}
    try:
        with conn.transaction():
            links, flagged = conn.execute(query, arguments).fetchone()
        return Checked(stretch, links, flagged)
    except psycopg.DataError:  # SQLSTATE class 22: bytes that are not UTF-8 or not JSON
        if stretch.first == stretch.last:
            return Checked(stretch, 1, stretch.first)  # a row PostgreSQL cannot read: judged below
        middle = (stretch.first + stretch.last) // 2
        halves = [_check(conn, Stretch(stretch.body, stretch.first, middle)),
                  _check(conn, Stretch(stretch.body, middle + 1, stretch.last))]
        flags = [h.flagged for h in halves if h.flagged is not None]
        return Checked(stretch, sum(h.links for h in halves), min(flags, default=None))


def in_snapshot(database_url: str, snapshot: str, work: Iterable[Any],
                check: Callable[[psycopg.Connection, Any], Any]) -> list[Any]:
    """``check`` on each piece of ``work``, by ``CONNECTIONS`` connections that all see the ledger as
    of ``snapshot`` (exported by the caller's open transaction)."""
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for piece in work:
        pending.put(piece)

    def connection() -> list[Any]:
        done = []
        with psycopg.connect(database_url) as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            conn.execute("SET LOCAL enable_memoize = off")  # it would hash each event's whole state, never to hit
            while True:
                try:
                    piece = pending.get_nowait()
                except queue.Empty:
                    return done
                done.append(check(conn, piece))

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return [d for f in [pool.submit(connection) for _ in range(CONNECTIONS)] for d in f.result()]


@contextmanager
def snapshot_of(database_url: str) -> Iterator[tuple[psycopg.Connection, str]]:
    """A read-only transaction and the name of its snapshot, for others to share."""
    with psycopg.connect(database_url) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn, conn.execute("SELECT pg_export_snapshot()").fetchone()[0]


def _judge(conn: psycopg.Connection, body: Body, position: int,
           by_sequence: dict[int, list[Claim]]) -> tuple[int, Break | None]:
    """What is wrong at ``position``, given that every link before it is sound: the links before
    it, and the break (None if nothing is)."""
    _, previous = _link_before(conn, body, position)
    count = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE position < %s").format(_chain_table(body)),
                         (position,)).fetchone()[0]
    expected = count + 1
    row = conn.execute(sql.SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
        " c.sequence, c.aggregate_id, c.compound_id, c.occurred_at, c.subjects, c.hash_version, c.event_hash, c.link"
        " FROM (SELECT %(at)s::bigint AS at) here LEFT JOIN {events} e ON e.notification_id = here.at"
        " LEFT JOIN {chain} c ON c.position = here.at").format(
            events=events_table(body), chain=_chain_table(body)), {"at": position}).fetchone()
    (stored_at, aggregate_id, version, topic, state, sequence, chained_aggregate, compound_id, occurred_at,
     subjects, hash_version, chained_hash, link) = row
    state = bytes(state) if state is not None else None

    def broken(kind: str, sequence: int | None, detail: str) -> tuple[int, Break]:
        return count, Break(body, kind, position, sequence, _event_id(state), detail)

    if sequence is None:
        return broken("inserted", None, f"the log holds an event (aggregate {aggregate_id} version {version}) "
                      "that the chain never linked")
    if stored_at is None:
        return broken("deleted", sequence, f"the chain links an event of aggregate {chained_aggregate} here, "
                      "but the log no longer holds it")
    if sequence > expected:
        return broken("deleted", expected, f"links {expected} to {sequence - 1} are missing before this "
                      "position: events were removed with their links")
    if sequence < expected:
        return broken("relinked", sequence, f"link {sequence} comes again after link {expected - 1}")
    if hash_version not in HASH_PREFIXES:
        return broken("relinked", sequence, f"the link says its hash is of format {hash_version}, which does not exist")
    indexed = Indexed(compound_id, occurred_at, subjects)
    try:
        said = Indexed.of(aggregate_id, state)
    except (ValueError, KeyError, TypeError):
        said = None
    hashed = event_hash(aggregate_id, version, topic, state, indexed, hash_version)
    if hashed != bytes(chained_hash) or aggregate_id != chained_aggregate:
        if said is not None and aggregate_id == chained_aggregate \
                and event_hash(aggregate_id, version, topic, state, said, hash_version) == bytes(chained_hash):
            return broken("misindexed", sequence, f"the chain indexes the event as {indexed.describe()}; "
                          f"the event itself says {said.describe()}")
        return broken("edited", sequence, f"the stored event (aggregate {aggregate_id} version {version}) hashes "
                      f"to {hashed.hex()[:16]}…, the chain recorded {bytes(chained_hash).hex()[:16]}…")
    following = next_link(previous, sequence, hashed)
    if following != bytes(link):
        return broken("relinked", sequence, f"the link {bytes(link).hex()[:16]}… does not follow from link "
                      f"{sequence - 1} (it should be {following.hex()[:16]}…)")
    if said is None and hash_version == 1:
        return broken("misindexed", sequence, "the event's state cannot be read for the index")
    if hash_version == 1 and ((said.compound_id, said.occurred_at, set(said.subjects))
                              != (compound_id, occurred_at, set(subjects)) or subjects[:1] != [aggregate_id]):
        return broken("misindexed", sequence, f"the chain indexes the event as {indexed.describe()}; "
                      f"the event itself says {said.describe()}")
    for claim in by_sequence.get(sequence, ()):
        if claim.link != following.hex():
            return broken("rewritten", sequence,
                          f"{claim.witness.value} witnessed link {sequence} as {claim.link[:16]}… on "
                          f"{claim.at:%Y-%m-%d %H:%M:%S} (its event {claim.event_id}); the log now gives "
                          f"{following.hex()[:16]}…: it was rewritten at or before this event")
    return count, None


def _report(conn: psycopg.Connection, body: Body, checked: list[Checked], witnessed: Iterable[Claim]) -> Report:
    report = Report(body)
    by_sequence: dict[int, list[Claim]] = defaultdict(list)
    for claim in witnessed:
        by_sequence[claim.sequence].append(claim)
        report.witnessed_by[claim.witness] = max(report.witnessed_by.get(claim.witness, 0), claim.sequence)
    contradicted = [position for sequence, position, link in conn.execute(sql.SQL(
        "SELECT sequence, position, encode(link, 'hex') FROM {} WHERE sequence = ANY(%s)").format(
            _chain_table(body)), (list(by_sequence),))
        if any(claim.link != link for claim in by_sequence[sequence])]
    flagged = [c.flagged for c in checked if c.flagged is not None] + contradicted
    if flagged:
        report.events, report.broken = _judge(conn, body, min(flagged), by_sequence)
        if report.broken is None:
            raise RuntimeError(f"{body.value}: position {min(flagged)} was flagged, but judged sound")
        return report
    report.events = sum(c.links for c in checked)
    head = conn.execute(sql.SQL("SELECT sequence, encode(link, 'hex') FROM {} ORDER BY sequence DESC LIMIT 1")
                        .format(_chain_table(body))).fetchone()
    report.head = (head[0], head[1]) if head else None
    beyond = [c for s, found in by_sequence.items() if s > report.events for c in found]
    if beyond:
        claim = min(beyond, key=lambda c: c.sequence)
        report.broken = Break(body, "truncated", None, claim.sequence, None,
                              f"the log ends at link {report.events}, but {claim.witness.value} witnessed "
                              f"link {claim.sequence} on {claim.at:%Y-%m-%d %H:%M:%S} (its event "
                              f"{claim.event_id}): events were removed from its end")
    return report


def verify(database_url: str, bodies: Iterable[Body] = tuple(Body), *, progress: bool = False) -> list[Report]:
    bodies = list(bodies)
    with snapshot_of(database_url) as (conn, snapshot):
        witnessed = claims(conn)
        work = [s for body in bodies for s in stretches(conn, body)]
        total = sum(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_chain_table(b))).fetchone()[0]
                    for b in bodies)
        with tqdm(total=total, unit="event", desc="verifying", disable=not progress or total < PROGRESS_FROM) as bar:
            def check(worker: psycopg.Connection, stretch: Stretch) -> Checked:
                checked = _check(worker, stretch)
                bar.update(checked.links)
                return checked

            checked = in_snapshot(database_url, snapshot, work, check)
        return [_report(conn, body, [c for c in checked if c.stretch.body is body], witnessed.get(body, ()))
                for body in bodies]
