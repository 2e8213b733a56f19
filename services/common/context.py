"""Who is acting, and on whose behalf: the context every command runs in.

Every event records its actor, the correlation id of the conversation it belongs to and the id of
what caused it (a command, or another event when a policy reacts). Commands run inside ``acting``;
events triggered outside it are refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from uuid import UUID, uuid4


def utc_now() -> datetime:
    return datetime.now(tz=timezone.utc)


@dataclass(frozen=True)
class CommandContext:
    actor: str
    command_id: UUID = field(default_factory=uuid4)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    clock: Callable[[], datetime] = utc_now
    # (principal, idempotency key) of a command a client may send again: the store remembers it
    # with the events, in the same transaction (``audit.chain``), and records it only once.
    once: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.actor or not self.actor.strip():
            raise ValueError("a command needs an actor")
        # A command that starts a conversation correlates and causes by its own id.
        if self.correlation_id is None:
            object.__setattr__(self, "correlation_id", self.command_id)
        if self.causation_id is None:
            object.__setattr__(self, "causation_id", self.command_id)


_current: ContextVar[CommandContext | None] = ContextVar("siwei_command_context", default=None)


class NoActor(RuntimeError):
    """An event was triggered outside any command context."""


def active_context() -> CommandContext | None:
    """The command running here, if any."""
    return _current.get()


def current_context() -> CommandContext:
    context = _current.get()
    if context is None:
        raise NoActor("events can only be triggered inside `acting(...)`: every event needs an actor")
    return context


@contextlib.contextmanager
def acting(
    actor: str,
    *,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    clock: Callable[[], datetime] | None = None,
    once: tuple[str, str] | None = None,
) -> Iterator[CommandContext]:
    """Runs the enclosed commands as ``actor`` (once for ``once``, a principal and its key)."""
    context = CommandContext(
        actor=actor,
        correlation_id=correlation_id,
        causation_id=causation_id,
        clock=clock or utc_now,
        once=once,
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


CHINA = timezone(timedelta(hours=8))  # China Standard Time; no daylight saving


def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def today() -> date:
    """The command's date in China, by its clock: what dates on paper are compared with."""
    return china_date(current_context().clock())
