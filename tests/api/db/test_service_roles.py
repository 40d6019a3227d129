"""The services' database roles (migration 0010_service_roles) on the real PostgreSQL.

Three kinds of proof: the privileges of every table per role, as declared below (a table a
later migration adds fails the first test until it is declared); statements each role must not
be able to run, run as that role (`SET LOCAL ROLE` in the test's rolled-back transaction, so
every privilege check and row-level policy is the role's); and each service's own code, its
ASGI app answering real requests while the connection is that role: whatever the service does
must not need a privilege its role lacks (a missing grant would surface as a 500).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import boto3
import httpx
import pytest
from botocore.stub import Stubber
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from courtside import aws_secrets, migrate
from courtside.app_role import AppRoleError, scram_sha256_verifier, set_role_passwords
from courtside.main import CourtsideApp, create_app
from courtside.models import ApiScope, Base, Injury, User, utcnow
from courtside.services import audit, email
from courtside.services.api_keys import create_key
from courtside.services_registry import SERVICES, service
from courtside.settings import reset_settings
from tests.api.auth.helpers import user_headers
from tests.api.auth.routes import app_routes
from tests.api.betting.factories import make_slate
from tests.api.db.roles import as_role as _as
from tests.helpers import make_player, make_prediction, make_season_stats

pytestmark = pytest.mark.postgres_only

INSUFFICIENT_PRIVILEGE = "42501"
ROLE = {s.name: s.database_role for s in SERVICES}
LEAGUE = ["teams", "players", "player_season_stats", "games", "odds_snapshots", "predictions"]
LEAGUE += ["injuries"]
ACCOUNTS = ["rest_api_users", "api_keys", "revoked_tokens", "wallets", "bets", "notifications"]
ACCOUNTS += ["audit_events", "feature_flags"]

# Table-level privileges: S(ELECT), I(NSERT), U(PDATE), D(ELETE).
TABLES: dict[str, dict[str, str]] = {
    **{t: {"public": "S", "web": "S", "ingest": "SIU"} for t in LEAGUE},
    "row_counts": {"public": "S", "web": "S", "ingest": "SIUD"},
    **{t: {"public": "", "web": "SIUD", "ingest": ""} for t in ACCOUNTS},
    "api_keys": {"public": "", "web": "SIUD", "ingest": "S"},
    "wallets": {"public": "", "web": "SIUD", "ingest": "S"},
    "bets": {"public": "", "web": "SIUD", "ingest": "S"},
    "notifications": {"public": "", "web": "SIUD", "ingest": "I"},
    "audit_events": {"public": "", "web": "SIUD", "ingest": "I"},
    "account_tokens": {"public": "", "web": "SIUD", "ingest": ""},
    "bankroll_resets": {"public": "", "web": "SIUD", "ingest": ""},
    "sso_links": {"public": "", "web": "SIUD", "ingest": ""},
    "cache_versions": {"public": "S", "web": "SIUD", "ingest": "SIU"},
    "alembic_version": {"public": "", "web": "", "ingest": ""},
}
"""Every table of the app schema, for each service's role. Declare a new table here."""
COLUMNS: dict[tuple[str, str, str], set[str]] = {
    ("games", "web", "U"): {"updated_at"},  # row locks (FOR SHARE) need UPDATE on a column
    ("api_keys", "ingest", "U"): {"last_used_at"},
    ("bets", "ingest", "U"): {"status", "profit_cents", "settled_at"},
    ("wallets", "ingest", "U"): {"balance_cents", "updated_at"},
    ("notifications", "ingest", "S"): {"id"},  # INSERT ... RETURNING id
    ("audit_events", "ingest", "S"): {"id"},
    ("rest_api_users", "ingest", "S"): {"id", "email", "email_notifications", "is_active"},
}
"""Privileges on some columns only, beyond the table-level ones above."""
PRIVILEGES = {"S": "SELECT", "I": "INSERT", "U": "UPDATE", "D": "DELETE"}


async def _scalar(connection: AsyncConnection, sql: str, **params: object) -> Any:
    return (await connection.execute(text(sql), params)).scalar()


# --- the declared privileges, table by table and column by column ---------------------------


