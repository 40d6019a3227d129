"""Kept for `courtside.edge`, which imports the anonymous CSRF cookie from here: cookie
names and flags live in `courtside.auth.cookies`."""

from __future__ import annotations

from courtside.auth.cookies import anonymous_csrf_cookie

__all__ = ["anonymous_csrf_cookie"]
