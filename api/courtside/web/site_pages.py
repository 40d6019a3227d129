"""The pages every web route group may need at once: the HTML error page and the site icon.

Both are in the board's group (`web`) and import nothing of the record's, league's or
account's pages: a browser asks for `/favicon.ico` right after its first page, and an HTML
error can be any cold instance's first answer, so either would otherwise load the record's
group (~165 M instructions of a cold `GET /`, issue 23) for a few bytes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from courtside.web.templating import render

router = APIRouter(include_in_schema=False)


def html_error_page(request: Request, status_code: int, message: str) -> Response:
    """`app.state.html_error_renderer`: errors on HTML pages use the site's layout."""
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The site icon (browsers ask for it at this path whatever the page says)."""
    # lazy: the icon's bytes are read only when a browser asks for it
    from courtside.web.static_files import favicon_bytes

    return Response(
        favicon_bytes(),
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