async def test_every_table_is_declared(connection):
    tables = set(
        (
            await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ).scalars()
    )
    assert {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"} == tables
    assert set(TABLES) == tables, "declare each new table's privileges per service role"


@pytest.mark.parametrize("service_name", list(ROLE))
async def test_table_privileges_are_as_declared(connection, service_name):
    role = ROLE[service_name]
    for table, roles in TABLES.items():
        for letter, privilege in PRIVILEGES.items():
            held = await _scalar(
                connection, "SELECT has_table_privilege(:r, :t, :p)", r=role, t=table, p=privilege
            )
            assert held is (letter in roles[service_name]), (role, table, privilege)
    assert await _scalar(connection, "SELECT has_database_privilege(:r, current_database(), "
                         "'CREATE')", r=role) is False  # fmt: skip
    assert (
        await _scalar(
            connection, "SELECT has_schema_privilege(:r, current_schema(), 'CREATE')", r=role
        )
        is False
    )


@pytest.mark.parametrize("service_name", list(ROLE))
async def test_column_privileges_are_as_declared(connection, service_name):
    role = ROLE[service_name]
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            for letter in "SIU":
                expected = letter in TABLES[table.name][service_name] or column.name in COLUMNS.get(
                    (table.name, service_name, letter), set()
                )
                held = await _scalar(
                    connection,
                    "SELECT has_column_privilege(:r, :t, :c, :p)",
                    r=role,
                    t=table.name,
                    c=column.name,
                    p=PRIVILEGES[letter],
                )
                assert held is expected, (role, table.name, column.name, PRIVILEGES[letter])


LARGE_OBJECTS = [
    "SELECT lo_create(0)",
    "SELECT lo_creat(-1)",
    "SELECT lo_from_bytea(0, 'x')",
    "SELECT lo_import('/etc/hostname')",
]


@pytest.mark.parametrize("statement", LARGE_OBJECTS)
@pytest.mark.parametrize("role", [*ROLE.values(), "courtside_app"])
async def test_no_role_can_create_large_objects(connection, role, statement):
    """Migration 0012: a read-only role must not be able to store anything, not even large
    objects (PostgreSQL lets PUBLIC create them by default)."""
    assert await _as(connection, role, statement) == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("role", [*ROLE.values(), "courtside_app"])
async def test_no_role_can_create_temporary_tables(connection, role):
    statement = "CREATE TEMPORARY TABLE scratch (x int)"
    assert await _as(connection, role, statement) == INSUFFICIENT_PRIVILEGE


async def test_the_roles_cannot_log_in_until_the_migrator_sets_their_passwords(connection):
    rows = (
        await connection.execute(
            text(
                "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, "
                "rolbypassrls FROM pg_roles WHERE rolname = ANY(:names)"
            ),
            {"names": list(ROLE.values())},
        )
    ).all()
    assert {row[0] for row in rows} == set(ROLE.values())
    # (The migrator test below sets passwords on members of the roles, never on the roles.)
    assert all(tuple(row)[1:] == (False, False, False, False, False) for row in rows)


# --- what each role must not do ---------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO teams (abbreviation, city, name, conference, division, updated_at) "
        "VALUES ('ZZZ', 'Nowhere', 'Testers', 'East', 'Atlantic', now())",
        "UPDATE games SET home_score = 1",
        "UPDATE games SET updated_at = now()",
        "DELETE FROM odds_snapshots",
        "INSERT INTO predictions (game_id, model_version, home_win_probability, created_at) "
        "VALUES (1, 'x', 0.5, now())",
        "UPDATE row_counts SET row_count = 0",
        "SELECT count(*) FROM rest_api_users",
        "SELECT count(*) FROM bets",
        "SELECT count(*) FROM api_keys",
        "SELECT count(*) FROM audit_events",
        "SELECT count(*) FROM feature_flags",
        "INSERT INTO feature_flags (name, enabled, description) VALUES ('zz', true, '')",
        "SELECT version_num FROM alembic_version",
        "CREATE TABLE sneaky (id int)",
        "TRUNCATE teams",
    ],
)
async def test_the_public_role_cannot_write_nor_read_beyond_league_data(connection, statement):
    assert await _as(connection, ROLE["public"], statement) == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM rest_api_users",
        "SELECT username FROM rest_api_users",
        "SELECT password_hash FROM rest_api_users",
        "SELECT role, token_version FROM rest_api_users",
        "UPDATE rest_api_users SET email_notifications = true",
        "INSERT INTO rest_api_users (username, email, password_hash, role) "
        "VALUES ('x', 'x@example.com', 'x', 'Admin')",
        "INSERT INTO api_keys (name, prefix, secret_hash, scope) VALUES ('k', 'p', 'h', 'write')",
        "UPDATE api_keys SET revoked_at = now()",
        "SELECT count(*) FROM revoked_tokens",
        "SELECT message FROM notifications",
        "SELECT details FROM audit_events",
        "UPDATE bets SET stake_cents = 1",
        "DELETE FROM bets",
        "UPDATE wallets SET user_id = 1",
        "DELETE FROM teams",
        "SELECT count(*) FROM feature_flags",
    ],
)
async def test_the_ingest_role_cannot_read_users_nor_touch_accounts(connection, statement):
    assert await _as(connection, ROLE["ingest"], statement) == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO teams (abbreviation, city, name, conference, division, updated_at) "
        "VALUES ('ZZZ', 'Nowhere', 'Testers', 'East', 'Atlantic', now())",
        "UPDATE games SET home_score = 1, away_score = 0",
        "UPDATE games SET status = 'postponed'",
        "DELETE FROM games",
        "UPDATE odds_snapshots SET home_odds = 100",
        "UPDATE alembic_version SET version_num = 'x'",
        "ALTER TABLE bets ADD COLUMN sneaky int",
    ],
)
async def test_the_web_role_cannot_change_league_data(connection, statement):
    assert await _as(connection, ROLE["web"], statement) == INSUFFICIENT_PRIVILEGE


