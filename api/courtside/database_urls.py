"""DATABASE_URL as people write it, turned into the URL the app's async drivers connect with.

`sqlite:///…` and the sync PostgreSQL forms (`postgresql://`, `postgres://`,
`postgresql+psycopg2://`, `postgresql+psycopg://`) are rewritten to `sqlite+aiosqlite:///…`
and `postgresql+asyncpg://…`; libpq's `sslmode` query parameter becomes DB_SSL_MODE (asyncpg
does not know it). Anything the async driver could not connect with is refused (ValueError,
which the settings report as a validation error).
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

SSL_MODES = ("disable", "prefer", "require")

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
"""DATABASE_URL schemes accepted, and the async driver each one runs on."""

_EXPECTED_URL_FORMS = (
    "sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user:password@host:5432/name"
)


@lru_cache(maxsize=1)
def _asyncpg_url_parameters() -> frozenset[str]:
    """Query parameters SQLAlchemy hands to `asyncpg.connect` as keyword arguments."""
    import asyncpg  # lazy: the driver loads on the first connection, not with the settings

    parameters = set(inspect.signature(asyncpg.connect).parameters) - {"dsn", "loop"}
    return frozenset(parameters | {"prepared_statement_cache_size"})


def async_url(url: str, ssl_mode: str | None) -> tuple[str, str | None]:
    """`url` on its async driver, and the SSL mode (`ssl_mode`, or the URL's `sslmode`)."""
    scheme, separator, rest = url.partition("://")
    driver = _ASYNC_DRIVERS.get(scheme.lower()) if separator else None
    if driver is None:
        raise ValueError(
            f"DATABASE_URL must be {_EXPECTED_URL_FORMS} (sqlite:///, postgresql://, "
            f"postgres:// and postgresql+psycopg2:// are converted); got {scheme[:40]!r}://"
        )
    if driver.startswith("postgresql"):
        rest, ssl_mode = _postgres_query(rest, ssl_mode)
    return f"{driver}://{rest}", ssl_mode


def _postgres_query(rest: str, ssl_mode: str | None) -> tuple[str, str | None]:
    """`rest` without `sslmode` (moved to the SSL mode); refuses parameters asyncpg lacks."""
    location, question, query = rest.partition("?")
    if not question:
        return rest, ssl_mode
    kept: list[tuple[str, str]] = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "sslmode":
            ssl_mode = _take_ssl_mode(value, ssl_mode)
        elif name in _asyncpg_url_parameters():
            kept.append((name, value))
        else:
            raise ValueError(
                f"DATABASE_URL parameter {name!r} is not understood by the async "
                f"PostgreSQL driver (asyncpg); remove it"
            )
    return (f"{location}?{urlencode(kept)}" if kept else location), ssl_mode


def _take_ssl_mode(value: str, configured: str | None) -> str:
    if value not in SSL_MODES:
        raise ValueError(
            f"DATABASE_URL sslmode={value!r} is not supported: use disable, prefer or "
            "require (or set DB_SSL_MODE)"
        )
    if configured is not None and configured != value:
        raise ValueError(f"DATABASE_URL says sslmode={value} but DB_SSL_MODE={configured}")
    return value
