"""The cache as configured on Lambda — `REDIS_HOST`, `REDIS_TLS=true`, the AUTH token from
`REDIS_AUTH_SECRET_ARN` — against a real redis-server that speaks only TLS and requires a
password. The test starts its own server on a free port with a throwaway CA (trusted through
`SSL_CERT_FILE`, as the Lambda image trusts Amazon's CA) and stops it afterwards."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from courtside import aws_secrets
from courtside.cache import CacheUnavailable, build_cache
from courtside.settings import CacheSettings
from tests.servers import free_port

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:courtside-test-redis-StUvWx"
TOKEN = "tls-only-token/with+chars"


def _openssl(directory: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A TLS-only redis-server with `requirepass`; yields (port, CA certificate)."""
    directory = tmp_path_factory.mktemp("redis-tls")
    _openssl(directory, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=courtside-test-ca")  # fmt: skip
    _openssl(directory, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
             "-out", "server.csr", "-subj", "/CN=localhost")  # fmt: skip
    (directory / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl(directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt",
             "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1",
             "-extfile", "san.cnf")  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", "server.crt", "--tls-key-file", "server.key",
         "--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no",
         "--requirepass", TOKEN, "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield port, directory / "ca.crt"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def token_secret() -> Iterator[Stubber]:
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        aws_secrets.use_client(client)
        yield stubber
    aws_secrets.use_client(None)


def _secret(stub: Stubber, value: str) -> None:
    stub.add_response(
        "get_secret_value",
        {
            "ARN": ARN,
            "Name": "courtside-test-redis",
            "VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
            "SecretString": value,
        },
        {"SecretId": ARN},
    )


def _settings(port: int, *, tls: bool = True) -> CacheSettings:
    return CacheSettings(
        redis_host="localhost",
        redis_port=port,
        redis_tls=tls,
        redis_auth_secret_arn=ARN,
        redis_socket_timeout_seconds=2.0,
        cache_prefix=f"courtside-tls-{uuid.uuid4().hex[:8]}",
    )


async def test_cache_over_tls_with_the_token_from_the_secret(tls_redis, token_secret, monkeypatch):
    port, ca = tls_redis
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    _secret(token_secret, TOKEN)
    cache = build_cache(_settings(port))
    try:
        await cache.ping()

        async def payload() -> bytes:
            return b"payload"

        assert await cache.get_or_build("reference", "teams", 60, payload) == (b"payload", False)
        assert await cache.get_or_build("reference", "teams", 60, payload) == (b"payload", True)
        assert await cache.backend.incr(cache.key("hits"), 60) == 1
    finally:
        await cache.close()


async def test_wrong_token_is_a_cache_miss_not_an_error(tls_redis, token_secret, monkeypatch):
    from redis.exceptions import AuthenticationError, ResponseError

    port, ca = tls_redis
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    _secret(token_secret, "not-the-token")
    cache = build_cache(_settings(port))
    try:

        async def fresh() -> bytes:
            return b"from the database"

        value = await cache.get_or_build("reference", "teams", 60, fresh)
        assert value == (b"from the database", False)
        with pytest.raises(CacheUnavailable):  # the failure opened the circuit
            await cache.ping()
    finally:
        await cache.close()
    cache = build_cache(_settings(port))
    try:
        with pytest.raises((AuthenticationError, ResponseError)):  # readiness says why
            await cache.ping()
    finally:
        await cache.close()


async def test_an_untrusted_certificate_is_refused(tls_redis, token_secret, monkeypatch):
    import ssl

    from redis.exceptions import ConnectionError as RedisConnectionError

    port, _ca = tls_redis
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent-ca.pem")
    _secret(token_secret, TOKEN)
    cache = build_cache(_settings(port))
    try:
        with pytest.raises((RedisConnectionError, ssl.SSLError)):
            await cache.ping()
    finally:
        await cache.close()
