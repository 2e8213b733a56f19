"""Partitions shared among the processes of one reader by leases in PostgreSQL (Axon's segments,
claimed in a table beside the offsets; no consumer group).

Every reader process is a member while it renews its row in ``readers``; its share is the number
of partitions over the number of live members, rounded up. Every ``RENEW_SECONDS`` a process
renews its leases, gives up those above its share (so that a newcomer gets some) and takes free or
expired ones up to it. A process that dies stops renewing: its leases expire after
``LEASE_SECONDS`` and the others take them. A reader applies a batch only while it holds the
batch's partitions: the check locks the lease rows in the batch's own transaction, so a lease
taken over meanwhile fails the batch (``LeaseLost``) rather than letting two processes write one
partition; the taker reads the partition from the offsets committed with the views.
"""

from __future__ import annotations

import math
import os
import socket
import uuid

import psycopg
from kafka import TopicPartition

LEASE_SECONDS = 6.0
RENEW_SECONDS = 2.0

LEASES_DDL = """
CREATE TABLE IF NOT EXISTS leases (
    topic text NOT NULL,
    partition integer NOT NULL,
    holder text,
    expires_at timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS readers (
    holder text PRIMARY KEY,
    seen_until timestamptz NOT NULL,
    last_error text,
    last_error_at timestamptz
);
"""


class LeaseLost(RuntimeError):
    """A partition of the batch is no longer this process's: another took it over."""


def new_holder(role: str) -> str:
    """A name for one reader in one process: host, process id and a random part."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leases:
    def __init__(self, holder: str) -> None:
        self.holder = holder

    def claim(self, conn: psycopg.Connection, partitions: list[TopicPartition],
              error: str | None = None) -> set[TopicPartition]:
        """Renews this member (noting ``error``, the last that befell it, if any) and its leases,
        gives up those above its share, takes free ones up to it; answers the partitions it holds
        now."""
        interval = f"{LEASE_SECONDS} seconds"
        with conn.transaction():
            conn.cursor().executemany(
                "INSERT INTO leases (topic, partition) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(tp.topic, tp.partition) for tp in partitions])
            conn.execute(
                "INSERT INTO readers (holder, seen_until, last_error, last_error_at)"
                " VALUES (%s, now() + %s::interval, %s, CASE WHEN %s::text IS NULL THEN NULL ELSE now() END)"
                " ON CONFLICT (holder) DO UPDATE SET seen_until = EXCLUDED.seen_until,"
                " last_error = coalesce(EXCLUDED.last_error, readers.last_error),"
                " last_error_at = coalesce(EXCLUDED.last_error_at, readers.last_error_at)",
                (self.holder, interval, error, error))
            members = conn.execute("SELECT count(*) FROM readers WHERE seen_until > now()").fetchone()[0]
            share = math.ceil(len(partitions) / max(1, members))
            held = conn.execute(
                "UPDATE leases SET expires_at = now() + %s::interval WHERE holder = %s"
                " RETURNING topic, partition", (interval, self.holder)).fetchall()
            held.sort()
            if len(held) > share:
                conn.cursor().executemany(
                    "UPDATE leases SET holder = NULL, expires_at = '-infinity'"
                    " WHERE topic = %s AND partition = %s AND holder = %s",
                    [(topic, partition, self.holder) for topic, partition in held[share:]])
                held = held[:share]
            elif len(held) < share:
                held += conn.execute(
                    "UPDATE leases SET holder = %s, expires_at = now() + %s::interval"
                    " WHERE (topic, partition) IN (SELECT topic, partition FROM leases"
                    " WHERE expires_at <= now() AND topic = ANY(%s) ORDER BY topic, partition LIMIT %s"
                    " FOR UPDATE SKIP LOCKED) RETURNING topic, partition",
                    (self.holder, interval, sorted({tp.topic for tp in partitions}), share - len(held))).fetchall()
            conn.execute("DELETE FROM readers WHERE seen_until < now() - interval '1 hour'")
        wanted = set(partitions)
        return {tp for tp in (TopicPartition(topic, partition) for topic, partition in held) if tp in wanted}

    def check(self, cur: psycopg.Cursor, partitions: set[TopicPartition]) -> None:
        """In the transaction that applies a batch of ``partitions``: raises ``LeaseLost`` unless
        this process still holds each, and keeps their lease rows locked until it ends."""
        rows = cur.execute(
            "SELECT topic, partition FROM leases WHERE holder = %s AND expires_at > now()"
            " AND (topic, partition) IN (SELECT * FROM unnest(%s::text[], %s::int[])) FOR UPDATE",
            (self.holder, [tp.topic for tp in partitions], [tp.partition for tp in partitions])).fetchall()
        if len(rows) < len(partitions):
            lost = partitions - {TopicPartition(topic, partition) for topic, partition in rows}
            raise LeaseLost(f"{sorted(lost)} taken over by another process")

    def release(self, conn: psycopg.Connection) -> None:
        """Gives up every lease at once, for the others to take without waiting for them to
        expire, and leaves the members."""
        with conn.transaction():
            conn.execute("UPDATE leases SET holder = NULL, expires_at = '-infinity' WHERE holder = %s",
                         (self.holder,))
            conn.execute("UPDATE readers SET seen_until = now() WHERE holder = %s", (self.holder,))
