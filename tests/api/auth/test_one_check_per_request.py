"""A signed-in form post decodes its JWT once and checks its CSRF token once, although two
dependencies (the page's user and `CsrfProtected`) both need them (issue 21, item 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from courtside.auth import credentials, csrf

from .helpers import make_user, token
from .test_web_session import csrf_from, login


def _count(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    calls: list[int] = []
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


async def test_a_cookie_form_post_decodes_once_and_checks_csrf_once(
    client: httpx.AsyncClient, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user(session)
    assert (await login(client, user.username)).status_code == 303
    form_token = csrf_from((await client.get("/account")).text)
    decodes = _count(monkeypatch, credentials, "decode_token")
    checks = _count(monkeypatch, csrf, "token_matches")
    # Cancelling a bet that does not exist: the page user and CsrfProtected both ran before
    # the service said 404.
    posted = await client.post("/bets/999999/cancel", data={"csrf_token": form_token})
    assert posted.status_code == 404, posted.text
    assert (len(decodes), len(checks)) == (1, 1)


async def test_a_bad_csrf_token_is_still_refused(client: httpx.AsyncClient, session: Any) -> None:
    user = await make_user(session)
    assert (await login(client, user.username)).status_code == 303
    refused = await client.post("/bets/999999/cancel", data={"csrf_token": "forged"})
    assert refused.status_code == 403


async def test_a_bearer_form_post_decodes_once(
    client: httpx.AsyncClient, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user(session)
    bearer = {"Authorization": f"Bearer {token(user)}"}
    decodes = _count(monkeypatch, credentials, "decode_token")
    checks = _count(monkeypatch, csrf, "token_matches")
    posted = await client.post("/bets/999999/cancel", headers=bearer)
    assert posted.status_code == 404, posted.text
    assert (len(decodes), len(checks)) == (1, 0)  # a verified header needs no CSRF token
