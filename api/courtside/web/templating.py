"""The Jinja2 environment, built on first use so API-only requests never import it.

Autoescaping is on for every template. `render(request, name, context)` adds what every
page needs (the request, the signed-in user, the CSRF token, the league time zone).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from courtside.web.static_files import static_url

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"

ContextHook = Any
_context_hooks: list[ContextHook] = []


def add_context_hook(hook: ContextHook) -> None:
    """Register `hook(request) -> dict` whose result every template receives (e.g. CSRF).
    Registering a hook again changes nothing (`create_app` may run many times)."""
    if hook not in _context_hooks:
        _context_hooks.append(hook)


@lru_cache(maxsize=1)
def environment() -> Environment:
    # lazy: Jinja2 (~40 ms) loads on the first page, not with the API
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code: no stat() of the file at every `get_template`, which a
        # board did twice per game card (its `{% include %}`s).
        auto_reload=False,
    )
    env.globals["static_url"] = static_url  # content-hashed /static/ URLs
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    values: dict[str, Any] = {"request": request}
    for hook in _context_hooks:
        values.update(hook(request))
    values.update(context or {})
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)
