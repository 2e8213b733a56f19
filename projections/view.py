"""What a view is: tables (its ``schema.sql``) and idempotent handlers of its event types, each
of one event, or of a batch of events together (``handles_together``)."""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from psycopg import Cursor

from infra.database import array_literal
from services.common.published import PublishedEvent

Handler = Callable[[Cursor, PublishedEvent], None]
BatchHandler = Callable[[Cursor, list[PublishedEvent]], None]


def handles(*event_types: str) -> Callable[[Callable], Callable]:
    """Marks a view method as the handler of events of the given ``<body>.<Event>`` types."""

    def mark(method: Callable) -> Callable:
        method.handled_event_types = event_types  # type: ignore[attr-defined]
        return method

    return mark


def handles_together(*event_types: str) -> Callable[[Callable], Callable]:
    """Marks a view method as the handler of a batch of events of the given types, in the order
    they were read: a statement for many events, leaving the rows as one event after the other
    would (tests/projections/test_batches.py holds each view to that)."""

    def mark(method: Callable) -> Callable:
        method.handled_event_types = event_types  # type: ignore[attr-defined]
        method.together = True  # type: ignore[attr-defined]
        return method

    return mark


class View:
    """A read model. Handlers must be idempotent: upserts keyed by business keys, and
    tolerant of events from different bodies arriving in any order."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]

    def ddl(self) -> str:
        return (Path(inspect.getfile(type(self))).parent / "schema.sql").read_text()

    @cached_property
    def _methods(self) -> dict[str, Callable]:
        found: dict[str, Callable] = {}
        for name, function in inspect.getmembers(type(self), inspect.isfunction):
            for event_type in getattr(function, "handled_event_types", ()):
                found[event_type] = getattr(self, name)
        return found

    def handlers(self) -> dict[str, Handler]:
        """Each event type's handler of one event."""
        return {event_type: _one_at_a_time(method) if getattr(method, "together", False) else method
                for event_type, method in self._methods.items()}

    def apply(self, cur: Cursor, events: list[PublishedEvent]) -> None:
        """Applies events of this view's types in the order given; each run of events for one
        method that handles them together is handed to it at once."""
        methods = self._methods
        run: list[PublishedEvent] = []
        for event in events:
            method = methods[event.type]
            if run and methods[run[0].type] != method:
                methods[run[0].type](cur, run)
                run = []
            if getattr(method, "together", False):
                run.append(event)
            else:
                method(cur, event)
        if run:
            methods[run[0].type](cur, run)


def _one_at_a_time(method: BatchHandler) -> Handler:
    def one(cur: Cursor, event: PublishedEvent) -> None:
        method(cur, [event])

    one.__qualname__ = method.__qualname__
    return one


def execute_rows(cur: Cursor, statement: str, rows: list[tuple]) -> None:
    """One statement over ``rows``: each placeholder an array of a column, sent as one text
    (``unnest(%s::uuid[], …)``). Nothing without rows."""
    if rows:
        cur.execute(statement, [array_literal(column) for column in zip(*rows)])


def update_rows(cur: Cursor, table: str, key: tuple[str, str], types: dict[str, str],
                changes: dict[Any, dict[str, Any]]) -> None:
    """Sets the columns each row (by its key's value) changes to their values: a statement for each
    set of columns changed alike. ``key`` is the key column's name and type, ``types`` each
    column's type."""
    alike: dict[tuple[str, ...], list[tuple]] = {}
    for row, changed in changes.items():
        alike.setdefault(tuple(changed), []).append((row, *changed.values()))
    name, kind = key
    for columns, rows in alike.items():
        names = ", ".join(columns)
        execute_rows(cur, f"UPDATE {table} SET ({names}) = ROW({', '.join(f'r.{c}' for c in columns)})"  # noqa: S608
                          f" FROM unnest(%s::{kind}[], {', '.join(f'%s::{types[c]}[]' for c in columns)})"
                          f" AS r({name}, {names}) WHERE {table}.{name} = r.{name}", rows)


def by_name(events: list[PublishedEvent]) -> dict[str, list[PublishedEvent]]:
    """A batch's events by their name (``PublishedEvent.name``), each name's in order; none for a
    name it lacks."""
    found: dict[str, list[PublishedEvent]] = defaultdict(list)
    for event in events:
        found[event.name].append(event)
    return found