async def _user(session: AsyncSession, name: str, *, emails: bool, active: bool = True) -> User:
    user = User(
        username=name,
        email=f"{name}@example.com",
        password_hash="not-a-real-hash",
        role="Consumer",
        email_notifications=emails,
        is_active=active,
    )
    session.add(user)
    await session.flush()
    return user


async def test_the_ingest_role_sees_only_the_addresses_of_users_who_asked_for_email(
    connection, session
):
    wanted = await _user(session, "wants-mail", emails=True)
    await _user(session, "no-mail", emails=False)
    await _user(session, "gone", emails=True, active=False)

    visible = await _as(
        connection, ROLE["ingest"], "SELECT string_agg(email, ',') FROM rest_api_users"
    )
    assert visible == wanted.email
    every = await _as(connection, ROLE["web"], "SELECT count(*) FROM rest_api_users")
    assert every == await _scalar(connection, "SELECT count(*) FROM rest_api_users")
    assert isinstance(every, int) and every >= 3


async def test_a_rotation_clone_of_a_role_has_its_privileges_and_policies(connection, session):
    """Multi-user rotation logs in as `<role>_clone`, a member of the role."""
    await _user(session, "someone", emails=False)
    clone = f"courtside_web_clone_{uuid.uuid4().hex[:8]}"  # rolled back with the test
    await connection.execute(text(f"CREATE ROLE {clone} NOLOGIN IN ROLE {ROLE['web']}"))
    assert await _as(connection, clone, "SELECT count(*) FROM rest_api_users") == 1
    assert await _as(connection, clone, "DELETE FROM games") == INSUFFICIENT_PRIVILEGE


# --- each service's own code, as its role --------------------------------------------------------


@pytest.fixture
async def sent(cache) -> AsyncIterator[list[email.Email]]:
    """E-mails the app sends, kept instead of delivered."""
    outbox: list[email.Email] = []

    class Outbox:
        async def send(self, message: email.Email) -> None:
            outbox.append(message)

    email.use_sender(Outbox())
    yield outbox
    email.use_sender(None)


@pytest.fixture
async def service_client(connection, cache) -> AsyncIterator[Any]:
    """`service_client(name)`: an httpx client on that service's app, on the test's connection
    (the caller switches the connection to the service's role)."""
    reset_settings()
    async with contextlib.AsyncExitStack() as stack:

        async def open_client(name: str) -> httpx.AsyncClient:
            app = create_app(service=name)
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            return await stack.enter_async_context(client)

        yield open_client
    reset_settings()


