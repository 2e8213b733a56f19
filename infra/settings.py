"""Where Siwei's servers are, read once from the environment.

``SIWEI_DATABASE_URL`` and ``SIWEI_KAFKA_BOOTSTRAP`` point at real servers; where either is unset,
the embedded one is started in the data folder (``SIWEI_DATA_DIR``, default ``./.siwei``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg

from infra.database import with_tcp_settings

DEFAULT_DATA_DIR = Path(".siwei")
DEFAULT_PARTITIONS = 3
DEFAULT_RATE_LIMIT = 20.0
DEFAULT_ACCESS_LOG_DAYS = 180  # 网络安全法 art. 21: logs kept at least six months
DEFAULT_DB_POOL = 4
DEFAULT_READY_LAG = 1000


class ConfigurationError(Exception):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    kafka_bootstrap: str | None
    data_dir: Path
    topic_partitions: int = DEFAULT_PARTITIONS
    rate_limit: float = DEFAULT_RATE_LIMIT  # API requests a second per token
    access_log_days: int = DEFAULT_ACCESS_LOG_DAYS  # how long showings of personal data are kept
    # The one connection budget (infra.budget): how many connections each body's store, and the
    # API's read models, may use at once in one process.
    db_pool: int = DEFAULT_DB_POOL
    ready_lag: int = DEFAULT_READY_LAG  # events the projector may be behind while the API says it is ready

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        partitions = env.get("SIWEI_TOPIC_PARTITIONS", str(DEFAULT_PARTITIONS))
        if not partitions.isdigit() or int(partitions) < 1:
            raise ConfigurationError(
                f"SIWEI_TOPIC_PARTITIONS must be a positive whole number, not {partitions!r}"
            )
        rate = env.get("SIWEI_RATE_LIMIT", str(DEFAULT_RATE_LIMIT))
        try:
            rate_limit = float(rate)
        except ValueError:
            rate_limit = 0.0
        if not rate_limit > 0:
            raise ConfigurationError(f"SIWEI_RATE_LIMIT must be a number above 0, not {rate!r}")
        days = env.get("SIWEI_ACCESS_LOG_DAYS", str(DEFAULT_ACCESS_LOG_DAYS))
        if not days.isdigit() or int(days) < 1:
            raise ConfigurationError(f"SIWEI_ACCESS_LOG_DAYS must be a positive whole number of days, not {days!r}")
        pool = env.get("SIWEI_DB_POOL", str(DEFAULT_DB_POOL))
        if not pool.isdigit() or int(pool) < 1:
            raise ConfigurationError(f"SIWEI_DB_POOL must be a positive whole number of connections, not {pool!r}")
        lag = env.get("SIWEI_READY_LAG", str(DEFAULT_READY_LAG))
        if not lag.isdigit():
            raise ConfigurationError(f"SIWEI_READY_LAG must be a whole number of events, not {lag!r}")
        return cls(
            database_url=_database_url(env.get("SIWEI_DATABASE_URL") or None),
            kafka_bootstrap=env.get("SIWEI_KAFKA_BOOTSTRAP") or None,
            data_dir=Path(env.get("SIWEI_DATA_DIR") or DEFAULT_DATA_DIR),
            topic_partitions=int(partitions),
            rate_limit=rate_limit,
            access_log_days=int(days),
            db_pool=int(pool),
            ready_lag=int(lag),
        )

    def with_servers(self, database_url: str, kafka_bootstrap: str) -> Settings:
        return replace(self, database_url=database_url, kafka_bootstrap=kafka_bootstrap)

    @property
    def servers_known(self) -> bool:
        return self.database_url is not None and self.kafka_bootstrap is not None

    def child_environment(self) -> dict[str, str]:
        """The environment for a child process that must use the same servers."""
        assert self.servers_known, "start or attach the servers first"
        env = dict(os.environ)
        env.update(
            SIWEI_DATABASE_URL=self.database_url or "",
            SIWEI_KAFKA_BOOTSTRAP=self.kafka_bootstrap or "",
            SIWEI_DATA_DIR=str(self.data_dir),
            SIWEI_TOPIC_PARTITIONS=str(self.topic_partitions),
            SIWEI_RATE_LIMIT=str(self.rate_limit),
            SIWEI_ACCESS_LOG_DAYS=str(self.access_log_days),
            SIWEI_DB_POOL=str(self.db_pool),
            SIWEI_READY_LAG=str(self.ready_lag),
        )
        return env


def _database_url(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        return with_tcp_settings(url)
    except (psycopg.ProgrammingError, UnicodeError):  # its message quotes the URL, password and all
        raise ConfigurationError("SIWEI_DATABASE_URL is neither a postgresql:// URL nor a connection string"
                                 " (key=value ...)") from None
