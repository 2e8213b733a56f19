"""What a view is: tables (its ``schema.sql``) and one idempotent handler per event type."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from psycopg import Cursor

from services.common.published import PublishedEvent

Handler = Callable[[Cursor, PublishedEvent], None]


def handles(*event_types: str) -> Callable[[Callable], Callable]:
    """Marks a view method as the handler of events of the given ``<body>.<Event>`` types."""

    def mark(method: Callable) -> Callable:
        method.handled_event_types = event_types  # type: ignore[attr-defined]
        return method

    return mark


class View:
    """A read model. Handlers must be idempotent: upserts keyed by business keys, and
    tolerant of events from different bodies arriving in any order."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]

    def ddl(self) -> str:
        return (Path(inspect.getfile(type(self))).parent / "schema.sql").read_text()

    def handlers(self) -> dict[str, Handler]:
        found: dict[str, Handler] = {}
        for _, method in inspect.getmembers(self, inspect.ismethod):
            for event_type in getattr(method, "handled_event_types", ()):
                found[event_type] = method
        return found
