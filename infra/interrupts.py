"""Ctrl-C noted from a process's first line, before the imports that take most of its first second.

Python drops a KeyboardInterrupt raised in a callback (an import's lock cleanup: "Exception ignored
in ... _get_module_lock"), and ``siwei up`` then started as if it had never been signalled. So the
first thing ``siwei`` does is to note each SIGINT besides raising it, for the ``Shutdown`` made
later (``infra.running``). This module imports nothing but the standard library's ``signal``:
whatever it imported would be a window in which an interrupt could still be dropped unnoted.
"""

from __future__ import annotations

import signal

_noted: list[int] = []  # SIGINTs that arrived before a Shutdown was made


def note_interrupts() -> None:
    """Ctrl-C still raises KeyboardInterrupt as Python's own handler does, and is noted besides."""
    signal.signal(signal.SIGINT, _note)


def _note(signum: int, frame: object) -> None:
    _noted.append(signum)
    signal.default_int_handler(signum, frame)


def interrupted_before() -> bool:
    """Whether a SIGINT arrived since ``note_interrupts``, whatever became of its KeyboardInterrupt."""
    return bool(_noted)
