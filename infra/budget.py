"""The one connection budget: how many PostgreSQL connections each part of Siwei may open, all
derived from one setting, ``SIWEI_DB_POOL`` (``Settings.db_pool``): how many connections each
body's store, and each API worker's read models, may use at once in one process.

Each count is an upper bound read from what the part's code opens; under load the parts use
less (measured in the README). ``siwei up`` adds them up for its parts and API workers and
lowers the pool until they fit the server's ``max_connections`` with a fifth of it to spare (for
the commands an operator runs beside them); the embedded server is started with room enough.
"""

from __future__ import annotations

import math

from services.common.bodies import Body
from services.common.personal import PostgresKeys

SPARE = 0.2  # of the server's connections, kept free for commands, psql, a second projector


def stores(pool: int) -> int:
    """The four bodies' services: each store's pool and each body's personal keys."""
    return len(Body) * (pool + PostgresKeys.POOL)


def parts(pool: int, workers: int, projectors: int = 1) -> dict[str, int]:
    """What each part of ``siwei up`` may open at most."""
    return {
        "relay": stores(pool) + 3 * len(Body),  # per body: its lock, its LISTEN, one at work
        # per process: its work, the schema lock at start, a look at the relays' generations, one
        # at which read models serve
        "projector": 4 * projectors,
        "reactor": stores(pool) + 3,
        "witness": stores(pool) + 3,
        "deadlines": stores(pool) + 1,
        # read models, LISTEN for revocations, the access log, an as-of scratch schema, tokens
        **{f"api worker {n}": stores(pool) + 2 * pool + 4 for n in range(1, workers + 1)},
        "siwei up (seeding the demo)": stores(pool),
    }


def needed(pool: int, workers: int, projectors: int = 1) -> int:
    return sum(parts(pool, workers, projectors).values())


def usable(max_connections: int) -> int:
    return int(max_connections * (1 - SPARE))


def fitting_pool(pool: int, workers: int, max_connections: int, projectors: int = 1) -> int | None:
    """The largest pool up to ``pool`` with which every part fits the server, or None."""
    for candidate in range(pool, 0, -1):
        if needed(candidate, workers, projectors) <= usable(max_connections):
            return candidate
    return None


def max_connections_for(pool: int, workers: int, projectors: int = 1) -> int:
    """A server limit that fits ``siwei up`` at this pool, with the spare kept."""
    return math.ceil(needed(pool, workers, projectors) / (1 - SPARE)) + 1
