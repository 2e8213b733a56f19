"""Bearer tokens. A token is shown once, when issued; only its SHA-256 is stored. Tokens expire
and can be revoked; a token that has expired or been revoked is refused like an unknown one."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

import psycopg

from api.principals import Principal
from infra.database import connect, schema_changes

DEFAULT_LIFETIME = timedelta(days=90)
REVOKED_CHANNEL = "siwei_token_revoked"  # NOTIFY'd with each revocation, for the API's memory of tokens

TOKENS_DDL = """
CREATE SCHEMA IF NOT EXISTS api;
CREATE TABLE IF NOT EXISTS api.tokens (
    token_id uuid PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    principal text NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
"""


class UnknownToken(LookupError):
    """No token has that id."""


@dataclass(frozen=True)
class IssuedToken:
    token_id: UUID
    secret: str
    principal: Principal
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_tables(database_url: str) -> None:
    with schema_changes(database_url) as conn:
        conn.execute(TOKENS_DDL)


def issue(database_url: str, principal: Principal, lifetime: timedelta = DEFAULT_LIFETIME) -> IssuedToken:
    issued = IssuedToken(uuid4(), "sw_" + secrets.token_urlsafe(32), principal,
                         datetime.now(tz=timezone.utc) + lifetime)
    create_tables(database_url)
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO api.tokens (token_id, token_hash, principal, expires_at) VALUES (%s, %s, %s, %s)",
            (issued.token_id, token_hash(issued.secret), principal.spec, issued.expires_at),
        )
    return issued


def revoke(database_url: str, token_id: UUID) -> None:
    create_tables(database_url)
    with connect(database_url) as conn:
        revoked = conn.execute(
            "UPDATE api.tokens SET revoked_at = coalesce(revoked_at, now()) WHERE token_id = %s",
            (token_id,),
        ).rowcount
        conn.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, str(token_id)))
    if not revoked:
        raise UnknownToken(f"no token has the id {token_id}")


def listing(database_url: str) -> list[tuple]:
    create_tables(database_url)
    with connect(database_url) as conn:
        return conn.execute(
            "SELECT token_id, principal, issued_at, expires_at, revoked_at FROM api.tokens"
            " ORDER BY issued_at"
        ).fetchall()


def is_valid(database_url: str, secret: str) -> bool:
    create_tables(database_url)
    with connect(database_url) as conn:
        return conn.execute(
            "SELECT 1 FROM api.tokens WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > now()",
            (token_hash(secret),),
        ).fetchone() is not None


async def principal_of(conn: psycopg.AsyncConnection, secret: str) -> tuple[Principal, datetime] | None:
    """The principal of a valid token, and when the token expires."""
    row = await (await conn.execute(
        "SELECT principal, expires_at FROM api.tokens WHERE token_hash = %s AND revoked_at IS NULL"
        " AND expires_at > now()",
        (token_hash(secret),),
    )).fetchone()
    return (Principal.parse(row[0]), row[1]) if row else None
