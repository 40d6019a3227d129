"""Sign-up never tells whether an e-mail address is registered; a taken username is said.

E-mail addresses are contact details, not identities (migration 0011): an address another
account has is accepted like any other, so the answer is the same either way, and the new
account works. Usernames are public (the leaderboard), so a taken one is a 409.
"""

from __future__ import annotations

import re

import httpx

from .helpers import make_user

PASSPHRASE = "a-long-enough-passphrase"


async def _signup(client: httpx.AsyncClient, username: str, email: str) -> httpx.Response:
    body = {"username": username, "email": email, "password": PASSPHRASE}
    return await client.post("/v1/auth/signup", json=body)


def _shape(response: httpx.Response) -> tuple[int, list[str], str]:
    body = response.json()
    return response.status_code, sorted(body), body["role"]


async def test_a_registered_address_gets_the_same_answer_as_a_new_one(client, session) -> None:
    owner = await make_user(session)
    fresh = await _signup(client, "newcomer", "nobody-has-this@example.test")
    taken = await _signup(client, "copycat", owner.email)
    assert (
        _shape(taken)
        == _shape(fresh)
        == (201, ["email", "id", "is_admin", "role", "username"], "Consumer")
    )
    assert taken.json()["email"] == owner.email
    assert "registered" not in taken.text
    for username in ("newcomer", "copycat"):  # both accounts are real and sign in
        signed_in = await client.post("/token", data={"username": username, "password": PASSPHRASE})
        assert signed_in.status_code == 200


async def test_case_and_spaces_do_not_change_the_answer(client, session) -> None:
    owner = await make_user(session)
    response = await _signup(client, "shouter", f"  {owner.email.upper()} ")
    assert response.status_code == 201
    assert response.json()["email"] == owner.email


async def test_a_taken_username_is_said(client, session) -> None:
    owner = await make_user(session)
    response = await _signup(client, owner.username, "someone-else@example.test")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "account_exists",
        "message": "That username is already registered.",
        "details": None,
    }


async def test_the_sign_up_page_says_nothing_about_the_address_either(client, session) -> None:
    owner = await make_user(session)
    page = await client.get("/signup")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    form = {
        "username": "pagecopycat",
        "email": owner.email,
        "password": PASSPHRASE,
        "csrf_token": csrf.group(1),
    }
    response = await client.post("/signup", data=form)
    assert response.status_code == 303  # signed in, like any new account


async def test_an_admin_is_still_told_about_a_shared_address(client, session) -> None:
    from .helpers import user_headers

    admin = await make_user(session, role="Admin")
    owner = await make_user(session)
    response = await client.post(
        "/v1/admin/users",
        json={"username": "adminmade", "email": owner.email, "password": PASSPHRASE},
        headers=user_headers(admin),
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "That e-mail address is already registered."
