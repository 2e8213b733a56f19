"""``siwei audit verify``: walks each body's log against its hash chain, and each chain against
what the other bodies witnessed of it; reports the first broken link of each body exactly.

What each finding means:

- ``inserted``: an event in the log that the chain never linked;
- ``deleted``: a link whose event is gone, or links missing from the sequence;
- ``edited``: an event whose stored bytes no longer hash to what the chain recorded;
- ``relinked``: a link that does not follow from the one before (the chain itself was edited);
- ``rewritten``: a chain that is whole again but differs from what another body witnessed at
  that link: the log was rewritten at or before it, and its chain recomputed;
- ``truncated``: the log ends before a link another body witnessed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql
from tqdm import tqdm

from audit.chain import CHAIN_TABLE, event_hash, genesis, next_link
from services.common.bodies import Body
from services.common.witness import ChainWitness

FETCH_ROWS = 20_000
PROGRESS_FROM = 10_000  # events: a bar only for a long walk


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


def _events_table(body: Body) -> sql.Identifier:
    return sql.Identifier(body.schema, f"{body.value}_events")


def claims(conn: psycopg.Connection) -> dict[Body, list[Claim]]:
    """Every witness record in every body's log, by the body witnessed."""
    topic = get_topic(ChainWitness.HeadsWitnessed)  # type: ignore[attr-defined]
    found: dict[Body, list[Claim]] = defaultdict(list)
    for witness in Body:
        rows = conn.execute(sql.SQL("SELECT notification_id, state FROM {} WHERE topic = %s")
                            .format(_events_table(witness)), (topic,))
        for position, state in rows:
            data = json.loads(bytes(state))
            for body, sequence, link in zip(data["bodies"], data["sequences"], data["links"], strict=True):
                found[Body(body)].append(Claim(
                    witness, position, UUID(data["event_id"]["_data_"]),
                    datetime.fromisoformat(data["timestamp"]["_data_"]), sequence, link))
    return found


def _event_id(state: bytes | None) -> UUID | None:
    try:
        return UUID(json.loads(bytes(state))["event_id"]["_data_"]) if state is not None else None
    except (ValueError, KeyError, TypeError):
        return None


def verify_body(conn: psycopg.Connection, body: Body, witnessed: Iterable[Claim], *,
                progress: bool = False) -> Report:
    report = Report(body)
    by_sequence: dict[int, list[Claim]] = defaultdict(list)
    for claim in witnessed:
        by_sequence[claim.sequence].append(claim)
        report.witnessed_by[claim.witness] = max(report.witnessed_by.get(claim.witness, 0), claim.sequence)
    chain = sql.Identifier(body.schema, CHAIN_TABLE)
    total = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(chain)).fetchone()[0]
    expected, previous = 1, genesis(body.value)

    def broken(kind: str, position: int | None, sequence: int | None, state: bytes | None,
               detail: str) -> Report:
        report.broken = Break(body, kind, position, sequence, _event_id(state), detail)
        return report

    with conn.transaction(), conn.cursor(name=f"verify_{body.value}") as cur, \
            tqdm(total=total, unit="event", desc=f"verifying {body.value}",
                 disable=not progress or total < PROGRESS_FROM) as bar:
        cur.itersize = FETCH_ROWS
        cur.execute(sql.SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
            " c.sequence, c.position, c.aggregate_id, c.event_hash, c.link"
            " FROM {} e FULL OUTER JOIN {} c ON c.position = e.notification_id"
            " ORDER BY coalesce(c.position, e.notification_id)").format(_events_table(body), chain))
        for (stored_at, aggregate_id, version, topic, state,
             sequence, position, chained_aggregate, chained_hash, link) in cur:
            bar.update()
            if sequence is None:
                return broken("inserted", stored_at, None, state,
                              f"the log holds an event (aggregate {aggregate_id} version {version}) "
                              "that the chain never linked")
            if stored_at is None:
                return broken("deleted", position, sequence, None,
                              f"the chain links an event of aggregate {chained_aggregate} here, "
                              "but the log no longer holds it")
            if sequence != expected:
                if sequence > expected:
                    return broken("deleted", position, expected, None,
                                  f"links {expected} to {sequence - 1} are missing before this position: "
                                  "events were removed with their links")
                return broken("relinked", position, sequence, state,
                              f"link {sequence} comes again after link {expected - 1}")
            hashed = event_hash(aggregate_id, version, topic, bytes(state))
            if hashed != bytes(chained_hash) or aggregate_id != chained_aggregate:
                return broken("edited", position, sequence, state,
                              f"the stored event (aggregate {aggregate_id} version {version}) hashes to "
                              f"{hashed.hex()[:16]}…, the chain recorded {bytes(chained_hash).hex()[:16]}…")
            following = next_link(previous, sequence, hashed)
            if following != bytes(link):
                return broken("relinked", position, sequence, state,
                              f"the link {bytes(link).hex()[:16]}… does not follow from link {sequence - 1} "
                              f"(it should be {following.hex()[:16]}…)")
            for claim in by_sequence.get(sequence, ()):
                if claim.link != following.hex():
                    return broken("rewritten", position, sequence, state,
                                  f"{claim.witness.value} witnessed link {sequence} as "
                                  f"{claim.link[:16]}… on {claim.at:%Y-%m-%d %H:%M:%S} (its event "
                                  f"{claim.event_id}); the log now gives {following.hex()[:16]}…: "
                                  "it was rewritten at or before this event")
            previous, expected = following, expected + 1
            report.events += 1
    report.head = (expected - 1, previous.hex()) if expected > 1 else None
    beyond = [c for s, found in by_sequence.items() if s >= expected for c in found]
    if beyond:
        claim = min(beyond, key=lambda c: c.sequence)
        report.broken = Break(body, "truncated", None, claim.sequence, None,
                              f"the log ends at link {expected - 1}, but {claim.witness.value} witnessed "
                              f"link {claim.sequence} on {claim.at:%Y-%m-%d %H:%M:%S} (its event "
                              f"{claim.event_id}): events were removed from its end")
    return report


def verify(conn: psycopg.Connection, bodies: Iterable[Body] = tuple(Body), *,
           progress: bool = False) -> list[Report]:
    witnessed = claims(conn)
    return [verify_body(conn, body, witnessed.get(body, ()), progress=progress) for body in bodies]
