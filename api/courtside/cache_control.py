"""The `Cache-Control` values that keep a response out of every cache, defined once.

`PRIVATE` is for per-user data (only the user's own browser may keep it, and not on disk);
`NO_STORE` for answers no one may keep (tokens, admin views). `courtside.edge` marks
per-visitor responses with the same `private, no-store`.
"""

from __future__ import annotations

PRIVATE_NO_STORE = "private, no-store"
NO_STORE = "no-store"

PRIVATE: dict[str, str] = {"Cache-Control": PRIVATE_NO_STORE}
NO_STORE_HEADERS: dict[str, str] = {"Cache-Control": NO_STORE}
