"""Migration 0012 on a migrator that cannot revoke: like RDS's master user, a role that owns
the database and may create roles but does not own `pg_catalog`'s functions.

PostgreSQL lets such a REVOKE pass with a warning and changes nothing. The migration must
not pretend: it logs an error naming the statements the functions' owner must run. (The
superuser path, where the revoke takes effect, is proven for every role by
`test_service_roles.py::test_no_role_can_create_large_objects`.) A cluster of this test's own,
so no role is created on the shared server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from courtside.migrate import upgrade
from tests.servers import OwnPostgres

pytestmark = pytest.mark.postgres_only

MIGRATOR = "rds_like_master"


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres().start()
    try:
        server.psql(f"CREATE ROLE {MIGRATOR} LOGIN CREATEROLE CREATEDB")
        server.psql(f"CREATE DATABASE courtside OWNER {MIGRATOR}")
        yield server
    finally:
        server.destroy()


def test_a_migrator_that_cannot_revoke_says_so(
    own_postgres: OwnPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    url = own_postgres.url("courtside").replace("postgres@", f"{MIGRATOR}@")
    with caplog.at_level(logging.ERROR, logger="courtside.migrate"):
        upgrade(url)
    errors = [r.getMessage() for r in caplog.records if r.name == "courtside.migrate"]
    assert len(errors) == 1, errors
    assert "REVOKE EXECUTE ON FUNCTION pg_catalog.lo_create(oid) FROM PUBLIC" in errors[0]
    creatable = own_postgres.psql(
        "SELECT has_function_privilege('courtside_public', 'pg_catalog.lo_create(oid)', 'EXECUTE')",
        database="courtside",
    )
    assert creatable.strip() == "t"  # the gap the error reports

    # The functions' owner runs what the error says; then no role can.
    own_postgres.psql(errors[0].split("run: ", 1)[1], database="courtside")
    for role in ("courtside_public", "courtside_web", "courtside_ingest", "courtside_app"):
        held = own_postgres.psql(
            f"SELECT has_function_privilege('{role}', 'pg_catalog.lo_create(oid)', 'EXECUTE')",
            database="courtside",
        )
        assert held.strip() == "f", role
