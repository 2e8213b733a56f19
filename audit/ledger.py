"""The four bodies' logs read as one ledger, through each chain's index: a subject's history
across bodies, a compound's events up to a time, each event as every consumer sees it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from audit.chain import CHAIN_TABLE
from infra.stored import events_table, published
from services.common.bodies import Body
from services.common.published import PublishedEvent

# Related compounds are followed this many steps (a joint branch's compounds, through the branch).
RELATED_STEPS = 3


@dataclass(frozen=True)
class Entry:
    """One event of the ledger: where it stands in its body's log, and the event."""

    position: int
    sequence: int
    event: PublishedEvent


def jsonable(value: Any) -> Any:
    """An event's data as JSON values: ids, amounts and dates as text."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def ledger(where: str) -> sql.Composable:
    """All four logs with their chain's index, as one relation (``body``, ``position``,
    ``sequence``, ``occurred_at``, ``compound_id``, ``aggregate_id``, ``version``, ``topic``,
    ``state``), filtered by ``where`` on the chain ``c``, with named placeholders."""
    return sql.SQL(" UNION ALL ").join(
        sql.SQL(
            "SELECT {} AS body, c.position, c.sequence, c.occurred_at, c.compound_id,"
            " e.originator_id AS aggregate_id, e.originator_version AS version, e.topic, e.state"
            " FROM {} c JOIN {} e ON e.notification_id = c.position WHERE " + where
        ).format(sql.Literal(body.value), sql.Identifier(body.schema, CHAIN_TABLE),
                 events_table(body))
        for body in Body
    )


SUBJECT = "c.subjects @> ARRAY[%(subject)s::uuid] AND (%(compound)s::uuid IS NULL OR c.compound_id IS NULL" \
          " OR c.compound_id = %(compound)s::uuid) AND (%(until)s::timestamptz IS NULL" \
          " OR c.occurred_at <= %(until)s::timestamptz)"
ORDER = ("occurred_at", "body", "position")


def subject_params(subject: UUID, compound: UUID | None = None, until: datetime | None = None) -> dict:
    return {"subject": subject, "compound": compound, "until": until}


def decoded(row: dict) -> Entry:
    """A ledger row as the event every consumer sees: sealed personal data stays sealed."""
    return Entry(row["position"], row["sequence"],
                 published(Body(row["body"]), row["aggregate_id"], row["version"], row["topic"], row["state"]))


def history(conn: psycopg.Connection, subject: UUID, *, compound: UUID | None = None,
            until: datetime | None = None) -> Iterator[Entry]:
    """Every event naming ``subject`` (its own, and those of other aggregates, in any body, that
    name it), in the order they occurred; only those of ``compound`` (and of no compound) if given."""
    query = sql.SQL("SELECT * FROM ({}) l ORDER BY occurred_at, body, position").format(ledger(SUBJECT))
    with conn.cursor(name="history", row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query, subject_params(subject, compound, until))
        for row in cur:
            yield decoded(row)


def _over_chains(conn: psycopg.Connection, select: str, params: dict[str, Any]) -> list[Any]:
    """The distinct single values one ``select`` from ``{} c`` answers over every body's chain."""
    query = sql.SQL(" UNION ").join(
        sql.SQL(select).format(sql.Identifier(body.schema, CHAIN_TABLE)) for body in Body)
    return [value for (value,) in conn.execute(query, params).fetchall()]


# Every id the events of some compounds name, up to a time.
NAMES_IN = ("SELECT DISTINCT unnest(subjects) FROM {} c WHERE c.compound_id = ANY(%(frontier)s)"
            " AND c.occurred_at <= %(until)s")


def related_compounds(conn: psycopg.Connection, compound_id: UUID,
                      until: datetime) -> tuple[list[UUID], list[UUID]]:
    """The compound and those its state depends on (the compounds of the aggregates its events
    name, a joint branch's, and the compounds those events name, to a few steps); and every id
    their events name."""
    found, frontier, named = {compound_id}, {compound_id}, set()
    for _ in range(RELATED_STEPS):
        names = _over_chains(conn, NAMES_IN, {"frontier": list(frontier), "until": until})
        named.update(names)
        reached = set(_over_chains(conn, "SELECT DISTINCT compound_id FROM {} c WHERE compound_id IS NOT NULL"
                                   " AND (aggregate_id = ANY(%(names)s) OR compound_id = ANY(%(names)s))"
                                   " AND occurred_at <= %(until)s", {"names": names, "until": until}))
        frontier = reached - found
        if not frontier:
            break
        found |= frontier
    else:  # the last step's compounds: their names too
        named.update(_over_chains(conn, NAMES_IN, {"frontier": list(frontier), "until": until}))
    return list(found), list(named)


REPLAYED = "(c.compound_id = ANY(%(compounds)s) OR (c.compound_id IS NULL AND c.subjects && %(named)s))" \
           " AND c.occurred_at <= %(until)s"


def compound_events(conn: psycopg.Connection, compound_id: UUID,
                    until: datetime) -> Iterator[Entry]:
    """What a compound's state as of ``until`` is built from, in the order it occurred: the
    events of the compound and its related compounds, and the events of no compound (a
    property company's) that name any of those compounds' aggregates."""
    compounds, named = related_compounds(conn, compound_id, until)
    query = sql.SQL("SELECT * FROM ({}) l ORDER BY occurred_at, body, position").format(ledger(REPLAYED))
    with conn.cursor(name="compound_events", row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query, {"compounds": compounds, "named": named, "until": until})
        for row in cur:
            yield decoded(row)
