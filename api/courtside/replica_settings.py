"""Where public reads may go: a read replica (or Aurora's reader endpoint), when configured.

Kept apart from `courtside.settings` (its own concern, read only by `courtside.read_replica`).
Without `DATABASE_READ_URL` / `DATABASE_READ_HOST` every read goes to the writer, as before.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator

from courtside.settings import _CONFIG
from courtside.settings_source import EnvSettings

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg")


class ReplicaSettings(EnvSettings):
    """Read replicas: public cache misses read a replica that has caught up, else the writer."""

    model_config = _CONFIG.copy() | {"hide_input_in_errors": True}  # URLs hold passwords

    database_read_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of a read replica for public reads; unset: the writer.",
    )
    database_read_host: str | None = Field(
        default=None,
        description="Reader endpoint host, with DATABASE_SECRET_ARN (AWS): the writer's "
        "credentials, this host; several RDS replicas: hosts separated by commas (one per "
        "process, the next after a failure).",
    )
    db_read_retry_after_failure_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="After the replica fails, public reads use the writer for this long.",
    )

    db_read_max_lag_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="A replica with more WAL received but not yet replayed than this is not "
        "read (public misses use the writer); a byte count, whatever the server's WAL "
        "segment size (16 MiB is PostgreSQL's default segment; RDS may use larger ones).",
    )
    db_read_max_lag_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="A replica that has not replayed all it received and whose last replayed "
        "transaction is older than this is not read (0 s while it has replayed everything).",
    )
    db_read_lag_check_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How often a process asks the replica its lag (one round trip there).",
    )

    @model_validator(mode="after")
    def _async_driver(self) -> ReplicaSettings:
        """A replica is PostgreSQL (asyncpg); the usual spellings are converted."""
        if self.database_read_url:
            scheme, separator, rest = self.database_read_url.partition("://")
            if not separator or scheme.lower() not in (*_POSTGRES_SCHEMES, "postgresql+asyncpg"):
                raise ValueError(
                    f"DATABASE_READ_URL must be a PostgreSQL URL; got {scheme[:40]!r}://"
                )
            self.database_read_url = f"postgresql+asyncpg://{rest}"
        return self

    @property
    def read_hosts(self) -> tuple[str, ...]:
        """`DATABASE_READ_HOST`'s hosts, in order (several: RDS read replicas)."""
        hosts = (self.database_read_host or "").split(",")
        return tuple(host.strip() for host in hosts if host.strip())

    @property
    def configured(self) -> bool:
        return bool(self.database_read_url or self.read_hosts)


@lru_cache
def get_replica_settings() -> ReplicaSettings:
    return ReplicaSettings()
