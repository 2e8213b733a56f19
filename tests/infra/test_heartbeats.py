"""A supervisor's heartbeat files: in the data folder, one folder a supervisor; a killed one's
removed as the next starts, a live one's left alone; none left by one that stops."""

from __future__ import annotations

import asyncio
import os

from infra.heartbeats import ENV, Heart, Heartbeats

NO_PROCESS = str(2**22 + 1)  # above Linux's highest process id


def test_a_part_beats_and_a_killed_supervisors_folder_goes_when_another_starts(tmp_path):
    under = tmp_path / "heartbeats"
    killed, live = under / NO_PROCESS, under / str(os.getppid())
    for folder in (killed, live):
        folder.mkdir(parents=True)
        (folder / "api").write_bytes(bytes(8))

    beats = Heartbeats(under)
    assert not killed.exists() and live.exists() and beats.folder == under / str(os.getpid())

    os.environ.update(beats.reset("api worker 1"))
    try:
        assert beats.silent_for("api worker 1") is None  # not judged before it beats
        asyncio.run(Heart.from_environment().beat())
        assert 0 <= beats.silent_for("api worker 1") < 1
    finally:
        del os.environ[ENV]
    beats.close()
    assert not beats.folder.exists()
