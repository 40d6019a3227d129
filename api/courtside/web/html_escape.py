"""`escape_text`: `str(markupsafe.escape(value))`, the string-built pages' escape (issue 23).

The record's charts, analytics and table and the board's cards escape ~850 values a page,
most of them plain text with nothing to escape (percentages, labels, team abbreviations);
`escape` builds a `Markup` of each and `str` copies it back. A plain `str` without `&`, `<`,
`>`, `"` or `'` is returned as it is, which is what `escape` gives for it; markup (an object
with `__html__`, such as the page's lazy CSRF token) as its `__html__` gives it, which is what
`escape` keeps; anything else goes through `escape` (`tests/api/betting/test_html_escape.py`
compares them).
"""

from __future__ import annotations

from markupsafe import escape


def escape_text(value: object) -> str:
    """`str(escape(value))`, without the round trip for plain text."""
    if (
        type(value) is str
        and "&" not in value
        and "<" not in value
        and ">" not in value
        and '"' not in value
        and "'" not in value
    ):
        return value
    html = getattr(value, "__html__", None)
    if html is not None:  # already markup (the page's CSRF token): what `escape` would keep
        return str(html())
    return str(escape(value))
