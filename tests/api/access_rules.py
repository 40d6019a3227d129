"""Who may call each route. The auth matrix test (tests/api/auth/test_matrix.py) runs every
route of the app under every kind of caller and checks the outcome against this table; a
route without an entry here fails the test. When you add a route, add one line.

Rules (what each caller gets; "passes" = not 401/403, not a redirect to /login, not 5xx):

- `public`        everyone passes, credentials are ignored (even broken ones).
- `optional_user` everyone passes; a *broken bearer token* is 401 (OptionalUser routes,
                  e.g. pages that show who is signed in: PageOptionalUser).
- `user`          signed-in users (Consumer, Admin) pass; anonymous, API keys and broken
                  tokens 401 (CurrentUser).
- `admin`         Admin passes; Consumer 403; anonymous, keys, broken tokens 401 (AdminUser).
- `scope:read`    read and write keys pass; users 403; anonymous and broken tokens 401.
- `scope:write`   write keys pass; read keys and users 403; anonymous and broken tokens 401.
- `page_user`     HTML page: users pass; anonymous and keys are redirected (303) to
                  /login?next=... (a form POST without CSRF token may be 403 instead);
                  broken bearer tokens 401 (PageUser).
- `page_admin`    like page_user, and a Consumer gets 403 (PageAdmin).
- `form_public`   an anonymous HTML form POST (login, sign-up): without a CSRF token 403
                  for cookie/anonymous callers; header-authenticated callers pass.
- `form_session`  a form acting on the cookie session (logout): a signed-in cookie without
                  the CSRF token gets 403; everyone else passes.

"Broken tokens" are: expired, tampered signature, `alg: none`, signed with another
secret, a deactivated user's token, and a demoted Admin's old token.
Mounts (static files) are keyed `("MOUNT", path)`.
"""

from __future__ import annotations

