"""The interactive API docs (`/docs`, Swagger UI) served from this origin only.

FastAPI's built-in `/docs` and `/redoc` load their JavaScript and CSS from public CDNs and
start Swagger UI with an inline script; both are refused by our Content-Security-Policy
(see `security_headers`). This page loads the vendored swagger-ui-dist from
`/static/vendor/swagger-ui/` and starts it with `/static/docs/swagger-init.js`.
`/docs/oauth2-redirect` is Swagger UI's OAuth2 callback page, also without inline script.
The pages are constant: built once at import, never rendered per request.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse

VENDOR = "/static/vendor/swagger-ui"
DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
OPENAPI_PATH = "/openapi.json"

DOCS_HTML = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Courtside API · Swagger UI</title>
  <link rel="stylesheet" href="{VENDOR}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{VENDOR}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{OPENAPI_PATH}"
       data-oauth2-redirect-url="{OAUTH2_REDIRECT_PATH}"></div>
  <noscript>
    <p>The interactive docs need JavaScript. The API description is at
    <a href="{OPENAPI_PATH}">{OPENAPI_PATH}</a>; the site itself works without it:
    <a href="/">back to Courtside</a>.</p>
  </noscript>
  <script src="{VENDOR}/swagger-ui-bundle.js"></script>
  <script src="/static/docs/swagger-init.js"></script>
</body>
</html>
""".encode()

OAUTH2_REDIRECT_HTML = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Courtside API · OAuth2 redirect</title></head>
<body>
  <script src="{VENDOR}/oauth2-redirect.js"></script>
</body>
</html>
""".encode()

router = APIRouter(include_in_schema=False)


@router.get(DOCS_PATH)
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(DOCS_HTML)


@router.get(OAUTH2_REDIRECT_PATH)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return HTMLResponse(OAUTH2_REDIRECT_HTML)
