"""The mark where a viewer's CSRF token goes in markup shared between viewers (issue 23).

Parts of a page that are the same for every viewer of the same input (a game card's bet
form, my record's analytics section with its unit form) are built once with this mark in
place of the token, split there and remembered; each request joins the halves around its
own token.
"""

from __future__ import annotations

VIEWER_SLOT = "\x00csrf\x00"
"""Where the viewer's token goes in shared markup (NULs: no text a page shows has one)."""


def split_at_slot(markup: str) -> tuple[str, str] | None:
    """The markup before and after its one `VIEWER_SLOT`; None if the mark is not found
    exactly once (some text of the data held it: that markup is then built per request)."""
    if markup.count(VIEWER_SLOT) != 1:
        return None
    before, _, after = markup.partition(VIEWER_SLOT)
    return before, after
