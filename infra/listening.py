"""How ``siwei api`` listens: one process on its port, or workers each on a socket of its own.

uvicorn's workers share one socket, and the worker that wakes first takes every connection
waiting: 32 clients connecting at once went all to one worker as often as not, the other idle, and
a partner's kept-alive connections stay where they landed (BENCHMARKS.md, "Round two, eighth
step"). Each worker here listens on a socket of its own on the one port (``SO_REUSEPORT``), and
the kernel deals the connections out among the sockets. A worker that dies takes its socket with
it, so no connection waits on a socket nobody accepts from; a worker whose parent died stops.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time

import uvicorn

log = logging.getLogger("siwei")

APP = "api.app:from_environment"
PARENT_CHECK_SECONDS = 1.0


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


def serve(host: str, port: int, *, beside_others: bool = False) -> None:
    """Serves the API in this process until SIGINT or SIGTERM. ``beside_others``: one of the
    workers of ``siwei api --workers N``, listening with its siblings and ending with its parent."""
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level="warning")
    if not beside_others:
        uvicorn.Server(config).run()
        return
    listener = _socket(host, port)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), name="parent", daemon=True).start()
    uvicorn.Server(config).run(sockets=[listener])


def _end_with_parent(parent: int) -> None:
    """Stops this worker as SIGTERM would once its parent is gone (killed, say): an orphan would
    keep answering on the port, beside the workers of the ``siwei api`` started in its place."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    log.warning("the siwei api that started this worker is gone: stopping")
    os.kill(os.getpid(), signal.SIGTERM)
