"""What every admin page shares: its layout, its messages, its pagination.

The admin area (`/admin`, role Admin) is four modules like the JSON admin API:
`admin_pages` (the overview, the audit log, simulated results), `admin_flag_pages`,
`admin_user_pages` and `admin_key_pages`. Anonymous visitors are redirected to the login
page, Consumers get a 403 page (`PageAdmin`). Every form POST is CSRF-protected, audited by
the service it calls, and answered with a redirect (303) carrying a fixed message code, so a
reload never repeats an action and no text from the URL is ever shown. A refused action
re-renders the page with the reason and its status code.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.cache_control import NO_STORE_HEADERS as NO_STORE
from courtside.web import query_params
from courtside.web.session import formatter
from courtside.web.templating import render

PAGE_SIZE = 25
FlagName = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
PageNumber = query_params.PageNumber

DONE_MESSAGES = {
    "flag_created": "Flag created.",
    "flag_toggled": "Flag switched.",
    "flag_deleted": "Flag deleted.",
    "role_changed": "Role changed. The user's old sessions are signed out.",
    "deactivated": "User deactivated and signed out everywhere.",
    "reactivated": "User reactivated.",
    "reset_forced": "The user must choose a new password at next sign-in.",
    "key_revoked": "API key revoked.",
    "flag_reset": "Flag reset to its default.",
    "simulated": "Simulated results ingested.",
}
DoneCode = Literal[
    "flag_created",
    "flag_toggled",
    "flag_deleted",
    "role_changed",
    "deactivated",
    "reactivated",
    "reset_forced",
    "key_revoked",
    "flag_reset",
    "simulated",
]
DoneQuery = Annotated[DoneCode | None, Query()]


def messages_for(done: str | None, error: str | None = None) -> list[dict[str, str]]:
    messages = []
    if done in DONE_MESSAGES:
        messages.append({"kind": "success", "text": DONE_MESSAGES[done]})
    if error:
        messages.append({"kind": "error", "text": error})
    return messages


def redirect_done(path: str, code: DoneCode) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={code}", status_code=303)


def pagination(total: int, page: int) -> dict[str, int]:
    return {"page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total}


DETAILS_CHARS = 200


def brief(details: dict[str, Any] | None) -> str:
    """An event's details on one line, cut short (ingestion batches can be large)."""
    text = json.dumps(details or {}, default=str, separators=(", ", "=")).strip("{}")
    text = text.replace('"', "")
    return text if len(text) <= DETAILS_CHARS else text[:DETAILS_CHARS] + "\u2026"


def admin_page(
    request: Request, template: str, section: str, context: dict[str, Any], status: int = 200
) -> Response:
    return render(
        request,
        template,
        {"section": section, "local": formatter(request).when, "brief": brief, **context},
        status_code=status,
        headers=NO_STORE,
    )
