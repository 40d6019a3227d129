"""Secrets Manager access through Powertools' `SecretsProvider` (its boto3 client stubbed with
botocore's Stubber: real client, no network), the database URL built from the RDS secret, the
Redis URL with its token, and Lambda pool sizes."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from botocore.stub import Stubber
from sqlalchemy.engine import make_url
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from courtside import aws_secrets
from courtside.cache import redis_url
from courtside.db import build_engine
from courtside.settings import CacheSettings, DatabaseSettings, reset_settings

DB_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:courtside-dev-db-AbCdEf"
REDIS_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:courtside-dev-redis-GhIjKl"
NASTY_PASSWORD = "p@ss:w/rd%?#&= x"

RDS_SECRET = {
    "dbClusterIdentifier": None,
    "password": NASTY_PASSWORD,
    "dbname": "courtside",
    "engine": "postgres",
    "port": 5432,
    "dbInstanceIdentifier": "courtside-dev-db",
    "host": "courtside-dev-db.c9akciq32.us-east-1.rds.amazonaws.com",
    "username": "courtside_admin",
}


def _response(arn: str, value: str) -> dict[str, object]:
    return {
        "ARN": arn,
        "Name": arn.rsplit(":", 1)[-1],
        "VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
        "SecretString": value,
    }


@pytest.fixture
def stub():
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        aws_secrets.use_client(client)
        yield stubber
        stubber.assert_no_pending_responses()
    aws_secrets.use_client(None)


def expect(stub: Stubber, arn: str, value: str) -> None:
    stub.add_response("get_secret_value", _response(arn, value), {"SecretId": arn})


def test_secret_is_fetched_once_and_reused(stub):
    expect(stub, REDIS_ARN, "token-1")
    assert aws_secrets.secret_string(REDIS_ARN) == "token-1"
    # A second fetch would find no queued response and raise.
    assert aws_secrets.secret_string(REDIS_ARN) == "token-1"


def test_expired_secret_is_fetched_again(stub):
    expect(stub, REDIS_ARN, "token-1")
    expect(stub, REDIS_ARN, "token-2")
    assert aws_secrets.secret_string(REDIS_ARN, ttl_seconds=0) == "token-1"
    assert aws_secrets.secret_string(REDIS_ARN, ttl_seconds=0) == "token-2"


def test_invalidate_forces_a_fetch(stub):
    expect(stub, REDIS_ARN, "before-rotation")
    expect(stub, REDIS_ARN, "after-rotation")
    assert aws_secrets.secret_string(REDIS_ARN) == "before-rotation"
    aws_secrets.invalidate(REDIS_ARN)
    assert aws_secrets.secret_string(REDIS_ARN) == "after-rotation"


def test_the_ttl_is_the_secrets_ttl_setting(stub, monkeypatch):
    monkeypatch.setenv("SECRETS_TTL_SECONDS", "0")
    reset_settings()
    expect(stub, REDIS_ARN, "token-1")
    expect(stub, REDIS_ARN, "token-2")
    assert aws_secrets.secret_string(REDIS_ARN) == "token-1"
    assert aws_secrets.secret_string(REDIS_ARN) == "token-2"
    monkeypatch.setenv("SECRETS_TTL_SECONDS", "300")
    reset_settings()
    expect(stub, REDIS_ARN, "token-3")
    assert aws_secrets.secret_string(REDIS_ARN) == "token-3"
    assert aws_secrets.secret_string(REDIS_ARN) == "token-3"
    monkeypatch.delenv("SECRETS_TTL_SECONDS")
    reset_settings()


def test_values_are_cached_by_powertools_secrets_provider(stub):
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    expect(stub, REDIS_ARN, "token-1")
    assert aws_secrets.secret_string(REDIS_ARN) == "token-1"
    provider = aws_secrets._secrets_provider()
    assert isinstance(provider, SecretsProvider)
    # Powertools' own cache answers: no second call reaches the (stubbed) client.
    assert provider.get(REDIS_ARN, max_age=300) == "token-1"


def test_invalidating_every_secret(stub):
    expect(stub, REDIS_ARN, "token-1")
    expect(stub, DB_ARN, "db-1")
    expect(stub, REDIS_ARN, "token-2")
    expect(stub, DB_ARN, "db-2")
    assert (aws_secrets.secret_string(REDIS_ARN), aws_secrets.secret_string(DB_ARN)) == (
        "token-1",
        "db-1",
    )
    aws_secrets.invalidate()
    assert (aws_secrets.secret_string(REDIS_ARN), aws_secrets.secret_string(DB_ARN)) == (
        "token-2",
        "db-2",
    )


def test_failed_refresh_keeps_the_cached_value(stub, caplog):
    expect(stub, REDIS_ARN, "token-1")
    stub.add_client_error("get_secret_value", "InternalServiceError", http_status_code=500)
    assert aws_secrets.secret_string(REDIS_ARN, ttl_seconds=0) == "token-1"  # expires at once
    with caplog.at_level(logging.WARNING, logger="courtside.aws_secrets"):
        assert aws_secrets.secret_string(REDIS_ARN) == "token-1"
    assert "keeping the cached value" in caplog.text
    assert "InternalServiceError" in caplog.text


def test_failed_fetch_after_invalidate_raises(stub):
    expect(stub, REDIS_ARN, "before-rotation")
    stub.add_client_error("get_secret_value", "InternalServiceError", http_status_code=500)
    assert aws_secrets.secret_string(REDIS_ARN) == "before-rotation"
    aws_secrets.invalidate(REDIS_ARN)  # the value was refused: falling back to it is no use
    with pytest.raises(aws_secrets.SecretError, match="InternalServiceError"):
        aws_secrets.secret_string(REDIS_ARN)


def test_first_fetch_failure_raises(stub):
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    stub.add_client_error("get_secret_value", "ResourceNotFoundException", http_status_code=400)
    with pytest.raises(aws_secrets.SecretError, match="ResourceNotFoundException") as caught:
        aws_secrets.secret_string(REDIS_ARN)
    assert isinstance(caught.value.__cause__, GetParameterError)


def test_binary_secrets_are_refused(stub):
    stub.add_response(
        "get_secret_value",
        {"ARN": REDIS_ARN, "Name": "courtside-dev-redis", "SecretBinary": b"\x00\x01"},
        {"SecretId": REDIS_ARN},
    )
    with pytest.raises(aws_secrets.SecretError, match="no SecretString"):
        aws_secrets.secret_string(REDIS_ARN)


def test_database_url_from_rds_secret_quotes_the_password(stub):
    expect(stub, DB_ARN, json.dumps(RDS_SECRET))
    url = make_url(
        aws_secrets.database_url_from_secret(DatabaseSettings(database_secret_arn=DB_ARN))
    )
    assert url.drivername == "postgresql+asyncpg"
    assert url.password == NASTY_PASSWORD
    assert url.username == "courtside_admin"
    assert (url.host, url.port, url.database) == (RDS_SECRET["host"], 5432, "courtside")


def test_database_host_and_name_override_the_secret(stub):
    expect(stub, DB_ARN, json.dumps({**RDS_SECRET, "dbname": "postgres"}))
    settings = DatabaseSettings(
        database_secret_arn=DB_ARN,
        database_host="courtside-dev-proxy.proxy-c9akciq32.us-east-1.rds.amazonaws.com",
        database_name="courtside_app",
    )
    url = make_url(aws_secrets.database_url_from_secret(settings))
    assert url.host == "courtside-dev-proxy.proxy-c9akciq32.us-east-1.rds.amazonaws.com"
    assert url.database == "courtside_app"


def test_database_name_defaults_to_the_secret_dbname(stub):
    expect(stub, DB_ARN, json.dumps({**RDS_SECRET, "dbname": "league"}))
    url = make_url(
        aws_secrets.database_url_from_secret(DatabaseSettings(database_secret_arn=DB_ARN))
    )
    assert url.database == "league"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "is not a JSON object"),
        (json.dumps({k: v for k, v in RDS_SECRET.items() if k != "password"}), "'password'"),
        (json.dumps({k: v for k, v in RDS_SECRET.items() if k != "host"}), "'host'"),
        (json.dumps({**RDS_SECRET, "port": "fifty"}), "port that is not a number"),
    ],
)
def test_malformed_database_secret_is_a_clear_error(stub, value, message):
    expect(stub, DB_ARN, value)
    with pytest.raises(aws_secrets.SecretError, match=message):
        aws_secrets.database_url_from_secret(DatabaseSettings(database_secret_arn=DB_ARN))


def test_redis_url_uses_tls_and_the_token_from_the_secret(stub):
    expect(stub, REDIS_ARN, "tok/en+with:chars")
    settings = CacheSettings(
        redis_host="master.courtside-dev.abc123.use1.cache.amazonaws.com",
        redis_port=6379,
        redis_tls=True,
        redis_auth_secret_arn=REDIS_ARN,
    )
    assert redis_url(settings) == (
        "rediss://:tok%2Fen%2Bwith%3Achars@master.courtside-dev.abc123.use1.cache.amazonaws.com:6379/0"
    )


def test_rediss_url_builds_a_tls_client():
    from redis.asyncio.connection import SSLConnection

    from courtside.cache import build_redis_client

    client = build_redis_client("rediss://:token@cache.internal:6379/0", CacheSettings())
    assert client.connection_pool.connection_class is SSLConnection
    assert client.connection_pool.connection_kwargs["password"] == "token"


def test_lambda_defaults_one_connection_per_environment(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "courtside-dev-api")
    monkeypatch.setenv("REDIS_HOST", "cache.internal")  # the stack always sets it
    reset_settings()
    settings = DatabaseSettings()
    assert (settings.db_pool_size, settings.db_max_overflow) == (1, 0)
    engine = build_engine(settings, url="postgresql+asyncpg://u:p@db.internal/courtside")
    pool = engine.pool
    assert isinstance(pool, AsyncAdaptedQueuePool)
    assert pool.size() == 1
    assert pool._max_overflow == 0
    assert pool._pre_ping is False  # no round trip per checkout: see courtside.db
    assert pool._timeout == settings.db_pool_timeout_seconds
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    assert DatabaseSettings().db_pool_size == 3


def test_lambda_without_redis_pools_a_second_connection_for_the_cache_versions(monkeypatch):
    """Without Redis the in-process cache reads its namespace versions on a connection of
    their own while the request holds its session's: with one pooled connection that read
    waited out the pool timeout on every cold signed-in page (issue 23)."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "courtside-dev-web")
    for name in ("REDIS_URL", "REDIS_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert (DatabaseSettings().db_pool_size, DatabaseSettings().db_max_overflow) == (2, 0)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    assert DatabaseSettings().db_pool_size == 1


def test_defaults_off_lambda_and_null_pool_behind_rds_proxy(monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    settings = DatabaseSettings()
    assert (settings.db_pool_size, settings.db_max_overflow) == (5, 5)
    proxied = build_engine(
        DatabaseSettings(database_use_proxy=True),
        url="postgresql+asyncpg://u:p@proxy.internal/courtside",
    )
    assert isinstance(proxied.pool, NullPool)


def test_the_default_provider_is_built_with_short_timeouts_and_no_deprecated_argument(
    monkeypatch,
):
    """On Lambda no client is given: the provider makes its own, with connect/read timeouts
    and bounded retries (`filterwarnings = error` turns a Powertools deprecation into a
    failure here, as it would be a warning on every cold start)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws_secrets.use_client(None)
    try:
        provider = aws_secrets._secrets_provider()
        config = provider.client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (2, 5)
        assert config.retries == {"mode": "standard", "total_max_attempts": 4}  # 3 retries
    finally:
        aws_secrets.use_client(None)


async def test_the_reader_endpoint_uses_the_writers_secret_with_its_own_host(stub, monkeypatch):
    """On AWS the functions that serve public reads get `DATABASE_READ_HOST` (Aurora's reader
    endpoint) next to their role's secret: same login, the reader's host."""
    from courtside import read_replica
    from courtside.replica_settings import ReplicaSettings

    monkeypatch.setenv("DATABASE_SECRET_ARN", DB_ARN)
    reader_host = "courtside-dev.cluster-ro-c9akciq32.us-east-1.rds.amazonaws.com"
    reset_settings()
    expect(stub, DB_ARN, json.dumps(RDS_SECRET))
    replica = read_replica.build_replica(ReplicaSettings(database_read_host=reader_host))
    try:
        assert replica is not None
        url = replica.engine.url
        assert (url.host, url.username, url.password) == (
            reader_host,
            "courtside_admin",
            NASTY_PASSWORD,
        )
        assert read_replica.build_replica(ReplicaSettings()) is None  # not configured
    finally:
        if replica is not None:
            await replica.engine.dispose()
        reset_settings()


async def test_several_rds_replicas_one_per_process_the_next_after_a_failure(stub, monkeypatch):
    """`DATABASE_READ_HOST=a,b,c` (RDS read replicas: no reader endpoint spreads them): the
    process starts on one of them and, after each failure, moves to the next in order."""
    from courtside import read_replica
    from courtside.replica_settings import ReplicaSettings

    monkeypatch.setenv("DATABASE_SECRET_ARN", DB_ARN)
    hosts = [f"courtside-prod-replica{n}.c9akciq32.eu-west-1.rds.amazonaws.com" for n in (1, 2, 3)]
    reset_settings()
    expect(stub, DB_ARN, json.dumps(RDS_SECRET))
    settings = ReplicaSettings(database_read_host=f" {hosts[0]},{hosts[1]} , {hosts[2]},")
    assert settings.read_hosts == tuple(hosts)
    replica = read_replica.build_replica(settings)
    try:
        assert replica is not None
        seen = [replica.engine.url.host]
        for _ in range(3):
            failed = replica.engine
            replica.move_on(failed)
            replica.move_on(failed)  # another read that failed on it: no second move
            seen.append(replica.engine.url.host)
        first = hosts.index(str(seen[0]))
        assert seen == [hosts[(first + n) % 3] for n in range(4)]  # in order, round again
        assert replica.engine.url.username == "courtside_admin"  # the writer's login
        assert ReplicaSettings(database_read_host=" , ").configured is False
    finally:
        if replica is not None:
            await replica.engine.dispose()
        reset_settings()
