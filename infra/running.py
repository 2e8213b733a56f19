"""Running Siwei's long-lived parts: stopping on a signal, supervising child processes, and the
services a command acts through.

A signal handler that takes a lock can deadlock: the handler runs in the main thread between two
bytecodes, possibly while that thread holds the very lock (``threading.Event.set`` takes the
lock of the condition that ``Event.wait`` holds). So the handler takes none. Python's C-level
handler writes each signal to a pipe (``signal.set_wakeup_fd``), and a thread reading the pipe
sets the event the parts wait on. Work that does not wait on the event (seeding the demo) runs in
``Shutdown.interruptible()``, where the handler raises ``Interrupted`` instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from infra.database import riding_out
from infra.heartbeats import HUNG_SECONDS, Heartbeats
from infra.interrupts import interrupted_before
from infra.settings import Settings

if TYPE_CHECKING:
    from services.bootstrap import Services

log = logging.getLogger("siwei")

CHILD_STOP_SECONDS = 10.0  # a child that has not stopped by then is killed
RESTART_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)
SUPERVISOR_ENV = "SIWEI_SUPERVISOR"  # the process id of the supervisor that started this part
PARENT_CHECK_SECONDS = 1.0


class Interrupted(KeyboardInterrupt):
    """A signal arrived while the main thread was in an interruptible block."""


class Shutdown:
    """Set by SIGINT or SIGTERM; ``event`` is what the parts wait on. Made in the main thread."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._interruptible = False
        readable, writable = os.pipe()
        os.set_blocking(writable, False)
        signal.set_wakeup_fd(writable)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        threading.Thread(target=self._relay, args=(readable,), name="shutdown", daemon=True).start()
        if interrupted_before():  # signalled as the process started (infra.interrupts)
            self.event.set()

    def _on_signal(self, signum: int, _frame: object) -> None:
        # No lock, no I/O: the wakeup pipe has the signal already.
        if self._interruptible:
            self._interruptible = False
            raise Interrupted(signal.Signals(signum).name)

    def _relay(self, readable: int) -> None:
        os.read(readable, 1)
        self.event.set()

    @contextlib.contextmanager
    def interruptible(self) -> Iterator[None]:
        """Runs the block so that a signal ends it with ``Interrupted``."""
        if self.event.is_set():
            raise Interrupted("stopping")
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False


def end_with_supervisor() -> None:
    """A part a supervisor started stops, as SIGTERM would have it, once that supervisor is gone
    (killed, or ended by the kernel for want of memory): an orphan would run on for good beside the
    parts of the next ``siwei up``, holding the relays' locks and the API's port. The variable is
    taken out of the environment, so that what this part starts does not watch a grandparent."""
    supervisor = os.environ.pop(SUPERVISOR_ENV, "")
    if supervisor.isdigit():
        threading.Thread(target=_end_with, args=(int(supervisor),), name="supervisor", daemon=True).start()


def _end_with(supervisor: int) -> None:
    while os.getppid() == supervisor:
        time.sleep(PARENT_CHECK_SECONDS)
    log.warning("the supervisor that started this part is gone: stopping")
    os.kill(os.getpid(), signal.SIGTERM)


def run_part(work: Callable[[threading.Event], object]) -> None:
    """Runs a long-running part (``work(stop)``) until it ends, or until Ctrl-C or SIGTERM stops
    it. Stopped, it has ``CHILD_STOP_SECONDS`` to end cleanly (to finish its batch), and so has any
    thread it started; what is still blocked then, on a broker or a database that does not answer,
    ends with the process: what it had in flight was not committed, so nothing is lost and nothing
    counted twice. The database away, at its start or later, it connects again after a pause
    (``riding_out``) instead of ending."""
    stop = Shutdown().event
    failed: list[BaseException] = []

    def run() -> None:
        try:  # its start too (its services, its tables) rides out the database going away
            riding_out(getattr(work, "__name__", "part"), stop, lambda: work(stop))
        except BaseException as error:  # raised again in the main thread
            failed.append(error)

    part = threading.Thread(target=run, name="part", daemon=True)
    part.start()
    while part.is_alive() and not stop.wait(0.5):
        pass
    if failed:
        raise failed[0]
    if not stop.is_set():
        return
    deadline = time.monotonic() + CHILD_STOP_SECONDS
    # Looked for again after each join: a thread the part starts while it stops has the same time.
    while (busy := [t for t in threading.enumerate() if t.is_alive() and t is not threading.current_thread()
                    and (t is part or not t.daemon)]) and time.monotonic() < deadline:
        busy[0].join(max(0.0, deadline - time.monotonic()))
    if busy:
        log.warning("still busy %.0f s after the stop (%s): ending without waiting any longer",
                    CHILD_STOP_SECONDS, ", ".join(t.name for t in busy))
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)