RULES: dict[tuple[str, str], str] = {
    # framework: API docs
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/docs/oauth2-redirect"): "public",
    ("MOUNT", "/static"): "public",
    # health
    ("GET", "/health"): "public",
    ("GET", "/health/ready"): "public",
    # public league data
    ("GET", "/v1/teams"): "public",
    ("GET", "/v1/teams/{abbr}"): "public",
    ("GET", "/v1/teams/{abbr}/players"): "public",
    ("GET", "/v1/players"): "public",
    ("GET", "/v1/players/{player_id}"): "public",
    ("GET", "/v1/games"): "public",
    ("GET", "/v1/games/{game_id}"): "public",
    ("GET", "/v1/games/{game_id}/odds"): "public",
    ("GET", "/v1/odds"): "public",
    ("GET", "/v1/predictions"): "public",
    ("GET", "/v1/predictions/track-record"): "public",
    ("GET", "/v1/standings"): "public",
    # auth (issue 3)
    ("POST", "/token"): "public",
    ("POST", "/v1/auth/signup"): "public",
    ("POST", "/v1/auth/password"): "public",
    ("GET", "/v1/me"): "user",
    ("POST", "/v1/me/logout-everywhere"): "user",
    ("GET", "/v1/admin/users"): "admin",
    ("POST", "/v1/admin/users"): "admin",
    ("GET", "/v1/admin/users/{user_id}"): "admin",
    ("PATCH", "/v1/admin/users/{user_id}"): "admin",
    ("POST", "/v1/admin/users/{user_id}/logout-everywhere"): "admin",
    ("GET", "/v1/admin/api-keys"): "admin",
    ("POST", "/v1/admin/api-keys"): "admin",
    ("GET", "/v1/admin/api-keys/{key_id}"): "admin",
    ("POST", "/v1/admin/api-keys/{key_id}/revoke"): "admin",
    ("GET", "/login"): "optional_user",
    ("POST", "/login"): "form_public",
    ("GET", "/logout"): "optional_user",
    ("POST", "/logout"): "form_session",
    ("GET", "/signup"): "optional_user",
    ("POST", "/signup"): "form_public",
    # sign-in with an identity provider (issue 25): anyone may start one; the callback
    # trusts only the signed flow cookie and the provider (tests/api/auth/test_sso.py)
    ("GET", "/login/sso"): "public",
    ("GET", "/login/sso/callback"): "public",
    # betting (issue 4)
    ("GET", "/v1/me/bets"): "user",
    ("POST", "/v1/me/bets"): "user",
    ("GET", "/v1/me/bets.csv"): "user",
    ("GET", "/v1/me/bets/{bet_id}"): "user",
    ("GET", "/v1/me/summary"): "user",
    ("GET", "/v1/me/stats"): "user",
    ("PUT", "/v1/me/unit"): "user",
    ("GET", "/v1/admin/flags"): "admin",
    ("POST", "/v1/admin/flags"): "admin",
    ("GET", "/v1/admin/flags/{name}"): "admin",
    ("PATCH", "/v1/admin/flags/{name}"): "admin",
    ("DELETE", "/v1/admin/flags/{name}"): "admin",
    ("GET", "/"): "optional_user",
    ("POST", "/bets"): "page_user",
    ("GET", "/bets"): "public",  # a redirect to the board (issue 22)
    ("GET", "/record"): "page_user",
    ("POST", "/record/unit"): "page_user",  # issue 25: the unit of "units won"
    ("GET", "/track-record"): "optional_user",  # issue 25: the model's track record
    ("GET", "/admin"): "page_admin",
    ("GET", "/admin/flags"): "page_admin",
    ("POST", "/admin/flags"): "page_admin",
    ("POST", "/admin/flags/{name}/toggle"): "page_admin",
    ("POST", "/admin/flags/{name}/delete"): "page_admin",
    ("GET", "/admin/users"): "page_admin",
    ("POST", "/admin/users/{user_id}/role"): "page_admin",
    ("POST", "/admin/users/{user_id}/active"): "page_admin",
    ("POST", "/admin/users/{user_id}/reset"): "page_admin",
    ("GET", "/admin/api-keys"): "page_admin",
    ("POST", "/admin/api-keys"): "page_admin",
    ("POST", "/admin/api-keys/{key_id}/revoke"): "page_admin",
    ("GET", "/admin/audit"): "page_admin",
    # the web app, second round (issue 13)
    ("GET", "/favicon.ico"): "public",
    ("POST", "/v1/me/bets/{bet_id}/cancel"): "user",
    ("GET", "/record.csv"): "page_user",
    ("POST", "/bets/{bet_id}/cancel"): "page_user",
    ("GET", "/games/{game_id}"): "optional_user",
    ("GET", "/standings"): "optional_user",
    ("GET", "/teams/{abbreviation}"): "optional_user",
    ("GET", "/players/{player_id}"): "optional_user",
    ("GET", "/leaderboard"): "optional_user",
    ("GET", "/notifications"): "page_user",
    ("POST", "/notifications/read"): "page_user",
    ("GET", "/settings"): "page_user",
    ("POST", "/settings"): "page_user",
    ("POST", "/admin/flags/{name}/reset"): "page_admin",
    ("POST", "/admin/simulate"): "page_admin",
    # accounts people run themselves (issue 22)
    ("GET", "/account"): "page_user",
    ("POST", "/account/password"): "page_user",
    ("POST", "/account/email"): "page_user",
    ("POST", "/account/bankroll/reset"): "page_user",
    ("POST", "/account/delete"): "page_user",
    ("GET", "/account/deleted"): "optional_user",
    ("GET", "/account/email/confirm"): "optional_user",
    ("POST", "/account/email/confirm"): "form_public",
    ("GET", "/password/forgot"): "optional_user",
    ("POST", "/password/forgot"): "form_public",
    ("GET", "/password/reset"): "optional_user",
    ("POST", "/password/reset"): "form_public",
    # ingestion (issue 5)
    ("POST", "/v1/ingest/{dataset}"): "scope:write",
    ("GET", "/v1/admin/events"): "admin",
}

SAMPLE_PATH_VALUES: dict[str, str] = {
    "abbr": "BOS",
    "abbreviation": "BOS",
    "dataset": "teams",
    "name": "betting_open",
}
"""Values put into path parameters by the matrix test; any other parameter gets "1"."""

MOUNT_SAMPLE_PATHS: dict[str, str] = {"/static": "/static/app.css"}
