"""The embedded servers after a crash: the pid a killed server's lock file names, or the one in the
``servers.json`` of a ``siwei`` that is gone, may since be any other process's. That process is
neither taken for the server (or the ``siwei``) nor stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg

from infra.embedded import EmbeddedPostgres, RunFile
from infra.settings import Settings

FRESH_START = """
import sys
from pathlib import Path
from infra.embedded import EmbeddedPostgres
postgres = EmbeddedPostgres(Path(sys.argv[1]))
import psycopg
with psycopg.connect(postgres.start()) as conn:
    conn.execute("SELECT 1")
postgres.stop()
"""


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _stale(lock_text: str, pid: int) -> str:
    """The lock file as a killed server left it, its pid since given to process ``pid``."""
    return "\n".join([str(pid), *lock_text.split("\n")[1:]])


def test_a_lock_file_naming_another_process_is_not_taken_for_the_server_nor_stopped(tmp_path):
    postgres = EmbeddedPostgres(tmp_path)
    lock = tmp_path / "postgres" / "postmaster.pid"
    other = subprocess.Popen(["sleep", "300"])  # the process the kernel gave the dead server's pid
    try:
        postgres.start()
        written = lock.read_text()
        server = int(written.split()[0])
        os.kill(server, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not _dead(server):
            assert time.monotonic() < deadline, "the killed server did not die"
            time.sleep(0.05)
        lock.write_text(_stale(written, other.pid))

        assert not postgres.alive()
        postgres.restart()  # as the supervisor of ``siwei up`` does
        assert postgres.alive()
        with psycopg.connect(postgres._server.get_uri()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        written = lock.read_text()
        postgres.stop()

        lock.write_text(_stale(written, other.pid))  # as a stopped machine leaves it, started again
        started = subprocess.run([sys.executable, "-c", FRESH_START, str(tmp_path)], capture_output=True,
                                 text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        assert other.poll() is None, "the process named by the stale lock file was signalled"
    finally:
        other.kill()
        other.wait()
        postgres.stop()


def test_the_servers_of_a_siwei_that_is_gone_are_not_attached_to_though_its_pid_lives_on(tmp_path):
    """``servers.json`` after a crash or a reboot: the pid it names may be another process's."""
    run_file = RunFile(tmp_path / "servers.json")
    settings = Settings(data_dir=tmp_path, database_url="postgresql:///gone", kafka_bootstrap="127.0.0.1:1")
    run_file.write(settings)
    assert run_file.read_live()["database_url"] == "postgresql:///gone"  # this process wrote it: alive

    recorded = json.loads(run_file.path.read_text())
    for started in ("NaN", "Infinity", '"yesterday"', "null"):  # a file made by hand
        run_file.path.write_text(json.dumps(recorded)[:-1] + f', "started": {started}}}')
        assert run_file.read_live() is None, started

    other = subprocess.Popen(["sleep", "300"])  # the process the kernel gave the dead siwei's pid
    try:
        recorded = json.loads(run_file.path.read_text())
        run_file.path.write_text(json.dumps({**recorded, "pid": other.pid}))
        assert run_file.read_live() is None
    finally:
        other.kill()
        other.wait()
    assert run_file.read_live() is None  # and once that process is gone too
    run_file.path.write_text("{")
    assert run_file.read_live() is None  # a file cut short
