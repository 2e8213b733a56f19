"""Relay-style connections over read-model tables, paged by keyset (no OFFSET scans).

A cursor is the page's last sort key, sealed with AES-GCM under the API's cursor key (kept in
PostgreSQL, shared by every worker): a partner cannot read what it holds (a unit, an owner's
name), and a cursor the API did not give out, or gave out for another list, is refused as
``INVALID_INPUT`` before any query runs."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import psycopg
from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, SelectionSetNode
from psycopg import sql
from psycopg.rows import dict_row

from api.context import Info

T = TypeVar("T")
DEFAULT_PAGE = 20
MAX_PAGE = 100


class InvalidPage(ValueError):
    """A page request that cannot be answered; the error names the argument."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.extensions = {"code": "INVALID_INPUT", "field": field}


NONCE_BYTES = 12
_cipher = AESGCM(AESGCM.generate_key(bit_length=256))  # replaced by the API's shared key at start


def use_shared_cursor_key(conn: psycopg.Connection) -> None:
    """Seals and opens cursors with the key kept in ``api.cursor_key`` (made on first use), so
    that every worker reads every cursor, and cursors outlive a restart."""
    global _cipher
    conn.execute("CREATE SCHEMA IF NOT EXISTS api")
    conn.execute("CREATE TABLE IF NOT EXISTS api.cursor_key (id integer PRIMARY KEY CHECK (id = 1), key bytea NOT NULL)")
    conn.execute("INSERT INTO api.cursor_key VALUES (1, %s) ON CONFLICT DO NOTHING",
                 (AESGCM.generate_key(bit_length=256),))
    _cipher = AESGCM(bytes(conn.execute("SELECT key FROM api.cursor_key").fetchone()[0]))


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    position: strawberry.Private[Sequence[Any]]  # the node's sort key, or its place in a list
    listing: strawberry.Private[str]

    @strawberry.field
    def cursor(self) -> str:
        """Sealed only if asked for: a page's cursors are most often not."""
        return encode_cursor(self.position, self.listing)


@strawberry.type
class Connection(Generic[T]):
    """A page, and the count of the whole list. ``page`` reads only what the request asks for: a
    request for ``totalCount`` alone reads no rows, and one without it counts nothing."""

    edges: list[Edge[T]]
    page_info: PageInfo
    counted: strawberry.Private[int | None]  # None when the request did not ask for totalCount

    @strawberry.field
    def total_count(self) -> int:
        if self.counted is None:
            raise RuntimeError("totalCount was asked for, but page() did not see it asked")
        return self.counted


def asked(info: Info, of: str | None = None) -> set[str]:
    """The fields the request asks of the value the resolver answers, through fragments too; with
    ``of``, those it asks of that field of the value (under any alias, with any arguments). Read
    from the query's syntax tree: Strawberry's ``info.selected_fields`` converts every argument
    and directive below the field too, a tenth of a compound profile's time when asked twice."""
    raw = info._raw_info  # noqa: SLF001 (graphql-core's info, which Strawberry's wraps)
    names: set[str] = set()
    for node in raw.field_nodes:
        _add_names(node.selection_set, raw.fragments, names, of)
    return names


def _add_names(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
               names: set[str], of: str | None) -> None:
    # A function of the module, not a closure calling itself: that would be a reference cycle a
    # request, left for the garbage collector (see api.schema.Execution).
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if of is None:
                names.add(selection.name.value)
            elif selection.name.value == of:
                _add_names(selection.selection_set, fragments, names, None)
        elif isinstance(selection, FragmentSpreadNode):
            _add_names(fragments[selection.name.value].selection_set, fragments, names, of)
        else:  # an inline fragment
            _add_names(selection.selection_set, fragments, names, of)


def _connection(edges: list[Edge[T]], has_next_page: bool, counted: int | None) -> Connection[T]:
    return Connection(edges=edges, page_info=PageInfo(has_next_page=has_next_page,
                                                      end_cursor=edges[-1].cursor() if edges else None),
                      counted=counted)