class Server(Protocol):
    """An embedded server ``siwei up`` started: it can tell it died, and start again in place."""

    name: str

    def alive(self) -> bool: ...

    def restart(self) -> None: ...


class Supervisor:
    """Runs parts of Siwei as child processes (``siwei <args>``); restarts one that dies, after a
    pause that grows while it keeps dying, and one that beats (``infra.heartbeats``) but has not
    for ``HUNG_SECONDS``, killed first; stops them all within ``CHILD_STOP_SECONDS``, together.
    ``on_restart`` runs after an embedded server started again (the broker's topics made anew)."""

    def __init__(self, settings: Settings, parts: dict[str, list[str]],
                 on_restart: Callable[[Server], None] = lambda server: None) -> None:
        self.env = settings.child_environment()
        self.parts = parts
        self.on_restart = on_restart
        self.children: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, int] = {}
        self.heartbeats = Heartbeats(settings.data_dir / "heartbeats")

    def start(self, name: str) -> None:
        self.children[name] = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", *self.parts[name]],
            env={**self.env, "PGAPPNAME": f"siwei {name}", SUPERVISOR_ENV: str(os.getpid()),
                 **self.heartbeats.reset(name)},
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops the children in order
        )

    def start_all(self) -> None:
        for name in self.parts:
            self.start(name)

    def add(self, name: str, args: list[str]) -> None:
        self.parts[name] = args
        self.start(name)

    def watch(self, stop: threading.Event, servers: Sequence[Server] = ()) -> None:
        """Until ``stop``: restarts a dead part, and a dead embedded server (``servers``) in place,
        each after a pause that grows while it keeps dying; one line in the log for each."""
        while not stop.wait(0.5):
            for server in servers:
                if not server.alive():
                    count = self.restarts.get(server.name, 0)
                    pause = RESTART_BACKOFF_SECONDS[min(count, len(RESTART_BACKOFF_SECONDS) - 1)]
                    log.warning("%s exited; restarting it in %.1fs", server.name, pause)
                    if stop.wait(pause):
                        return
                    self.restarts[server.name] = count + 1
                    try:
                        server.restart()
                        self.on_restart(server)
                    except Exception as error:  # tried again at the next tick, after a longer pause
                        log.warning("%s did not start again: %s", server.name, error)
            for name, child in list(self.children.items()):
                silent = self.heartbeats.silent_for(name)
                if child.poll() is None and silent is not None and silent > HUNG_SECONDS:
                    log.warning("%s is stuck (silent for %.0fs); killing it to start it again", name, silent)
                    child.kill()
                    child.wait()
                if child.poll() is not None:
                    count = self.restarts.get(name, 0)
                    pause = RESTART_BACKOFF_SECONDS[min(count, len(RESTART_BACKOFF_SECONDS) - 1)]
                    log.warning("%s exited with code %s; restarting it in %.1fs", name, child.returncode, pause)
                    if stop.wait(pause):
                        return
                    self.restarts[name] = count + 1
                    self.start(name)

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + CHILD_STOP_SECONDS  # all of them together, not each in turn
        for child in self.children.values():
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.heartbeats.close()


@contextlib.contextmanager
def services_on(settings: Settings) -> Iterator[Services]:
    """The four bodies' services on the servers, for a command that acts through them."""
    from services.bootstrap import bootstrap

    services = bootstrap(settings.database_url, pool=settings.db_pool)
    try:
        yield services
    finally:
        services.close()
