"""How ``siwei api`` listens: one process on its port, or workers each on a socket of its own.

uvicorn's workers share one socket, and the worker that wakes first takes every connection
waiting: 32 clients connecting at once went all to one worker as often as not, the other idle, and
a partner's kept-alive connections stay where they landed (BENCHMARKS.md, "Round two, eighth
step"). Each worker here listens on a socket of its own on the one port (``SO_REUSEPORT``), and
the kernel deals the connections out among the sockets. A worker that dies takes its socket with
it, so no connection waits on a socket nobody accepts from; a worker whose parent died stops (as
every part a supervisor started does: ``infra.running``).

The kernel deals by a hash of each connection, not by load: 32 connections fell 12 and 20 as
often as 16 and 16, and the clients of the busier worker waited 20 ms at the median, the other's
12. So the workers share their counts of open connections (``Shares``), and a worker holding more
than its share answers a request on a connection with ``Connection: close`` (HTTP/1.1's way to end
a kept-alive connection): its client connects again and the kernel deals it anew, till the
workers hold about as many each (as nginx's workers stop accepting when they hold more than their
part).
"""

from __future__ import annotations

import asyncio
import math
import mmap
import socket
import struct
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from infra.heartbeats import BEAT_SECONDS, Heart

APP = "api.app:from_environment"


def _socket(host: str, port: int) -> socket.socket:
    return socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)


def claimed(host: str, port: int) -> int:
    """The port, checked free for the workers (0: one the system picks). Raises ``OSError`` if
    something listens there already, a ``siwei api`` of before too (its workers would otherwise
    share the port with the new ones)."""
    with _socket(host, port) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return probe.getsockname()[1]


COUNT = struct.Struct("q")  # a worker's open connections, in the shares file


def share_out(path: Path, workers: int) -> None:
    """The shares file of ``workers`` workers, every count nought, before they start."""
    path.write_bytes(bytes(COUNT.size * workers))


class Shares:
    """The open connections of each worker, in a file every worker maps and writes its own count
    to. ``leaving``: this worker's connections told to close and not yet closed."""

    def __init__(self, path: Path, worker: int) -> None:
        self.workers = path.stat().st_size // COUNT.size
        if not 1 <= worker <= self.workers:
            raise ValueError(f"the siwei api on this port started {self.workers} workers")
        with path.open("r+b") as file:
            self.counts = mmap.mmap(file.fileno(), self.workers * COUNT.size)
        self.offset = (worker - 1) * COUNT.size
        self.leaving = 0
        self.held(0)  # a worker started again in the place of one that died holds nothing yet

    def held(self, count: int) -> None:
        COUNT.pack_into(self.counts, self.offset, count)

    def surplus(self, count: int) -> bool:
        """Whether this worker, holding ``count`` connections, holds more than its share even once
        those leaving have gone; if so, one more is counted as leaving."""
        total = sum(c for (c,) in COUNT.iter_unpack(self.counts))
        if count - self.leaving <= math.ceil(total / self.workers):
            return False
        self.leaving += 1
        return True


def sharing(shares: Shares) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol, ending a kept-alive connection after its answer while this worker
    holds more than its share (the client connects again, and the kernel deals it anew)."""

    class Sharing(HttpToolsProtocol):
        leaving = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            shares.held(len(self.connections))

        def connection_lost(self, exc: Exception | None) -> None:
            super().connection_lost(exc)
            shares.leaving -= self.leaving
            shares.held(len(self.connections))

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            cycle = self.cycle
            if (cycle is not None and cycle.scope is self.scope and cycle.keep_alive and not self.leaving
                    and shares.surplus(len(self.connections))):
                self.leaving = True
                cycle.keep_alive = False  # uvicorn answers with "connection: close", then closes

    return Sharing


def serve(host: str, port: int, *, worker: int | None = None, shares: Shares | None = None) -> None:
    """Serves the API in this process until SIGINT or SIGTERM. ``worker``: the Nth of the workers
    of ``siwei api --workers N``, listening with its siblings, sharing the connections out with
    them (``shares``). Under a supervisor it beats from its event loop (``infra.heartbeats``): a
    loop blocked for good gets it killed and started again."""
    heart = Heart.from_environment()
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level="warning",
                            # uvicorn calls it from its event loop, every timeout_notify seconds
                            callback_notify=heart.beat if heart is not None else None,
                            timeout_notify=BEAT_SECONDS)
    if worker is None:
        uvicorn.Server(config).run()
        return
    if shares is not None:
        config.http = sharing(shares)
    listener = _socket(host, port)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    uvicorn.Server(config).run(sockets=[listener])