def encode_cursor(values: Sequence[Any], listing: str) -> str:
    """The sealed position after ``values`` in the list ``listing`` (its sort key's columns)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher.encrypt(nonce, json.dumps([str(v) for v in values]).encode(), listing.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decode_cursor(cursor: str, size: int, listing: str) -> list[str]:
    refused = InvalidPage("after is not a cursor this API gave out for this list", "after")
    try:
        raw = base64.urlsafe_b64decode(cursor.encode())
        values = json.loads(_cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], listing.encode()))
    except (ValueError, TypeError, binascii.Error, InvalidTag):
        raise refused from None
    if not isinstance(values, list) or len(values) != size:
        raise refused
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
    info: Info,
    *,
    table: str | sql.Composable,
    where: list[sql.Composable],
    params: list[Any] | dict[str, Any],
    key: tuple[str, ...],
    first: int | None,
    after: str | None,
    node: Callable[[dict], T],
    counted: int | None = None,
) -> Connection[T]:
    """One page of ``table`` rows (a table's name, or a subquery) matching ``where``, ordered by
    the unique ``key`` columns, read on one connection of the read models. ``params`` fill the
    placeholders of ``table`` and ``where``: a list for positional ones, a dict for named ones.
    ``counted``: the rows matching, if the resolver's caller counted them already."""
    source = sql.Identifier(table) if isinstance(table, str) else table
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidPage(f"first must be between 0 and {MAX_PAGE}", "first")
    listing = f"{table if isinstance(table, str) else repr(table)}:{','.join(key)}"
    position = decode_cursor(after, len(key), listing) if after is not None else None
    wanted = asked(info)
    conditions = list(where) or [sql.SQL("true")]
    columns = sql.SQL(", ").join(sql.Identifier(k) for k in key)
    page_params: list[Any] | dict[str, Any]
    if isinstance(params, dict):
        names = [f"_after_{i}" for i in range(len(key))]
        placeholders = sql.SQL(", ").join(sql.Placeholder(n) for n in names)
        page_params = {**params, **(dict(zip(names, position, strict=True)) if position else {})}
    else:
        placeholders = sql.SQL(", ").join(sql.Placeholder() * len(key))
        page_params = [*params, *(position or ())]
    total, rows = counted if "totalCount" in wanted else None, []
    counting, listing_rows = "totalCount" in wanted and total is None, bool(wanted & {"edges", "pageInfo"})
    if not (counting or listing_rows):
        return _connection([], False, total)
    matching = sql.SQL(" AND ").join(conditions)
    count_query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(source, matching)
    async with info.context.read_models.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        if listing_rows:
            if position is not None:
                conditions.append(sql.SQL("({}) > ({})").format(columns, placeholders))
            # Counted in the same statement when both are asked (one round trip, not two): each row
            # carries the count, and a first page without rows means none match.
            count = sql.SQL(", ({}) AS _counted").format(count_query) if counting else sql.SQL("")
            query = sql.SQL("SELECT *{} FROM {} WHERE {} ORDER BY {} LIMIT {}").format(
                count, source, sql.SQL(" AND ").join(conditions), columns, sql.Literal(size + 1))
            both = [*params, *page_params] if counting and isinstance(params, list) else page_params
            rows = await (await cur.execute(query, both)).fetchall()
            if counting and (rows or position is None):
                total = rows[0]["_counted"] if rows else 0
                for row in rows:
                    del row["_counted"]
        if counting and total is None:  # asked alone, or a page past the last row
            total = (await (await cur.execute(count_query, params)).fetchone())["count"]
    edges = [Edge(node=node(row), position=[row[k] for k in key], listing=listing) for row in rows[:size]]
    return _connection(edges, len(rows) > size, total)


def page_list(items: Sequence[T], *, first: int | None, after: str | None, listing: str) -> Connection[T]:
    """One page of a list computed whole (a ranking), by position; the cursor seals the position
    and the list's description, so that it is refused for another list."""
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidPage(f"first must be between 0 and {MAX_PAGE}", "first")
    start = 0
    if after is not None:
        position = decode_cursor(after, 1, listing)[0]
        if not position.isdigit():
            raise InvalidPage("after is not a cursor this API gave out for this list", "after")
        start = int(position) + 1
    edges = [Edge(node=item, position=[start + n], listing=listing) for n, item in enumerate(items[start:start + size])]
    return _connection(edges, start + size < len(items), len(items))
