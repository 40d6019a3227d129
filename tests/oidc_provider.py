"""A real OpenID Connect provider for the SSO tests: `tests/oidc/provider.mjs` (the npm
registry's `oidc-provider`, installed by `npm ci` from the root package.json) in a node
process of the test's own on a free port of 127.0.0.1.

- `OidcProvider(workdir, redirect_uris=[...])`: one registered client (`CLIENT_ID`,
  `CLIENT_SECRET`), PKCE required; `set_account(login, **claims)` decides what the provider
  asserts for a login name (read again at every sign-in).
- `sign_in_at_provider(http, authorize_url, login)`: what a person does in a browser, over
  plain HTTP (the development login page, then the consent page): returns the URL the
  provider sends the browser back to (our callback, with `code` and `state`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from tests.servers import REPO, free_port

SCRIPT = REPO / "tests" / "oidc" / "provider.mjs"
CLIENT_ID = "courtside-test"
CLIENT_SECRET = "test-client-secret-of-the-sso-tests"


class OidcProvider:
    def __init__(self, workdir: Path, *, redirect_uris: list[str]) -> None:
        if not (REPO / "node_modules" / "oidc-provider").is_dir():
            raise AssertionError("oidc-provider is not installed: run `npm ci` (make test does)")
        node = shutil.which("node")
        if node is None:
            raise AssertionError("node is not installed")
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.accounts_file = workdir / "accounts.json"
        self.accounts_file.write_text("{}")
        client = workdir / "client.json"
        client.write_text(
            json.dumps(
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": redirect_uris,
                }
            )
        )
        self.log = workdir / "provider.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [node, str(SCRIPT), str(self.port), str(self.accounts_file), str(client)],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up()

    def _wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        url = f"{self.issuer}/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the provider exited:\n{self.log.read_text()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the provider did not start:\n{self.log.read_text()}")

    def set_account(self, login: str, **claims: Any) -> None:
        accounts = json.loads(self.accounts_file.read_text())
        accounts[login] = claims
        self.accounts_file.write_text(json.dumps(accounts))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
_PROMPT = re.compile(r'name="prompt" value="([a-z]+)"')


async def sign_in_at_provider(
    http: httpx.AsyncClient, authorize_url: str, login: str, *, callback_prefix: str
) -> str:
    """Follow the provider's pages as a browser would (a fresh cookie jar per `http`): its
    login form (any password), its consent form; return the callback URL it redirects to."""
    url = authorize_url
    for _ in range(20):
        response = await http.get(url)
        while response.is_redirect:
            location = urljoin(url, response.headers["location"])
            if location.startswith(callback_prefix):
                return location
            url = location
            response = await http.get(url)
        assert response.status_code == 200, response.text
        action, prompt = _FORM_ACTION.search(response.text), _PROMPT.search(response.text)
        assert action and prompt, f"no provider form at {url}:\n{response.text[:2000]}"
        fields = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            fields.update(login=login, password="any password")
        posted = await http.post(urljoin(url, action.group(1).replace("&amp;", "&")), data=fields)
        assert posted.is_redirect, posted.text
        url = urljoin(url, posted.headers["location"])
        if url.startswith(callback_prefix):
            return url
    raise AssertionError("the provider never sent the browser back")
