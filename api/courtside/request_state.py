"""Names of the per-request state the auth and CSRF code keep and the edge middleware reads.

A response made for a signed-in user, an API key or a page that embeds a CSRF token is
per-visitor: `courtside.edge` marks it `private, no-store`. The names are defined here once
so the code that sets them and the code that reads them cannot drift apart.
"""

from __future__ import annotations

AUTH_USER = "auth_user"
"""The signed-in user the request was authenticated as."""
AUTH_API_KEY = "auth_api_key"
"""The API key the request was authenticated with."""
CSRF_TOKEN_ISSUED = "csrf_token_issued"  # noqa: S105 (a state key, not a secret)
"""A page printed a CSRF token."""
NEW_ANONYMOUS_CSRF_ID = "csrf_new_anonymous_id"
"""A new anonymous CSRF id the response must set as a cookie."""

SESSION_CLAIMS = "session_claims"
"""The session cookie's decoded claims (or None), so a request decodes its JWT once."""
BEARER_CLAIMS = "bearer_claims"
"""The bearer token's decoded claims (or None): decoded once, like the session's."""
CSRF_VERIFIED = "csrf_verified"
"""The request's CSRF token was checked and matched (a second check is not repeated)."""

PRIVATE_KEYS = frozenset({AUTH_USER, AUTH_API_KEY, CSRF_TOKEN_ISSUED})
"""State keys that make a response per-visitor (when their value is truthy)."""
