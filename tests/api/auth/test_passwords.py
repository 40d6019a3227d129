"""Argon2id hashing: salted, verifiable, rehashed on login when parameters change; the
breached-password list."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from courtside.models import User
from courtside.services import passwords

from .helpers import PASSWORD, make_user


async def test_same_password_gives_different_salted_hashes():
    first = await passwords.hash_password(PASSWORD)
    second = await passwords.hash_password(PASSWORD)
    assert first != second
    assert first.startswith("$argon2id$")
    assert PASSWORD not in first


async def test_verify():
    stored = await passwords.hash_password(PASSWORD)
    assert (await passwords.verify_password(PASSWORD, stored))[0] is True
    assert (await passwords.verify_password(PASSWORD + "x", stored))[0] is False
    assert (await passwords.verify_password(PASSWORD, "not-a-hash"))[0] is False
    assert (await passwords.verify_password("x" * 1000, stored))[0] is False


async def test_rehash_needed_only_when_parameters_change(settings_env):
    stored = await passwords.hash_password(PASSWORD)
    assert await passwords.verify_password(PASSWORD, stored) == (True, None)
    settings_env(PASSWORD_HASH_TIME_COST="3", PASSWORD_HASH_MEMORY_KIB="12288")
    ok, new_hash = await passwords.verify_password(PASSWORD, stored)
    assert ok is True
    assert new_hash is not None
    assert "m=12288,t=3" in new_hash


async def test_login_rehashes_outdated_hash(client, session, settings_env):
    user = await make_user(session)
    old_hash = user.password_hash
    settings_env(PASSWORD_HASH_TIME_COST="3", PASSWORD_HASH_MEMORY_KIB="12288")
    response = await client.post("/token", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    stored = (
        await session.execute(
            select(User.password_hash)
            .where(User.id == user.id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert stored != old_hash
    assert "m=12288,t=3" in stored
    again = await client.post("/token", data={"username": user.username, "password": PASSWORD})
    assert again.status_code == 200


async def test_unknown_user_spends_a_dummy_verification(client, monkeypatch):
    calls = []
    original = passwords._dummy_verify_sync

    def counting() -> None:
        calls.append(1)
        original()

    monkeypatch.setattr(passwords, "_dummy_verify_sync", counting)
    response = await client.post("/token", data={"username": "ghost", "password": PASSWORD})
    assert response.status_code == 401
    assert calls == [1]


def test_password_policy():
    assert passwords.password_problems("a-long-enough-passphrase") == []
    assert "must be at least 10 characters long" in passwords.password_problems("short1!")
    assert "is too common" in passwords.password_problems("password123")
    assert "must contain at least 4 different characters" in passwords.password_problems(
        "aaaaaaaaaaaa"
    )
    assert "must not contain the username" in passwords.password_problems(
        "xx-alice-2026-xx", username="alice"
    )
    assert "must not contain the e-mail address" in passwords.password_problems(
        "bobby.tables-99", email="bobby.tables@example.test"
    )
    assert passwords.password_problems("y" * 200)


def test_the_breached_password_list_is_the_documented_file():
    data = passwords.COMMON_PASSWORDS_FILE.read_bytes()
    readme = (passwords.COMMON_PASSWORDS_FILE.parent / "README.md").read_text()
    assert f"`{hashlib.sha256(data).hexdigest()}`" in readme
    assert data.count(b"\n") == 100_000
    assert "MIT License" in readme and "SecLists" in readme
    assert len(passwords.common_passwords()) > 95_000


@pytest.mark.parametrize(
    "password",
    [
        "password123456",
        "Password123456!",
        "PASSWORD1234",
        "qwertyuiop",
        "1234567890",
        "iloveyou12",
        "michael1234",
        "!!Dragon2024!!",
        "2024sunshine!",
        "courtside2026",
        "Basketball!!",
    ],
)
def test_common_and_digit_padded_common_passwords_are_refused(password):
    assert "is too common" in passwords.password_problems(password)


def test_every_listed_password_of_an_allowed_length_is_refused():
    lines = passwords.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split("\n")
    long_enough = [line for line in lines if 10 <= len(line) <= 128]
    assert len(long_enough) > 2_000
    accepted = [p for p in long_enough if "is too common" not in passwords.password_problems(p)]
    assert accepted == []


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "a-long-enough-passphrase", "x9#4!2@8$7", "Tr0ub4dor&3xx", "abc12345678"],
)
def test_uncommon_passwords_pass(password):
    assert passwords.password_problems(password) == []


async def test_signup_refuses_a_common_password(client):
    response = await client.post(
        "/v1/auth/signup",
        json={
            "username": "newcomer",
            "email": "newcomer@example.test",
            "password": "password123456",
        },
    )
    assert response.status_code == 422
    assert "too common" in response.text


def test_the_list_is_not_read_at_import():
    """Cold start: importing the app (or the Lambda handler) must not load 100,000 lines."""
    script = (
        "import courtside.main, courtside.lambda_handler\n"
        "from courtside.services import passwords\n"
        "assert passwords.common_passwords.cache_info().currsize == 0\n"
        "passwords.password_problems('password123456')\n"
        "assert passwords.common_passwords.cache_info().currsize == 1\n"
    )
    api = Path(__file__).resolve().parents[3] / "api"
    env = {**os.environ, "PYTHONPATH": str(api)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
