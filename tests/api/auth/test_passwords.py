"""Argon2id hashing: salted, verifiable, rehashed on login when parameters change."""

from sqlalchemy import select

from courtside.auth import passwords
from courtside.models import User

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
