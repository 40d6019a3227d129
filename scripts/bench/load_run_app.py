"""The app as `uvicorn load_run_app:app` serves it for the load run, plus one counter.

`courtside.main:app` unchanged, wrapped by an ASGI function that answers
`GET /__load_run/statements` with the number of SQL statements every engine of this process
has executed (a SQLAlchemy `after_cursor_execute` listener on the Engine class). The load run
(`load_run.py`) reads it between phases: this machine's PostgreSQL does not preload
`pg_stat_statements` (and the shared server is not to be reconfigured), so the statements are
counted at the client, a count, not a time. Everything else it measures from outside.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import Receive, Scope, Send

from courtside.main import app as courtside_app

PATH = "/__load_run/statements"
_executed = [0]


@event.listens_for(Engine, "after_cursor_execute")
def _count(*_args: Any) -> None:
    _executed[0] += 1


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope["path"] == PATH:
        body = json.dumps({"statements": _executed[0]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    await courtside_app(scope, receive, send)