async def become(connection: AsyncConnection, service_name: str) -> None:
    """From here on the test's connection (every session of the app) is the service's role."""
    await connection.execute(text(f"SET LOCAL ROLE {service(service_name).database_role}"))


async def league(session: AsyncSession) -> dict[str, Any]:
    """A few rows in every league table (as the owner)."""
    slate = await make_slate(session, games=2)
    game = slate.games[0]
    player = await make_player(session, slate.teams["BOS"], first_name="Jayson", last_name="T")
    make_season_stats(session, player, slate.teams["BOS"])
    session.add(
        Injury(player_id=player.id, reported_on=utcnow().date(), status="out", description="x")
    )
    await make_prediction(session, game, 0.61)
    await session.flush()
    return {"game_id": str(game.id), "player_id": str(player.id), "abbr": "BOS", "slate": slate}


def concrete(path: str, values: dict[str, Any]) -> str:
    import re

    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values.get(m.group(1), "1")), path)


async def test_the_public_service_answers_every_route_as_the_public_role(
    connection, session, service_client
):
    values = await league(session)
    values["abbr"] = "BOS"
    client = await service_client("public")
    routes = app_routes(create_app(service="public"))
    await become(connection, "public")

    checked = 0
    for method, path in routes:
        assert method == "GET", (method, path)
        response = await client.get(concrete(path, values))
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        checked += 1
    for path, query in [
        ("/v1/players", "q=jay&team=BOS&position=G"),
        ("/v1/games", f"date={utcnow().date() + timedelta(days=1)}&team=BOS"),
        (f"/v1/games/{values['game_id']}/odds", "type=7d_deviation"),
        ("/v1/odds", ""),
        ("/v1/standings", "season=2026"),
        ("/health/ready", ""),
    ]:
        response = await client.get(path, params=query)
        assert response.status_code == 200, (path, response.text[:300])
    assert checked >= 12
    assert (await client.get("/health/ready")).json()["checks"]["database"] == "ok"


