"""What a service says when a rule of the domain refuses a request, in domain words.

Services raise these and know nothing of HTTP; `errors.py` maps each class to a status in
one table (`DOMAIN_STATUS`), for the JSON API and the pages alike, and a page that shows
the refusal in a form catches the class it expects (never a status code).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a person can act on: a stable `code`, a `message` in plain words, and
    `details` for the client (JSON-serialisable, or None)."""

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class BadRequest(DomainError):
    """The request cannot be acted on as sent (a link that is not valid any more)."""


class NotAuthenticated(DomainError):
    """The credential presented is not one this service accepts (an unknown or revoked key)."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is not the asker's to see)."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__("not_found", f"{what} {key!s} was not found")


class Forbidden(DomainError):
    """Not for this caller, or not here (simulated results outside a local run)."""


class Conflict(DomainError):
    """The request is well formed but the current state of things does not allow it."""


class Invalid(DomainError):
    """The request breaks a rule about its own values (a stake of zero, an unknown side)."""


class TooLarge(DomainError):
    """The request holds more than one request may (an ingestion batch over its limit)."""
