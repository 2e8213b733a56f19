"""Heartbeats: how a supervisor tells a part that is stuck from one that is working.

A dead part is easy to see; a part stuck for good (its event loop blocked by a call that never
returns, the process stopped) still holds its socket, and the kernel keeps dealing it connections
that no one answers. A part that beats (an API process, from its event loop: ``listening``) writes
the time into a file its supervisor gave it, every ``BEAT_SECONDS``; the supervisor kills a part
silent for ``HUNG_SECONDS``, and starts it again as it would a dead one. A part that has not beaten
yet (still starting, or one that does not beat) is never judged.

The time is ``time.monotonic()``: one clock for every process of the machine, which a change of
the wall clock does not move.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
from pathlib import Path

ENV = "SIWEI_HEARTBEAT"  # the file a supervised part beats into
BEAT_SECONDS = 1.0
# Far above any pause of a working API process (a garbage collection, a street's figures: tens of
# milliseconds), so that only a part that stopped answering is killed.
HUNG_SECONDS = 20.0
BEAT = struct.Struct("d")


class Heartbeats:
    """The supervisor's side: a file a part, in a folder of the supervisor's own under ``under``
    (named by its process id), removed by ``close``; the folders of supervisors that were killed,
    whose process is gone, are removed as another starts."""

    def __init__(self, under: Path) -> None:
        under.mkdir(parents=True, exist_ok=True)
        for left in under.iterdir():
            if left.name.isdigit() and not _running(int(left.name)):
                shutil.rmtree(left, ignore_errors=True)
        self.folder = under / str(os.getpid())
        self.folder.mkdir(exist_ok=True)

    def path(self, part: str) -> Path:
        return self.folder / part.replace(" ", "-")

    def reset(self, part: str) -> dict[str, str]:
        """A part about to start again: not judged till it beats. Answers its environment."""
        self.path(part).write_bytes(BEAT.pack(0.0))
        return {ENV: str(self.path(part))}

    def silent_for(self, part: str) -> float | None:
        """Seconds since the part last beat; None if it has not beaten."""
        try:
            (beaten,) = BEAT.unpack(self.path(part).read_bytes())
        except (OSError, struct.error):
            return None
        return time.monotonic() - beaten if beaten else None

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


class Heart:
    """The part's side: ``beat``, from the part's event loop, writes the time now into the file
    the supervisor named (a coroutine: what uvicorn calls on its loop's tick)."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY)

    @classmethod
    def from_environment(cls) -> Heart | None:
        """The heart of a supervised part; None for a part that no supervisor watches."""
        path = os.environ.get(ENV)
        try:
            return cls(path) if path else None
        except OSError:  # the supervisor's folder is gone: nobody watches
            return None

    async def beat(self) -> None:
        os.pwrite(self.fd, BEAT.pack(time.monotonic()), 0)