async def test_the_ingest_service_ingests_and_settles_as_the_ingest_role(
    connection, session, service_client, sent
):
    """Every dataset, and a final result that settles bets: bets, wallets, notifications, the
    event log and the e-mail of the user who asked for one, all as `courtside_ingest`."""
    from courtside.services.placing import place_bet
    from tests.api.ingest import records

    slate = await make_slate(session, games=1, starts_in=timedelta(hours=1))
    game = slate.games[0]
    mailed = await _user(session, "mail-me", emails=True)
    quiet = await _user(session, "no-mail-please", emails=False)
    for user in (mailed, quiet):
        await place_bet(session, user_id=user.id, game_id=game.id, side="home", stake_cents=1000)
    _, key = await create_key(session, name="pipeline", scope=ApiScope.WRITE, actor=audit.SYSTEM)
    person = user_headers(mailed)
    await session.flush()
    client = await service_client("ingest")
    await become(connection, "ingest")

    headers = {"X-API-Key": key}
    start = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    batches = {
        "teams": [*records.teams(), records.TEAMS[0] | {"abbreviation": "DAL"}],
        "players": [records.player("svc-p1", team="BOS")],
        "games": [records.game("svc-g1", home="BOS", away="NYK", start=start)],
        "odds": [records.odds("svc-g1")],
        "predictions": [records.prediction("svc-g1")],
        "injuries": [records.injury("svc-p1")],
    }
    for dataset, batch in batches.items():
        response = await client.post(
            f"/v1/ingest/{dataset}", json={"records": batch}, headers=headers
        )
        assert response.status_code == 200, (dataset, response.text[:300])
        assert response.json()["event_id"] > 0

    final = {
        "external_id": game.external_id,
        "season": game.season,
        "start_time": game.start_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "home_team": "BOS",
        "away_team": "NYK",
        "status": "final",
        "home_score": 101,
        "away_score": 99,
    }
    response = await client.post("/v1/ingest/games", json={"records": [final]}, headers=headers)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["bets_settled"] == 2
    assert [m.to for m in sent] == [mailed.email]  # the one who asked, after the commit

    # A person's token is not a credential here: dropped before anything reads the users.
    refused = await client.post(
        "/v1/ingest/teams", json={"records": records.teams()}, headers=person
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "api_key_required"

    await connection.execute(text("RESET ROLE"))
    wallets = await session.scalars(
        text("SELECT balance_cents FROM wallets WHERE user_id IN (:a, :b)").bindparams(
            a=mailed.id, b=quiet.id
        )
    )
    assert len(set(wallets)) == 1  # both won the same
    notified = await _scalar(
        connection, "SELECT count(*) FROM notifications WHERE user_id IN (:a, :b)",
        a=mailed.id, b=quiet.id,
    )  # fmt: skip
    assert notified == 2


async def test_the_web_service_runs_accounts_bets_and_admin_as_the_web_role(
    connection, session, service_client
):
    values = await league(session)
    admin = User(
        username="svc-admin", email="svc-admin@example.com", password_hash="x", role="Admin"
    )
    consumer = User(
        username="svc-user", email="svc-user@example.com", password_hash="x", role="Consumer"
    )
    session.add_all([admin, consumer])
    await session.flush()
    as_admin, as_consumer = user_headers(admin), user_headers(consumer)
    client = await service_client("web")
    await become(connection, "web")

    game_id = int(values["game_id"])
    placed = await client.post(
        "/v1/me/bets", json={"game_id": game_id, "side": "home", "stake": 10}, headers=as_consumer
    )
    assert placed.status_code == 201, placed.text[:300]
    bet_id = placed.json()["id"]
    values["bet_id"] = bet_id
    cancelled = await client.post(f"/v1/me/bets/{bet_id}/cancel", headers=as_consumer)
    assert cancelled.status_code == 200, cancelled.text[:300]

    password = "a long pass phrase"
    signup = await client.post(
        "/v1/auth/signup",
        json={"username": "svc-new", "email": "svc-new@example.com", "password": password},
    )
    assert signup.status_code == 201, signup.text[:300]
    token = await client.post("/token", data={"username": "svc-new", "password": password})
    assert token.status_code == 200, token.text[:300]

    flag = await client.post(
        "/v1/admin/flags", json={"name": "svc_flag", "enabled": False}, headers=as_admin
    )
    assert flag.status_code == 201, flag.text[:300]
    switched = await client.patch(
        "/v1/admin/flags/svc_flag", json={"enabled": True}, headers=as_admin
    )
    assert switched.status_code == 200, switched.text[:300]
    key = await client.post(
        "/v1/admin/api-keys", json={"name": "svc-key", "scope": "read"}, headers=as_admin
    )
    assert key.status_code == 201, key.text[:300]
    revoked = await client.post(f"/v1/admin/api-keys/{key.json()['id']}/revoke", headers=as_admin)
    assert revoked.status_code == 200, revoked.text[:300]
    demoted = await client.patch(
        f"/v1/admin/users/{consumer.id}", json={"is_active": False}, headers=as_admin
    )
    assert demoted.status_code == 200, demoted.text[:300]

    # Every page and JSON read of the web service, as an Admin: none may need more.
    values |= {"user_id": consumer.id, "name": "svc_flag", "key_id": key.json()["id"]}
    # A 403 or a 401 here would be a grant the web role lacks hiding behind a "< 500":
    # every read is a 200, except these, which answer the same on any role.
    values |= {"abbreviation": "BOS"}
    not_200 = {
        "/account/email/confirm": 400,  # no link token in the query
        "/password/reset": 400,  # no link token in the query
        "/bets": 303,  # where bet forms post to: opening it shows the board
        "/login": 303,  # signed in already
        "/signup": 303,  # signed in already
        "/login/sso": 404,  # SSO is not configured here (test_sso.py runs it against a provider)
        "/login/sso/callback": 404,
        f"/v1/me/bets/{bet_id}": 404,  # the Consumer's bet, not the Admin's
    }
    answers: dict[str, int] = {}
    for method, path in app_routes(create_app(service="web")):
        if method not in ("GET", "MOUNT"):
            continue
        url = "/static/app.css" if method == "MOUNT" else concrete(path, values)
        response = await client.get(url, headers={**as_admin, "Accept": "text/html"})
        assert response.status_code == not_200.get(url, 200), (url, response.text[:300])
        answers[url] = response.status_code
    assert len(answers) >= 25
    assert set(not_200) <= set(answers)  # the exceptions are routes that still exist
    out = await client.post("/v1/me/logout-everywhere", headers=as_admin)
    assert out.status_code == 204, out.text[:300]


def test_the_service_apps_are_the_registrys():
    for name in ROLE:
        app = create_app(service=name)
        assert isinstance(app, CourtsideApp)
        assert app.group_names == list(service(name).groups)


# --- their passwords, each from its own secret ------------------------------------------------


@pytest.fixture
def secrets_stub() -> Iterator[Stubber]:
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    stubber = Stubber(client)
    aws_secrets.use_client(client)
    yield stubber
    aws_secrets.use_client(None)


def _arn(role: str) -> str:
    return f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{role}-AbCdEf"


def _secret(stubber: Stubber, arn: str, username: str, password: str) -> None:
    value = {"username": username, "password": password, "engine": "postgres"}
    stubber.add_response(
        "get_secret_value",
        {"ARN": arn, "Name": arn.rsplit(":", 1)[1], "SecretString": json.dumps(value)},
        {"SecretId": arn},
    )


async def _owner_sql(url: str, *statements: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            results = [await connection.execute(text(sql)) for sql in statements]
            return [r.scalar() if r.returns_rows else None for r in results]
    finally:
        await engine.dispose()


def test_the_migrator_sets_each_service_roles_password_from_its_own_secret(
    postgres_url, secrets_stub, monkeypatch
):
    """SERVICE_DATABASE_SECRET_ARNS (role -> ARN): each secret's login (here a member of the
    role, as rotation's clone is) gets that secret's password."""
    suffix = uuid.uuid4().hex[:8]
    logins = {role: f"{role}_t{suffix}" for role in ROLE.values()}
    asyncio.run(
        _owner_sql(
            postgres_url, *(f"CREATE ROLE {n} NOLOGIN IN ROLE {r}" for r, n in logins.items())
        )
    )
    try:
        for role, login in logins.items():
            _secret(secrets_stub, _arn(role), login, f"Pa55word-of-{login}")
        monkeypatch.setenv("DATABASE_URL", postgres_url)
        monkeypatch.setenv("SERVICE_DATABASE_SECRET_ARNS", json.dumps({r: _arn(r) for r in logins}))
        reset_settings()
        with secrets_stub:
            result = migrate.handler({}, None)

        assert result["status"] == "ok"
        assert result["service_roles"] == ",".join(logins.values())
        stored = asyncio.run(
            _owner_sql(
                postgres_url,
                *(
                    f"SELECT rolpassword FROM pg_authid WHERE rolname = '{n}'"
                    for n in logins.values()
                ),
            )
        )
        for login, verifier in zip(logins.values(), stored, strict=True):
            iterations, salt = str(verifier).split("$")[1].split(":")
            assert verifier == scram_sha256_verifier(
                f"Pa55word-of-{login}", salt=base64.b64decode(salt), iterations=int(iterations)
            )
    finally:
        reset_settings()
        asyncio.run(
            _owner_sql(postgres_url, *(f"DROP ROLE IF EXISTS {n}" for n in logins.values()))
        )


def test_a_secret_naming_another_services_role_is_refused(postgres_url, secrets_stub):
    """The public role's secret can never hand its password to the web role (or the owner)."""
    for username in (ROLE["web"], "postgres"):
        _secret(secrets_stub, _arn("public"), username, "Some-Pa55word-123456")
        with secrets_stub, pytest.raises(AppRoleError, match=f"not {ROLE['public']} or a member"):
            set_role_passwords(postgres_url, {ROLE["public"]: _arn("public")})


def test_only_the_apps_roles_may_get_a_password(postgres_url, secrets_stub):
    _secret(secrets_stub, _arn("x"), "postgres", "Some-Pa55word-123456")
    with secrets_stub, pytest.raises(AppRoleError, match="not an app role"):
        set_role_passwords(postgres_url, {"postgres": _arn("x")})
