"""The benchmark's GraphQL load: clients posting over kept-alive HTTP/1.1 connections, on asyncio
streams.

The clients run on the same two cores as the server they measure, so what a request costs the
client is taken from the server. Through httpx's async client the same server answered
``{ __typename }`` 131 times a second, through this one 574 (one API process, 929 compounds): the
benchmark had been measuring its own client. A request here is one write and two reads on a
socket."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit


class Connection:
    """One kept-alive connection, one request at a time; connected again after an answer that
    ends it (``Connection: close``, as an API worker holding more than its share answers)."""

    def __init__(self, url: str) -> None:
        self.url = urlsplit(url)
        self.host, self.path = self.url.netloc, self.url.path
        self.writer: asyncio.StreamWriter | None = None

    @classmethod
    async def open(cls, url: str) -> Connection:
        connection = cls(url)
        await connection.connect()
        return connection

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.url.hostname, self.url.port)

    async def post(self, document: dict, token: str) -> tuple[int, dict]:
        body = json.dumps(document).encode()
        self.writer.write(
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in header_lines if line)
        if "content-length" not in headers:
            raise RuntimeError(f"the server answered without a Content-Length: {status_line}")
        answer = await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.close()
            await self.connect()
        return int(status_line.split(" ", 2)[1]), json.loads(answer)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def load(url: str, clients: int, seconds: float,
         query: Callable[[], tuple[str, dict, str]]) -> tuple[list[float], float]:
    """``clients`` clients asking ``query()`` (document, variables, token) back to back for
    ``seconds``, each on its own connection: the latencies in ms and the requests a second. An
    answer that is not a 200 without errors stops the load."""

    async def one_client(deadline: float, latencies: list[float]) -> None:
        connection = await Connection.open(url)
        try:
            while time.perf_counter() < deadline:
                text, variables, token = query()
                asked = time.perf_counter()
                status, body = await connection.post({"query": text, "variables": variables}, token)
                latencies.append((time.perf_counter() - asked) * 1000)
                if status != 200 or body.get("errors"):
                    raise RuntimeError(f"GraphQL answered {status}: {body.get('errors')}")
        finally:
            connection.close()

    async def all_clients() -> tuple[list[float], float]:
        latencies: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(one_client(started + seconds, latencies) for _ in range(clients)))
        return latencies, len(latencies) / (time.perf_counter() - started)

    return asyncio.run(all_clients())
