"""Relay-style connections over read-model tables, paged by keyset (no OFFSET scans)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

T = TypeVar("T")
DEFAULT_PAGE = 20
MAX_PAGE = 100


class InvalidPage(ValueError):
    """A page request that cannot be answered."""


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(v) for v in values]).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise InvalidPage(f"{cursor!r} is not a cursor this API gave out") from None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidPage(f"{cursor!r} is not a cursor this API gave out")
    return values


def equal(**columns: Any) -> tuple[list[sql.Composable], list[Any]]:
    """Conditions ``column = value`` for the columns given a value (None means no filter)."""
    where, params = [], []
    for column, value in columns.items():
        if value is not None:
            where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    return where, params


async def page(
    conn: AsyncConnection,
    *,
    table: str | sql.Composable,
    where: list[sql.Composable],
    params: list[Any] | dict[str, Any],
    key: tuple[str, ...],
    first: int | None,
    after: str | None,
    node: Callable[[dict], T],
) -> Connection[T]:
    """One page of ``table`` rows (a table's name, or a subquery) matching ``where``, ordered by
    the unique ``key`` columns. ``params`` fill the placeholders of ``table`` and ``where``: a
    list for positional ones, a dict for named ones."""
    source = sql.Identifier(table) if isinstance(table, str) else table
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidPage(f"first must be between 0 and {MAX_PAGE}")
    position = decode_cursor(after, len(key)) if after is not None else None
    conditions = list(where) or [sql.SQL("true")]
    columns = sql.SQL(", ").join(sql.Identifier(k) for k in key)
    count_query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
        source, sql.SQL(" AND ").join(conditions))
    total = (await (await conn.execute(count_query, params)).fetchone())[0]
    page_params: list[Any] | dict[str, Any]
    if isinstance(params, dict):
        names = [f"_after_{i}" for i in range(len(key))]
        placeholders = sql.SQL(", ").join(sql.Placeholder(n) for n in names)
        page_params = {**params, **(dict(zip(names, position, strict=True)) if position else {})}
    else:
        placeholders = sql.SQL(", ").join(sql.Placeholder() * len(key))
        page_params = [*params, *(position or ())]
    if position is not None:
        conditions.append(sql.SQL("({}) > ({})").format(columns, placeholders))
    query = sql.SQL("SELECT * FROM {} WHERE {} ORDER BY {} LIMIT {}").format(
        source, sql.SQL(" AND ").join(conditions), columns, sql.Literal(size + 1))
    async with conn.cursor(row_factory=dict_row) as cur:
        rows = await (await cur.execute(query, page_params)).fetchall()
    edges = [Edge(node=node(row), cursor=encode_cursor([row[k] for k in key])) for row in rows[:size]]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > size,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
    )
