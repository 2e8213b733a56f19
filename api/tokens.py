"""Bearer tokens. A token is shown once, when issued; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

import psycopg

from api.principals import Principal
from infra.database import connect

TOKENS_DDL = """
CREATE SCHEMA IF NOT EXISTS api;
CREATE TABLE IF NOT EXISTS api.tokens (
    token_hash text PRIMARY KEY,
    principal text NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);
"""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_tables(database_url: str) -> None:
    with connect(database_url, autocommit=True) as conn:
        conn.execute(TOKENS_DDL)


def issue(database_url: str, principal: Principal) -> str:
    token = "sw_" + secrets.token_urlsafe(32)
    create_tables(database_url)
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO api.tokens (token_hash, principal) VALUES (%s, %s)",
            (token_hash(token), principal.spec),
        )
    return token


async def principal_of(conn: psycopg.AsyncConnection, token: str) -> Principal | None:
    row = await (await conn.execute(
        "SELECT principal FROM api.tokens WHERE token_hash = %s", (token_hash(token),)
    )).fetchone()
    return Principal.parse(row[0]) if row else None
