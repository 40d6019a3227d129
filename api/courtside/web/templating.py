"""The Jinja2 environment, built on first use so API-only requests never import it.

Autoescaping is on for every template. `render(request, name, context)` adds what every
page needs (the request, the signed-in user, the CSRF token, the league time zone).
Templates compiled at build time are read when the image has them
(`courtside.web.template_bytecode`); otherwise they compile from their sources at first use.
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


_TRIM_BLOCKS = True
_LSTRIP_BLOCKS = True
_AUTOESCAPE_DEFAULT = True  # every template, whatever its extension, and strings
OPTIONS_FINGERPRINT = repr(("FileSystemLoader", _TRIM_BLOCKS, _LSTRIP_BLOCKS, _AUTOESCAPE_DEFAULT))
"""What, besides a template's source, decides its compiled code: part of each precompiled
template's key, so a change here can never load code compiled under the old options."""


def build_environment(*, compiled_into: Path | None = None) -> Environment:
    """The site's environment; `compiled_into`: the build writing compiled templates there."""
    # lazy: Jinja2 (~40 ms) loads on the first page, not with the API
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from courtside.web import template_bytecode

    if compiled_into is None:
        cache = template_bytecode.precompiled(OPTIONS_FINGERPRINT)
    else:
        cache = template_bytecode.PrecompiledTemplates(
            compiled_into, OPTIONS_FINGERPRINT, writable=True
        )
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            default=_AUTOESCAPE_DEFAULT, default_for_string=_AUTOESCAPE_DEFAULT
        ),
        trim_blocks=_TRIM_BLOCKS,
        lstrip_blocks=_LSTRIP_BLOCKS,
        # Templates ship with the code: no stat() of the file at every `get_template`, which a
        # board did twice per game card (its `{% include %}`s).
        auto_reload=False,
        bytecode_cache=cache,
    )
    env.globals["static_url"] = static_url  # content-hashed /static/ URLs
    return env


@lru_cache(maxsize=1)
def environment() -> Environment:
    return build_environment()


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


def main(argv: list[str]) -> int:
    """`python -m courtside.web.templating [DIR]`: compile every template into DIR (the
    image's build step; default `template_bytecode.COMPILED_DIR`)."""
    # lazy: template_bytecode imports Jinja2, which API-only processes never load
    from courtside.web import template_bytecode

    directory = Path(argv[0]) if argv else template_bytecode.COMPILED_DIR
    names = template_bytecode.compile_all(build_environment(compiled_into=directory), directory)
    print(f"{len(names)} templates compiled into {directory}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
